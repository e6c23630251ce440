using Vae.Api.Cluster;

namespace Vae.Api.Jobs;

public static class JobClusterEvents
{
    /// <summary>What this node does with the other nodes' job events: cancels, and progress for this node's listeners.</summary>
    public static IServiceCollection AddJobClusterEvents(this IServiceCollection services)
    {
        services.AddSingleton<IClusterEventHandler, JobCancelHandler>();
        services.AddSingleton<IClusterEventHandler, JobProgressHandler>();
        return services;
    }
}
