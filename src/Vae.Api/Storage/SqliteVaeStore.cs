using System.Globalization;
using Microsoft.Data.Sqlite;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Storage;

/// <summary>
/// Job and model records in one SQLite file (WAL, so readers never wait for the training writer).
/// Structured parts (the request, epoch metrics, model configuration) are JSON columns: they are
/// read and written whole, never queried into. Every statement the service runs lives here.
/// </summary>
public sealed partial class SqliteVaeStore : IVaeStore
{
    private static readonly Lock InitGate = new();
    private static bool _providerReady;

    private readonly string _connectionString;

    public SqliteVaeStore(string connectionString)
    {
        EnsureProvider();
        _connectionString = connectionString;
    }

    /// <summary>Binds Microsoft.Data.Sqlite to the bundled native SQLite; the first caller in the process does it.</summary>
    public static void EnsureProvider()
    {
        lock (InitGate)
        {
            if (_providerReady) return;
            SQLitePCL.Batteries_V2.Init();
            _providerReady = true;
        }
    }

    /// <summary>A connection string for a database file: pooled, created when missing, waiting up to 30 s on a locked database.</summary>
    public static string ConnectionStringFor(string databaseFile) => new SqliteConnectionStringBuilder
    {
        DataSource = databaseFile,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    // The record format every store shares, under the names this class's other part uses.
    private static System.Text.Json.JsonSerializerOptions Json => RecordFormat.Json;
    private static T Deserialize<T>(string json, string column, string id) where T : class => RecordFormat.Deserialize<T>(json, column, id);

    private const string JobColumns = "id, name, status, dataset, request, epochs, model_id, error, cancel_requested, created_at, started_at, finished_at, progress, node, version, device, waiting, attempts";
    private const string ModelColumns = "id, name, dataset, config, metrics, job_id, created_at, details, version";

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // WAL is a property of the file: set once, it holds for every later connection.
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", ct);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS vae_jobs (
                id               TEXT    NOT NULL PRIMARY KEY,
                name             TEXT    NULL,
                status           TEXT    NOT NULL,
                dataset          TEXT    NOT NULL,
                request          TEXT    NOT NULL,
                epochs           TEXT    NOT NULL,
                model_id         TEXT    NULL,
                error            TEXT    NULL,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                created_at       TEXT    NOT NULL,
                started_at       TEXT    NULL,
                finished_at      TEXT    NULL
            );
            CREATE INDEX IF NOT EXISTS vae_jobs_by_created ON vae_jobs (created_at);
            CREATE TABLE IF NOT EXISTS vae_models (
                id         TEXT NOT NULL PRIMARY KEY,
                name       TEXT NULL,
                dataset    TEXT NOT NULL,
                config     TEXT NOT NULL,
                metrics    TEXT NOT NULL,
                job_id     TEXT NULL,
                created_at TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS vae_models_by_created ON vae_models (created_at);
            """, ct);
        // Columns added after the first release: a database made by it gains them here.
        await AddColumnAsync(connection, "vae_jobs", "progress", "TEXT NULL", ct);
        await AddColumnAsync(connection, "vae_models", "details", "TEXT NULL", ct);
        await AddColumnAsync(connection, "vae_jobs", "node", "TEXT NULL", ct);
        // Bumped by every update; an update names the version it read and loses when another came first.
        await AddColumnAsync(connection, "vae_jobs", "version", "INTEGER NOT NULL DEFAULT 1", ct);
        await AddColumnAsync(connection, "vae_jobs", "device", "TEXT NULL", ct);
        await AddColumnAsync(connection, "vae_jobs", "waiting", "TEXT NULL", ct);
        await AddColumnAsync(connection, "vae_jobs", "attempts", "TEXT NULL", ct);
        await CreateSweepTableAsync(connection, ct);
        await MigrateCatalogAsync(connection, ct);
        await DropLegacySchedulerTablesAsync(connection, ct);
    }

    /// <summary>
    /// The job scheduler's tables of versions before Hangfire (which keeps its own file, jobs.db): the job
    /// records say which jobs are to run, and recovery queues them again at start. Children first.
    /// </summary>
    private static async Task DropLegacySchedulerTablesAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = string.Concat(LegacySchedulerTables.Select(t => $"DROP TABLE IF EXISTS {t};"));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static readonly string[] LegacySchedulerTables =
        [ "QRTZ_FIRED_TRIGGERS", "QRTZ_PAUSED_TRIGGER_GRPS", "QRTZ_SCHEDULER_STATE", "QRTZ_LOCKS", "QRTZ_SIMPLE_TRIGGERS", "QRTZ_SIMPROP_TRIGGERS", "QRTZ_CRON_TRIGGERS", "QRTZ_BLOB_TRIGGERS", "QRTZ_TRIGGERS", "QRTZ_JOB_DETAILS", "QRTZ_CALENDARS" ];

    /// <summary>Adds the column when the table lacks it; true when it did.</summary>
    private static async Task<bool> AddColumnAsync(SqliteConnection connection, string table, string column, string type, CancellationToken ct, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}';";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) != 0) return false;
        await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type};", ct, transaction);
        return true;
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM vae_jobs WHERE 0;";
        await command.ExecuteScalarAsync(ct);
    }

    public async Task InsertJobAsync(JobRecord job, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO vae_jobs ({JobColumns}) VALUES ($id, $name, $status, $dataset, $request, $epochs, $model_id, $error, $cancel_requested, $created_at, $started_at, $finished_at, $progress, $node, $version, $device, $waiting, $attempts);";
        BindJob(command, job);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> InsertFirstJobAsync(JobRecord job, AliasRecord? alias, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // One write transaction (BEGIN IMMEDIATE), so the check, the job and its alias share SQLite's write lock.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO vae_jobs ({JobColumns})
            SELECT $id, $name, $status, $dataset, $request, $epochs, $model_id, $error, $cancel_requested, $created_at, $started_at, $finished_at, $progress, $node, $version, $device, $waiting, $attempts
            WHERE NOT EXISTS (SELECT 1 FROM vae_jobs) AND NOT EXISTS (SELECT 1 FROM vae_models);
            """;
        BindJob(command, job);
        bool inserted = await command.ExecuteNonQueryAsync(ct) == 1;
        if (inserted && alias is not null) await SetAliasAsync(connection, transaction, alias, ct);
        await transaction.CommitAsync(ct);
        return inserted;
    }

