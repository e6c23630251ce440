using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests;

/// <summary>
/// Base of the test classes that run on every backend: each derived class names one backend of
/// <see cref="BackendRegistry"/>. xunit makes a new instance for every test, so each test draws
/// its inputs from its own freshly seeded generator: what one test gets does not depend on
/// which tests ran before it. A backend that cannot run here (CUDA without a device) skips every
/// test of its class with the reason, so the class is there to run wherever the device is; the
/// tests use [SkippableFact]/[SkippableTheory] for that, as only those report the constructor's
/// <see cref="SkipException"/> as a skip.
/// </summary>
public abstract class BackendTests(string backend)
{
    protected IBackend Backend { get; } = Require(backend);

    protected Generator Rng { get; } = new(42);

    /// <summary>A leaf requiring a gradient, uniform in [-1, 1).</summary>
    protected Tensor In(params int[] shape) => GradCheck.Input(Rng, shape, backend: Backend);
    /// <summary>A leaf in ±[0.1, 2): away from kinks at zero.</summary>
    protected Tensor Away(params int[] shape) => GradCheck.Input(Rng, shape, -2f, 2f, avoidNearZero: 0.1f, backend: Backend);
    /// <summary>A leaf in [0.5, 2).</summary>
    protected Tensor Positive(params int[] shape) => GradCheck.Input(Rng, shape, 0.5f, 2f, backend: Backend);
    /// <summary>A leaf uniform in [low, high).</summary>
    protected Tensor Range(int[] shape, float low, float high) => GradCheck.Input(Rng, shape, low, high, backend: Backend);
    /// <summary>Values in [0, 1) that take no gradient.</summary>
    protected Tensor Constant(params int[] shape) => GradCheck.Constant(Rng, shape, backend: Backend);
    /// <summary>Host values on this backend.</summary>
    protected Tensor From(float[] values, params int[] shape) => Tensor.FromArray(values, shape, Backend);

    /// <summary>The backend, or a skip naming why it cannot run here.</summary>
    internal static IBackend Require(string backend)
    {
        if (BackendRegistry.TryFind(backend) is { } found) return found;
        string why = BackendRegistry.Unavailable.TryGetValue(backend, out string? reason) ? reason : "it is not a backend of this build";
        throw new SkipException($"Backend '{backend}' cannot run here: {why}");
    }
}
