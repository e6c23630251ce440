using Vae.Api.Cluster;

namespace Vae.Api.Models;

/// <summary>
/// Drops a model another node published or deleted from this node's cache, and what references
/// resolved to (an alias another node set or deleted arrives as its name, which names no loaded model).
/// </summary>
public sealed class ModelChangedHandler(ModelCache cache) : IClusterEventHandler
{
    public IReadOnlyCollection<string> Types { get; } = [ClusterEvent.ModelChangedType];

    public Task HandleAsync(ClusterEvent e, CancellationToken ct)
    {
        cache.Evict(e.Id);
        return Task.CompletedTask;
    }
}
