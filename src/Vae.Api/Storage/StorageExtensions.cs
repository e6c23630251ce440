using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Vae.Api.Infrastructure;
using Vae.Api.Storage.Postgres;

namespace Vae.Api.Storage;

/// <summary>Where records and blobs are kept: SQLite and the state folder (the embedded default), or one PostgreSQL database shared by several nodes.</summary>
public enum StorageProvider { Sqlite, Postgres }

/// <summary>
/// Where the state lives: the provider, the local state folder, and the connection string of the
/// database (the SQLite file in that folder, or the PostgreSQL database). With PostgreSQL the folder
/// only holds what is local to this node: the checkpoint a job is writing before it is copied to the database.
/// </summary>
public sealed record StorageLocation(StorageProvider Provider, string Directory, string ConnectionString)
{
    /// <summary>Per-job training checkpoints, one folder per job, removed when the job ends.</summary>
    public string CheckpointsDirectory => Path.Combine(Directory, "checkpoints");

    public static StorageLocation Resolve(StorageOptions options, string contentRoot)
    {
        string directory = Path.GetFullPath(options.Directory, contentRoot);
        System.IO.Directory.CreateDirectory(directory);
        if (StorageExtensions.ProviderOf(options) == StorageProvider.Postgres)
            return new StorageLocation(StorageProvider.Postgres, directory, options.ConnectionString!.Trim());
        string connection = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? SqliteVaeStore.ConnectionStringFor(Path.Combine(directory, "vae.db"))
            : options.ConnectionString;
        return new StorageLocation(StorageProvider.Sqlite, directory, connection);
    }

    /// <summary>Where a PostgreSQL connection string points, without its password, for messages.</summary>
    public static string Describe(string postgresConnectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(postgresConnectionString);
            return $"PostgreSQL database '{b.Database}' on {b.Host}:{b.Port} as '{b.Username}'";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }
    }
}