    public async Task<JobRecord?> GetJobAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobColumns} FROM vae_jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadJob(reader) : null;
    }

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(int limit, CancellationToken ct)
        => (await ListJobsAsync(JobFilter.Any, new PageRequest(Math.Max(0, limit)), ct)).Items;

    public async Task<RecordPage<JobRecord>> ListJobsAsync(JobFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (filter.Status is { } status) Match(command, where, "status", RecordFormat.StatusText(status));
        if (filter.Dataset is { } dataset)
        {
            where.Add("lower(dataset) = lower($dataset)");
            command.Parameters.AddWithValue("$dataset", dataset);
        }
        if (filter.Name is { } name) Match(command, where, "name", name);
        // rowid breaks ties between jobs created within the same tick, newest insert first.
        command.CommandText = $"SELECT {JobColumns}, rowid FROM vae_jobs {PageWhere(command, where, page)} ORDER BY created_at DESC, rowid DESC LIMIT $limit;";
        return await ReadPageAsync(command, page, ReadJob, createdAt: 9, ct);
    }

    public async Task<IReadOnlyDictionary<JobStatus, long>> CountJobsAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, COUNT(*) FROM vae_jobs GROUP BY status;";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<JobStatus, long>();
        while (await reader.ReadAsync(ct)) counts[RecordFormat.ParseStatus(reader.GetString(0), "*")] = reader.GetInt64(1);
        return counts;
    }

    public async Task<bool> UpdateJobAsync(JobRecord job, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE vae_jobs SET name = $name, status = $status, dataset = $dataset, request = $request, epochs = $epochs,
                model_id = $model_id, error = $error, cancel_requested = $cancel_requested,
                created_at = $created_at, started_at = $started_at, finished_at = $finished_at, progress = $progress,
                node = $node, device = $device, waiting = $waiting, attempts = $attempts, version = version + 1
            WHERE id = $id AND version = $version;
            """;
        BindJob(command, job);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> DeleteJobAsync(string id, long version, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM vae_jobs WHERE id = $id AND version = $version;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$version", version);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<ModelRecord> InsertModelAsync(ModelRecord model, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // One statement: the next version is read and taken under SQLite's write lock, so two inserts of one name cannot both take it.
        command.CommandText = $"""
            INSERT INTO vae_models ({ModelColumns}) VALUES ($id, $name, $dataset, $config, $metrics, $job_id, $created_at, $details,
                CASE WHEN $name IS NULL THEN NULL ELSE (SELECT coalesce(max(version), 0) + 1 FROM vae_models WHERE name = $name) END)
            RETURNING version;
            """;
        command.Parameters.AddWithValue("$id", model.Id);
        command.Parameters.AddWithValue("$name", (object?)model.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("$dataset", model.Dataset);
        command.Parameters.AddWithValue("$config", model.Config.ToJson());
        command.Parameters.AddWithValue("$metrics", RecordFormat.Serialize(model.Metrics));
        command.Parameters.AddWithValue("$job_id", (object?)model.JobId ?? DBNull.Value);
        command.Parameters.AddWithValue("$created_at", FormatTime(model.CreatedAt));
        command.Parameters.AddWithValue("$details", RecordFormat.DetailsOf(model));
        object? version = await command.ExecuteScalarAsync(ct);
        return model with { Version = version is null or DBNull ? null : Convert.ToInt32(version, CultureInfo.InvariantCulture) };
    }

    public async Task<ModelRecord?> GetModelAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ModelColumns} FROM vae_models WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadModel(reader) : null;
    }

    public async Task<IReadOnlyList<ModelRecord>> ListModelsAsync(CancellationToken ct)
        => (await ListModelsAsync(ModelFilter.Any, PageRequest.All, ct)).Items;

    public async Task<RecordPage<ModelRecord>> ListModelsAsync(ModelFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (filter.Dataset is { } dataset)
        {
            where.Add("lower(dataset) = lower($dataset)");
            command.Parameters.AddWithValue("$dataset", dataset);
        }
        if (filter.Name is { } name) Match(command, where, "name", name);
        command.CommandText = $"SELECT {ModelColumns}, rowid FROM vae_models {PageWhere(command, where, page)} ORDER BY created_at DESC, rowid DESC LIMIT $limit;";
        return await ReadPageAsync(command, page, ReadModel, createdAt: 6, ct);
    }

    public async Task<bool> DeleteModelAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM vae_models WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            // SQLite's own busy wait, so a write that meets another connection's transaction waits instead of failing.
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 10000;", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void BindJob(SqliteCommand command, JobRecord job)
    {
        var p = command.Parameters;
        p.AddWithValue("$id", job.Id);
        p.AddWithValue("$name", (object?)job.Name ?? DBNull.Value);
        p.AddWithValue("$status", RecordFormat.StatusText(job.Status));
        p.AddWithValue("$dataset", job.Request.Dataset ?? "");
        p.AddWithValue("$request", StoredRequests.Write(job.Request, RecordFormat.Json));
        p.AddWithValue("$epochs", RecordFormat.Serialize(job.Epochs));
        p.AddWithValue("$model_id", (object?)job.ModelId ?? DBNull.Value);
        p.AddWithValue("$error", (object?)job.Error ?? DBNull.Value);
        p.AddWithValue("$cancel_requested", job.CancelRequested ? 1 : 0);
        p.AddWithValue("$created_at", FormatTime(job.CreatedAt));
        p.AddWithValue("$started_at", job.StartedAt is { } s ? FormatTime(s) : DBNull.Value);
        p.AddWithValue("$finished_at", job.FinishedAt is { } f ? FormatTime(f) : DBNull.Value);
        p.AddWithValue("$progress", job.Progress is { } progress ? RecordFormat.Serialize(progress) : DBNull.Value);
        p.AddWithValue("$node", (object?)job.Node ?? DBNull.Value);
        p.AddWithValue("$version", job.Version);
        p.AddWithValue("$device", (object?)job.Device ?? DBNull.Value);
        p.AddWithValue("$waiting", (object?)job.Waiting ?? DBNull.Value);
        p.AddWithValue("$attempts", RecordFormat.Serialize(job.Attempts));
    }

    private static JobRecord ReadJob(SqliteDataReader r) => RecordFormat.ReadJob(r, static (r, i) => ParseTime(r.GetString(i)));

    private static ModelRecord ReadModel(SqliteDataReader r) => RecordFormat.ReadModel(r, static (r, i) => ParseTime(r.GetString(i)));

    // UTC with a fixed width, so text order is time order and ORDER BY created_at needs no parsing.
    private static string FormatTime(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
