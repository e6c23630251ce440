namespace Vae.Api.Storage;

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
