using Vae.Api.Cluster;

namespace Vae.Api.Models;

/// <summary>
/// Tells the other nodes of every model this node publishes or deletes, so they drop it from their
/// caches (<see cref="ModelChangedHandler"/>). Hosted so that it exists, and listens, from the start.
/// </summary>
public sealed class ModelChangePublisher : IHostedService
{
    public ModelChangePublisher(ModelStore models, IClusterEvents events)
    {
        // Only this node's own changes are raised here: those received are applied to the cache directly.
        models.Changed += id => _ = events.PublishAsync(ClusterEvent.ModelChangedType, id, CancellationToken.None);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
