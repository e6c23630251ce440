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
    private const string ModelColumns = "id, name, dataset, config, metrics, job_id, created_at, details";

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

    private static async Task AddColumnAsync(SqliteConnection connection, string table, string column, string type, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}';";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 0)
            await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type};", ct);
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

    public async Task<bool> InsertFirstJobAsync(JobRecord job, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // One statement, so the check and the insert share SQLite's write lock.
        command.CommandText = $"""
            INSERT INTO vae_jobs ({JobColumns})
            SELECT $id, $name, $status, $dataset, $request, $epochs, $model_id, $error, $cancel_requested, $created_at, $started_at, $finished_at, $progress, $node, $version, $device, $waiting, $attempts
            WHERE NOT EXISTS (SELECT 1 FROM vae_jobs) AND NOT EXISTS (SELECT 1 FROM vae_models);
            """;
        BindJob(command, job);
        return await command.ExecuteNonQueryAsync(ct) == 1;
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
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        // rowid breaks ties between jobs created within the same tick, newest insert first.
        command.CommandText = $"SELECT {JobColumns} FROM vae_jobs ORDER BY created_at DESC, rowid DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", Math.Max(0, limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(ct)) jobs.Add(ReadJob(reader));
        return jobs;
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

    public async Task InsertModelAsync(ModelRecord model, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO vae_models ({ModelColumns}) VALUES ($id, $name, $dataset, $config, $metrics, $job_id, $created_at, $details);";
        command.Parameters.AddWithValue("$id", model.Id);
        command.Parameters.AddWithValue("$name", (object?)model.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("$dataset", model.Dataset);
        command.Parameters.AddWithValue("$config", model.Config.ToJson());
        command.Parameters.AddWithValue("$metrics", RecordFormat.Serialize(model.Metrics));
        command.Parameters.AddWithValue("$job_id", (object?)model.JobId ?? DBNull.Value);
        command.Parameters.AddWithValue("$created_at", FormatTime(model.CreatedAt));
        command.Parameters.AddWithValue("$details", RecordFormat.DetailsOf(model));
        await command.ExecuteNonQueryAsync(ct);
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
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ModelColumns} FROM vae_models ORDER BY created_at DESC, rowid DESC;";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var models = new List<ModelRecord>();
        while (await reader.ReadAsync(ct)) models.Add(ReadModel(reader));
        return models;
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

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
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
