using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// A plain fully-connected autoencoder: a deterministic code, reconstruction loss only. It is the
/// baseline whose latent space the VAE is compared with (gaps, no prior to sample from).
/// </summary>
public sealed class MlpAutoencoder : AutoencoderModel
{
    private readonly Sequential _encoder, _decoder;
    private readonly Linear _code, _output;

    public MlpAutoencoder(ModelConfig config, Generator generator, IBackend? backend = null) : base(config)
    {
        var hidden = config.HiddenSizes;
        _encoder = RegisterModule("encoder", Stack(config.InputSize, hidden, generator, backend));
        _code = RegisterModule("code", new Linear(hidden[^1], config.LatentSize, generator, backend: backend));
        _decoder = RegisterModule("decoder", Stack(config.LatentSize, hidden.Reverse().ToArray(), generator, backend));
        _output = RegisterModule("output", new Linear(hidden[0], config.InputSize, generator, activation: OutputActivation, backend: backend));
    }

    public override (Tensor Mean, Tensor? LogVar) Encode(Tensor x) => (_code.Forward(_encoder.Forward(x)), null);

    protected override Tensor DecodeOutput(Tensor z) => _output.Forward(_decoder.Forward(z));

    public override LossParts Loss(Tensor x, Generator generator)
    {
        var (z, _) = Encode(x);
        var reconstruction = ReconstructionLoss(DecodeOutput(z), x);
        var kl = Tensor.Zeros([], x.Backend);
        return new LossParts(reconstruction, reconstruction, kl);
    }
}
