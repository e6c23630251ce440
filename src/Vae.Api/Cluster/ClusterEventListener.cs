using System.Text.Json;
using Vae.Api.Storage;

namespace Vae.Api.Cluster;

/// <summary>
/// Listens for the other nodes' <see cref="ClusterEvent"/>s on the channel between the nodes and
/// hands each to the <see cref="IClusterEventHandler"/>s registered for its type: the resources
/// act on them themselves (a cancel, a model or dataset to forget, a job's progress). The channel
/// opens a lost connection again; events sent meanwhile are lost, which only delays what the
/// database tells every node anyway.
/// </summary>
public sealed class ClusterEventListener : BackgroundService
{
    private readonly IClusterChannel _channel;
    private readonly NodeIdentity _node;
    private readonly ILookup<string, IClusterEventHandler> _handlers;
    private readonly ILogger<ClusterEventListener> _log;
    private CancellationToken _stopping;

    public ClusterEventListener(IClusterChannel channel, NodeIdentity node, IEnumerable<IClusterEventHandler> handlers, ILogger<ClusterEventListener> log)
    {
        _channel = channel;
        _node = node;
        _handlers = handlers.SelectMany(h => h.Types.Distinct(StringComparer.Ordinal).Select(type => (type, h)))
            .ToLookup(p => p.type, p => p.h, StringComparer.Ordinal);
        _log = log;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        return _channel.ListenAsync(Handle, stoppingToken);
    }

    private void Handle(string payload)
    {
        ClusterEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<ClusterEvent>(payload, ClusterEvent.Json);
        }
        catch (JsonException ex)
        {
            _log.LogWarning(ex, "An event from another node could not be read: {Payload}", payload);
            return;
        }
        if (e is null || e.Node == _node.Id) return;
        if (!_handlers.Contains(e.Type))
        {
            _log.LogDebug("Event {Type} from node {Node} is not one this node knows", e.Type, e.Node);
            return;
        }
        foreach (var handler in _handlers[e.Type]) _ = RunAsync(handler, e);
    }

    /// <summary>Runs one handler; what it throws is logged, so neither the other handlers nor the listening stop.</summary>
    private async Task RunAsync(IClusterEventHandler handler, ClusterEvent e)
    {
        try
        {
            await handler.HandleAsync(e, _stopping);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "Event {Type} for {Id} from node {Node} could not be acted on", e.Type, e.Id, e.Node);
        }
    }
}
