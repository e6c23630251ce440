using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.ResNet;

/// <summary>
/// Seed 001's ResNet VAE. Encoder: stem (3x3 conv, batch norm, ReLU), the residual stages, global
/// average pooling to (B, 512), (label appended), heads. Decoder: (code and label) a linear layer
/// to 512 x 4 x 4, the mirrored stages, and a 3x3 conv to the image's channels, whose output is the
/// Gaussian mean. Parameter names are those of the PyTorch model (stem, enc, mu, logvar, fc, dec, log_scale).
/// </summary>
public sealed class ResNetModel : AutoencoderModel
{
    private readonly Sequential _stem, _encoder, _decoder;
    private readonly Linear _fc;
    private readonly int _top, _bottomH, _bottomW;

    public ResNetModel(ResNetConfig config, Generator generator, IBackend backend) : base(config)
    {
        int label = config.Conditional ? config.ClassCount : 0;
        _top = config.Widths[^1];
        _bottomH = config.Height >> (config.Widths.Length - 1);
        _bottomW = config.Width >> (config.Widths.Length - 1);

        _stem = RegisterModule("stem", new Sequential(
            new Conv2d(config.Channels, config.Widths[0], 3, generator, padding: 1, bias: false, backend: backend),
            new BatchNorm(config.Widths[0], activation: Activation.Relu, backend: backend)));
        _encoder = RegisterModule("enc", new Sequential(ResNetFamily.EncoderBlocks(config)
            .Select(b => (Layer)new ResidualBlock(b.In, b.Out, generator, stride: b.Stride, backend: backend)).ToArray()));
        AddHeads(_top + label, generator, backend);
        _fc = RegisterModule("fc", new Linear(config.LatentDim + label, _top * _bottomH * _bottomW, generator, backend: backend));
        var decoder = ResNetFamily.DecoderBlocks(config)
            .Select(b => (Layer)new ResidualBlock(b.In, b.Out, generator, upsample: b.Up, decoder: true, backend: backend)).ToList();
        decoder.Add(new Conv2d(config.Widths[0], config.Channels, 3, generator, padding: 1, bias: false, backend: backend));
        _decoder = RegisterModule("dec", new Sequential([.. decoder]));
        AddLikelihoodParameters(backend);
    }

    protected override Tensor EncodeFeatures(Tensor images, Tensor? condition)
    {
        var pooled = F.GlobalAvgPool2d(_encoder.Forward(_stem.Forward(images))); // (B, 512)
        return condition is null ? pooled : F.Cat([pooled, condition], 1);
    }

    protected override Tensor DecodeOutput(Tensor z, Tensor? condition)
    {
        var h = _fc.Forward(condition is null ? z : F.Cat([z, condition], 1));
        return _decoder.Forward(F.Reshape(h, z.Shape[0], _top, _bottomH, _bottomW));
    }

    protected override string ExportFeatures(GraphBuilder graph, string images, string? condition)
    {
        var pooled = graph.GlobalAveragePool(_encoder.Export(graph, _stem.Export(graph, images)));
        return condition is null ? pooled : graph.Concat(pooled, condition);
    }

    protected override string ExportOutput(GraphBuilder graph, string z, string? condition)
    {
        var h = _fc.Export(graph, condition is null ? z : graph.Concat(z, condition));
        return _decoder.Export(graph, graph.Reshape(h, _top, _bottomH, _bottomW));
    }
}
