using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>
/// GET /api/jobs/{id}/events against a host training for real: a stream dropped and resumed with
/// Last-Event-ID (or ?lastEventId=), and a first status that agrees with where the job is. The
/// stream on another node is in Cluster/CrossNodeTests.
/// </summary>
public sealed class JobEventsTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<ServiceFactory> _factories = [];

    private ServiceFactory Service(IDictionary<string, string?>? settings = null)
    {
        var factory = new ServiceFactory(output, settings: settings);
        _factories.Add(factory);
        return factory;
    }

    public void Dispose()
    {
        foreach (var factory in _factories) factory.Dispose();
    }

    [Fact]
    public async Task A_stream_dropped_and_resumed_with_Last_Event_ID_gets_the_epochs_it_missed_and_every_epoch_once()
    {
        var service = Service();
        var client = service.CreateClient();
        var start = service.Gate.HoldAtStart();
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 3));
        await start.ReachedAsync();
        string url = $"/api/jobs/{job.Id}/events";
        // The client goes away after the first batch; the job trains on and is held in epoch 2 until the client is back.
        var away = service.Gate.HoldAtBatch(epoch: 2, batch: 5);

        var before = await SseReader.ReadAllAsync(client, url, TimeSpan.FromMinutes(3), _ => { start.Release(); return Task.CompletedTask; },
            until: e => e.Type == "batch");
        await away.ReachedAsync();
        var after = await SseReader.ReadAllAsync(client, url, TimeSpan.FromMinutes(3), _ => { away.Release(); return Task.CompletedTask; },
            lastEventId: before[^1].Id);

        output.WriteLine("before: " + string.Join(" ", before.Select(e => $"{e.Type}@{e.Id}")));
        output.WriteLine("after: " + string.Join(" ", after.Select(e => $"{e.Type}@{e.Id}")));
        Assert.Equal(["status", "batch"], before.Select(e => e.Type));
        // Epoch 1 ended while the client was away: it comes first, from the record, then the status as it is now.
        Assert.Equal("epoch", after[0].Type);
        Assert.Equal(1, after[0].Data.GetProperty("epoch").GetInt32());
        Assert.Equal("status", after[1].Type);
        Assert.Equal([1, 2, 3], after.Where(e => e.Type == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()));
        Assert.Equal("succeeded", after[^1].Data.GetProperty("status").GetString());
        SseReader.AssertIdsGrow(SseReader.Ids(before.Concat(after)));
        Assert.Equal(TimeSpan.FromSeconds(3), after[0].Retry);
        // No batch the client had is sent again.
        var places = after.Where(e => e.Type == "batch").Select(e => (e.Data.GetProperty("epoch").GetInt32(), e.Data.GetProperty("batch").GetInt32())).ToList();
        Assert.All(places, p => Assert.True(p.CompareTo((1, 1)) > 0, $"batch {p} was sent before the drop"));
    }

    [Fact]
    public async Task The_query_stands_in_for_the_header_a_client_with_the_final_status_gets_204_and_an_id_that_is_not_one_400()
    {
        var service = Service();
        var client = service.CreateClient();
        var job = await client.WaitUntilFinishedAsync((await client.SubmitAsync(JobsClient.Tiny(epochs: 1))).Id);
        string url = $"/api/jobs/{job.Id}/events";
        var final = Assert.Single(await SseReader.ReadAllAsync(client, url, TimeSpan.FromMinutes(1)));

        var fromQuery = await client.GetAsync($"{url}?lastEventId={final.Id}");
        var fromOlder = await SseReader.ReadAllAsync(client, url, TimeSpan.FromMinutes(1), lastEventId: "1.0.3.2");
        var bad = await client.GetAsync($"{url}?lastEventId=yesterday");
        using var both = new HttpRequestMessage(HttpMethod.Get, $"{url}?lastEventId=yesterday");
        both.Headers.Add("Last-Event-ID", final.Id);
        var headerWins = await client.SendAsync(both);

        Assert.Equal(HttpStatusCode.NoContent, fromQuery.StatusCode);
        // A client that saw only batch 3 of epoch 1 gets the epoch and the end.
        Assert.Equal(["epoch", "status"], fromOlder.Select(e => e.Type));
        Assert.Equal(final.Id, fromOlder[^1].Id);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        string detail = (await bad.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("'yesterday' is not an id this stream sends", detail);
        Assert.Equal(HttpStatusCode.NoContent, headerWins.StatusCode);
    }

    [Fact]
    public async Task The_first_status_and_the_job_agree_on_the_batch_the_job_is_at_though_the_record_was_written_an_epoch_ago()
    {
        // Progress reaches the record only at the end of an epoch here; the node that trains the job knows each batch.
        var service = Service(new Dictionary<string, string?> { ["Jobs:ProgressIntervalSeconds"] = "3600" });
        var client = service.CreateClient();
        var held = service.Gate.HoldAtBatch(epoch: 2, batch: 5);
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 2));
        await held.ReachedAsync();

        var opening = await SseReader.ReadAllAsync(client, $"/api/jobs/{job.Id}/events", TimeSpan.FromMinutes(1), until: _ => true);
        var read = await client.GetJobAsync(job.Id);
        held.Release();

        var status = Assert.Single(opening);
        var progress = status.Data.GetProperty("progress");
        Assert.Equal((2, 4), (progress.GetProperty("epoch").GetInt32(), progress.GetProperty("batch").GetInt32()));
        Assert.Equal(1, status.Data.GetProperty("currentEpoch").GetInt32());
        Assert.Equal((2, 4), (read.Progress!.Epoch, read.Progress.Batch));
        Assert.StartsWith("1.1.4.", status.Id);
        await client.WaitUntilFinishedAsync(job.Id);
    }
}
