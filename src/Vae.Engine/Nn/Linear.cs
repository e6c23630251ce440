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
public sealed class Linear : Layer
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

    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias, Activation, Slope);

    public override string Export(GraphBuilder graph, string input) => graph.Linear(input, Weight, Bias, Activation, Slope);

    /// <summary>Parameters of a Linear layer: in * out weights plus out biases.</summary>
    public static long CountParameters(int inFeatures, int outFeatures, bool bias = true) => (long)inFeatures * outFeatures + (bias ? outFeatures : 0);
}
