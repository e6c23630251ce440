using System.Text.Json;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Models.Conv;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Models.ResNet;
using Vae.Engine.Ops;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Models;

/// <summary>The registry of families: configurations as JSON, validation, parameter counts, and every family training.</summary>
public class ModelFamilyTests
{
    /// <summary>Small members of each family and kind, cheap enough to build and step in a test.</summary>
    public static TheoryData<string> Configs() =>
    [
        """{"family":"mlp","hiddenSizes":[16,8],"latentDim":3}""",
        """{"family":"mlp","kind":"ae","hiddenSizes":[16],"latentDim":2,"likelihood":"gaussian","sigma":0.5}""",
        """{"family":"mlp","conditional":true,"hiddenSizes":[16],"latentDim":2,"likelihood":"gaussianLearnedScale","kl":"monteCarlo"}""",
        """{"family":"conv","convChannels":[4,8],"denseSize":16,"latentDim":3}""",
        """{"family":"conv","kind":"ae","convChannels":[4],"denseSize":8,"latentDim":2,"channels":3,"height":8,"width":8,"likelihood":"gaussianLearnedScale"}""",
        """{"family":"conv","conditional":true,"convChannels":[4,8],"denseSize":16,"latentDim":3,"beta":4}""",
        """{"family":"resnet","widths":[4,8],"blocksPerStage":1,"latentDim":4,"height":8,"width":8}""",
        """{"family":"resnet","kind":"ae","widths":[4,8,8],"blocksPerStage":2,"latentDim":4,"channels":1,"height":12,"width":12,"likelihood":"bernoulli","kl":"closedForm"}""",
        """{"family":"resnet","conditional":true,"classCount":3,"widths":[4,8],"blocksPerStage":1,"latentDim":4,"height":8,"width":8}""",
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void A_configuration_reads_and_writes_as_one_json_object_with_its_family(string json)
    {
        var config = ModelConfig.FromJson(json);
        var again = ModelConfig.FromJson(config.ToJson());
        Assert.Equal(config, again);
        Assert.Equal(config.Family, JsonDocument.Parse(config.ToJson()).RootElement.GetProperty("family").GetString());
        Assert.Empty(config.Problems());
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void The_family_counts_parameters_without_building_the_model(string json)
    {
        var config = ModelConfig.FromJson(json);
        Assert.Equal(ModelRegistry.Create(config, 0, CpuBackend.Instance).ParameterCount(), config.Owner.ParameterCount(config));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Every_family_and_kind_takes_a_training_step_that_reaches_every_parameter(string json)
    {
        var config = ModelConfig.FromJson(json);
        var model = ModelRegistry.Create(config, seed: 2, CpuBackend.Instance);
        var g = new Generator(5);
        var x = Tensor.Rand(g, [3, config.Channels, config.Height, config.Width], CpuBackend.Instance);
        int[]? labels = config.Conditional ? [0, 1, 2] : null;
        var loss = model.Loss(x, labels, g);
        Assert.True(float.IsFinite(loss.Total.Item()));
        if (!config.IsVariational) Assert.Equal(0f, loss.Kl.Item());
        loss.Total.Backward();
        foreach (var (name, p) in model.NamedParameters())
            Assert.True(p.Grad is not null && p.Grad.ToArray().Any(v => v != 0), $"{name} received no gradient");
        Assert.Equal([3, config.Channels, config.Height, config.Width], model.Decode(Tensor.Zeros([3, config.LatentDim], CpuBackend.Instance), labels).Shape);
    }

    [Fact]
    public void The_defaults_are_the_tutorials_models()
    {
        var resnet = (ResNetConfig)ModelConfig.FromJson("""{"family":"resnet"}""");
        Assert.Equal((3, 32, 32, 256), (resnet.Channels, resnet.Height, resnet.Width, resnet.LatentDim));
        Assert.Equal(Likelihood.GaussianLearnedScale, resnet.Likelihood);
        Assert.Equal(KlEstimator.MonteCarlo, resnet.Kl);
        Assert.Equal(20_057_089, resnet.Owner.ParameterCount(resnet)); // seed 001's model in PyTorch: 20,057,089 parameters
        var conv = (ConvConfig)ModelConfig.FromJson("""{"family":"conv"}""");
        Assert.Equal(16, conv.LatentDim);
        Assert.Equal(1_688_289, conv.Owner.ParameterCount(conv)); // the conv peer's count
        var mlp = (MlpConfig)ModelConfig.FromJson("{}");
        Assert.Equal((784, 20), (mlp.InputSize, mlp.LatentDim));
        Assert.Equal(1e-4f, resnet.Owner.Recipe.LearningRate);
        Assert.True(resnet.Owner.Recipe.AverageOverBatch);
    }

    [Fact]
    public void A_configuration_written_before_families_existed_still_loads_as_an_mlp()
    {
        var config = ModelConfig.FromJson("""{"kind":"autoencoder","channels":1,"height":28,"width":28,"hiddenSizes":[512],"latentSize":2,"activation":"relu","negativeSlope":0.01,"likelihood":"bernoulli","sigma":1,"beta":1}""");
        var mlp = Assert.IsType<MlpConfig>(config);
        Assert.Equal(ModelKind.Ae, mlp.Kind);
        Assert.Equal(2, mlp.LatentDim);
        Assert.Equal([512], mlp.HiddenSizes);
    }

    [Theory]
    [InlineData("""{"family":"transformer"}""", "family must be one of mlp, conv, resnet")]
    [InlineData("""{"family":"conv","hiddenSizes":[10]}""", "hiddenSizes")]
    [InlineData("""{"family":"mlp","likelihood":"poisson"}""", "likelihood must be one of bernoulli, gaussian, gaussianLearnedScale, got \"poisson\"")]
    public void Unknown_families_fields_and_values_are_refused(string json, string expected)
        => Assert.Contains(expected, Assert.ThrowsAny<JsonException>(() => ModelConfig.FromJson(json)).Message);

    [Theory]
    [InlineData("""{"family":"conv","height":30,"width":30}""", "convChannels", "divisible by 4")]
    [InlineData("""{"family":"resnet","widths":[64,128,256],"height":30}""", "widths", "divide by 4")]
    [InlineData("""{"family":"mlp","hiddenSizes":[]}""", "hiddenSizes", "1 to 8")]
    [InlineData("""{"family":"mlp","latentDim":0}""", "latentDim", "between 1")]
    [InlineData("""{"family":"mlp","conditional":true,"classCount":1}""", "classCount", "between 2 and")]
    [InlineData("""{"family":"mlp","likelihood":"gaussian","sigma":0}""", "sigma", "positive")]
    [InlineData("""{"family":"conv","beta":-1}""", "beta", "at least 0")]
    public void Invalid_values_are_reported_with_the_field_they_concern(string json, string field, string words)
    {
        var problem = Assert.Single(ModelConfig.FromJson(json).Problems());
        Assert.Equal(field, problem.Field);
        Assert.Contains(words, problem.Message);
    }

    [Fact]
    public void A_family_says_which_images_its_configuration_takes()
    {
        var cifar = ModelPresets.ResNetVae;
        Assert.Null(cifar.Owner.CheckInput(cifar, 3, 32, 32));
        Assert.Contains("32x32 colour", cifar.Owner.CheckInput(cifar, 1, 28, 28));
    }

    [Fact]
    public void Batch_norm_statistics_are_buffers_saved_in_checkpoints_and_eval_mode_uses_them()
    {
        var config = (ResNetConfig)ModelConfig.FromJson("""{"family":"resnet","widths":[4,8],"blocksPerStage":1,"latentDim":4,"height":8,"width":8}""");
        var model = ModelRegistry.Create(config, seed: 1, CpuBackend.Instance);
        Assert.Contains(model.NamedBuffers(), b => b.Name == "stem.1.running_mean");
        Assert.DoesNotContain(model.Parameters(), p => model.NamedBuffers().Any(b => ReferenceEquals(b.Buffer, p)));
        var g = new Generator(3);
        var x = Tensor.Rand(g, [4, 3, 8, 8], CpuBackend.Instance);
        using (Autograd.NoGrad()) model.Encode(x); // a training-mode pass moves the running statistics
        var stats = model.NamedBuffers().First(b => b.Name == "stem.1.running_mean").Buffer.ToArray();
        Assert.Contains(stats, v => v != 0);

        model.Eval();
        float[] evalCode, trainCode;
        using (Autograd.NoGrad()) evalCode = model.Encode(x).Mean.ToArray();
        string dir = Directory.CreateTempSubdirectory("vae-bn-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.safetensors");
            ModelCheckpoint.Save(path, model);
            var loaded = ModelCheckpoint.Load(path, CpuBackend.Instance).Model;
            loaded.Eval();
            using (Autograd.NoGrad()) Assert.Equal(evalCode, loaded.Encode(x).Mean.ToArray());
        }
        finally { Directory.Delete(dir, true); }
        model.Train();
        using (Autograd.NoGrad()) trainCode = model.Encode(x).Mean.ToArray();
        Assert.NotEqual(evalCode, trainCode); // training mode normalises with the batch's own statistics
    }

    [Fact]
    public void A_model_moved_to_another_backend_computes_the_same_and_trains_there()
    {
        var config = ModelConfig.FromJson("""{"family":"conv","convChannels":[4,8],"denseSize":16,"latentDim":3}""");
        var here = ModelRegistry.Create(config, seed: 6, CpuBackend.Instance);
        var moved = ModelRegistry.Create(config, seed: 6, CpuBackend.Instance);
        moved.To(CpuBackend.Composed);
        Assert.All(moved.NamedState(), s => Assert.Same(CpuBackend.Composed, s.Tensor.Backend));
        var values = Tensor.Rand(new Generator(1), [2, 1, 28, 28], CpuBackend.Instance).ToArray();
        var eps = new float[6];
        float a = here.Loss(Tensor.FromArray(values, [2, 1, 28, 28]), null, Tensor.FromArray(eps, [2, 3])).Total.Item();
        float b = moved.Loss(Tensor.FromArray(values, [2, 1, 28, 28], CpuBackend.Composed), null, Tensor.FromArray(eps, [2, 3], CpuBackend.Composed)).Total.Item();
        Assert.Equal(a, b, 2);
        var optimizer = new Adam(moved.Parameters());
        moved.Loss(Tensor.FromArray(values, [2, 1, 28, 28], CpuBackend.Composed), null, Tensor.FromArray(eps, [2, 3], CpuBackend.Composed)).Total.Backward();
        optimizer.Step();
        var e = Assert.Throws<ArgumentException>(() => moved.Loss(Tensor.FromArray(values, [2, 1, 28, 28]), null, Tensor.FromArray(eps, [2, 3])));
        Assert.Contains("different backends", e.Message);
    }

    [Fact]
    public void Dropout_is_active_in_training_mode_only()
    {
        var layer = new Vae.Engine.Nn.Dropout(0.5f, new Generator(2));
        var x = Tensor.Ones([1000], CpuBackend.Instance);
        Assert.Contains(layer.Forward(x).ToArray(), v => v == 0);
        layer.Eval();
        Assert.All(layer.Forward(x).ToArray(), v => Assert.Equal(1f, v));
    }
}
