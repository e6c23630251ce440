using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;

namespace Vae.Engine.Tests.Training;

[Collection(nameof(MnistCollection))]
public class TrainerTests(MnistFixture mnist) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vae-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static TrainingOptions Options(int epochs, string? dir = null) => new()
    {
        Epochs = epochs, BatchSize = 128, LearningRate = 1e-3f, Seed = 5, Threads = 2, EvaluationBatchSize = 250, CheckpointDirectory = dir,
    };

    [Fact]
    public void Five_epochs_on_2000_mnist_digits_bring_the_test_loss_below_200_nats()
    {
        var trainer = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(5));
        var history = trainer.Fit(mnist.Train2000, mnist.Test500);
        Assert.Equal(5, history.Count);
        // An untrained model scores about 545 nats (784 ln 2); the tutorial's model reaches ~105 on all 60,000.
        Assert.True(history[^1].Test.Loss < 200, $"test loss after 5 epochs: {history[^1].Test.Loss}");
        Assert.True(history[^1].Train.Loss < history[0].Train.Loss);
        Assert.Equal(history[^1].Test.Loss, history[^1].Test.Reconstruction + history[^1].Test.Kl, 3);
        Assert.True(history[^1].Test.Kl > 1, "the KL term should be active");
    }

    [Fact]
    public void Training_twice_with_one_seed_gives_identical_weights_and_losses()
    {
        var a = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(2));
        var b = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(2));
        var ha = a.Fit(mnist.Train2000, mnist.Test500);
        var hb = b.Fit(mnist.Train2000, mnist.Test500);
        Assert.Equal(ha.Select(m => m.Train), hb.Select(m => m.Train));
        Assert.Equal(ha.Select(m => m.Test), hb.Select(m => m.Test));
        Assert.Equal(a.Model.Parameters()[0].ToArray(), b.Model.Parameters()[0].ToArray());
    }

    [Fact]
    public void Losses_read_back_in_windows_give_the_same_run_and_every_batch_its_progress_in_order()
    {
        var data = mnist.Train2000.Take(1000); // 8 batches: windows of 3 end with a short one
        var everyBatch = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(1));
        var windowed = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(1) with { LossReadbackInterval = 3 });
        var seen = new List<(int Batch, long Step, double Loss)>();
        windowed.BatchCompleted = p => seen.Add((p.Batch, p.Step, p.Losses.Loss));
        var expected = new List<double>();
        everyBatch.BatchCompleted = p => expected.Add(p.Losses.Loss);

        Assert.Equal(everyBatch.TrainEpoch(new Vae.Engine.Data.BatchLoader(data, 128), 1), windowed.TrainEpoch(new Vae.Engine.Data.BatchLoader(data, 128), 1));
        Assert.Equal(Enumerable.Range(1, 8), seen.Select(s => s.Batch));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), seen.Select(s => s.Step));
        Assert.Equal(expected, seen.Select(s => s.Loss));
        Assert.Equal(1, ((IBackend)CpuBackend.Instance).LossReadbackInterval);
        Assert.Equal(16, BackendRegistry.Find("ilgpu-cpu").LossReadbackInterval);
    }

    [Fact]
    public void A_run_resumed_from_its_checkpoint_continues_exactly_as_an_uninterrupted_one()
    {
        var straight = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(3));
        var expected = straight.Fit(mnist.Train2000, mnist.Test500);

        var first = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(2, _dir));
        first.Fit(mnist.Train2000, mnist.Test500);
        Assert.True(TrainingCheckpoint.Exists(_dir));

        // A new process would start from a freshly initialised model of another seed: the checkpoint must overwrite it all.
        var resumed = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 99, CpuBackend.Instance), Options(3, _dir));
        var history = resumed.Fit(mnist.Train2000, mnist.Test500);

        Assert.Equal(3, history.Count);
        Assert.Equal(expected[2].Train, history[2].Train);
        Assert.Equal(expected[2].Test, history[2].Test);
        Assert.Equal(straight.Model.Parameters()[^1].ToArray(), resumed.Model.Parameters()[^1].ToArray());
    }

    [Fact]
    public void Cancelling_stops_between_batches_and_keeps_the_last_epochs_checkpoint()
    {
        using var cts = new CancellationTokenSource();
        var trainer = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(3, _dir));
        int batches = 0;
        trainer.BatchCompleted = p => { batches++; if (p.Epoch == 2 && p.Batch == 3) cts.Cancel(); };
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(mnist.Train2000, mnist.Test500, cts.Token));
        Assert.Equal(16 + 3, batches);
        var saved = ModelCheckpoint.Load(Path.Combine(_dir, TrainingCheckpoint.FileName), CpuBackend.Instance);
        Assert.Single(saved.Metrics);
    }

    [Fact]
    public void Progress_is_reported_for_every_batch_and_every_epoch()
    {
        var trainer = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(2));
        var batches = new List<BatchProgress>();
        var epochs = new List<EpochMetrics>();
        trainer.BatchCompleted = batches.Add;
        trainer.EpochCompleted = epochs.Add;
        trainer.Fit(mnist.Train2000, mnist.Test500);
        Assert.Equal(2 * 16, batches.Count); // 2000 / 128 rounded up
        Assert.Equal(Enumerable.Range(1, 2), epochs.Select(e => e.Epoch));
        Assert.Equal(32, batches[^1].Step);
        Assert.All(batches, b => Assert.True(double.IsFinite(b.Losses.Loss) && b.Losses.Loss > 0));
    }

    [Fact]
    public void A_limited_epoch_trains_the_first_batches_of_the_shuffle_of_the_whole_set()
    {
        var limited = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(2) with { MaxBatchesPerEpoch = 3 });
        var full = new Trainer(ModelRegistry.Create(ModelPresets.CompactVae, seed: 5, CpuBackend.Instance), Options(1));
        var seen = new List<BatchProgress>();
        var expected = new List<double>();
        limited.BatchCompleted = seen.Add;
        full.BatchCompleted = p => expected.Add(p.Losses.Loss);
        limited.Fit(mnist.Train2000, mnist.Test500);
        full.Fit(mnist.Train2000, mnist.Test500);

        Assert.Equal([1, 2, 3, 1, 2, 3], seen.Select(p => p.Batch));
        Assert.All(seen, p => Assert.Equal(3, p.BatchCount));
        Assert.Equal(6, seen[^1].Step);
        // The same seed shuffles all 2000 images the same way: the first three batches match the full epoch's.
        Assert.Equal(expected.Take(3), seen.Take(3).Select(p => p.Losses.Loss));
        Assert.Throws<ArgumentException>(() => new Trainer(limited.Model, Options(1) with { MaxBatchesPerEpoch = -1 }));
    }

    [Theory]
    [InlineData(ModelKind.Ae, Likelihood.Bernoulli)]
    [InlineData(ModelKind.Vae, Likelihood.Gaussian)]
    public void Other_model_kinds_train_and_improve(ModelKind kind, Likelihood likelihood)
    {
        var config = new MlpConfig { Kind = kind, Likelihood = likelihood, HiddenSizes = [128], LatentDim = 2, Activation = Vae.Engine.Backends.Activation.LeakyRelu, Sigma = 0.3f };
        var trainer = new Trainer(ModelRegistry.Create(config, seed: 1, CpuBackend.Instance), Options(3));
        var history = trainer.Fit(mnist.Train2000, mnist.Test500);
        Assert.True(history[^1].Train.Loss < history[0].Train.Loss, $"{kind}/{likelihood}: {history[0].Train.Loss} -> {history[^1].Train.Loss}");
        if (kind == ModelKind.Ae) Assert.Equal(0, history[^1].Test.Kl);
    }
}
