using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// y = act(x W^T + b). weight: (out, in), bias: (out), both initialised like PyTorch's
/// nn.Linear: uniform in ±1/sqrt(in). The activation is part of the layer so that backends with
/// fused kernels apply bias and activation in one pass.
/// </summary>
public sealed class Linear : Layer, IFusesActivation
{
    public Linear(int inFeatures, int outFeatures, Generator generator, IBackend backend, bool bias = true, Activation activation = Activation.None, float slope = 0.01f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Activation = activation;
        Slope = slope;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Init.Uniform([outFeatures, inFeatures], bound, generator, backend));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outFeatures], bound, generator, backend));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Activation Activation { get; }
    public float Slope { get; }
    public Tensor Weight { get; }   // (out, in)
    public Tensor? Bias { get; }    // (out)

    // W^T, (in, out): kept once the layer is frozen, on a backend whose product reads that layout
    // faster, and used by forward passes that record no gradient (serving).
    private Tensor? _weightTransposed;

    public override Tensor Forward(Tensor input) => Product(input, Activation, Slope);

    /// <summary>
    /// The layer followed by <paramref name="activation"/>: in the product's own pass when the layer
    /// has no activation of its own (a decoder's sigmoid, applied while serving), else after it.
    /// </summary>
    public Tensor Forward(Tensor input, Activation activation, float slope)
        => Activation == Activation.None ? Product(input, activation, slope) : F.Activate(Forward(input), activation, slope);

    private Tensor Product(Tensor input, Activation activation, float slope) => _weightTransposed is not null && !Autograd.IsEnabled
        ? F.LinearFromTransposed(input, _weightTransposed, Bias, activation, slope)
        : F.Linear(input, Weight, Bias, activation, slope);

    /// <summary>Whether forward passes without gradients read the transposed copy (frozen, on a backend that prefers it).</summary>
    internal bool ReadsTransposedCopy => _weightTransposed is not null;

    protected override void OnFreeze()
    {
        _weightTransposed?.Dispose();
        _weightTransposed = null;
        var backend = Weight.Backend;
        if (backend.Kernels<IDenseKernels>() is not { ReadsTransposedWeightsFaster: true }) return;

        // Lives as long as the layer, like its parameters; filled on the backend by a strided copy
        // that reads W (out, in) column by column.
        _weightTransposed = Tensor.EmptyUntracked([InFeatures, OutFeatures], backend);
        backend.Copy(Weight.Buffer, [1, InFeatures], _weightTransposed.Buffer, [OutFeatures, 1], [InFeatures, OutFeatures], accumulate: false);
    }

    public override string Export(GraphBuilder graph, string input) => graph.Linear(input, Weight, Bias, Activation, Slope);

    /// <summary>Parameters of a Linear layer: in * out weights plus out biases.</summary>
    public static long CountParameters(int inFeatures, int outFeatures, bool bias = true) => (long)inFeatures * outFeatures + (bias ? outFeatures : 0);
}
