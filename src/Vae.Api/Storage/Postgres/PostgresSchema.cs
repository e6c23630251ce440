using Npgsql;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// The service's tables in PostgreSQL, as numbered migrations applied in order on start. Every node
/// runs this when it starts; the first to take the advisory lock applies what is missing, the others
/// wait for it and then find nothing to do, so nodes starting together never race on a CREATE.
/// Hangfire provisions its own tables in the "hangfire" schema beside these.
/// </summary>
public static class PostgresSchema
{
    /// <summary>Key of the transaction-scoped advisory lock that serialises migrations ("vae_schema" in ASCII, as a number).</summary>
    public const long MigrationLock = 0x7661655F736368;

    /// <summary>Key of the advisory lock under which a node stores the first job of an empty database ("vaefirst" in ASCII).</summary>
    public const long FirstJobLock = 0x7661656669727374;

    /// <summary>
    /// First key of the advisory locks under which a model of a name takes its version ("vaen" in ASCII);
    /// the second is the name's hash, so models of different names never wait for each other.
    /// </summary>
    public const int ModelNameLock = 0x7661656E;

    /// <summary>
    /// Each entry runs once, in its own place in the order; entries are never edited once released,
    /// only added. Timestamps are timestamptz (microseconds). JSON parts are json, not jsonb: they are
    /// read and written whole and never queried into, and json keeps them as written (a sweep's base
    /// request keeps the client's order of fields), like the SQLite store's text columns.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE vae_jobs (
            id               text        NOT NULL PRIMARY KEY,
            seq              bigint      GENERATED ALWAYS AS IDENTITY,
            name             text        NULL,
            status           text        NOT NULL,
            dataset          text        NOT NULL,
            request          json        NOT NULL,
            epochs           json        NOT NULL,
            progress         json        NULL,
            model_id         text        NULL,
            error            text        NULL,
            cancel_requested boolean     NOT NULL DEFAULT false,
            node             text        NULL,
            version          bigint      NOT NULL DEFAULT 1,
            created_at       timestamptz NOT NULL,
            started_at       timestamptz NULL,
            finished_at      timestamptz NULL
        );
        CREATE INDEX vae_jobs_by_created ON vae_jobs (created_at DESC, seq DESC);
        CREATE TABLE vae_models (
            id         text        NOT NULL PRIMARY KEY,
            seq        bigint      GENERATED ALWAYS AS IDENTITY,
            name       text        NULL,
            dataset    text        NOT NULL,
            config     json        NOT NULL,
            metrics    json        NOT NULL,
            details    json        NULL,
            job_id     text        NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX vae_models_by_created ON vae_models (created_at DESC, seq DESC);
        CREATE TABLE vae_sweeps (
            id         text        NOT NULL PRIMARY KEY,
            seq        bigint      GENERATED ALWAYS AS IDENTITY,
            created_at timestamptz NOT NULL,
            sweep      json        NOT NULL
        );
        CREATE INDEX vae_sweeps_by_created ON vae_sweeps (created_at DESC, seq DESC);
        -- Weights and checkpoints (see PostgresBlobStore for why bytea rather than large objects).
        CREATE TABLE vae_blobs (
            key        text        NOT NULL PRIMARY KEY,
            data       bytea       NOT NULL,
            size       bigint      NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """,
        """
        -- Uploaded datasets: the description here, the files as blobs under datasets/<id>/ (see PostgresDatasetUploads).
        CREATE TABLE vae_datasets (
            id          text        NOT NULL PRIMARY KEY,
            seq         bigint      GENERATED ALWAYS AS IDENTITY,
            description json        NOT NULL,
            created_at  timestamptz NOT NULL
        );
        CREATE INDEX vae_datasets_by_created ON vae_datasets (created_at DESC, seq DESC);
        """,
        """
        -- The backend a job trains on, and why a queued job waits (it asks for a device no node that took it has).
        ALTER TABLE vae_jobs ADD COLUMN device text NULL, ADD COLUMN waiting text NULL;
        """,
        """
        -- Each time a node started the job (jobs are tried again after transient failures); null in rows from before, read as none.
        ALTER TABLE vae_jobs ADD COLUMN attempts json NULL;
        """,
        """
        -- Model names get versions (1, 2, ... per name): the models already named are numbered in the order they were made.
        ALTER TABLE vae_models ADD COLUMN version integer NULL;
        UPDATE vae_models SET version = numbered.version
        FROM (SELECT id, row_number() OVER (PARTITION BY name ORDER BY created_at, seq) AS version FROM vae_models WHERE name IS NOT NULL) AS numbered
        WHERE vae_models.id = numbered.id;
        CREATE UNIQUE INDEX vae_models_by_name ON vae_models (name, version);
        -- Aliases pin a model id. "default" meant the newest MNIST model before aliases existed; it now names that model until moved.
        CREATE TABLE vae_aliases (
            alias      text        NOT NULL PRIMARY KEY,
            model_id   text        NOT NULL,
            updated_at timestamptz NOT NULL
        );
        INSERT INTO vae_aliases (alias, model_id, updated_at)
        SELECT 'default', id, now() FROM vae_models WHERE dataset = 'mnist' ORDER BY created_at DESC, seq DESC LIMIT 1;
        -- Lists filter jobs and sweeps by name.
        ALTER TABLE vae_sweeps ADD COLUMN name text NULL;
        UPDATE vae_sweeps SET name = sweep ->> 'name';
        CREATE INDEX vae_jobs_by_name ON vae_jobs (name);
        """,
    ];

    /// <summary>The schema version this build writes and understands.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>
    /// Brings the database to <see cref="CurrentVersion"/> (or to <paramref name="upTo"/>, as an earlier
    /// release left it, for the tests of upgrades) in one transaction; returns the migrations applied.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database was migrated by a newer version of the service.</exception>
    public static async Task<int> MigrateAsync(NpgsqlDataSource source, CancellationToken ct, int? upTo = null)
    {
        int target = Math.Min(upTo ?? CurrentVersion, CurrentVersion);
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Released by the commit or the rollback: no node can leave it held by dying mid-migration.
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLock});", ct);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS vae_schema_migrations (
                version    integer     NOT NULL PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """, ct);
        int version;
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM vae_schema_migrations;", connection))
            version = Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
            throw new InvalidOperationException(
                $"The database's schema is at version {version}, newer than the {CurrentVersion} this service knows: a newer release of the service migrated it. Run that release (or a newer one) on every node.");

        for (int next = version + 1; next <= target; next++)
        {
            await ExecuteAsync(connection, Migrations[next - 1], ct);
            await using var record = new NpgsqlCommand("INSERT INTO vae_schema_migrations (version) VALUES ($1);", connection);
            record.Parameters.AddWithValue(next);
            await record.ExecuteNonQueryAsync(ct);
        }
        // The job scheduler's tables of versions before Hangfire: the job records say which jobs are to run, and
        // recovery queues them on Hangfire (whose own schema, "hangfire", Hangfire provisions).
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS qrtz_fired_triggers, qrtz_paused_trigger_grps, qrtz_scheduler_state, qrtz_locks, qrtz_simple_triggers, qrtz_simprop_triggers, qrtz_cron_triggers, qrtz_blob_triggers, qrtz_triggers, qrtz_job_details, qrtz_calendars CASCADE;", ct);
        await transaction.CommitAsync(ct);
        return Math.Max(0, target - version);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
