using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Storage;

public enum JobStatus { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>A training job as stored: what was asked, where it stands, what came of it.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required JobStatus Status { get; init; }
    /// <summary>The request as the client sent it, defaults filled in.</summary>
    public required TrainingRequest Request { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Epochs finished so far, with their metrics.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];
    public string? ModelId { get; init; }
    public string? Error { get; init; }
    public bool CancelRequested { get; init; }

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>A trained model as stored: its file lives in the model folder under <see cref="Id"/>.</summary>
public sealed record ModelRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required string Dataset { get; init; }
    public required ModelConfig Config { get; init; }
    public required IReadOnlyList<EpochMetrics> Metrics { get; init; }
    public string? JobId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What a client asks to train (POST /api/jobs), every field with a default: {} trains the compact MNIST VAE.</summary>
public sealed record TrainingRequest
{
    public string Dataset { get; init; } = "mnist";
    /// <summary>"vae" or "ae".</summary>
    public string Model { get; init; } = "vae";
    /// <summary>"mlp" (convolutional models come later).</summary>
    public string Architecture { get; init; } = "mlp";
    public int[] HiddenSizes { get; init; } = [400];
    public int LatentDim { get; init; } = 20;
    /// <summary>"relu", "leaky_relu" or "tanh".</summary>
    public string Activation { get; init; } = "relu";
    /// <summary>"bernoulli" or "gaussian".</summary>
    public string Likelihood { get; init; } = "bernoulli";
    /// <summary>Standard deviation of the Gaussian likelihood.</summary>
    public float Sigma { get; init; } = 1f;
    public float Beta { get; init; } = 1f;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 1e-3f;
    public long Seed { get; init; }
    public string? Name { get; init; }
}
