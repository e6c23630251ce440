using System.Diagnostics;
using Vae.Engine.Backends;
using Vae.Engine.Checkpoints;
using Vae.Engine.Data;
using Vae.Engine.Diagnostics;
using Vae.Engine.Models;
using Vae.Engine.Ops;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Training;

/// <summary>
/// Trains a model epoch by epoch: <see cref="TrainEpoch"/>, then <see cref="Evaluate"/> on the
/// test set, then a checkpoint. Every random choice comes from generators derived from the seed
/// and the epoch number, so a run resumed from a checkpoint continues exactly as it would have.
/// </summary>
public sealed class Trainer
{
    private readonly List<EpochMetrics> _history = [];

    public Trainer(AutoencoderModel model, TrainingOptions options, Optimizer? optimizer = null)
    {
        options.Validate();
        Model = model;
        Options = options;
        Optimizer = optimizer ?? new Adam(model.Parameters(), options.LearningRate);
    }

    public AutoencoderModel Model { get; }
    public TrainingOptions Options { get; }
    public Optimizer Optimizer { get; }
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Called before every training batch with the epoch and the batch (1-based), on the training thread; it may block, and a cancel that arrives meanwhile stops the run before the batch.</summary>
    public Action<int, int>? BatchStarting { get; set; }
    /// <summary>
    /// Called after every training batch, on the training thread; on a device, in bursts of
    /// <see cref="TrainingOptions.LossReadbackInterval"/> batches, when their losses come back.
    /// </summary>
    public Action<BatchProgress>? BatchCompleted { get; set; }
    /// <summary>Called after every epoch (and its checkpoint), on the training thread.</summary>
    public Action<EpochMetrics>? EpochCompleted { get; set; }

    /// <summary>
    /// Runs the remaining epochs up to <see cref="TrainingOptions.Epochs"/>, first resuming from the
    /// checkpoint directory if it holds a checkpoint. Cancellation stops between batches and leaves
    /// the last epoch's checkpoint as it was.
    /// </summary>
    public IReadOnlyList<EpochMetrics> Fit(ImageDataset train, ImageDataset test, CancellationToken cancellationToken = default)
    {
        if (Options.CheckpointDirectory is { } dir && TrainingCheckpoint.Exists(dir) && _history.Count == 0)
            _history.AddRange(TrainingCheckpoint.Restore(dir, Model, Optimizer));

        var loader = new BatchLoader(train, Options.BatchSize);
        for (int epoch = _history.Count + 1; epoch <= Options.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var trainLoss = TrainEpoch(loader, epoch, cancellationToken);
            double seconds = watch.Elapsed.TotalSeconds;
            // Evaluation runs other batch sizes: what training kept for reuse would only sit beside it,
            // and what evaluation keeps would sit beside the next epoch's steps. So the peak is the
            // larger of the two working sets, not their sum (at the price of faulting training's
            // buffers in again at each epoch's first step).
            Model.Backend.ReleaseCachedMemory();
            var testLoss = Evaluate(test, epoch, cancellationToken);
            Model.Backend.ReleaseCachedMemory();
            var metrics = new EpochMetrics(epoch, trainLoss, testLoss, seconds);
            _history.Add(metrics);
            if (Options.CheckpointDirectory is { } d)
            {
                try
                {
                    TrainingCheckpoint.Save(d, Model, Optimizer, Options, _history);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The epoch is not claimed: whoever resumes starts it again from the previous checkpoint.
                    _history.RemoveAt(_history.Count - 1);
                    throw new CheckpointWriteException(epoch, d, e);
                }
            }
            EpochCompleted?.Invoke(metrics);
        }
        Model.Backend.ReleaseCachedMemory();
        return _history;
    }

