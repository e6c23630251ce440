using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// What every family shares, in the order of the tutorials: <see cref="Encode"/> to a mean and
/// log-variance (or a plain code), <see cref="Reparameterize"/>, <see cref="Decode"/>, and the
/// <see cref="Loss"/> -log p(x|z) + beta KL. A family supplies the network between images and
/// features (<see cref="EncodeFeatures"/>) and between codes and images (<see cref="DecodeOutput"/>);
/// the heads, the likelihood, the KL and the label conditioning live here.
/// Images are (B, C, H, W) in [0, 1]; flat (B, C*H*W) rows are accepted too.
/// </summary>
public abstract class AutoencoderModel : Module
{
    private Linear? _mu, _logVar, _code;

    protected AutoencoderModel(ModelConfig config)
    {
        config.Validate();
        Config = config;
    }

    public ModelConfig Config { get; }
    public int LatentDim => Config.LatentDim;
    public bool IsVariational => Config.IsVariational;
    public bool IsConditional => Config.Conditional;
    /// <summary>(channels, height, width) of one image.</summary>
    public int[] ImageShape => [Config.Channels, Config.Height, Config.Width];
    /// <summary>The learned log-scale of a <see cref="Likelihood.GaussianLearnedScale"/> model: (1).</summary>
    public Tensor? LogScale { get; private set; }

    /// <summary>Features for the heads: (B, F) from images (B, C, H, W) and, for conditional models, one-hot labels (B, K).</summary>
    protected abstract Tensor EncodeFeatures(Tensor images, Tensor? condition);

    /// <summary>The decoder's raw output (B, C, H, W): logits for a Bernoulli model, means for a Gaussian one.</summary>
    protected abstract Tensor DecodeOutput(Tensor z, Tensor? condition);

    /// <summary>What <see cref="EncodeFeatures"/> computes in eval mode, as graph nodes: features (B, F) from images (B, C, H, W) and one-hot labels.</summary>
    protected abstract string ExportFeatures(GraphBuilder graph, string images, string? condition);

    /// <summary>What <see cref="DecodeOutput"/> computes in eval mode, as graph nodes: the raw output (B, C, H, W) from codes (B, L) and one-hot labels.</summary>
    protected abstract string ExportOutput(GraphBuilder graph, string z, string? condition);

    /// <summary>
    /// <see cref="Encode"/> as graph nodes, for images (B, C, H, W) and, for a conditional model,
    /// one-hot labels (B, K): the mean and log-variance, or the code and no variance.
    /// </summary>
    public (string Mean, string? LogVar) ExportEncode(GraphBuilder graph, string images, string? condition)
    {
        var h = ExportFeatures(graph, images, condition);
        return IsVariational ? (_mu!.Export(graph, h), _logVar!.Export(graph, h)) : (_code!.Export(graph, h), null);
    }

    /// <summary><see cref="Decode"/> as graph nodes: the expected image (B, C, H, W) for codes (B, L).</summary>
    public string ExportDecode(GraphBuilder graph, string z, string? condition)
    {
        var output = ExportOutput(graph, z, condition);
        return Config.Likelihood == Likelihood.Bernoulli ? graph.Activate(output, Activation.Sigmoid) : output;
    }

    /// <summary>Registers the heads that map <paramref name="features"/> to the code; families call it where the heads belong in their parameter order.</summary>
    protected void AddHeads(int features, Generator generator, IBackend backend)
    {
        if (IsVariational)
        {
            _mu = RegisterModule("mu", new Linear(features, LatentDim, generator, backend: backend));
            _logVar = RegisterModule("logvar", new Linear(features, LatentDim, generator, backend: backend));
        }
        else
        {
            _code = RegisterModule("code", new Linear(features, LatentDim, generator, backend: backend));
        }
    }

    /// <summary>Registers the learned log-scale (initialised to 0, sigma 1) when the likelihood has one.</summary>
    protected void AddLikelihoodParameters(IBackend backend)
    {
        if (Config.Likelihood == Likelihood.GaussianLearnedScale)
            LogScale = RegisterParameter("log_scale", Init.Constant([1], 0f, backend));
    }

    /// <summary>The latent code: mean and log-variance (B, L) for a VAE; the code and no variance for an autoencoder.</summary>
    public (Tensor Mean, Tensor? LogVar) Encode(Tensor x, int[]? labels = null)
    {
        var h = EncodeFeatures(AsImages(x), Condition(labels, x.Shape[0], x.Backend));
        return IsVariational ? (_mu!.Forward(h), _logVar!.Forward(h)) : (_code!.Forward(h), null);
    }

    /// <summary>The reparameterization trick: z = mu + eps * exp(logVar / 2), differentiable in mu and logVar, for given standard-normal eps.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor eps) => F.Reparameterize(mu, logVar, eps);

    /// <summary>The expected image for each code (B, C, H, W): probabilities for a Bernoulli model, means for a Gaussian one.</summary>
    public Tensor Decode(Tensor z, int[]? labels = null)
    {
        var condition = Condition(labels, z.Shape[0], z.Backend);
        return Config.Likelihood == Likelihood.Bernoulli ? DecodeProbabilities(z, condition) : DecodeOutput(z, condition);
    }

