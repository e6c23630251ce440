using Vae.Engine.Backends.Cpu;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;
using Vae.Engine.Training.Evaluation;

namespace Vae.Engine.Tests.Training;

/// <summary>Per-image scores: the figures an evaluation averages, one image at a time.</summary>
[Collection(nameof(MnistCollection))]
public class ImageScoreTests(MnistFixture mnist)
{
    private AutoencoderModel Trained(MlpConfig config, int epochs = 2) => mnist.TrainSmall(config, epochs, seed: 5);

    private static EvaluationOptions Options(int k) => new() { ImportanceSamples = k, Threads = 2, Seed = 3, BatchSize = 100 };

    [Fact]
    public void Per_image_scores_average_to_the_evaluation_of_the_same_images()
    {
        var model = Trained(ModelPresets.CompactVae);
        var test = mnist.Test500.Take(300);
        var scores = ModelEvaluator.Score(model, test, Options(32));
        var report = ModelEvaluator.Evaluate(model, test, Options(32));

        Assert.Equal(300, scores.Length);
        // Different noise, same estimators: the means agree to well within a nat per image.
        Assert.InRange(scores.Average(s => s.NegativeIwae!.Value) + report.Iwae!.Value, -1, 1);
        Assert.InRange(scores.Average(s => s.NegativeElbo!.Value) + report.Elbo!.Value, -1.5, 1.5);
        Assert.InRange(scores.Average(s => s.Reconstruction) - report.Reconstruction, -1.5, 1.5);
        // The IWAE estimate is the tighter bound, and the ELBO adds a positive KL to the reconstruction term.
        Assert.True(scores.Average(s => s.NegativeIwae!.Value) < scores.Average(s => s.NegativeElbo!.Value));
        Assert.All(scores, s => Assert.True(s.NegativeElbo > s.Reconstruction, $"{s}"));
        Assert.All(scores, s => Assert.Equal(s.NegativeIwae!.Value, s.Value));
        // Digits differ: some are far more typical than others.
        Assert.True(scores.Max(s => s.Value) - scores.Min(s => s.Value) > 20, "every image scored about the same");
    }

    [Fact]
    public void The_same_seed_scores_the_same_in_any_batches_and_pixels_score_as_the_dataset_does()
    {
        var model = Trained(ModelPresets.CompactVae, epochs: 1);
        var test = mnist.Test500.Take(50);
        var fromDataset = ModelEvaluator.Score(model, test, Options(8));
        var pixels = new float[50 * 784];
        test.CopyBatch(Enumerable.Range(0, 50).ToArray(), pixels);
        var fromPixels = ModelEvaluator.Score(model, pixels, 50, null, Options(8));
        Assert.Equal(fromDataset, fromPixels);
        // Each image's noise is its own: other batches give the same scores.
        var rebatched = ModelEvaluator.Score(model, pixels, 50, null, Options(8) with { BatchSize = 7 });
        for (int i = 0; i < 50; i++)
        {
            // Equal up to the rounding of matrix products of another height.
            Assert.Equal(fromDataset[i].NegativeIwae!.Value, rebatched[i].NegativeIwae!.Value, 2);
            Assert.Equal(fromDataset[i].NegativeElbo!.Value, rebatched[i].NegativeElbo!.Value, 2);
        }
        var otherSeed = ModelEvaluator.Score(model, pixels, 50, null, Options(8) with { Seed = 4 });
        Assert.NotEqual(fromDataset[0].NegativeIwae, otherSeed[0].NegativeIwae);
    }

    [Fact]
    public void An_autoencoder_is_scored_by_its_reconstruction_term_alone_as_its_evaluation_measures_it()
    {
        var model = Trained(ModelPresets.Autoencoder2D, epochs: 1);
        var test = mnist.Test500.Take(200);
        var scores = ModelEvaluator.Score(model, test, Options(8));
        var report = ModelEvaluator.Evaluate(model, test, Options(8));
        Assert.All(scores, s => Assert.Null(s.NegativeElbo));
        Assert.All(scores, s => Assert.Null(s.NegativeIwae));
        Assert.All(scores, s => Assert.Equal(s.Reconstruction, s.Value));
        // No noise in an autoencoder: the per-image terms add up to the evaluation's mean exactly (up to float sums).
        Assert.Equal(report.Reconstruction, scores.Average(s => s.Reconstruction), 2);
    }

    [Fact]
    public void A_conditional_model_needs_a_label_per_image()
    {
        var model = ModelRegistry.Create(new MlpConfig { Conditional = true, HiddenSizes = [8], LatentDim = 2 }, 0, CpuBackend.Instance);
        var pixels = new float[2 * 784];
        var error = Assert.Throws<ArgumentException>(() => ModelEvaluator.Score(model, pixels, 2, null, Options(2)));
        Assert.Contains("label", error.Message);
        Assert.Equal(2, ModelEvaluator.Score(model, pixels, 2, [3, 4], Options(2)).Length);
    }
}
