namespace Vae.Api.Storage;

/// <summary>
/// The service's own state: job, model, alias and sweep records. The job scheduler (Hangfire) keeps its own
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
    /// Stores the job, and <paramref name="alias"/> when given, only when there is no job and no model
    /// at all (a first start); false otherwise. Atomic: of several nodes starting together on an empty
    /// database, one stores its job and its alias.
    /// </summary>
    Task<bool> InsertFirstJobAsync(JobRecord job, AliasRecord? alias, CancellationToken ct);
    Task<JobRecord?> GetJobAsync(string id, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken ct);
    /// <summary>How many jobs there are in each status (a status with none is absent).</summary>
    Task<IReadOnlyDictionary<JobStatus, long>> CountJobsAsync(CancellationToken ct);
    /// <summary>A page of the jobs that match, newest first.</summary>
    Task<RecordPage<JobRecord>> ListJobsAsync(JobFilter filter, PageRequest page, CancellationToken ct);
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

    /// <summary>
    /// Stores a model. A named one gets the next version of its name (1 for the first; the
    /// record's own <see cref="ModelRecord.Version"/> is ignored), atomically: nodes storing models
    /// of one name at the same moment get different versions. Returns the record as stored.
    /// </summary>
    Task<ModelRecord> InsertModelAsync(ModelRecord model, CancellationToken ct);
    Task<ModelRecord?> GetModelAsync(string id, CancellationToken ct);
    /// <summary>Version <paramref name="version"/> of the models named <paramref name="name"/>, or its newest version when null.</summary>
    Task<ModelRecord?> GetModelByNameAsync(string name, int? version, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<ModelRecord>> ListModelsAsync(CancellationToken ct);
    /// <summary>A page of the models that match, newest first.</summary>
    Task<RecordPage<ModelRecord>> ListModelsAsync(ModelFilter filter, PageRequest page, CancellationToken ct);
    Task<bool> DeleteModelAsync(string id, CancellationToken ct);

    Task<AliasRecord?> GetAliasAsync(string alias, CancellationToken ct);
    /// <summary>Every alias, in order of name.</summary>
    Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(CancellationToken ct);
    /// <summary>Creates the alias or moves it to the record's model; true when it was created.</summary>
    Task<bool> SetAliasAsync(AliasRecord alias, CancellationToken ct);
    Task<bool> DeleteAliasAsync(string alias, CancellationToken ct);

    /// <summary>Stores a new sweep; sweeps are written once and never changed.</summary>
    Task InsertSweepAsync(SweepRecord sweep, CancellationToken ct);
    Task<SweepRecord?> GetSweepAsync(string id, CancellationToken ct);
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(int limit, CancellationToken ct);
    /// <summary>A page of the sweeps that match, newest first.</summary>
    Task<RecordPage<SweepRecord>> ListSweepsAsync(SweepFilter filter, PageRequest page, CancellationToken ct);
}
