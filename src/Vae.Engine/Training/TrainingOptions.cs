namespace Vae.Engine.Training;

/// <summary>How to train: defaults are the compact MNIST VAE's recipe (Adam 1e-3, batch 128, 10 epochs).</summary>
public sealed record TrainingOptions
{
    /// <summary>The options a family's tutorial trains with (learning rate, batch size, loss scaling).</summary>
    public static TrainingOptions For(Models.ModelConfig config) => config.Owner.Recipe is var r
        ? new TrainingOptions { LearningRate = r.LearningRate, BatchSize = r.BatchSize, AverageLossOverBatch = r.AverageOverBatch }
        : new TrainingOptions();

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Seeds the weights, the shuffling and the latent noise: same seed, same run.</summary>
    public ulong Seed { get; init; }
    /// <summary>Threads the kernels may use while training (a budget, so serving keeps the rest).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int EvaluationBatchSize { get; init; } = 1000;
    /// <summary>Differentiate the mean loss per image instead of the batch's sum (seed 001's recipe); Adam barely notices, SGD does.</summary>
    public bool AverageLossOverBatch { get; init; }
    /// <summary>
    /// Train on only the first this-many batches of each epoch's shuffle of the whole training set
    /// (0: every batch). Short runs then see fresh images every epoch, as a PyTorch loop that breaks
    /// out of its DataLoader early does.
    /// </summary>
    public int MaxBatchesPerEpoch { get; init; }
    /// <summary>Where the per-epoch checkpoint goes; none when null.</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Batches between reads of the losses on the host (progress, the divergence check); 0 takes the backend's choice.</summary>
    public int LossReadbackInterval { get; init; }

    public void Validate()
    {
        if (Epochs < 1 || Epochs > 10_000) throw new ArgumentException($"Epochs must be between 1 and 10000, got {Epochs}.");
        if (BatchSize < 1 || BatchSize > 65_536) throw new ArgumentException($"BatchSize must be between 1 and 65536, got {BatchSize}.");
        if (!float.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 10) throw new ArgumentException($"LearningRate must be in (0, 10], got {LearningRate}.");
        if (Threads < 1) throw new ArgumentException($"Threads must be at least 1, got {Threads}.");
        if (LossReadbackInterval < 0 || LossReadbackInterval > 1024) throw new ArgumentException($"LossReadbackInterval must be between 0 (the backend's choice) and 1024, got {LossReadbackInterval}.");
        if (MaxBatchesPerEpoch < 0) throw new ArgumentException($"MaxBatchesPerEpoch must be 0 (every batch) or positive, got {MaxBatchesPerEpoch}.");
        if (EvaluationBatchSize < 1) throw new ArgumentException($"EvaluationBatchSize must be at least 1, got {EvaluationBatchSize}.");
    }
}
