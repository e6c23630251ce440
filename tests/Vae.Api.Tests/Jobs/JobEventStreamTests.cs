using System.Net.ServerSentEvents;
using Microsoft.Extensions.Time.Testing;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Training;

namespace Vae.Api.Tests.Jobs;

/// <summary>
/// One client's event stream, without a host, on a fake clock: ids, coalescing, resuming, and the
/// first status. A stream's MoveNextAsync runs until it waits (for an event or the clock), so what
/// was published before the call is handled by the time it returns.
/// </summary>
public sealed class JobEventStreamTests
{
    private static readonly JobEventPacing Pacing = new(TimeSpan.FromSeconds(0.25), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10));
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly JobProgress _progress = new();

    /// <summary>A job running its first attempt, with <paramref name="epochs"/> epochs recorded.</summary>
    private static JobRecord Running(int epochs = 0, long version = 5, JobProgressRecord? progress = null) => new()
    {
        Id = "j1", Status = JobStatus.Running, Request = new TrainingRequest { Epochs = 3 }, CreatedAt = T0, StartedAt = T0, Version = version,
        Attempts = [new JobAttempt(1, "node-a", T0)],
        Epochs = [.. Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e, new LossSummary(100 - e, 90, 10), new LossSummary(101 - e, 91, 10), 1.5))],
        Progress = progress,
    };

    private static JobEvent Batch(int epoch, int batch, int attempt = 1)
        => JobEvent.Batch(new BatchProgressView("j1", epoch, 3, batch, 100, ((epoch - 1) * 100) + batch, new LossView(100, 90, 10), 500, 60, attempt));

    private static JobEvent Epoch(int epoch)
        => JobEvent.Epoch(new EpochProgressView("j1", epoch, 3, new LossView(99, 90, 9), new LossView(98, 89, 9), 1.5, 30, 1));

    private (JobEventStream Stream, IAsyncEnumerator<SseItem<object>> Events) Open(JobRecord job, string? lastEventId = null, Func<JobRecord?>? reread = null)
    {
        var subscription = _progress.Subscribe(job.Id);
        JobEventId? from = lastEventId is null ? null : JobEventId.TryParse(lastEventId, out var id) ? id : throw new ArgumentException(lastEventId);
        var stream = new JobEventStream(job, subscription, from, _progress.LatestBatch(job.Id), _ => Task.FromResult(reread is null ? job : reread()), _clock, Pacing);
        return (stream, stream.ReadAllAsync().GetAsyncEnumerator());
    }

    private static async Task<SseItem<object>> NextAsync(IAsyncEnumerator<SseItem<object>> events)
    {
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1)), "the stream ended");
        return events.Current;
    }

    private static (int Epoch, int Batch) Place(SseItem<object> item) => item.Data is BatchProgressView b ? (b.Epoch, b.Batch) : throw new Xunit.Sdk.XunitException($"{item.EventType} is not a batch");

    [Fact]
    public async Task Batches_are_coalesced_to_the_newest_at_most_every_quarter_second_and_an_epoch_or_a_status_is_never_held_back()
    {
        var (_, events) = Open(Running());
        var sent = new List<SseItem<object>> { await NextAsync(events) };
        Assert.Equal(JobEvent.StatusType, sent[0].EventType);

        _progress.Publish("j1", Batch(1, 1));
        sent.Add(await NextAsync(events));
        Assert.Equal((1, 1), Place(sent[^1]));

        // Forty-nine batches within the same quarter second: the newest waits for its slot.
        for (int b = 2; b <= 50; b++) _progress.Publish("j1", Batch(1, b));
        var next = events.MoveNextAsync().AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(next.IsCompleted, "a batch came before its slot");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next.WaitAsync(TimeSpan.FromMinutes(1)));
        sent.Add(events.Current);
        Assert.Equal((1, 50), Place(sent[^1]));

        // Batches waiting for their slot are covered by the epoch, which goes at once.
        _progress.Publish("j1", Batch(1, 99));
        _progress.Publish("j1", Batch(1, 100));
        _progress.Publish("j1", Epoch(1));
        sent.Add(await NextAsync(events));
        Assert.Equal(JobEvent.EpochType, sent[^1].EventType);

        // A change of status goes at once too, and ends the stream when it is the end.
        _progress.Publish("j1", Batch(2, 1));
        _progress.Publish("j1", JobEvent.Status(Running(epochs: 1, version: 6).AsView(), 6));
        _progress.Publish("j1", JobEvent.Status((Running(epochs: 1, version: 7) with { Status = JobStatus.Cancelled }).AsView(), 7));
        sent.Add(await NextAsync(events));
        sent.Add(await NextAsync(events));
        Assert.False(await events.MoveNextAsync());

        Assert.Equal(["status", "batch", "batch", "epoch", "status", "status"], sent.Select(s => s.EventType));
        // The status brought up to batch 1 of epoch 2, which it covers: that batch is not sent after it.
        var running = (JobView)sent[4].Data;
        Assert.Equal((2, 1), (running.Progress!.Epoch, running.Progress.Batch));
        Assert.Equal(["1.0.0.5", "1.0.1.5", "1.0.50.5", "1.1.0.5", "1.1.1.6", "1.1.1.7"], sent.Select(s => s.EventId));
        Assert.Equal(TimeSpan.FromSeconds(3), sent[0].ReconnectionInterval);
        Assert.All(sent.Skip(1), s => Assert.Null(s.ReconnectionInterval));
    }

    [Fact]
    public async Task Ten_seconds_of_a_batch_every_ten_milliseconds_make_at_most_four_batch_events_a_second_in_training_order()
    {
        var (_, events) = Open(Running());
        var received = new List<SseItem<object>>();
        var reading = Task.Run(async () =>
        {
            while (await events.MoveNextAsync()) received.Add(events.Current);
        });

        for (int b = 1; b <= 1000; b++)
        {
            _progress.Publish("j1", Batch(1, b));
            _clock.Advance(TimeSpan.FromMilliseconds(10));
        }
        _progress.Publish("j1", JobEvent.Status((Running(version: 6) with { Status = JobStatus.Cancelled }).AsView(), 6));
        await reading.WaitAsync(TimeSpan.FromMinutes(1));

        // However the reader kept up, a batch goes only once a quarter second has passed since the last: at most 4 a second, the first at once.
        var batches = received.Where(e => e.EventType == JobEvent.BatchType).Select(Place).ToList();
        Assert.InRange(batches.Count, 1, 41);
        Assert.Equal(batches.Order(), batches);
        Assert.Equal(batches.Count, batches.Distinct().Count());
        SseReader.AssertIdsGrow([.. received.Select(e => JobEventId.TryParse(e.EventId, out var id) ? id : default)]);
        Assert.Equal(JobEvent.StatusType, received[^1].EventType);
    }

    [Fact]
    public async Task The_first_status_agrees_with_the_newest_batch_this_node_has_heard_of_and_older_batches_are_not_sent_after_it()
    {
        // The record's progress is written every few seconds; the node heard of batch 37 since.
        var stored = new JobProgressRecord(JobPhase.Training, 2, 20, 100, 400, 90, T0);
        var subscriptionBefore = _progress.Subscribe("j1"); // keeps the job's topic, as the training node's status did
        _progress.Publish("j1", Batch(2, 37));
        var (_, events) = Open(Running(epochs: 1, progress: stored));

        var first = await NextAsync(events);
        _progress.Publish("j1", Batch(2, 36)); // late, from before the stream opened
        _progress.Publish("j1", Batch(2, 38));
        var second = await NextAsync(events);

        var status = (JobView)first.Data;
        Assert.Equal(JobEvent.StatusType, first.EventType);
        Assert.Equal((2, 37, 1), (status.Progress!.Epoch, status.Progress.Batch, status.CurrentEpoch));
        Assert.Equal("1.1.37.5", first.EventId);
        Assert.Equal((2, 38), Place(second));
        Assert.Equal("1.1.38.5", second.EventId);
        subscriptionBefore.Dispose();
    }

    [Fact]
    public async Task A_stream_resumed_from_an_id_sends_the_epochs_missed_then_the_changed_status_then_what_follows()
    {
        var job = Running(epochs: 2, version: 9, progress: new JobProgressRecord(JobPhase.Training, 3, 4, 100, 400, 90, T0));

        // The client saw batch 7 of epoch 2 and the status of version 6.
        var (stream, events) = Open(job, lastEventId: "1.1.7.6");
        Assert.False(stream.IsComplete);
        var epoch = await NextAsync(events);
        var status = await NextAsync(events);
        _progress.Publish("j1", Batch(3, 3)); // covered by the status
        _progress.Publish("j1", Batch(3, 5));
        var batch = await NextAsync(events);

        Assert.Equal(JobEvent.EpochType, epoch.EventType);
        Assert.Equal(2, ((EpochProgressView)epoch.Data).Epoch);
        Assert.Equal(98, ((EpochProgressView)epoch.Data).Train.Loss);
        Assert.Equal("1.2.0.6", epoch.EventId);
        Assert.Equal(JobEvent.StatusType, status.EventType);
        Assert.Equal("1.2.4.9", status.EventId);
        Assert.Equal((3, 5), Place(batch));
        Assert.Equal("1.2.5.9", batch.EventId);
        // The first event of the new connection says how long to wait before the next one too.
        Assert.Equal(TimeSpan.FromSeconds(3), epoch.ReconnectionInterval);
    }

    [Fact]
    public async Task A_stream_resumed_where_the_record_has_not_changed_sends_only_what_follows()
    {
        var (_, events) = Open(Running(epochs: 1, version: 6), lastEventId: "1.1.40.6");

        _progress.Publish("j1", Batch(2, 40));
        _progress.Publish("j1", Batch(2, 41));
        var first = await NextAsync(events);

        Assert.Equal("1.1.41.6", first.EventId);
    }

    [Fact]
    public void A_client_that_has_the_final_status_of_an_ended_job_has_everything_and_one_that_does_not_has_not()
    {
        var ended = Running(epochs: 3, version: 12) with { Status = JobStatus.Succeeded, FinishedAt = T0 };

        Assert.True(Open(ended, lastEventId: "1.3.0.12").Stream.IsComplete);
        Assert.False(Open(ended, lastEventId: "1.2.77.10").Stream.IsComplete);
        Assert.False(Open(ended).Stream.IsComplete);
    }

    [Fact]
    public async Task An_id_that_cannot_be_of_the_job_is_ignored_and_the_stream_starts_as_a_new_one()
    {
        // Version 40 and epoch 9: ahead of the record (another job's id, or a database restored since).
        var (_, events) = Open(Running(epochs: 1, version: 6), lastEventId: "1.9.0.40");

        var first = await NextAsync(events);

        Assert.Equal(JobEvent.StatusType, first.EventType);
        Assert.Equal("1.1.0.6", first.EventId);
    }

    [Fact]
    public async Task A_stream_whose_end_event_was_lost_learns_the_end_from_the_record_on_the_next_read()
    {
        JobRecord? now = Running(epochs: 1, version: 6);
        var (_, events) = Open(now, reread: () => now);
        await NextAsync(events);

        var next = events.MoveNextAsync().AsTask();
        now = now with { Status = JobStatus.Failed, Error = "the disk is full", FinishedAt = T0, Version = 7 };
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(next.IsCompleted, "the record was read before its time");
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await next.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("failed", ((JobView)events.Current.Data).Status.ToString().ToLowerInvariant());
        Assert.Equal("1.1.0.7", events.Current.EventId);
        Assert.False(await events.MoveNextAsync());
    }

    [Theory]
    [InlineData("1.2.3.4", true)]
    [InlineData("0.0.0.1", true)]
    [InlineData("1.2.3", false)]
    [InlineData("1.2.3.x", false)]
    [InlineData("-1.2.3.4", false)]
    [InlineData("", false)]
    public void Ids_read_back_as_written(string text, bool valid)
    {
        Assert.Equal(valid, JobEventId.TryParse(text, out var id));
        if (valid) Assert.Equal(text, id.ToString());
    }
}
