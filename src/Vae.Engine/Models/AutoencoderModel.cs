using Vae.Engine.Backends;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// What the trainer and the service need from any model of the family: encode, decode, a loss.
/// Inputs are (B, C*H*W) in [0, 1].
/// </summary>
public abstract class AutoencoderModel : Module
{
    protected AutoencoderModel(ModelConfig config)
    {
        config.Validate();
        Config = config;
    }

    public ModelConfig Config { get; }

    public int LatentSize => Config.LatentSize;

    /// <summary>The latent code: mean and log-variance for a VAE; the code and no variance for an autoencoder.</summary>
    public abstract (Tensor Mean, Tensor? LogVar) Encode(Tensor x);

    /// <summary>The decoder's last layer before the likelihood: logits (Bernoulli) or means (Gaussian).</summary>
    protected abstract Tensor DecodeOutput(Tensor z);

    /// <summary>The expected image for a latent code, in [0, 1].</summary>
    public Tensor Decode(Tensor z)
    {
        var output = DecodeOutput(z);
        return Config.Likelihood == Likelihood.Bernoulli ? F.Sigmoid(output) : output;
    }

    /// <summary>Loss of one batch, summed over it; <paramref name="generator"/> draws the latent noise.</summary>
    public abstract LossParts Loss(Tensor x, Generator generator);

    /// <summary>-log p(x | z) summed over the batch, from the decoder's output.</summary>
    protected Tensor ReconstructionLoss(Tensor output, Tensor x) => Config.Likelihood switch
    {
        Likelihood.Bernoulli => F.BinaryCrossEntropyWithLogits(output, x, Reduction.Sum),
        _ => F.GaussianNll(output, x, Config.Sigma, Reduction.Sum),
    };

    /// <summary>The output layer's activation: none for logits, sigmoid for Gaussian means in [0, 1].</summary>
    protected Activation OutputActivation => Config.Likelihood == Likelihood.Bernoulli ? Activation.None : Activation.Sigmoid;

    /// <summary>Hidden layers in-&gt;h1-&gt;...-&gt;hn with the configured activation.</summary>
    protected Sequential Stack(int input, IReadOnlyList<int> sizes, Generator generator, IBackend? backend)
    {
        var layers = new List<Layer>();
        int width = input;
        foreach (int size in sizes)
        {
            layers.Add(new Linear(width, size, generator, activation: Config.Activation, slope: Config.NegativeSlope, backend: backend));
            width = size;
        }
        return new Sequential([.. layers]);
    }
}
