using System.ComponentModel;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Mvc;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>Where a client's event stream starts: after the last event it saw, if it says.</summary>
public sealed record JobEventsQuery(
    [property: FromHeader(Name = "Last-Event-ID"), Description("The id of the last event the client saw (EventSource sends it when it connects again): the stream resumes after it, on any node.")]
    string? LastEventIdHeader = null,
    [property: FromQuery(Name = "lastEventId"), Description("The same as the Last-Event-ID header, for clients that cannot set headers; the header wins when both are given.")]
    string? LastEventId = null)
{
    /// <summary>The id the client sent, if any.</summary>
    public string? Given => !string.IsNullOrWhiteSpace(LastEventIdHeader) ? LastEventIdHeader : string.IsNullOrWhiteSpace(LastEventId) ? null : LastEventId;
}

/// <summary>How a stream paces itself: see Jobs:EventBatchIntervalSeconds and Jobs:EventRetrySeconds.</summary>
public sealed record JobEventPacing(TimeSpan BatchInterval, TimeSpan Retry, TimeSpan RecheckInterval);

/// <summary>
/// One client's stream of a job's events (GET /api/jobs/{id}/events). Every event carries an id
/// (see <see cref="JobEventId"/>) that only grows; the first carries the retry interval too.
/// A new stream opens with the job's status as stored, its progress brought up to the newest batch
/// this node has heard of, so that it agrees with the batches after it. A stream resumed from an
/// id sends the epochs the client missed (from the record), the status if the record changed since,
/// then carries on. Batches are coalesced: at most one per <see cref="JobEventPacing.BatchInterval"/>,
/// the newest, and none that an epoch or a status already covers; epochs and statuses are never
/// held back. The job is read again now and then, in case the event of its end was lost (sent by
/// another node while this one was disconnected). The stream ends after the final status.
/// </summary>
public sealed class JobEventStream
{
    private readonly JobRecord _job;
    private readonly JobSubscription _subscription;
    private readonly JobEventId? _resumeFrom;
    private readonly Func<CancellationToken, Task<JobRecord?>> _reread;
    private readonly TimeProvider _clock;
    private readonly JobEventPacing _pacing;

    private JobEventId _cursor;
    private BatchProgressView? _latest;
    private BatchProgressView? _pending;
    private long? _lastBatchAt;
    private bool _first = true;
    private bool _ended;

    /// <param name="job">The job as read after <paramref name="subscription"/> began, so nothing after the read is missed.</param>
    /// <param name="resumeFrom">The id the client last saw; null for a new stream. An id that cannot be of this job (ahead of its record) is ignored.</param>
    /// <param name="latest">The newest batch this node has heard of (see <see cref="JobProgress.LatestBatch"/>).</param>
    /// <param name="reread">Reads the job again (null: it was deleted).</param>
    public JobEventStream(JobRecord job, JobSubscription subscription, JobEventId? resumeFrom, BatchProgressView? latest,
        Func<CancellationToken, Task<JobRecord?>> reread, TimeProvider clock, JobEventPacing pacing)
    {
        _job = job;
        _subscription = subscription;
        _resumeFrom = resumeFrom is { } from && Fits(from, job) ? from : null;
        _latest = latest;
        _reread = reread;
        _clock = clock;
        _pacing = pacing;
    }

    /// <summary>
    /// Whether the client has all there is: it resumes a job that has ended, and saw its final
    /// status. Answer 204 then, which tells an EventSource to stop connecting again.
    /// </summary>
    public bool IsComplete => _job.IsFinished && _resumeFrom is { } from && from.Version >= _job.Version;

