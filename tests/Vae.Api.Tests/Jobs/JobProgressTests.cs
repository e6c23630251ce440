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

    private static JobEvent Batch(int n) => JobEvent.Batch(new BatchProgress(1, 1, n, 1000, n, new LossSummary(1, 1, 0)).AsView("j1"));

    [Fact]
    public async Task A_slow_listener_loses_its_oldest_batch_events_but_never_an_epoch_or_a_status()
    {
        var progress = new JobProgress();
        using var slow = progress.Subscribe("j1");

        for (int b = 1; b <= 100; b++) progress.Publish("j1", Batch(b));
        progress.Publish("j1", JobEvent.Epoch(new EpochMetrics(1, default, default, 1).AsProgressView("j1", 1)));
        for (int b = 101; b <= 200; b++) progress.Publish("j1", Batch(b));
        progress.Publish("j1", JobEvent.Status((Job with { Status = JobStatus.Succeeded }).AsView()));

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
        progress.Publish("j1", JobEvent.Status(Job.AsView()));
        progress.Publish("j1", Batch(2));
        progress.Publish("j1", JobEvent.Status((Job with { Status = JobStatus.Cancelled }).AsView()));
        progress.Publish("j1", Batch(3)); // after the end: nobody hears it

        foreach (var seen in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5)))
            Assert.Equal(["batch", "status", "batch", "status"], seen);
    }

    [Fact]
    public async Task A_listener_that_stops_listening_is_released()
    {
        var progress = new JobProgress();
        var s = progress.Subscribe("j1");
        var reading = Task.Run(async () => { await foreach (var _ in s.ReadAllAsync()) { } });

        s.Dispose();

        await reading.WaitAsync(TimeSpan.FromSeconds(5));
        progress.Publish("j1", Batch(1));
    }
}