public static class StorageExtensions
{
    /// <summary>
    /// The job and model store and the blob store: SQLite file <c>&lt;Storage:Directory&gt;/vae.db</c> and
    /// files under that folder by default (resolved against the content root, created on demand), or
    /// PostgreSQL (Storage:Provider = postgres, Storage:ConnectionString) for several nodes. The schema
    /// is created or migrated at start.
    /// </summary>
    public static IServiceCollection AddVaeStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => ProviderOf(o) is not null, "Storage:Provider must be 'sqlite' (the default: one node, state in Storage:Directory) or 'postgres' (several nodes on one database).")
            .Validate(o => o.StartupWaitSeconds is >= 0 and <= 3600, "Storage:StartupWaitSeconds must be between 0 and 3600.")
            .Validate(o => o.OutageWaitSeconds is >= 0 and <= 86_400, "Storage:OutageWaitSeconds must be between 0 and 86400.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Directory), "Storage:Directory must name the folder for the state (with SQLite: the database and the model files; with PostgreSQL: checkpoints being written).")
            .Validate(o => ProviderOf(o) != StorageProvider.Postgres || PostgresConnectionProblem(o.ConnectionString) is null,
                "Storage:ConnectionString must be an Npgsql connection string naming Host and Database (e.g. Host=db;Port=5432;Database=vae;Username=vae;Password=...) when Storage:Provider is 'postgres'. scripts/postgres-dev.sh start prints one for a local throwaway server.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            // Checked here too: a store resolved before the options validation runs must not touch anything.
            if (ProviderOf(options) is null) throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not 'sqlite' or 'postgres'.");
            if (ProviderOf(options) == StorageProvider.Postgres && PostgresConnectionProblem(options.ConnectionString) is { } problem)
                throw new InvalidOperationException($"Storage:ConnectionString is not usable with Storage:Provider 'postgres': {problem}");
            return StorageLocation.Resolve(options, sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
        });
        // One pool of connections per process, shared by the records, the blobs and the scheduler.
        services.TryAddSingleton(sp =>
        {
            var location = sp.GetRequiredService<StorageLocation>();
            if (location.Provider != StorageProvider.Postgres) throw new InvalidOperationException("There is no PostgreSQL data source: Storage:Provider is 'sqlite'.");
            var builder = new NpgsqlDataSourceBuilder(location.ConnectionString) { Name = "vae" };
            // A connection that only waits (the cluster events' LISTEN) learns that the server is gone
            // only by sending something: a keepalive query after this many idle seconds, unless set.
            if (builder.ConnectionStringBuilder.KeepAlive == 0) builder.ConnectionStringBuilder.KeepAlive = 30;
            return builder.Build();
        });
        services.TryAddSingleton<IVaeStore>(sp =>
        {
            var location = sp.GetRequiredService<StorageLocation>();
            return location.Provider == StorageProvider.Postgres
                ? new PostgresVaeStore(sp.GetRequiredService<NpgsqlDataSource>())
                : new SqliteVaeStore(location.ConnectionString);
        });
        services.TryAddSingleton<IBlobStore>(sp =>
        {
            var location = sp.GetRequiredService<StorageLocation>();
            return location.Provider == StorageProvider.Postgres
                ? new PostgresBlobStore(sp.GetRequiredService<NpgsqlDataSource>())
                : new FileBlobStore(location.Directory);
        });
        // Work that must not overlap on any node takes this lock: an advisory lock on the shared database, or this process's own with SQLite.
        services.TryAddSingleton<IClusterLock>(sp => sp.GetRequiredService<StorageLocation>().Provider == StorageProvider.Postgres
            ? new PostgresClusterLock(sp.GetRequiredService<NpgsqlDataSource>())
            : new InProcessClusterLock());
        // Only several nodes need to tell each other anything; one node (SQLite) has nobody to tell.
        services.TryAddSingleton<IClusterChannel>(sp =>
        {
            if (sp.GetRequiredService<StorageLocation>().Provider != StorageProvider.Postgres)
                throw new InvalidOperationException("There is no channel between nodes: Storage:Provider is 'sqlite' (one node).");
            return ActivatorUtilities.CreateInstance<PostgresClusterChannel>(sp);
        });
        // Registered before the scheduler's hosted service, so the tables exist (and a SQLite file is in WAL mode) before anything runs.
        services.AddHostedService<StoreInitializer>();
        return services;
    }

    /// <summary>The provider Storage:Provider names (case and spaces ignored); null for anything else.</summary>
    public static StorageProvider? ProviderOf(StorageOptions o) => o.Provider?.Trim().ToLowerInvariant() switch
    {
        "sqlite" => StorageProvider.Sqlite,
        "postgres" or "postgresql" => StorageProvider.Postgres,
        _ => null,
    };

    private static string? PostgresConnectionProblem(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return "it is empty.";
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(b.Host)) return "it names no Host.";
            if (string.IsNullOrWhiteSpace(b.Database)) return "it names no Database.";
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private sealed class StoreInitializer(IVaeStore store, StorageLocation location, IOptions<StorageOptions> options, ILogger<StoreInitializer> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (location.Provider == StorageProvider.Sqlite)
            {
                await store.InitializeAsync(cancellationToken);
                log.LogInformation("State in {Directory}", location.Directory);
                return;
            }
            string where = StorageLocation.Describe(location.ConnectionString);
            // The database may still be starting (a compose file starts both at once): wait for it a while.
            double wait = Math.Max(0, options.Value.StartupWaitSeconds);
            try
            {
                await StoreFaults.RetryWhileUnavailableAsync(() => store.InitializeAsync(cancellationToken), TimeSpan.FromSeconds(wait), log,
                    $"this node starts ({where})", cancellationToken);
            }
            catch (NpgsqlException e)
            {
                string waited = StoreFaults.IsUnavailable(e) ? $" after waiting {wait:0.#} s (Storage:StartupWaitSeconds)" : "";
                throw new InvalidOperationException($"The {where} (Storage:ConnectionString) could not be used{waited}: {e.Message}", e);
            }
            log.LogInformation("State in the {Database}; local checkpoints in {Directory}", where, location.Directory);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
