namespace Vae.Api.Storage;

/// <summary>
/// The service's own state: job and model records. The job scheduler (Hangfire) keeps its own
/// tables: in jobs.db beside the SQLite file, or in the "hangfire" schema of PostgreSQL; model weights and checkpoints are blobs (see <see cref="IBlobStore"/>).
/// Implementations: SQLite (default); PostgreSQL for several nodes.
/// </summary>
public interface IVaeStore
{
    /// <summary>Creates the tables when missing; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken ct);
    /// <summary>Cheap round trip for health checks.</summary>
    Task PingAsync(CancellationToken ct);

    Task InsertJobAsync(JobRecord job, CancellationToken ct);
    /// <summary>
    /// Stores the job only when there is no job and no model at all (a first start); false otherwise.
    /// Atomic: of several nodes starting together on an empty database, one stores its job.
    /// </summary>
    Task<bool> InsertFirstJobAsync(JobRecord job, CancellationToken ct);
    Task<JobRecord?> GetJobAsync(string id, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken ct);
    /// <summary>
    /// Replaces the stored record with the same id when its version is still <see cref="JobRecord.Version"/>,
    /// and bumps the stored version; false when there is no such record or another update came first
    /// (read the record again and redo the change).
    /// </summary>
    Task<bool> UpdateJobAsync(JobRecord job, CancellationToken ct);
    /// <summary>
    /// Deletes the job's record when its version is still <paramref name="version"/>; false when there
    /// is no such record or it changed since it was read (read it again and decide again).
    /// </summary>
    Task<bool> DeleteJobAsync(string id, long version, CancellationToken ct);

    Task InsertModelAsync(ModelRecord model, CancellationToken ct);
    Task<ModelRecord?> GetModelAsync(string id, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<ModelRecord>> ListModelsAsync(CancellationToken ct);
    Task<bool> DeleteModelAsync(string id, CancellationToken ct);

    /// <summary>Stores a new sweep; sweeps are written once and never changed.</summary>
    Task InsertSweepAsync(SweepRecord sweep, CancellationToken ct);
    Task<SweepRecord?> GetSweepAsync(string id, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(int limit, CancellationToken ct);
}
