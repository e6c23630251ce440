using System.Text.Json;
using Npgsql;

namespace Vae.Api.Cluster;

/// <summary>
/// Something one node tells the others at once: a cancel asked of a job (the node training it stops
/// after its current batch), a model published or deleted (every node drops what it remembers of
/// it), or an uploaded dataset deleted (every node drops its loaded images and its local copy of the
/// files). Events only hasten what the nodes would learn from the database anyway: a cancel is in the
/// job record, which the training node reads at every progress write, a model record is trusted
/// for a second at most, and a dataset is listed and opened only while its row exists. So an event lost while a node was disconnected costs time, never correctness.
/// </summary>
/// <param name="Type">One of <see cref="JobCancelType"/>, <see cref="ModelChangedType"/>, <see cref="DatasetChangedType"/>.</param>
/// <param name="Id">The job's, the model's or the uploaded dataset's id.</param>
/// <param name="Node">The node that sent it; a node ignores its own.</param>
public sealed record ClusterEvent(string Type, string Id, string Node)
{
    public const string JobCancelType = "jobCancel";
    public const string ModelChangedType = "modelChanged";
    public const string DatasetChangedType = "datasetChanged";
}

/// <summary>Sends <see cref="ClusterEvent"/>s to the other nodes.</summary>
public interface IClusterEvents
{
    /// <summary>Sends the event; failures are logged, not thrown (the database already holds the truth).</summary>
    Task PublishAsync(string type, string id, CancellationToken ct);
}

/// <summary>One node (SQLite): nobody else to tell.</summary>
public sealed class NoClusterEvents : IClusterEvents
{
    public Task PublishAsync(string type, string id, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Events as PostgreSQL notifications on one channel; <see cref="ClusterEventListener"/> receives them.</summary>
public sealed class PostgresClusterEvents(NpgsqlDataSource source, NodeIdentity node, ILogger<PostgresClusterEvents> log) : IClusterEvents
{
    public const string Channel = "vae_events";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task PublishAsync(string type, string id, CancellationToken ct)
    {
        try
        {
            await using var command = source.CreateCommand($"SELECT pg_notify('{Channel}', $1);");
            command.Parameters.AddWithValue(JsonSerializer.Serialize(new ClusterEvent(type, id, node.Id), Json));
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Also while the host stops (the data source gone): the event was a courtesy, never the record of anything.
            log.LogWarning(e, "The other nodes could not be told of {Type} {Id}; they will find it in the database", type, id);
        }
    }
}
