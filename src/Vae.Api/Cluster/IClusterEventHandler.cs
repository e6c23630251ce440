namespace Vae.Api.Cluster;

/// <summary>
/// Acts on this node when another node sends a <see cref="ClusterEvent"/> of one of its
/// <see cref="Types"/>. Each resource registers its own (services.AddSingleton&lt;IClusterEventHandler, ...&gt;()),
/// and <see cref="ClusterEventListener"/> hands every event to the handlers of its type.
/// </summary>
public interface IClusterEventHandler
{
    /// <summary>The <see cref="ClusterEvent"/>.*Type values this handler acts on.</summary>
    IReadOnlyCollection<string> Types { get; }

    /// <summary>
    /// Acts on an event another node sent. Called in the order events arrive; the listener does not
    /// wait for the returned task, so work that waits (a database read) holds up no later event.
    /// </summary>
    Task HandleAsync(ClusterEvent e, CancellationToken ct);
}
