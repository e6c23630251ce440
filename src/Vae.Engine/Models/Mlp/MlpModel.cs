using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models.Mlp;

/// <summary>
/// A fully-connected VAE or autoencoder. Encoder: the flattened image (and one-hot label) through
/// the hidden layers; decoder: the code (and label) through the hidden layers mirrored, then the
/// output layer, whose activation is none for Bernoulli logits and a sigmoid for Gaussian means in [0, 1].
/// </summary>
public sealed class MlpModel : AutoencoderModel
{
    private readonly Sequential _encoder, _decoder;
    private readonly Linear _output;

    public MlpModel(MlpConfig config, Generator generator, IBackend backend) : base(config)
    {
        var hidden = config.HiddenSizes;
        int label = config.Conditional ? config.ClassCount : 0;
        _encoder = RegisterModule("encoder", Stack(config, config.InputSize + label, hidden, generator, backend));
        AddHeads(hidden[^1], generator, backend);
        _decoder = RegisterModule("decoder", Stack(config, config.LatentDim + label, hidden.Reverse().ToArray(), generator, backend));
        var outputActivation = config.Likelihood == Likelihood.Bernoulli ? Activation.None : Activation.Sigmoid;
        _output = RegisterModule("output", new Linear(hidden[0], config.InputSize, generator, activation: outputActivation, backend: backend));
        AddLikelihoodParameters(backend);
    }

    protected override Tensor EncodeFeatures(Tensor images, Tensor? condition)
    {
        var x = F.Flatten(images); // (B, C*H*W)
        return _encoder.Forward(condition is null ? x : F.Cat([x, condition], 1));
    }

    protected override Tensor DecodeOutput(Tensor z, Tensor? condition) => Decoded(z, condition, Activation.None);

    // The sigmoid rides on the output layer's bias pass: one pass fewer over every image served.
    protected override Tensor DecodeProbabilities(Tensor z, Tensor? condition) => Decoded(z, condition, Activation.Sigmoid);

    private Tensor Decoded(Tensor z, Tensor? condition, Activation final)
    {
        var h = _decoder.Forward(condition is null ? z : F.Cat([z, condition], 1));
        return F.Reshape(_output.Forward(h, final, 0f), z.Shape[0], Config.Channels, Config.Height, Config.Width);
    }

    protected override string ExportFeatures(GraphBuilder graph, string images, string? condition)
    {
        var x = graph.Flatten(images);
        return _encoder.Export(graph, condition is null ? x : graph.Concat(x, condition));
    }

    protected override string ExportOutput(GraphBuilder graph, string z, string? condition)
    {
        var h = _decoder.Export(graph, condition is null ? z : graph.Concat(z, condition));
        return graph.Reshape(_output.Export(graph, h), Config.Channels, Config.Height, Config.Width);
    }

    /// <summary>Hidden layers in-&gt;h1-&gt;...-&gt;hn with the configured activation fused in.</summary>
    private static Sequential Stack(MlpConfig config, int input, IReadOnlyList<int> sizes, Generator generator, IBackend backend)
    {
        var layers = new List<Layer>();
        int width = input;
        foreach (int size in sizes)
        {
            layers.Add(new Linear(width, size, generator, activation: config.Activation, slope: config.NegativeSlope, backend: backend));
            width = size;
        }
        return new Sequential([.. layers]);
    }
}
