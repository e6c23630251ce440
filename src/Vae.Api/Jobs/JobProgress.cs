using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>One thing that happened to a job, as sent over SSE: the event name and its JSON payload.</summary>
public sealed record JobEvent(string Type, object Data)
{
    public const string BatchType = "batch";
    public const string EpochType = "epoch";
    public const string StatusType = "status";

    /// <summary>For a status event, the version of the job record it shows (see <see cref="JobEventId"/>).</summary>
    public long Version { get; init; }

    public static JobEvent Batch(BatchProgressView view) => new(BatchType, view);
    public static JobEvent Epoch(EpochProgressView view) => new(EpochType, view);
    public static JobEvent Status(JobView view, long version) => new(StatusType, view) { Version = version };

    /// <summary>The job is over: nothing follows this event.</summary>
    public bool IsFinal => Data is JobView { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled };
}

/// <summary>
/// Fans a job's progress out to any number of listeners. Publishing never waits: each listener has
/// its own queue, and a listener that falls behind loses its oldest batch events (a newer one says
/// more), never an epoch or a status. Only jobs in progress are tracked: a listener's first event is
/// the job as stored (see the events endpoint), and once the final status is published the listeners
/// are completed and the job is forgotten here.
/// </summary>
public sealed class JobProgress
{
    /// <summary>Batch events a slow listener may have waiting before the oldest is dropped.</summary>
    public const int BatchBacklog = 64;

    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    public JobSubscription Subscribe(string jobId)
    {
        while (true)
        {
            var topic = _topics.GetOrAdd(jobId, _ => new Topic());
            var subscription = new JobSubscription(topic);
            if (topic.Add(subscription)) return subscription;
            // The topic closed between the lookup and the add; the next lookup makes a fresh one.
            _topics.TryRemove(new KeyValuePair<string, Topic>(jobId, topic));
        }
    }

    /// <summary>Listeners a job has now (0 when nobody listens or the job is not tracked).</summary>
    public int ListenerCount(string jobId) => _topics.TryGetValue(jobId, out var topic) ? topic.Count : 0;

    /// <summary>
    /// The newest batch of the job this node has heard of: every batch of a job trained here, and
    /// those relayed from another node while somebody here listens. Null when it has heard none
    /// since the job's status last changed to running here.
    /// </summary>
    public BatchProgressView? LatestBatch(string jobId) => _topics.TryGetValue(jobId, out var topic) ? topic.LatestBatch : null;

    /// <summary>Raised with every event published on this node (not those delivered from other nodes), so a relay can pass it on.</summary>
    public event Action<string, JobEvent>? Published;

    /// <summary>An event of a job trained or changed on this node: to this node's listeners, and to <see cref="Published"/>.</summary>
    public void Publish(string jobId, JobEvent e)
    {
        Deliver(jobId, e);
        Published?.Invoke(jobId, e);
    }

    /// <summary>An event to this node's listeners only: one received from another node.</summary>
    public void Deliver(string jobId, JobEvent e)
    {
        if (e.Type == JobEvent.StatusType)
        {
            var topic = _topics.GetOrAdd(jobId, _ => new Topic());
            topic.Post(e);
            if (e.IsFinal) _topics.TryRemove(new KeyValuePair<string, Topic>(jobId, topic));
        }
        else if (_topics.TryGetValue(jobId, out var topic))
        {
            topic.Post(e);
        }
    }

    internal sealed class Topic
    {
        private readonly Lock _gate = new();
        private readonly List<JobSubscription> _subscribers = [];
        private bool _closed;
        private BatchProgressView? _latest;

        public BatchProgressView? LatestBatch
        {
            get { lock (_gate) return _latest; }
        }

        public int Count
        {
            get { lock (_gate) return _subscribers.Count; }
        }

        public bool Add(JobSubscription s)
        {
            lock (_gate)
            {
                if (_closed) return false;
                _subscribers.Add(s);
                return true;
            }
        }

        public void Remove(JobSubscription s)
        {
            lock (_gate) _subscribers.Remove(s);
        }

        public void Post(JobEvent e)
        {
            JobSubscription[] targets;
            lock (_gate)
            {
                if (_closed) return;
                if (e.IsFinal) _closed = true;
                if (e.Data is BatchProgressView b) _latest = b;
                targets = [.. _subscribers];
            }
            foreach (var s in targets) s.Enqueue(e);
        }
    }
}

/// <summary>One listener's queue of a job's events; dispose it to stop listening.</summary>
public sealed class JobSubscription : IDisposable
{
    private readonly JobProgress.Topic _topic;
    private readonly Lock _gate = new();
    private readonly LinkedList<JobEvent> _queue = new();
    private int _batches;
    private bool _completed;
    private TaskCompletionSource? _signal;

    internal JobSubscription(JobProgress.Topic topic) => _topic = topic;

    internal void Enqueue(JobEvent e)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_completed) return;
            if (e.Type == JobEvent.BatchType)
            {
                if (_batches == JobProgress.BatchBacklog) RemoveOldestBatch();
                _batches++;
            }
            _queue.AddLast(e);
            if (e.IsFinal) _completed = true;
            wake = _signal;
            _signal = null;
        }
        wake?.TrySetResult();
    }

    /// <summary>
    /// The next event, if one is waiting; <paramref name="ended"/> says whether none will ever come
    /// again (the final status was read, or the listener stopped).
    /// </summary>
    public bool TryRead(out JobEvent? next, out bool ended)
    {
        lock (_gate)
        {
            if (_queue.First is { } first)
            {
                _queue.RemoveFirst();
                if (first.Value.Type == JobEvent.BatchType) _batches--;
                next = first.Value;
                ended = false;
                return true;
            }
            next = null;
            ended = _completed;
            return false;
        }
    }

    /// <summary>Completes once an event is waiting or none will come (without taking it).</summary>
    public Task WaitAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_queue.First is not null || _completed) return Task.CompletedTask;
            _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _signal.Task.WaitAsync(ct);
        }
    }

    /// <summary>Events in order until the job's final status (included) or cancellation.</summary>
    public async IAsyncEnumerable<JobEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        while (true)
        {
            JobEvent? next = null;
            Task? wait = null;
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _queue.RemoveFirst();
                    if (first.Value.Type == JobEvent.BatchType) _batches--;
                    next = first.Value;
                }
                else if (!_completed)
                {
                    _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _signal.Task;
                }
            }
            if (next is not null)
            {
                yield return next;
                if (next.IsFinal) yield break;
            }
            else if (wait is not null) await wait.WaitAsync(ct);
            else yield break;
        }
    }

    public void Dispose()
    {
        _topic.Remove(this);
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _completed = true;
            _queue.Clear();
            wake = _signal;
            _signal = null;
        }
        wake?.TrySetResult();
    }

    private void RemoveOldestBatch()
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (node.Value.Type != JobEvent.BatchType) continue;
            _queue.Remove(node);
            _batches--;
            return;
        }
    }
}