    /// <summary>One pass over the shuffled training set (or its first <see cref="TrainingOptions.MaxBatchesPerEpoch"/> batches); returns the mean losses per image.</summary>
    public LossSummary TrainEpoch(BatchLoader loader, int epoch, CancellationToken cancellationToken = default)
    {
        using var threads = ThreadBudget.Use(Options.Threads);
        StepProfiler.Skip(); // evaluation and checkpoints between epochs are not training steps
        Model.Train();
        loader.Arrange(Generator.ForStream(Options.Seed, 1000 + (ulong)epoch));
        var noise = Generator.ForStream(Options.Seed, 2000 + (ulong)epoch);
        var sums = new LossAccumulator();
        var backend = Model.Backend;
        int batches = Options.MaxBatchesPerEpoch > 0 ? Math.Min(Options.MaxBatchesPerEpoch, loader.BatchCount) : loader.BatchCount;
        int interval = Options.LossReadbackInterval > 0 ? Options.LossReadbackInterval : Math.Max(1, backend.LossReadbackInterval);
        // The batches' three loss parts wait on the device until a window is full, then come back in one read.
        var ledger = backend.Allocate(3 * interval);
        var read = new float[3 * interval];
        int pending = 0;
        void Flush(int lastBatch)
        {
            if (pending == 0) return;
            backend.Download(new BufferRef(ledger, 0), read.AsSpan(0, 3 * pending));
            for (int i = 0; i < pending; i++)
            {
                int batch = lastBatch - pending + 1 + i, n = loader.SizeOf(batch - 1);
                double total = read[3 * i], reconstruction = read[(3 * i) + 1], kl = read[(3 * i) + 2];
                if (!double.IsFinite(total))
                    throw new TrainingDivergedException($"The loss became {total} at epoch {epoch}, batch {batch}; lower the learning rate or check the data.");
                sums.Add(total, reconstruction, kl, n);
                BatchCompleted?.Invoke(new BatchProgress(epoch, Options.Epochs, batch, batches, Optimizer.StepCount - (pending - 1 - i),
                    new LossSummary(total / n, reconstruction / n, kl / n)));
            }
            pending = 0;
        }
        try
        {
            for (int b = 0; b < batches; b++)
            {
                TrainBatch(loader, epoch, b, noise, backend, new BufferRef(ledger, 3 * pending), cancellationToken);
                if (++pending == interval) Flush(b + 1);
            }
            Flush(batches);
        }
        finally
        {
            backend.Recycle(ledger);
        }
        return sums.Mean;
    }

    /// <summary>One optimizer step on batch <paramref name="b"/>; its losses are copied, on the device, to <paramref name="losses"/>.</summary>
    private void TrainBatch(BatchLoader loader, int epoch, int b, Generator noise, IBackend backend, BufferRef losses, CancellationToken cancellationToken)
    {
        {
            if (BatchStarting is { } starting)
            {
                cancellationToken.ThrowIfCancellationRequested();
                starting(epoch, b + 1);
            }
            cancellationToken.ThrowIfCancellationRequested();
            StepProfiler.Mark("step: between batches");
            using var scope = TensorScope.Begin();
            var (x, labels) = loader.Load(b, backend); // x: (B, C, H, W)
            StepProfiler.Mark("step: load batch");
            Optimizer.ZeroGrad();
            StepProfiler.Mark("step: zero gradients");
            var loss = Model.Loss(x, labels, noise);
            int n = x.Shape[0];
            // The parts are copied first: the backward pass frees every intermediate value it is done with.
            int k = 0;
            foreach (var part in (ReadOnlySpan<Tensor>)[loss.Total, loss.Reconstruction, loss.Kl])
            {
                var value = part.IsContiguous ? part : F.Contiguous(part);
                backend.Copy(value.Buffer, [], losses with { Offset = losses.Offset + k++ }, [], [], accumulate: false);
            }
            StepProfiler.Mark("step: keep the losses");
            (Options.AverageLossOverBatch ? F.MulScalar(loss.Total, 1f / n) : loss.Total).Backward(freeIntermediates: true);
            StepProfiler.Mark("bwd bookkeeping");
            Optimizer.Step();
            StepProfiler.Mark("step: optimizer");
            StepProfiler.StepDone();
        }
    }

    /// <summary>Mean losses per image over a dataset in file order, without gradients.</summary>
    public LossSummary Evaluate(ImageDataset data, int epoch = 0, CancellationToken cancellationToken = default)
    {
        using var threads = ThreadBudget.Use(Options.Threads);
        using var noGrad = Autograd.NoGrad();
        Model.Eval();
        var loader = new BatchLoader(data, Options.EvaluationBatchSize);
        loader.Arrange(null);
        var noise = Generator.ForStream(Options.Seed, 3000 + (ulong)epoch);
        var sums = new LossAccumulator();
        var backend = Model.Backend;
        for (int b = 0; b < loader.BatchCount; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = TensorScope.Begin();
            var (x, labels) = loader.Load(b, backend);
            var loss = Model.Loss(x, labels, noise);
            sums.Add(loss.Total.Item(), loss.Reconstruction.Item(), loss.Kl.Item(), x.Shape[0]);
        }
        Model.Train();
        return sums.Mean;
    }
}

/// <summary>The loss stopped being a finite number: training cannot continue with these settings.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
