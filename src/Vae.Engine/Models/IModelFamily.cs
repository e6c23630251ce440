using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// A model family: its configuration type, validation, parameter count, accepted input and
/// constructor, and the training recipe of its tutorial. Everything a caller (the service, the
/// page, a benchmark) needs to know about a family comes from here, so adding a family is adding
/// one of these to <see cref="ModelRegistry"/>.
/// </summary>
public interface IModelFamily
{
    /// <summary>The JSON discriminator: "mlp", "conv", "resnet".</summary>
    string Name { get; }
    /// <summary>One sentence for people choosing a family.</summary>
    string Description { get; }
    Type ConfigType { get; }
    /// <summary>The tutorial's model with every default.</summary>
    ModelConfig DefaultConfig { get; }
    /// <summary>Example configurations people can start from, by name.</summary>
    IReadOnlyDictionary<string, ModelConfig> Examples { get; }
    /// <summary>How its tutorial trains it.</summary>
    TrainingRecipe Recipe { get; }
    /// <summary>
    /// Where a person trying the family starts (a form's first values): quick to train and easy to
    /// look at. The default configuration unless the family has a better first try.
    /// </summary>
    ModelConfig Starter { get; }

    IReadOnlyList<ConfigProblem> Validate(ModelConfig config);
    long ParameterCount(ModelConfig config);
    /// <summary>Null when images of (channels, height, width) fit the configuration, else why not.</summary>
    string? CheckInput(ModelConfig config, int channels, int height, int width);
    AutoencoderModel Create(ModelConfig config, Generator generator, IBackend backend);

    /// <summary>
    /// Other names that weights saved elsewhere may give this family's tensors, each mapped to the
    /// engine's name (which is always accepted): for example PyTorch's names of the tutorial model a
    /// configuration matches. Empty when there are none.
    /// </summary>
    IReadOnlyDictionary<string, string> ImportAliases(ModelConfig config);
}

/// <summary>
/// Defaults for training a family the way its tutorial does. With <see cref="AverageOverBatch"/>
/// the gradient is taken of the mean loss per image instead of the batch's sum.
/// <see cref="ExampleEpochs"/> is what an example request trains: enough to see the family work,
/// within minutes on a CPU.
/// </summary>
public sealed record TrainingRecipe(float LearningRate, int BatchSize, bool AverageOverBatch, int ExampleEpochs = 10);
