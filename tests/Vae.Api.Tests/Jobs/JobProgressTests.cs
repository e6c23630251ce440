using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Training;

namespace Vae.Api.Tests.Jobs;

/// <summary>The fan-out behind the event stream, without a host.</summary>
public sealed class JobProgressTests
{
    private static readonly JobRecord Job = new()
    {
        Id = "j1", Status = JobStatus.Running, Request = new TrainingRequest(), CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private static JobEvent Batch(int n) => JobEvent.Batch(new BatchProgressView("j1", 1, 1, n, 1000, n, new LossView(1, 1, 0), 100, 60));

    [Fact]
    public async Task A_slow_listener_loses_its_oldest_batch_events_but_never_an_epoch_or_a_status()
    {
        var progress = new JobProgress();
        using var slow = progress.Subscribe("j1");

        for (int b = 1; b <= 100; b++) progress.Publish("j1", Batch(b));
        progress.Publish("j1", JobEvent.Epoch(new EpochProgressView("j1", 1, 1, new LossView(1, 1, 0), new LossView(1, 1, 0), 1, 0)));
        for (int b = 101; b <= 200; b++) progress.Publish("j1", Batch(b));
        progress.Publish("j1", JobEvent.Status((Job with { Status = JobStatus.Succeeded }).AsView(), 2));

        var events = new List<JobEvent>();
        await foreach (var e in slow.ReadAllAsync()) events.Add(e);

        var batches = events.Where(e => e.Type == JobEvent.BatchType).Select(e => ((BatchProgressView)e.Data).Batch).ToList();
        Assert.Equal(Enumerable.Range(200 - JobProgress.BatchBacklog + 1, JobProgress.BatchBacklog), batches);
        Assert.Single(events, e => e.Type == JobEvent.EpochType);
        Assert.True(events[^1].IsFinal);
    }

    [Fact]
    public async Task Every_listener_gets_every_event_in_order_and_ends_with_the_final_status()
    {
        var progress = new JobProgress();
        using var a = progress.Subscribe("j1");
        using var b = progress.Subscribe("j1");
        var readers = new[] { a, b }.Select(async s =>
        {
            var seen = new List<string>();
            await foreach (var e in s.ReadAllAsync()) seen.Add(e.Type);
            return seen;
        }).ToArray();

        progress.Publish("j1", Batch(1));
        progress.Publish("j1", JobEvent.Status(Job.AsView(), 2));
        progress.Publish("j1", Batch(2));
        progress.Publish("j1", JobEvent.Status((Job with { Status = JobStatus.Cancelled }).AsView(), 2));
        progress.Publish("j1", Batch(3)); // after the end: nobody hears it

        foreach (var seen in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(1)))
            Assert.Equal(["batch", "status", "batch", "status"], seen);
    }

    [Fact]
    public async Task A_listener_that_stops_listening_is_released_and_hears_nothing_more()
    {
        var progress = new JobProgress();
        var s = progress.Subscribe("j1");
        using var other = progress.Subscribe("j1");
        var heard = new List<JobEvent>();
        var reading = Task.Run(async () => { await foreach (var e in s.ReadAllAsync()) heard.Add(e); });
        Assert.Equal(2, progress.ListenerCount("j1"));

        s.Dispose();

        // Its reader ends without an event, the topic forgets it, and later events reach only the other listener.
        await reading.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, progress.ListenerCount("j1"));
        progress.Publish("j1", Batch(1));
        progress.Publish("j1", JobEvent.Status((Job with { Status = JobStatus.Succeeded }).AsView(), 2));
        Assert.Empty(heard);
        var rest = new List<string>();
        await foreach (var e in other.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token)) rest.Add(e.Type);
        Assert.Equal(["batch", "status"], rest);
        Assert.Equal(0, progress.ListenerCount("j1"));
    }
}
