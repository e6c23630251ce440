using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Cluster;

/// <summary>
/// This process as a node among several on one database: its name, written into the records of the
/// jobs it trains and shown by GET /health, so one can tell which node did what.
/// </summary>
public sealed class NodeIdentity(IOptions<ClusterOptions> options)
{
    public const int MaxLength = 100;

    public string Id { get; } = string.IsNullOrWhiteSpace(options.Value.NodeId) ? DefaultId : options.Value.NodeId.Trim();

    /// <summary>The machine name and the process id: distinct for every process on a network of machines with distinct names.</summary>
    public static string DefaultId => $"{Environment.MachineName}-{Environment.ProcessId}";
}

public static class ClusterExtensions
{
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.Section))
            .Validate(o => o.NodeId is null || (o.NodeId.Trim().Length is > 0 and <= NodeIdentity.MaxLength && !o.NodeId.Any(char.IsControl)),
                $"Cluster:NodeId must be 1 to {NodeIdentity.MaxLength} printable characters, or left out for the machine name and process id.")
            .Validate(o => o.JobPollSeconds is >= 1 and <= 300, "Cluster:JobPollSeconds must be between 1 and 300.")
            .Validate(o => o.CheckinSeconds is >= 1 and <= 300, "Cluster:CheckinSeconds must be between 1 and 300.")
            .ValidateOnStart();
        services.AddSingleton<NodeIdentity>();
        // With PostgreSQL the nodes tell each other of cancels and model changes as they happen.
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (StorageExtensions.ProviderOf(storage) == StorageProvider.Postgres)
        {
            services.AddSingleton<IClusterEvents, ChannelClusterEvents>();
            services.AddHostedService<ClusterEventListener>();
            services.AddHostedService<ProgressRelay>();
        }
        else
        {
            services.AddSingleton<IClusterEvents, NoClusterEvents>();
        }
        return services;
    }
}