    public async IAsyncEnumerable<SseItem<object>> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        using (_subscription)
        {
            foreach (var item in Opening()) yield return item;
            long nextRecheck = _clock.GetTimestamp();
            while (!_ended)
            {
                bool over = false;
                while (!_ended && _subscription.TryRead(out var e, out over))
                    foreach (var item in Handle(e!)) yield return item;
                if (_ended || over) yield break;

                if (_pending is { } due && BatchSlotOpen()) { foreach (var item in SendBatch(due)) yield return item; continue; }

                if (_clock.GetElapsedTime(nextRecheck) >= _pacing.RecheckInterval)
                {
                    nextRecheck = _clock.GetTimestamp();
                    var (gone, ended) = await RereadAsync(ct);
                    if (gone) yield break;
                    if (ended is not null) foreach (var item in Handle(ended)) yield return item;
                    continue;
                }

                // Wait for an event, the pending batch's slot or the next re-read, whichever comes first.
                var wake = _pacing.RecheckInterval - _clock.GetElapsedTime(nextRecheck);
                if (_pending is not null) wake = TimeSpan.FromTicks(Math.Min(wake.Ticks, (_pacing.BatchInterval - _clock.GetElapsedTime(_lastBatchAt!.Value)).Ticks));
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var arrival = _subscription.WaitAsync(timer.Token);
                if (wake > TimeSpan.Zero) await Task.WhenAny(arrival, Task.Delay(wake, _clock, timer.Token));
                timer.Cancel();
                ct.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>What a new stream starts with (the status), or a resumed one (the missed epochs, then the status if it changed).</summary>
    private List<SseItem<object>> Opening()
    {
        var items = new List<SseItem<object>>();
        var view = _job.AsView(_clock.GetUtcNow());
        if (_resumeFrom is { } from)
        {
            _cursor = from;
            int attempt = _job.Attempts.Count;
            foreach (var m in _job.Epochs.Where(m => m.Epoch > from.Epochs))
            {
                var epoch = new EpochProgressView(_job.Id, m.Epoch, view.TotalEpochs, m.Train.AsView(), m.Test.AsView(), m.Seconds, null, attempt);
                var id = JobEventId.Of(epoch, _cursor.Version);
                if (id.IsAfter(_cursor)) items.Add(Send(epoch, JobEvent.EpochType, id));
            }
            if (_job.Version > from.Version) items.AddRange(SendStatus(view, _job.Version));
        }
        else items.AddRange(SendStatus(view, _job.Version));
        return items;
    }

    private List<SseItem<object>> Handle(JobEvent e) => e.Data switch
    {
        BatchProgressView b => OnBatch(b),
        EpochProgressView m => OnEpoch(m),
        JobView view when e.Version > _cursor.Version => SendStatus(view, e.Version),
        _ => [],
    };

    private List<SseItem<object>> OnBatch(BatchProgressView b)
    {
        var id = JobEventId.Of(b, _cursor.Version);
        // Covered already: by the status the stream opened with, an epoch, or a newer batch.
        if (!id.IsAfter(_cursor) || (_pending is { } waiting && !id.IsAfter(JobEventId.Of(waiting, 0)))) return [];
        if (BatchSlotOpen()) return SendBatch(b);
        _pending = b;
        return [];
    }

    private List<SseItem<object>> OnEpoch(EpochProgressView m)
    {
        var id = JobEventId.Of(m, _cursor.Version);
        if (!id.IsAfter(_cursor)) return [];
        // The epoch covers every batch before it: one still waiting for its slot says nothing more.
        if (_pending is { } waiting && !JobEventId.Of(waiting, 0).IsAfter(id)) _pending = null;
        return [Send(m, JobEvent.EpochType, id)];
    }

    private List<SseItem<object>> SendBatch(BatchProgressView b)
    {
        _pending = null;
        _latest = b;
        _lastBatchAt = _clock.GetTimestamp();
        var id = JobEventId.Of(b, _cursor.Version);
        return id.IsAfter(_cursor) ? [Send(b, JobEvent.BatchType, id)] : [];
    }

    /// <summary>A status, its progress brought up to the newest batch known; a batch it covers is not sent after it.</summary>
    private List<SseItem<object>> SendStatus(JobView view, long version)
    {
        var newest = _pending ?? _latest;
        var current = view.WithLatestBatch(newest, _clock.GetUtcNow());
        var id = JobEventId.Of(current, version).Max(_cursor);
        if (_pending is { } waiting && !JobEventId.Of(waiting, 0).IsAfter(id)) _pending = null;
        if (current.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled) _ended = true;
        return [Send(current, JobEvent.StatusType, id)];
    }

    private SseItem<object> Send(object data, string type, JobEventId id)
    {
        _cursor = id;
        var item = new SseItem<object>(data, type) { EventId = id.ToString(), ReconnectionInterval = _first ? _pacing.Retry : null };
        _first = false;
        return item;
    }

    private bool BatchSlotOpen() => _lastBatchAt is not { } last || _clock.GetElapsedTime(last) >= _pacing.BatchInterval;

    /// <summary>The job read again: gone (deleted), or its final status when it has ended; the database being away is tried again next time.</summary>
    private async Task<(bool Gone, JobEvent? Ended)> RereadAsync(CancellationToken ct)
    {
        JobRecord? job;
        try { job = await _reread(ct); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested) { return (false, null); }
        if (job is null) return (true, null);
        return (false, job.IsFinished ? JobEvent.Status(job.AsView(_clock.GetUtcNow()), job.Version) : null);
    }

    /// <summary>Whether an id can be of this job: not ahead of its record.</summary>
    private static bool Fits(JobEventId id, JobRecord job)
        => id.Version <= job.Version && id.Attempt <= job.Attempts.Count && (id.Attempt < job.Attempts.Count || id.Epochs <= job.Epochs.Count);
}
