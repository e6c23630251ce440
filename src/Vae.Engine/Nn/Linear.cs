using Vae.Engine.Backends;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// y = act(x W^T + b). weight: (out, in), bias: (out), both initialised like PyTorch's
/// nn.Linear: uniform in ±1/sqrt(in). The activation is fused into the layer.
/// </summary>
public sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true, Activation activation = Activation.None, float slope = 0.01f, IBackend? backend = null)
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

    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias, Activation, Slope);

    /// <summary>This layer with another activation fused in, sharing the same parameters.</summary>
    internal Tensor ForwardWith(Tensor input, Activation activation, float slope) => F.Linear(input, Weight, Bias, activation, slope);
}

/// <summary>An activation as a layer of its own (fused into a preceding Linear by <see cref="Sequential"/>).</summary>
public sealed class ActivationLayer(Activation activation, float slope = 0.01f) : Layer
{
    public Activation Activation { get; } = activation;
    public float Slope { get; } = slope;
    public override Tensor Forward(Tensor input) => F.Activate(input, Activation, Slope);
}
