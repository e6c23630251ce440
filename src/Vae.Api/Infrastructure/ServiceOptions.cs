namespace Vae.Api.Infrastructure;

/// <summary>Where the service keeps its state ("Storage" section).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";
    /// <summary>
    /// Folder for the SQLite database and model files; relative paths are under the content root.
    /// With PostgreSQL it holds only this node's scratch files (the checkpoint a job is writing).
    /// </summary>
    public string Directory { get; set; } = "state";
    /// <summary>"sqlite" (default: one node, everything in <see cref="Directory"/>) or "postgres" (several nodes sharing one database: records, weights, checkpoints and the job schedule).</summary>
    public string Provider { get; set; } = "sqlite";
    /// <summary>
    /// With SQLite, overrides the file under <see cref="Directory"/> when set. With PostgreSQL, required:
    /// an Npgsql connection string (Host=...;Port=...;Database=...;Username=...;Password=...).
    /// </summary>
    public string? ConnectionString { get; set; }
    /// <summary>
    /// With PostgreSQL, how long a starting node waits for the database to accept connections (it may
    /// be starting beside the service, as in docker-compose) before giving up; 0 gives up at once.
    /// </summary>
    public double StartupWaitSeconds { get; set; } = 60;
    /// <summary>
    /// How long a training job waits out an unreachable database at the steps it cannot skip (starting,
    /// publishing its model, recording its end) before it gives up and leaves the job to recovery.
    /// </summary>
    public double OutageWaitSeconds { get; set; } = 300;
}

/// <summary>This process as one node of several ("Cluster" section).</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";
    /// <summary>Names this node in job records and GET /health; default: the machine name and the process id.</summary>
    public string? NodeId { get; set; }
    /// <summary>
    /// With PostgreSQL, how often an idle node asks the database for queued jobs. A queued job wakes the
    /// idle nodes at once (a notification); this is the fallback, and the pace at which a job taken back
    /// from a dead node is found.
    /// </summary>
    public double JobPollSeconds { get; set; } = 2;
    /// <summary>
    /// With PostgreSQL, how often a node records that it is alive and renews its hold on the jobs it runs.
    /// A job whose hold has not been renewed for four times this (its node died) is resumed by another
    /// node from its checkpoint.
    /// </summary>
    public double CheckinSeconds { get; set; } = 7.5;
    /// <summary>The shortest gap between two batch events of one job relayed to the other nodes (epochs and status changes always go).</summary>
    public double BatchRelaySeconds { get; set; } = 0.25;
}

/// <summary>The engine's device ("Engine" section).</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";
    /// <summary>auto (CUDA when a device answers, else cpu), cpu, cuda or ilgpu-cpu (ILGPU's CPU accelerator: the GPU kernels on the CPU, for tests).</summary>
    public string Backend { get; set; } = Vae.Engine.Backends.BackendRegistry.Auto;
}

/// <summary>Training jobs ("Jobs" section).</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";
    /// <summary>Threads the engine may use for training; the rest of the machine serves requests.</summary>
    public int TrainingThreads { get; set; } = Math.Max(1, Environment.ProcessorCount - 1);
    /// <summary>Jobs that train at the same time.</summary>
    public int MaxConcurrentJobs { get; set; } = 1;
    /// <summary>
    /// Runs a job gets before it fails for good when it fails for a transient reason (the database away
    /// past Storage:OutageWaitSeconds, the disk full); a failure due to its request or data fails at once.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>The pause before the first retry; each next one waits four times longer (at most an hour).</summary>
    public double RetryDelaySeconds { get; set; } = 30;
    /// <summary>The job queues this node serves ("cpu", "gpu"); by default those its backend can run.</summary>
    public string[]? Queues { get; set; }
    /// <summary>On a first start with no model at all, queue one default MNIST VAE job so the demo works.</summary>
    public bool SeedDefaultJob { get; set; } = true;
    /// <summary>Epochs of that default job.</summary>
    public int DefaultJobEpochs { get; set; } = 10;
    public int MaxEpochs { get; set; } = 200;
    /// <summary>How often a running job's batch progress is written to its record (every epoch's always is); 0: after every batch.</summary>
    public double ProgressIntervalSeconds { get; set; } = 5;
}

/// <summary>Datasets ("Datasets" section).</summary>
public sealed class DatasetOptions
{
    public const string Section = "Datasets";
    /// <summary>Cache folder for dataset files; default $VAE_DATA_DIR or ~/.cache/vae/datasets.</summary>
    public string? Directory { get; set; }
    /// <summary>Use only the first N training images (0: all); for quick demos and tests.</summary>
    public int TrainLimit { get; set; }
    /// <summary>Use only the first N test images (0: all).</summary>
    public int TestLimit { get; set; }
}

/// <summary>Inference limits and cache ("Models" section).</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";
    /// <summary>Loaded models kept in memory.</summary>
    public int CacheSize { get; set; } = 8;
    /// <summary>Engine threads per inference request.</summary>
    public int InferenceThreads { get; set; } = 1;
    public int MaxSamples { get; set; } = 256;
    public int MaxInterpolationSteps { get; set; } = 64;
    public int MaxManifoldSize { get; set; } = 40;
    public int MaxBatch { get; set; } = 256;
    public int MaxLatents { get; set; } = 10_000;
    public float MaxTemperature { get; set; } = 10f;
    /// <summary>Largest accepted request body in bytes: 16 MiB, room for a phone's photo.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;
    /// <summary>
    /// Importance samples (k) of an anomaly score when the request names none, and of the test-set
    /// distribution percentiles are read from. 16 keeps that distribution's one-off cost (ScoreImages x k
    /// decodes) to seconds for MLPs; more samples change a ranking little.
    /// </summary>
    public int ScoreSamples { get; set; } = 16;
    /// <summary>Most importance samples a score request may ask for.</summary>
    public int MaxScoreSamples { get; set; } = 256;
    /// <summary>Test images (spread evenly over the test split) whose scores make a model's reference distribution.</summary>
    public int ScoreImages { get; set; } = 1000;
    /// <summary>Test images of a class averaged for a direction between classes when the request names no limit.</summary>
    public int DirectionImages { get; set; } = 1000;
}

/// <summary>Who may change things ("Security" section).</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";
    /// <summary>Key for X-Api-Key on writes; when empty, writes are accepted only from loopback.</summary>
    public string? ApiKey { get; set; }
    /// <summary>Requests per client per window.</summary>
    public int PermitLimit { get; set; } = 1000;
    public int WindowSeconds { get; set; } = 10;
    /// <summary>Queued beyond the limit before rejecting with 429.</summary>
    public int QueueLimit { get; set; } = 50;
}
