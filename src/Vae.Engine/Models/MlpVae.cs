using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// A fully-connected VAE. Encoder: hidden layers, then two heads for mu and log-variance.
/// Decoder: the hidden layers mirrored, then the output layer. Loss: -log p(x|z) + beta KL(q(z|x) || N(0, I)).
/// With the default config this is the classic 784-400-20 MNIST VAE.
/// </summary>
public sealed class MlpVae : AutoencoderModel
{
    private readonly Sequential _encoder, _decoder;
    private readonly Linear _mu, _logVar, _output;

    public MlpVae(ModelConfig config, Generator generator, IBackend? backend = null) : base(config)
    {
        var hidden = config.HiddenSizes;
        _encoder = RegisterModule("encoder", Stack(config.InputSize, hidden, generator, backend));
        _mu = RegisterModule("mu", new Linear(hidden[^1], config.LatentSize, generator, backend: backend));
        _logVar = RegisterModule("logvar", new Linear(hidden[^1], config.LatentSize, generator, backend: backend));
        _decoder = RegisterModule("decoder", Stack(config.LatentSize, hidden.Reverse().ToArray(), generator, backend));
        _output = RegisterModule("output", new Linear(hidden[0], config.InputSize, generator, activation: OutputActivation, backend: backend));
    }

    public override (Tensor Mean, Tensor? LogVar) Encode(Tensor x)
    {
        var h = _encoder.Forward(x);
        return (_mu.Forward(h), _logVar.Forward(h));
    }

    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator generator) => F.Reparameterize(mu, logVar, generator);

    protected override Tensor DecodeOutput(Tensor z) => _output.Forward(_decoder.Forward(z));

    public override LossParts Loss(Tensor x, Generator generator)
        => Loss(x, Tensor.RandN(generator, [x.Shape[0], LatentSize], x.Backend));

    /// <summary>The loss for given standard-normal noise eps: (B, latent).</summary>
    public LossParts Loss(Tensor x, Tensor eps)
    {
        var (mu, logVar) = Encode(x);
        var z = F.Reparameterize(mu, logVar!, eps);
        var reconstruction = ReconstructionLoss(DecodeOutput(z), x);
        var kl = F.KlStandardNormal(mu, logVar!);
        var total = Config.Beta == 1f ? F.Add(reconstruction, kl) : F.Add(reconstruction, F.MulScalar(kl, Config.Beta));
        return new LossParts(total, reconstruction, kl);
    }
}
