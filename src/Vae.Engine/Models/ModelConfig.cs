using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Vae.Engine.Models;

/// <summary>A variational autoencoder, or a plain autoencoder with a deterministic code and no prior.</summary>
public enum ModelKind { Vae, Ae }

/// <summary>p(x | z): how the decoder's output scores an image.</summary>
public enum Likelihood
{
    /// <summary>Each pixel is a coin flip whose probability the decoder gives (binary cross-entropy on logits).</summary>
    Bernoulli,
    /// <summary>Each pixel is Gaussian around the decoder's output with a fixed sigma: squared error scaled by 1 / (2 sigma^2).</summary>
    Gaussian,
    /// <summary>Gaussian with one learned log-scale: the decoder learns how blurry its Gaussian is.</summary>
    GaussianLearnedScale,
}

/// <summary>How the KL term is computed.</summary>
public enum KlEstimator
{
    /// <summary>Exactly, from mu and log-variance (Kingma and Welling, appendix B).</summary>
    ClosedForm,
    /// <summary>From the sampled z: log q(z|x) - log p(z), one sample.</summary>
    MonteCarlo,
}

/// <summary>
/// Everything needed to rebuild a model: stored in checkpoints and sent over the API as one
/// JSON object whose "family" names the model family (see <see cref="ModelRegistry"/>). The
/// fields here are shared by every family; each family's config adds its own. Every field has a
/// default, and the family's defaults give the model of its tutorial.
/// </summary>
public abstract record ModelConfig
{
    /// <summary>The family's name, as in the JSON discriminator.</summary>
    [JsonIgnore] public string Family => FamilyName;

    /// <summary>Set by each family's configuration type (not serialized: the discriminator carries it).</summary>
    protected abstract string FamilyName { get; }

    [Description("vae: a variational autoencoder (an encoder giving a distribution, a prior to sample from); ae: a plain autoencoder with a deterministic code, for comparison.")]
    public ModelKind Kind { get; init; } = ModelKind.Vae;

    [Description("Size of the latent code z.")]
    public int LatentDim { get; init; } = 20;

    [Description("Whether the model takes a class label: the label goes one-hot into the encoder and the decoder, so the trained model draws the class asked for.")]
    public bool Conditional { get; init; }

    [Description("Number of classes a conditional model knows (the dataset's).")]
    public int ClassCount { get; init; } = 10;

    [Description("Input channels: 1 for gray images, 3 for colour.")]
    public int Channels { get; init; } = 1;

    [Description("Input height in pixels.")]
    public int Height { get; init; } = 28;

    [Description("Input width in pixels.")]
    public int Width { get; init; } = 28;

    [Description("bernoulli: pixels as coin flips (binary cross-entropy); gaussian: squared error with a fixed sigma; gaussianLearnedScale: the decoder learns how blurry its Gaussian is.")]
    public Likelihood Likelihood { get; init; } = Likelihood.Bernoulli;

    [Description("Standard deviation of the fixed-sigma Gaussian likelihood; smaller means sharper reconstructions and a weaker prior.")]
    public float Sigma { get; init; } = 1f;

    [Description("closedForm: the exact KL from mu and log-variance; monteCarlo: log q(z|x) - log p(z) at the sampled z.")]
    public KlEstimator Kl { get; init; } = KlEstimator.ClosedForm;

    [Description("Weight of the KL term (beta-VAE): above 1 pushes toward the prior, below 1 toward sharper reconstructions.")]
    public float Beta { get; init; } = 1f;

    /// <summary>Values per image: Channels * Height * Width.</summary>
    [JsonIgnore] public int InputSize => Channels * Height * Width;

    /// <summary>Whether the model has an encoder distribution and a prior (can sample).</summary>
    [JsonIgnore] public bool IsVariational => Kind == ModelKind.Vae;

    /// <summary>The family that owns this configuration.</summary>
    [JsonIgnore] public IModelFamily Owner => ModelRegistry.Find(Family);

    /// <summary>Every value out of range, each with the field it concerns and a message a person can act on.</summary>
    public IReadOnlyList<ConfigProblem> Problems() => Owner.Validate(this);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem, if any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException($"{problems[0].Field}: {problems[0].Message}");
    }

    public string ToJson() => ModelRegistry.Serialize(this);

    public static ModelConfig FromJson(string json) => ModelRegistry.Deserialize(json);
}

/// <summary>One invalid configuration value: the JSON field it concerns and what is wrong with it.</summary>
public sealed record ConfigProblem(string Field, string Message);
