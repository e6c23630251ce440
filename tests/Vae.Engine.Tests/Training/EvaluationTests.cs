using Vae.Engine.Backends.Cpu;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;
using Vae.Engine.Training.Evaluation;

namespace Vae.Engine.Tests.Training;

/// <summary>The evaluation figures: ELBO, the IWAE bound, active units and bits per dimension.</summary>
[Collection(nameof(MnistCollection))]
public class EvaluationTests(MnistFixture mnist)
{
    private AutoencoderModel Trained(MlpConfig config, int epochs = 3) => mnist.TrainSmall(config, epochs, seed: 4);

    private static EvaluationOptions Options(int k) => new() { ImportanceSamples = k, Threads = 2, Seed = 9 };

    [Fact]
    public void The_iwae_bound_lies_above_the_elbo_and_more_samples_tighten_it()
    {
        var model = Trained(ModelPresets.CompactVae);
        var one = ModelEvaluator.Evaluate(model, mnist.Test500, Options(1));
        var many = ModelEvaluator.Evaluate(model, mnist.Test500, Options(64));
        Assert.Equal(500, many.Images);
        Assert.True(many.Iwae < 0, $"log p(x) is a log-probability of binary pixels: {many.Iwae}");
        Assert.True(many.Iwae > many.Elbo, $"IWAE {many.Iwae} should bound log p(x) more tightly than the ELBO {many.Elbo}");
        Assert.True(many.Iwae > one.Iwae, $"64 samples ({many.Iwae}) should beat 1 ({one.Iwae})");
        Assert.Equal(-(many.Reconstruction + many.Kl!.Value), many.Elbo!.Value, 6);
        Assert.Null(many.BitsPerDim); // a Bernoulli likelihood has no density over pixel values
    }

    [Fact]
    public void Active_units_count_the_dimensions_whose_mean_moves_with_the_data()
    {
        var model = Trained(ModelPresets.CompactVae, epochs: 2);
        // Silence five latent dimensions: their posterior mean is then the same for every image.
        const int hidden = 400;
        var mu = model.NamedParameters().Single(p => p.Name == "mu.weight").Parameter;
        var bias = model.NamedParameters().Single(p => p.Name == "mu.bias").Parameter;
        var weights = mu.ToArray(); var biases = bias.ToArray();
        for (int unit = 0; unit < 5; unit++) { Array.Clear(weights, unit * hidden, hidden); biases[unit] = 0.5f; }
        mu.CopyFrom(weights); bias.CopyFrom(biases);

        var report = ModelEvaluator.Evaluate(model, mnist.Test500, Options(1));
        Assert.All(report.LatentVariances.Take(5), v => Assert.True(v < 1e-9, $"silenced unit variance {v}"));
        Assert.Equal(report.LatentVariances.Count(v => v > 0.01), report.ActiveUnits);
        Assert.InRange(report.ActiveUnits, 1, 15);
    }

    [Fact]
    public void Bits_per_dimension_follow_from_the_iwae_bound_for_a_gaussian_model()
    {
        var model = Trained(ModelPresets.GaussianVae(sigma: 0.3f), epochs: 2);
        var report = ModelEvaluator.Evaluate(model, mnist.Test500, Options(16));
        Assert.NotNull(report.BitsPerDim);
        double expected = (-report.Iwae!.Value + 784 * Math.Log(256)) / (784 * Math.Log(2));
        Assert.Equal(expected, report.BitsPerDim!.Value, 9);
        Assert.InRange(report.BitsPerDim!.Value, 0.1, 16);
    }

    [Fact]
    public void An_autoencoder_has_no_likelihood_bounds_but_reports_its_active_units()
    {
        var model = Trained(ModelPresets.Autoencoder2D, epochs: 1);
        var report = ModelEvaluator.Evaluate(model, mnist.Test500, Options(8));
        Assert.Null(report.Elbo);
        Assert.Null(report.Iwae);
        Assert.Null(report.Kl);
        Assert.Equal(0, report.ImportanceSamples);
        Assert.Equal(2, report.LatentVariances.Count);
        Assert.True(report.Reconstruction > 0);
    }

    [Fact]
    public void The_same_seed_gives_the_same_figures_and_a_subset_limit_is_honoured()
    {
        var model = Trained(ModelPresets.CompactVae, epochs: 1);
        var a = ModelEvaluator.Evaluate(model, mnist.Test500, Options(8) with { MaxImages = 120, BatchSize = 50 });
        var b = ModelEvaluator.Evaluate(model, mnist.Test500, Options(8) with { MaxImages = 120, BatchSize = 50 });
        Assert.Equal(120, a.Images);
        Assert.Equal(a.Iwae, b.Iwae);
        Assert.Equal(a.Elbo, b.Elbo);
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_the_setting_named()
    {
        var model = ModelRegistry.Create(new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, 0, CpuBackend.Instance);
        Assert.Contains("ImportanceSamples", Assert.Throws<ArgumentException>(() => ModelEvaluator.Evaluate(model, mnist.Test500, Options(0))).Message);
        Assert.Contains("MaxImages", Assert.Throws<ArgumentException>(() => ModelEvaluator.Evaluate(model, mnist.Test500, Options(4) with { MaxImages = 0 })).Message);
    }
}
