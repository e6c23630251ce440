using System.Text.Json;
using Vae.Api.Storage;

namespace Vae.Api.Cluster;

/// <summary>
/// Something one node tells the others at once: a cancel asked of a job (the node training it stops
/// after its current batch), a model published or deleted (every node drops what it remembers of
/// it), an uploaded dataset deleted (every node drops its loaded images and its local copy of the
/// files), or a job's progress (so its event stream can be followed on any node). Events only hasten
/// what the nodes would learn from the database anyway: a cancel is in the job record, which the
/// training node reads at every progress write, a model record is trusted for a second at most, a
/// dataset is listed and opened only while its row exists, and an event stream re-reads its job now
/// and then. So an event lost while a node was disconnected costs time, never correctness.
/// </summary>
/// <param name="Type">One of the *Type constants.</param>
/// <param name="Id">The job's, the model's or the uploaded dataset's id.</param>
/// <param name="Node">The node that sent it; a node ignores its own.</param>
/// <param name="Data">The event's payload, for progress events (a batch's or an epoch's view).</param>
public sealed record ClusterEvent(string Type, string Id, string Node, JsonElement? Data = null)
{
    public const string JobCancelType = "jobCancel";
    public const string ModelChangedType = "modelChanged";
    public const string DatasetChangedType = "datasetChanged";
    /// <summary>A batch of a job trained (Data: its view); sent at most a few times a second per job.</summary>
    public const string JobBatchType = "jobBatch";
    /// <summary>An epoch of a job ended (Data: its view).</summary>
    public const string JobEpochType = "jobEpoch";
    /// <summary>A job's status changed; the receiver reads the record (it may be larger than a notification may carry).</summary>
    public const string JobStatusType = "jobStatus";

    /// <summary>How an event is written on the channel between the nodes.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>Sends <see cref="ClusterEvent"/>s to the other nodes.</summary>
public interface IClusterEvents
{
    /// <summary>Sends the event; failures are logged, not thrown (the database already holds the truth).</summary>
    Task PublishAsync(string type, string id, CancellationToken ct, JsonElement? data = null);
}

/// <summary>One node (SQLite): nobody else to tell.</summary>
public sealed class NoClusterEvents : IClusterEvents
{
    public Task PublishAsync(string type, string id, CancellationToken ct, JsonElement? data = null) => Task.CompletedTask;
}

/// <summary>Events as JSON messages on the channel between the nodes; <see cref="ClusterEventListener"/> receives them.</summary>
public sealed class ChannelClusterEvents(IClusterChannel channel, NodeIdentity node, ILogger<ChannelClusterEvents> log) : IClusterEvents
{
    public async Task PublishAsync(string type, string id, CancellationToken ct, JsonElement? data = null)
    {
        try
        {
            await channel.PublishAsync(JsonSerializer.Serialize(new ClusterEvent(type, id, node.Id, data), ClusterEvent.Json), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Also while the host stops (the data source gone): the event was a courtesy, never the record of anything.
            log.LogWarning(e, "The other nodes could not be told of {Type} {Id}; they will find it in the database", type, id);
        }
    }
}
