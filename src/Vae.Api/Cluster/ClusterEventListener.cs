using System.Text.Json;
using Npgsql;
using Vae.Api.Datasets;
using Vae.Api.Jobs;
using Vae.Api.Models;

namespace Vae.Api.Cluster;

/// <summary>
/// Listens for the other nodes' <see cref="ClusterEvent"/>s on one dedicated connection (LISTEN) and
/// acts on them here: stops a job this node trains when another node was asked to cancel it, drops
/// a model another node published or deleted from this node's cache, drops the loaded images and
/// local copy of a dataset another node deleted, and passes another node's job progress to this
/// node's listeners of that job. Also sends this node's own model changes. A lost connection is
/// opened again after a pause that grows to 5 s; events sent
/// meanwhile are lost, which only delays what the database tells every node anyway.
/// </summary>
public sealed class ClusterEventListener : BackgroundService
{
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _source;
    private readonly NodeIdentity _node;
    private readonly JobQueue _queue;
    private readonly ModelCache _cache;
    private readonly JobProgress _progress;
    private readonly JobRecords _records;
    private readonly DatasetCatalog _datasets;
    private readonly IDatasetUploads _uploads;
    private readonly ILogger<ClusterEventListener> _log;

    public ClusterEventListener(
        NpgsqlDataSource source, NodeIdentity node, JobQueue queue, ModelCache cache, ModelStore models, JobProgress progress, JobRecords records,
        DatasetCatalog datasets, IDatasetUploads uploads,
        IClusterEvents events, ILogger<ClusterEventListener> log)
    {
        _source = source;
        _node = node;
        _queue = queue;
        _cache = cache;
        _progress = progress;
        _records = records;
        _datasets = datasets;
        _uploads = uploads;
        _log = log;
        // Only this node's own changes are raised here: those received are applied to the cache directly.
        models.Changed += id => _ = events.PublishAsync(ClusterEvent.ModelChangedType, id, CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Handle(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresClusterEvents.Channel};", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                pause = TimeSpan.FromSeconds(1);
                // Returns after each notification (handled by the event above); a broken connection throws.
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "Listening for the other nodes' events failed; listening again in {Seconds} s", pause.TotalSeconds);
                try { await Task.Delay(pause, stoppingToken); } catch (OperationCanceledException) { return; }
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
    }

    /// <summary>Reads the job's record (the status event only names the job) and passes it to this node's listeners.</summary>
    private async Task DeliverStatusAsync(string jobId)
    {
        try
        {
            if (await _records.GetAsync(jobId, CancellationToken.None) is { } job)
                _progress.Deliver(jobId, JobEvent.Status(job.AsView(_records.Now)));
        }
        catch (Exception ex)
        {
            // The stream re-reads its job now and then, so it still learns how the job ended.
            _log.LogWarning(ex, "The status of job {JobId} could not be read for its listeners", jobId);
        }
    }

    private void Handle(string payload)
    {
        ClusterEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<ClusterEvent>(payload, PostgresClusterEvents.Json);
        }
        catch (JsonException ex)
        {
            _log.LogWarning(ex, "An event from another node could not be read: {Payload}", payload);
            return;
        }
        if (e is null || e.Node == _node.Id) return;
        switch (e.Type)
        {
            case ClusterEvent.JobCancelType:
                _queue.CancelRunning(e.Id);
                break;
            case ClusterEvent.ModelChangedType:
                _cache.Evict(e.Id);
                break;
            case ClusterEvent.JobBatchType or ClusterEvent.JobEpochType:
                // Only jobs somebody follows here are of interest; the rest is dropped unread.
                if (_progress.ListenerCount(e.Id) == 0) return;
                try
                {
                    if (ProgressRelay.ToJobEvent(e) is { } progress) _progress.Deliver(e.Id, progress);
                }
                catch (JsonException ex)
                {
                    _log.LogWarning(ex, "Progress of job {JobId} from node {Node} could not be read", e.Id, e.Node);
                }
                break;
            case ClusterEvent.JobStatusType:
                if (_progress.ListenerCount(e.Id) > 0) _ = DeliverStatusAsync(e.Id);
                break;
            case ClusterEvent.DatasetChangedType:
                _datasets.Forget(e.Id);
                _uploads.ForgetLocalCopy(e.Id);
                break;
            default:
                _log.LogDebug("Event {Type} from node {Node} is not one this node knows", e.Type, e.Node);
                break;
        }
    }
}
