using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// What every family shares: the checks on the common fields, and typed hooks for the rest. A
/// family derives from this with its own configuration record.
/// </summary>
public abstract class ModelFamily<TConfig> : IModelFamily where TConfig : ModelConfig, new()
{
    public const int MaxLatentDim = 4096;
    public const int MaxClasses = 256;

    public abstract string Name { get; }
    public abstract string Description { get; }
    public Type ConfigType => typeof(TConfig);
    public virtual ModelConfig DefaultConfig => new TConfig();
    public abstract IReadOnlyDictionary<string, ModelConfig> Examples { get; }
    public abstract TrainingRecipe Recipe { get; }
    public virtual ModelConfig Starter => DefaultConfig;

    public IReadOnlyList<ConfigProblem> Validate(ModelConfig config)
    {
        var problems = new List<ConfigProblem>();
        if (config is not TConfig typed)
        {
            problems.Add(new("family", $"the {Name} family cannot read a {config.GetType().Name}."));
            return problems;
        }
        if (!Enum.IsDefined(config.Kind)) problems.Add(new("kind", "must be vae or ae."));
        if (config.LatentDim is < 1 or > MaxLatentDim) problems.Add(new("latentDim", $"must be between 1 and {MaxLatentDim}, got {config.LatentDim}."));
        if (config.Conditional && config.ClassCount is < 2 or > MaxClasses)
            problems.Add(new("classCount", $"a conditional model needs between 2 and {MaxClasses} classes, got {config.ClassCount}."));
        if (config.Channels is < 1 or > 4) problems.Add(new("channels", $"must be between 1 and 4, got {config.Channels}."));
        if (config.Height is < 1 or > 1024) problems.Add(new("height", $"must be between 1 and 1024, got {config.Height}."));
        if (config.Width is < 1 or > 1024) problems.Add(new("width", $"must be between 1 and 1024, got {config.Width}."));
        if (!Enum.IsDefined(config.Likelihood)) problems.Add(new("likelihood", "must be bernoulli, gaussian or gaussianLearnedScale."));
        if (config.Likelihood == Likelihood.Gaussian && !(float.IsFinite(config.Sigma) && config.Sigma > 0))
            problems.Add(new("sigma", $"must be a positive number, got {config.Sigma}."));
        if (!Enum.IsDefined(config.Kl)) problems.Add(new("kl", "must be closedForm or monteCarlo."));
        if (!(float.IsFinite(config.Beta) && config.Beta >= 0)) problems.Add(new("beta", $"must be a finite number of at least 0, got {config.Beta}."));
        if (problems.Count == 0) ValidateFamily(typed, problems);
        return problems;
    }

    public long ParameterCount(ModelConfig config) => CountParameters((TConfig)config);

    public virtual string? CheckInput(ModelConfig config, int channels, int height, int width)
        => (channels, height, width) == (config.Channels, config.Height, config.Width) ? null
            : $"this {Name} model takes {Describe(config.Channels, config.Height, config.Width)} images, not {Describe(channels, height, width)}.";

    public AutoencoderModel Create(ModelConfig config, Generator generator, IBackend backend)
    {
        config.Validate();
        return Build((TConfig)config, generator, backend);
    }

    public IReadOnlyDictionary<string, string> ImportAliases(ModelConfig config) => Aliases((TConfig)config);

    /// <summary>Foreign tensor names and the engine's, for <see cref="ImportAliases"/>; none by default.</summary>
    protected virtual IReadOnlyDictionary<string, string> Aliases(TConfig config) => new Dictionary<string, string>();

    protected abstract void ValidateFamily(TConfig config, List<ConfigProblem> problems);
    protected abstract long CountParameters(TConfig config);
    protected abstract AutoencoderModel Build(TConfig config, Generator generator, IBackend backend);

    /// <summary>Parameters of the encoder heads (mu and log-variance, or the code) and of a learned log-scale.</summary>
    protected static long HeadParameters(ModelConfig config, int features)
        => (config.IsVariational ? 2 : 1) * Nn.Linear.CountParameters(features, config.LatentDim)
           + (config.Likelihood == Likelihood.GaussianLearnedScale ? 1 : 0);

    protected static string Describe(int channels, int height, int width) => $"{height}x{width} {(channels == 1 ? "gray" : channels == 3 ? "colour" : $"{channels}-channel")}";
}
