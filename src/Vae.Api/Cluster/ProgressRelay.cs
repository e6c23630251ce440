using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Vae.Api.Jobs;

namespace Vae.Api.Cluster;

/// <summary>
/// Passes the progress of the jobs this node trains to the other nodes, so that a job's event stream
/// can be followed on any node: batches (at most every <c>Cluster:BatchRelaySeconds</c> per job), epochs
/// and changes of status, as <see cref="ClusterEvent"/>s. Sending is in order, from one loop, off the
/// training thread: the training loop only drops the event into a bounded queue, and when the
/// database is slow the oldest waiting events give way.
/// </summary>
public sealed class ProgressRelay : BackgroundService
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly Channel<(string Type, string JobId, JsonElement? Data)> _queue =
        Channel.CreateBounded<(string, string, JsonElement?)>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly ConcurrentDictionary<string, long> _lastBatch = new(StringComparer.Ordinal);
    private readonly IClusterEvents _events;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _batchInterval;

    public ProgressRelay(JobProgress progress, IClusterEvents events, TimeProvider clock, Microsoft.Extensions.Options.IOptions<ClusterOptions> options)
    {
        _events = events;
        _clock = clock;
        _batchInterval = TimeSpan.FromSeconds(Math.Max(0, options.Value.BatchRelaySeconds));
        progress.Published += OnPublished;
    }

    private void OnPublished(string jobId, JobEvent e)
    {
        switch (e.Type)
        {
            case JobEvent.BatchType:
                long now = _clock.GetTimestamp();
                long last = _lastBatch.GetValueOrDefault(jobId);
                if (last != 0 && _clock.GetElapsedTime(last, now) < _batchInterval) return;
                _lastBatch[jobId] = now;
                _queue.Writer.TryWrite((ClusterEvent.JobBatchType, jobId, JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), Json)));
                break;
            case JobEvent.EpochType:
                _queue.Writer.TryWrite((ClusterEvent.JobEpochType, jobId, JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), Json)));
                break;
            case JobEvent.StatusType:
                if (e.IsFinal) _lastBatch.TryRemove(jobId, out _);
                _queue.Writer.TryWrite((ClusterEvent.JobStatusType, jobId, null));
                break;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (type, jobId, data) in _queue.Reader.ReadAllAsync(stoppingToken))
                await _events.PublishAsync(type, jobId, stoppingToken, data);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A received progress event as this node's listeners get it; null when it is not one (or cannot be read).</summary>
    internal static JobEvent? ToJobEvent(ClusterEvent e) => (e.Type, e.Data) switch
    {
        (ClusterEvent.JobBatchType, { } d) => d.Deserialize<BatchProgressView>(Json) is { } b ? JobEvent.Batch(b) : null,
        (ClusterEvent.JobEpochType, { } d) => d.Deserialize<EpochProgressView>(Json) is { } m ? JobEvent.Epoch(m) : null,
        _ => null,
    };
}
