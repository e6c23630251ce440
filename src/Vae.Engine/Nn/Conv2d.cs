using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// A 2-D convolution layer, as PyTorch's nn.Conv2d (groups 1). weight: (out, in, kh, kw),
/// bias: (out); both uniform in ±1/sqrt(in * kh * kw), PyTorch's default initialisation.
/// </summary>
public sealed class Conv2d : Layer, IFusesActivation
{
    public Conv2d(int inChannels, int outChannels, Size2 kernel, Generator generator, IBackend backend, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        Stride = stride ?? 1; Padding = padding ?? 0; Dilation = dilation ?? 1;
        float bound = 1f / MathF.Sqrt(inChannels * kernel.H * kernel.W);
        Weight = RegisterParameter("weight", Init.Uniform([outChannels, inChannels, kernel.H, kernel.W], bound, generator, backend));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outChannels], bound, generator, backend));
    }

    public Tensor Weight { get; }   // (out, in, kh, kw)
    public Tensor? Bias { get; }    // (out)
    public Size2 Stride { get; }
    public Size2 Padding { get; }
    public Size2 Dilation { get; }

    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation);

    public override string Export(GraphBuilder graph, string input) => graph.Conv(input, Weight, Bias, Stride, Padding, Dilation);

    public Tensor Forward(Tensor input, Activation activation, float slope) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, activation, slope);

    public static long CountParameters(int inChannels, int outChannels, int kernel, bool bias = true)
        => (long)outChannels * inChannels * kernel * kernel + (bias ? outChannels : 0);
}

/// <summary>
/// The transposed convolution layer, as PyTorch's nn.ConvTranspose2d (groups 1). weight: (in, out, kh, kw),
/// bias: (out); uniform in ±1/sqrt(out * kh * kw), as PyTorch computes the fan-in of this layout.
/// </summary>
public sealed class ConvTranspose2d : Layer, IFusesActivation
{
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernel, Generator generator, IBackend backend, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        Stride = stride ?? 1; Padding = padding ?? 0; OutputPadding = outputPadding ?? 0;
        float bound = 1f / MathF.Sqrt(outChannels * kernel.H * kernel.W);
        Weight = RegisterParameter("weight", Init.Uniform([inChannels, outChannels, kernel.H, kernel.W], bound, generator, backend));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform([outChannels], bound, generator, backend));
    }

    public Tensor Weight { get; }   // (in, out, kh, kw)
    public Tensor? Bias { get; }    // (out)
    public Size2 Stride { get; }
    public Size2 Padding { get; }
    public Size2 OutputPadding { get; }

    public override Tensor Forward(Tensor input) => F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding);

    public override string Export(GraphBuilder graph, string input) => graph.ConvTranspose(input, Weight, Bias, Stride, Padding, OutputPadding);

    public Tensor Forward(Tensor input, Activation activation, float slope)
        => F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, activation: activation, slope: slope);
}