    /// <summary>
    /// sigmoid(<see cref="DecodeOutput"/>), a Bernoulli model's expected image; a family whose output
    /// layer can apply the sigmoid in its own pass over the product does so, with the same values.
    /// </summary>
    protected virtual Tensor DecodeProbabilities(Tensor z, Tensor? condition) => F.Sigmoid(DecodeOutput(z, condition));

    /// <summary>Draws <paramref name="count"/> codes from the prior N(0, I) scaled by <paramref name="temperature"/> and decodes them.</summary>
    public Tensor Sample(int count, Generator generator, int[]? labels = null, float temperature = 1f)
    {
        var z = Tensor.RandN(generator, [count, LatentDim], Backend);
        return Decode(temperature == 1f ? z : F.MulScalar(z, temperature), labels);
    }

    /// <summary>Loss of one batch summed over it, with the latent noise drawn from <paramref name="generator"/>.</summary>
    public LossParts Loss(Tensor x, int[]? labels, Generator generator)
        => Loss(x, labels, IsVariational ? Tensor.RandN(generator, [x.Shape[0], LatentDim], x.Backend) : null);

    /// <summary>The loss for given standard-normal noise eps (B, L); an autoencoder takes none.</summary>
    public LossParts Loss(Tensor x, int[]? labels, Tensor? eps)
    {
        var images = AsImages(x);
        var condition = Condition(labels, x.Shape[0], x.Backend);
        var h = EncodeFeatures(images, condition);
        if (!IsVariational)
        {
            var code = _code!.Forward(h);
            var ae = ReconstructionNll(DecodeOutput(code, condition), images);
            return new LossParts(ae, ae, Tensor.Zeros([], x.Backend));
        }
        var mu = _mu!.Forward(h);
        var logVar = _logVar!.Forward(h);
        var z = Reparameterize(mu, logVar, eps ?? throw new ArgumentNullException(nameof(eps), "A VAE's loss needs latent noise."));
        var reconstruction = ReconstructionNll(DecodeOutput(z, condition), images);
        var kl = Config.Kl == KlEstimator.ClosedForm
            ? F.KlStandardNormal(mu, logVar)
            : F.KlMonteCarlo(z, mu, F.Exp(F.MulScalar(logVar, 0.5f)));
        var total = Config.Beta == 1f ? F.Add(reconstruction, kl) : F.Add(reconstruction, F.MulScalar(kl, Config.Beta));
        return new LossParts(total, reconstruction, kl);
    }

    /// <summary>-log p(x | z) summed over the batch, from the decoder's raw output.</summary>
    public Tensor ReconstructionNll(Tensor output, Tensor images) => Config.Likelihood switch
    {
        Likelihood.Bernoulli => F.BinaryCrossEntropyWithLogits(output, images, Reduction.Sum),
        Likelihood.Gaussian => F.GaussianNll(output, images, Config.Sigma, Reduction.Sum),
        _ => F.GaussianNllLearnedScale(output, LogScale!, images, Reduction.Sum),
    };

    /// <summary>log p(x | z) per image (B), composed from primitives: for evaluation (IWAE), not training.</summary>
    public Tensor LogLikelihood(Tensor output, Tensor images)
    {
        var terms = Config.Likelihood switch
        {
            Likelihood.Bernoulli => F.Sub(F.Softplus(output), F.Mul(images, output)),
            Likelihood.Gaussian => F.AddScalar(F.MulScalar(F.Square(F.Sub(output, images)), 1f / (2f * Config.Sigma * Config.Sigma)),
                MathF.Log(Config.Sigma) + 0.5f * MathF.Log(2f * MathF.PI)),
            _ => F.GaussianNllTerms(output, LogScale!, images),
        };
        return F.Neg(F.Sum(F.Reshape(terms, images.Shape[0], -1), 1));
    }

    /// <summary>The raw decoder output for codes (B, L), for evaluation code that scores images itself.</summary>
    public Tensor DecodeRaw(Tensor z, int[]? labels = null) => DecodeOutput(z, Condition(labels, z.Shape[0], z.Backend));

    /// <summary>Images (B, C, H, W) from (B, C, H, W) or flat (B, C*H*W) input.</summary>
    protected Tensor AsImages(Tensor x)
    {
        if (x.Rank == 4 && x.Shape[1] == Config.Channels && x.Shape[2] == Config.Height && x.Shape[3] == Config.Width) return x;
        if (x.Rank == 2 && x.Shape[1] == Config.InputSize) return F.Reshape(x, x.Shape[0], Config.Channels, Config.Height, Config.Width);
        throw new ArgumentException($"This model takes images of shape (B, {Config.Channels}, {Config.Height}, {Config.Width}) or rows of {Config.InputSize} values, got {ShapeOf.Format(x.Shape)}.");
    }

    /// <summary>One-hot labels (B, K) for a conditional model; null for an unconditional one.</summary>
    private Tensor? Condition(int[]? labels, int batch, IBackend backend)
    {
        if (!IsConditional) return null;
        if (labels is null) throw new ArgumentException($"This model is conditional: give one label (0..{Config.ClassCount - 1}) per image.");
        if (labels.Length != batch) throw new ArgumentException($"{batch} images need {batch} labels, got {labels.Length}.");
        return F.OneHot(labels, Config.ClassCount, backend);
    }
}
