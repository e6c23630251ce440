using Npgsql;
using NpgsqlTypes;
using Vae.Engine.Training;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// Job and model records in PostgreSQL, shared by every node of a cluster. The same records as the
/// SQLite store: JSON parts as json read and written whole, times as timestamptz. Insertion order
/// (the seq identity column) breaks ties between records created within the same microsecond.
/// </summary>
public sealed partial class PostgresVaeStore(NpgsqlDataSource source) : IVaeStore
{
    private const string JobColumns = "id, name, status, dataset, request, epochs, model_id, error, cancel_requested, created_at, started_at, finished_at, progress, node, version, device, waiting, attempts";
    private const string ModelColumns = "id, name, dataset, config, metrics, job_id, created_at, details, version";

    public async Task InitializeAsync(CancellationToken ct) => await PostgresSchema.MigrateAsync(source, ct);

    public async Task PingAsync(CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT 1 FROM vae_jobs LIMIT 0;");
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task InsertJobAsync(JobRecord job, CancellationToken ct)
    {
        await using var command = source.CreateCommand(
            $"INSERT INTO vae_jobs ({JobColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18);");
        BindJob(command, job);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> InsertFirstJobAsync(JobRecord job, AliasRecord? alias, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Nodes starting together take turns here; each statement then sees what the one before committed.
        await using (var wait = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.FirstJobLock});", connection))
            await wait.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO vae_jobs ({JobColumns})
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18
            WHERE NOT EXISTS (SELECT 1 FROM vae_jobs) AND NOT EXISTS (SELECT 1 FROM vae_models);
            """, connection);
        BindJob(command, job);
        bool inserted = await command.ExecuteNonQueryAsync(ct) == 1;
        if (inserted && alias is not null) await SetAliasAsync(connection, alias, ct);
        await transaction.CommitAsync(ct);
        return inserted;
    }

    public async Task<JobRecord?> GetJobAsync(string id, CancellationToken ct)
    {
        await using var command = source.CreateCommand($"SELECT {JobColumns} FROM vae_jobs WHERE id = $1;");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadJob(reader) : null;
    }

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken ct)
        => (await ListJobsAsync(JobFilter.Any, new PageRequest(Math.Max(0, limit)), ct)).Items;

    public async Task<RecordPage<JobRecord>> ListJobsAsync(JobFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var command = source.CreateCommand();
        var where = new List<string>();
        if (filter.Status is { } status) Match(command, where, "status", RecordFormat.StatusText(status));
        if (filter.Dataset is { } dataset)
        {
            command.Parameters.AddWithValue(dataset);
            where.Add($"lower(dataset) = lower(${command.Parameters.Count})");
        }
        if (filter.Name is { } name) Match(command, where, "name", name);
        command.CommandText = $"SELECT {JobColumns}, seq FROM vae_jobs {PageWhere(command, where, page)} ORDER BY created_at DESC, seq DESC LIMIT {LimitOf(page)};";
        return await ReadPageAsync(command, page, ReadJob, createdAt: 9, ct);
    }

    public async Task<IReadOnlyDictionary<JobStatus, long>> CountJobsAsync(CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT status, COUNT(*) FROM vae_jobs GROUP BY status;");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<JobStatus, long>();
        while (await reader.ReadAsync(ct)) counts[RecordFormat.ParseStatus(reader.GetString(0), "*")] = reader.GetInt64(1);
        return counts;
    }

    public async Task<bool> UpdateJobAsync(JobRecord job, CancellationToken ct)
    {
        await using var command = source.CreateCommand("""
            UPDATE vae_jobs SET name = $2, status = $3, dataset = $4, request = $5, epochs = $6, model_id = $7, error = $8,
                cancel_requested = $9, created_at = $10, started_at = $11, finished_at = $12, progress = $13, node = $14,
                device = $16, waiting = $17, attempts = $18, version = version + 1
            WHERE id = $1 AND version = $15;
            """);
        BindJob(command, job);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> DeleteJobAsync(string id, long version, CancellationToken ct)
    {
        await using var command = source.CreateCommand("DELETE FROM vae_jobs WHERE id = $1 AND version = $2;");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(version);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<ModelRecord> InsertModelAsync(ModelRecord model, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Inserts of one name take turns (across nodes) until they commit, so each reads the version the one before took.
        if (model.Name is not null)
        {
            await using var wait = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.ModelNameLock}, hashtext($1));", connection);
            wait.Parameters.AddWithValue(model.Name);
            await wait.ExecuteNonQueryAsync(ct);
        }
        await using var command = new NpgsqlCommand($"""
            INSERT INTO vae_models ({ModelColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                CASE WHEN $2 IS NULL THEN NULL ELSE (SELECT coalesce(max(version), 0) + 1 FROM vae_models WHERE name = $2) END)
            RETURNING version;
            """, connection);
        var p = command.Parameters;
        p.AddWithValue(model.Id);
        p.AddWithValue(NpgsqlDbType.Text, (object?)model.Name ?? DBNull.Value);
        p.AddWithValue(model.Dataset);
        p.AddWithValue(NpgsqlDbType.Json, model.Config.ToJson());
        p.AddWithValue(NpgsqlDbType.Json, RecordFormat.Serialize(model.Metrics));
        p.AddWithValue(NpgsqlDbType.Text, (object?)model.JobId ?? DBNull.Value);
        p.AddWithValue(NpgsqlDbType.TimestampTz, model.CreatedAt.ToUniversalTime());
        p.AddWithValue(NpgsqlDbType.Json, RecordFormat.DetailsOf(model));
        object? version = await command.ExecuteScalarAsync(ct);
        await transaction.CommitAsync(ct);
        return model with { Version = version is int v ? v : null };
    }

    public async Task<ModelRecord?> GetModelAsync(string id, CancellationToken ct)
    {
        await using var command = source.CreateCommand($"SELECT {ModelColumns} FROM vae_models WHERE id = $1;");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadModel(reader) : null;
    }

    public async Task<IReadOnlyList<ModelRecord>> ListModelsAsync(CancellationToken ct)
        => (await ListModelsAsync(ModelFilter.Any, PageRequest.All, ct)).Items;

    public async Task<RecordPage<ModelRecord>> ListModelsAsync(ModelFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var command = source.CreateCommand();
        var where = new List<string>();
        if (filter.Dataset is { } dataset)
        {
            command.Parameters.AddWithValue(dataset);
            where.Add($"lower(dataset) = lower(${command.Parameters.Count})");
        }
        if (filter.Name is { } name) Match(command, where, "name", name);
        command.CommandText = $"SELECT {ModelColumns}, seq FROM vae_models {PageWhere(command, where, page)} ORDER BY created_at DESC, seq DESC LIMIT {LimitOf(page)};";
        return await ReadPageAsync(command, page, ReadModel, createdAt: 6, ct);
    }

    public async Task<bool> DeleteModelAsync(string id, CancellationToken ct)
    {
        await using var command = source.CreateCommand("DELETE FROM vae_models WHERE id = $1;");
        command.Parameters.AddWithValue(id);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Binds $1..$18 in the order of <see cref="JobColumns"/>.</summary>
    private static void BindJob(NpgsqlCommand command, JobRecord job)
    {
        var p = command.Parameters;
        p.AddWithValue(job.Id);
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.Name ?? DBNull.Value);
        p.AddWithValue(RecordFormat.StatusText(job.Status));
        p.AddWithValue(job.Request.Dataset ?? "");
        p.AddWithValue(NpgsqlDbType.Json, StoredRequests.Write(job.Request, RecordFormat.Json));
        p.AddWithValue(NpgsqlDbType.Json, RecordFormat.Serialize(job.Epochs));
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.ModelId ?? DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.Error ?? DBNull.Value);
        p.AddWithValue(job.CancelRequested);
        p.AddWithValue(NpgsqlDbType.TimestampTz, job.CreatedAt.ToUniversalTime());
        p.AddWithValue(NpgsqlDbType.TimestampTz, job.StartedAt is { } s ? s.ToUniversalTime() : DBNull.Value);
        p.AddWithValue(NpgsqlDbType.TimestampTz, job.FinishedAt is { } f ? f.ToUniversalTime() : DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Json, job.Progress is { } progress ? RecordFormat.Serialize(progress) : DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.Node ?? DBNull.Value);
        p.AddWithValue(job.Version);
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.Device ?? DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Text, (object?)job.Waiting ?? DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Json, RecordFormat.Serialize(job.Attempts));
    }

    private static JobRecord ReadJob(NpgsqlDataReader r) => RecordFormat.ReadJob(r, static (r, i) => r.GetFieldValue<DateTimeOffset>(i));

    private static ModelRecord ReadModel(NpgsqlDataReader r) => RecordFormat.ReadModel(r, static (r, i) => r.GetFieldValue<DateTimeOffset>(i));
}
