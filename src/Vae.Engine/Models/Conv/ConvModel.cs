using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.Conv;

/// <summary>
/// The convolutional VAE or autoencoder. Encoder: conv 4x4 stride 2 + ReLU per layer, flatten,
/// (one-hot label appended), dense + ReLU, heads. Decoder: (code and label) dense + ReLU, dense +
/// ReLU to the last conv's shape, then transposed convs 4x4 stride 2 with ReLU between them; the
/// last one gives logits (Bernoulli) or means (Gaussian).
/// </summary>
public sealed class ConvModel : AutoencoderModel
{
    private readonly Sequential _encoder, _decoder;
    private readonly Linear _hidden, _decoderHidden, _decoderExpand;
    private readonly int[] _bottleneck; // (channels, h, w) after the last convolution

    public ConvModel(ConvConfig config, Generator generator, IBackend backend) : base(config)
    {
        int label = config.Conditional ? config.ClassCount : 0, layers = config.ConvChannels.Length;
        _bottleneck = [config.ConvChannels[^1], config.Height >> layers, config.Width >> layers];
        int flat = ConvFamily.FlatSize(config);

        var encoder = new List<Layer>();
        int channels = config.Channels;
        foreach (int ch in config.ConvChannels)
        {
            encoder.Add(new Conv2d(channels, ch, 4, generator, stride: 2, padding: 1, backend: backend));
            encoder.Add(new ActivationLayer(Activation.Relu));
            channels = ch;
        }
        _encoder = RegisterModule("encoder", new Sequential([.. encoder]));
        _hidden = RegisterModule("hidden", new Linear(flat + label, config.DenseSize, generator, activation: Activation.Relu, backend: backend));
        AddHeads(config.DenseSize, generator, backend);

        _decoderHidden = RegisterModule("decoder_hidden", new Linear(config.LatentDim + label, config.DenseSize, generator, activation: Activation.Relu, backend: backend));
        _decoderExpand = RegisterModule("decoder_expand", new Linear(config.DenseSize, flat, generator, activation: Activation.Relu, backend: backend));
        var decoder = new List<Layer>();
        for (int i = layers - 1; i >= 0; i--)
        {
            int output = i == 0 ? config.Channels : config.ConvChannels[i - 1];
            decoder.Add(new ConvTranspose2d(config.ConvChannels[i], output, 4, generator, stride: 2, padding: 1, backend: backend));
            if (i > 0) decoder.Add(new ActivationLayer(Activation.Relu));
        }
        _decoder = RegisterModule("decoder", new Sequential([.. decoder]));
        AddLikelihoodParameters(backend);
    }

    protected override Tensor EncodeFeatures(Tensor images, Tensor? condition)
    {
        var features = F.Flatten(_encoder.Forward(images)); // (B, flat)
        return _hidden.Forward(condition is null ? features : F.Cat([features, condition], 1));
    }

    protected override Tensor DecodeOutput(Tensor z, Tensor? condition)
    {
        var h = _decoderExpand.Forward(_decoderHidden.Forward(condition is null ? z : F.Cat([z, condition], 1)));
        return _decoder.Forward(F.Reshape(h, z.Shape[0], _bottleneck[0], _bottleneck[1], _bottleneck[2]));
    }

    protected override string ExportFeatures(GraphBuilder graph, string images, string? condition)
    {
        var features = graph.Flatten(_encoder.Export(graph, images));
        return _hidden.Export(graph, condition is null ? features : graph.Concat(features, condition));
    }

    protected override string ExportOutput(GraphBuilder graph, string z, string? condition)
    {
        var h = _decoderExpand.Export(graph, _decoderHidden.Export(graph, condition is null ? z : graph.Concat(z, condition)));
        return _decoder.Export(graph, graph.Reshape(h, _bottleneck));
    }
}
