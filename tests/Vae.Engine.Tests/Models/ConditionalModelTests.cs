using Vae.Engine.Backends.Cpu;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Tensors;
using Vae.Engine.Training;

namespace Vae.Engine.Tests.Models;

/// <summary>A conditional VAE draws the class it is asked for, as judged by an independent classifier.</summary>
[Collection(nameof(MnistCollection))]
public class ConditionalModelTests(MnistFixture mnist, DigitClassifier classifier)
{
    [Fact]
    public void The_judge_recognises_real_test_digits()
        => Assert.True(classifier.TestAccuracy >= 0.97, $"classifier accuracy {classifier.TestAccuracy:P1}");

    [Fact]
    public void A_conditional_mlp_vae_with_a_2d_latent_draws_the_asked_digit_at_least_97_percent_of_the_time()
    {
        var config = new MlpConfig { Conditional = true, HiddenSizes = [512], LatentDim = 2 };
        var model = ModelRegistry.Create(config, seed: 3, CpuBackend.Instance);
        new Trainer(model, new TrainingOptions { Epochs = 10, Seed = 3, Threads = 2 }).Fit(mnist.Train, mnist.Test.Take(1000));

        double rate = AskedDigitRate(model, perDigit: 100, seed: 11);
        Assert.True(rate >= 0.97, $"{rate:P1} of the samples show the digit asked for");
    }

    [Fact]
    public void A_conditional_configuration_without_a_latent_size_gets_the_small_latent_that_keeps_labels_heard()
    {
        var config = ModelConfig.FromJson("""{"family":"mlp","conditional":true}""");
        Assert.Equal(ModelPresets.ConditionalLatentDim, config.LatentDim);
        Assert.Equal(20, ModelConfig.FromJson("""{"family":"mlp"}""").LatentDim);
        Assert.Equal(7, ModelConfig.FromJson("""{"family":"mlp","conditional":true,"latentDim":7}""").LatentDim);
    }

    [Fact]
    public void Samples_of_an_untrained_conditional_model_are_no_better_than_chance()
    {
        // The same measurement on a model that learned nothing: the judge is not fooled by the labels.
        var model = ModelRegistry.Create(new MlpConfig { Conditional = true, HiddenSizes = [64], LatentDim = 2 }, seed: 3, CpuBackend.Instance);
        Assert.True(AskedDigitRate(model, perDigit: 50, seed: 11) < 0.3);
    }

    [Fact]
    public void A_conditional_model_refuses_images_without_labels_or_with_labels_out_of_range()
    {
        var model = ModelRegistry.Create(new MlpConfig { Conditional = true, HiddenSizes = [8], LatentDim = 2 }, 0, CpuBackend.Instance);
        var x = Tensor.Zeros([2, 784], CpuBackend.Instance);
        Assert.Contains("conditional", Assert.Throws<ArgumentException>(() => model.Encode(x)).Message);
        Assert.Contains("2 labels", Assert.Throws<ArgumentException>(() => model.Encode(x, [1])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Encode(x, [1, 10]));
    }

    /// <summary>Draws perDigit samples of each digit and returns the fraction the classifier reads as that digit.</summary>
    private double AskedDigitRate(AutoencoderModel model, int perDigit, ulong seed)
    {
        var labels = Enumerable.Range(0, 10).SelectMany(d => Enumerable.Repeat(d, perDigit)).ToArray();
        float[] images;
        using (Autograd.NoGrad())
        using (TensorScope.Begin())
        {
            model.Eval();
            images = model.Sample(labels.Length, new Generator(seed), labels).ToArray();
        }
        var read = classifier.Predict(images);
        return read.Where((digit, i) => digit == labels[i]).Count() / (double)labels.Length;
    }
}
