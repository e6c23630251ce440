using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Storage;

public enum JobStatus { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>What a running job is doing: training epochs, then evaluating the trained model.</summary>
public enum JobPhase { Training, Evaluating }

/// <summary>A training job as stored: what was asked, where it stands, what came of it.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required JobStatus Status { get; init; }
    /// <summary>The request with every default filled in (see <see cref="TrainingRequest"/>).</summary>
    public required TrainingRequest Request { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Epochs finished so far, with their metrics.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];
    /// <summary>Where a running job stands within its epoch; written every few seconds, not every batch.</summary>
    public JobProgressRecord? Progress { get; init; }
    public string? ModelId { get; init; }
    public string? Error { get; init; }
    public bool CancelRequested { get; init; }
    /// <summary>The node that trains (or trained) the job: its Cluster:NodeId; null while queued.</summary>
    public string? Node { get; init; }
    /// <summary>The engine backend that trains (or trained) the job (cpu, cuda, ilgpu-cpu); set when it starts, null while queued.</summary>
    public string? Device { get; init; }
    /// <summary>
    /// Why a queued job has not started yet, when a node that took it could not train it (it asks for
    /// a GPU and the node has none); null otherwise, and cleared when a node starts it.
    /// </summary>
    public string? Waiting { get; init; }
    /// <summary>Every time a node started training the job, oldest first; empty until one does.</summary>
    public IReadOnlyList<JobAttempt> Attempts { get; init; } = [];
    /// <summary>
    /// Bumped by the store on every update. An update carries the version it was made from and is
    /// refused when the stored one has moved on, so a change made from a stale read (a late progress
    /// write racing a cancel, on this node or another) is never stored over a newer one.
    /// </summary>
    public long Version { get; init; } = 1;

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>
/// One run of a job on a node. A job is tried again after a transient failure, and picked up again
/// after its node stopped, so one job can have several.
/// </summary>
/// <param name="Number">Which try this is, from 1.</param>
/// <param name="Node">The node that ran it (its Cluster:NodeId).</param>
/// <param name="StartedAt">When the node started it.</param>
/// <param name="EndedAt">When it ended; null while it runs. For an attempt cut short by its node
/// stopping, the time the next attempt found it open: the moment the node stopped is not known.</param>
/// <param name="Error">Why it failed; null while it runs and when it ended well. An attempt cut
/// short by its node stopping (a killed process writes nothing) is given "the node stopped while
/// training it" by the attempt after it.</param>
public sealed record JobAttempt(int Number, string? Node, DateTimeOffset StartedAt, DateTimeOffset? EndedAt = null, string? Error = null);

/// <summary>
/// The latest progress of a running job: the batch within the epoch, the training speed and the
/// estimated time left (training, per-epoch tests and the final evaluation).
/// </summary>
public sealed record JobProgressRecord(
    JobPhase Phase,
    int Epoch,
    int Batch,
    int BatchCount,
    double? ImagesPerSecond,
    double? SecondsLeft,
    DateTimeOffset UpdatedAt);

/// <summary>A trained model as stored: its weights are the blob models/&lt;<see cref="Id"/>&gt;.safetensors.</summary>
public sealed record ModelRecord
{
    public required string Id { get; init; }
    /// <summary>The name the model is registered under (the training request's); null for an unnamed model.</summary>
    public string? Name { get; init; }
    /// <summary>
    /// Which training of <see cref="Name"/> this is: 1, 2, ... in the order the models were stored, given
    /// by the store when it inserts the record; null for an unnamed model.
    /// </summary>
    public int? Version { get; init; }
    public required string Dataset { get; init; }
    public required ModelConfig Config { get; init; }
    public required IReadOnlyList<EpochMetrics> Metrics { get; init; }
    public string? JobId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>What label k means, for the model's dataset (kept with the model: the dataset may be deleted later).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>The evaluation run after training; null for models trained before evaluation existed, or when it was turned off.</summary>
    public EvaluationRecord? Evaluation { get; init; }
    /// <summary>Seconds the job spent training (all epochs, tests included, the final evaluation not).</summary>
    public double? TrainingSeconds { get; init; }
    /// <summary>The engine backend that trained the model (cpu, cuda, ilgpu-cpu); null for models trained before it was recorded.</summary>
    public string? Device { get; init; }
}

/// <summary>
/// A name for a model that can move: it pins one model id until someone moves it. "default" is one,
/// set on the first start to the model of the first job.
/// </summary>
/// <param name="Alias">The alias, as it appears in /api/models/{alias}.</param>
/// <param name="ModelId">The model it names. It may name a model that does not exist yet (the first job's, while it trains) or any more (deleted).</param>
/// <param name="UpdatedAt">When it was set or last moved.</param>
public sealed record AliasRecord(string Alias, string ModelId, DateTimeOffset UpdatedAt);

/// <summary>
/// A model measured on test images after training, per image: <see cref="Elbo"/> and <see cref="Iwae"/>
/// are lower bounds on log p(x) in nats (the IWAE one tighter, from <see cref="ImportanceSamples"/>
/// samples), null for a plain autoencoder; <see cref="BitsPerDim"/> is set for Gaussian likelihoods.
/// </summary>
public sealed record EvaluationRecord(
    int Images,
    double? Elbo,
    double? Iwae,
    int ImportanceSamples,
    int ActiveUnits,
    double Reconstruction,
    double? Kl,
    double? BitsPerDim,
    double Seconds);

/// <summary>
/// What a client asks to train (POST /api/jobs). Every field has a default: {} trains the compact
/// MNIST VAE. As stored with a job, every default is filled in.
/// </summary>
public sealed record TrainingRequest
{
    /// <summary>
    /// The name the model is registered under: each job of one name makes its next version (1, 2, ...).
    /// 1 to 100 letters, digits, '.', '_' and '-', starting with a letter or digit.
    /// </summary>
    public string? Name { get; init; }
    /// <summary>mnist, fashion-mnist, cifar10, or the id of an uploaded dataset (GET /api/datasets lists them).</summary>
    public string Dataset { get; init; } = "mnist";
    /// <summary>
    /// The model: one object whose "family" (mlp, conv, resnet) picks its fields. Fields left out take
    /// the family's defaults; the image shape and the class count come from the dataset.
    /// </summary>
    public ModelConfig? Model { get; init; }
    /// <summary>Passes over the training images.</summary>
    public int? Epochs { get; init; }
    /// <summary>Images per training step; default: the family's tutorial value.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Adam's learning rate; default: the family's tutorial value.</summary>
    public float? LearningRate { get; init; }
    /// <summary>Seeds the weights, the shuffling and the noise: the same request trains the same model.</summary>
    public long Seed { get; init; }
    /// <summary>Train on the first N training images only, for quick trials; default: all.</summary>
    public int? MaxTrainImages { get; init; }
    /// <summary>Test each epoch on the first N test images only; default: all.</summary>
    public int? MaxTestImages { get; init; }
    /// <summary>How the trained model is evaluated; defaults scale with the model and the training run.</summary>
    public EvaluationSettings? Evaluation { get; init; }
    /// <summary>
    /// gpu: train only on a node whose backend runs on a graphics card (the job waits queued until one
    /// takes it); cpu: train on the CPU backend, even on a node with a GPU; left out: the node's own backend.
    /// </summary>
    public string? Device { get; init; }
}

/// <summary>The evaluation a job runs after training.</summary>
public sealed record EvaluationSettings
{
    /// <summary>False skips it: the model record then has no evaluation.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Importance samples per image for the IWAE estimate (k).</summary>
    public int? ImportanceSamples { get; init; }
    /// <summary>Test images evaluated, from the start of the test set.</summary>
    public int? Images { get; init; }
}
