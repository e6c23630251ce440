namespace Vae.Api.Jobs;

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
    /// <summary>
    /// The shortest gap between two batch events of one event stream (GET /api/jobs/{id}/events):
    /// a stream sends the newest batch at most this often, 4 a second by default; epochs and changes
    /// of status are never held back. 0: every batch.
    /// </summary>
    public double EventBatchIntervalSeconds { get; set; } = 0.25;
    /// <summary>How long a client that lost its event stream waits before it connects again (the stream's retry: field).</summary>
    public double EventRetrySeconds { get; set; } = 3;
}
