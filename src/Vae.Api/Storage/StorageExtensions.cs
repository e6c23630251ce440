using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Storage;

/// <summary>Where the state lives on disk: the folder, the database file in it, and how to connect to it.</summary>
public sealed record StorageLocation(string Directory, string ConnectionString)
{
    /// <summary>Per-job training checkpoints, one folder per job, removed when the job ends.</summary>
    public string CheckpointsDirectory => Path.Combine(Directory, "checkpoints");

    public static StorageLocation Resolve(StorageOptions options, string contentRoot)
    {
        string directory = Path.GetFullPath(options.Directory, contentRoot);
        System.IO.Directory.CreateDirectory(directory);
        string connection = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? SqliteVaeStore.ConnectionStringFor(Path.Combine(directory, "vae.db"))
            : options.ConnectionString;
        return new StorageLocation(directory, connection);
    }
}

public static class StorageExtensions
{
    private const string PostgresNotYet =
        "Storage:Provider is 'postgres', which this version does not support yet. Set Storage:Provider to 'sqlite' (the default) and Storage:Directory to the state folder.";

    /// <summary>
    /// The job and model store (SQLite file <c>&lt;Storage:Directory&gt;/vae.db</c>, the folder resolved
    /// against the content root and created on demand), its schema created at start.
    /// </summary>
    public static IServiceCollection AddVaeStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => !IsProvider(o, "postgres"), PostgresNotYet)
            .Validate(o => IsProvider(o, "sqlite"), "Storage:Provider must be 'sqlite'.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Directory), "Storage:Directory must name the folder for the database and the model files.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            // Checked here too: a store resolved before the options validation runs must not touch a file.
            if (IsProvider(options, "postgres")) throw new InvalidOperationException(PostgresNotYet);
            return StorageLocation.Resolve(options, sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
        });
        services.TryAddSingleton<IVaeStore>(sp => new SqliteVaeStore(sp.GetRequiredService<StorageLocation>().ConnectionString));
        // Registered before the scheduler's hosted service, so the file is in WAL mode and the tables exist before anything runs.
        services.AddHostedService<StoreInitializer>();
        return services;
    }

    private static bool IsProvider(StorageOptions o, string name) => string.Equals(o.Provider?.Trim(), name, StringComparison.OrdinalIgnoreCase);

    private sealed class StoreInitializer(IVaeStore store, StorageLocation location, ILogger<StoreInitializer> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await store.InitializeAsync(cancellationToken);
            log.LogInformation("State in {Directory}", location.Directory);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
