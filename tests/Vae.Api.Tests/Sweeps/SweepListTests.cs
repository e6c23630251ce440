using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Sweeps;
using Vae.Api.Tests.Jobs;
using Vae.Api.Tests.Models;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Sweeps;

/// <summary>GET /api/sweeps: pages, filters (the status read from each sweep's jobs), and refusals that name the parameter.</summary>
public sealed class SweepListTests : IDisposable
{
    private readonly ServiceFactory _factory;
    private readonly HttpClient _client;

    public SweepListTests(ITestOutputHelper output)
    {
        _factory = new ServiceFactory(output);
        _client = _factory.CreateClient();
    }

    /// <summary>
    /// Five finished sweeps of one point each, oldest first: succeeded, failed, succeeded, cancelled,
    /// succeeded; named "even" and "odd" by turns. Their jobs are finished records: nothing runs.
    /// </summary>
    private async Task StoreSweepsAsync()
    {
        var store = _factory.Services.GetRequiredService<IVaeStore>();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        JobStatus[] statuses = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Succeeded, JobStatus.Cancelled, JobStatus.Succeeded];
        for (int i = 0; i < statuses.Length; i++)
        {
            string jobId = $"jswl{i}";
            await store.InsertJobAsync(new JobRecord
            {
                Id = jobId, Status = statuses[i], CreatedAt = t0.AddMinutes(i), FinishedAt = t0.AddMinutes(i),
                Request = new TrainingRequest { Model = new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, Epochs = 1 },
            }, CancellationToken.None);
            await store.InsertSweepAsync(new SweepRecord
            {
                Id = $"sswl{i}", Name = i % 2 == 0 ? "even" : "odd", CreatedAt = t0.AddMinutes(i), Base = new JsonObject(),
                Grid = [new SweepAxis("epochs", [JsonValue.Create(1)])], Points = [new SweepPointRecord([0], jobId)],
            }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Sweeps_come_newest_first_a_page_at_a_time()
    {
        await StoreSweepsAsync();

        var first = await (await _client.GetAsync("/api/sweeps?limit=3")).ReadJsonAsync<SweepList>();
        var second = await (await _client.GetAsync($"/api/sweeps?limit=3&cursor={first.NextCursor}")).ReadJsonAsync<SweepList>();

        Assert.Equal(["sswl4", "sswl3", "sswl2"], first.Sweeps.Select(s => s.Id));
        Assert.Equal(["sswl1", "sswl0"], second.Sweeps.Select(s => s.Id));
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task A_status_filter_fills_each_page_from_the_sweeps_that_match_and_the_cursor_goes_on_after_the_last()
    {
        await StoreSweepsAsync();

        var first = await (await _client.GetAsync("/api/sweeps?status=succeeded&limit=2")).ReadJsonAsync<SweepList>();
        var second = await (await _client.GetAsync($"/api/sweeps?status=succeeded&limit=2&cursor={first.NextCursor}")).ReadJsonAsync<SweepList>();

        Assert.Equal(["sswl4", "sswl2"], first.Sweeps.Select(s => s.Id));
        Assert.Equal(["sswl0"], second.Sweeps.Select(s => s.Id));
        Assert.Null(second.NextCursor);
    }

    [Theory]
    [InlineData("?name=odd", new[] { "sswl3", "sswl1" })]
    [InlineData("?status=cancelled", new[] { "sswl3" })]
    [InlineData("?status=FAILED&name=odd", new[] { "sswl1" })]
    [InlineData("?status=partiallySucceeded", new string[0])]
    public async Task Sweeps_are_filtered_by_status_and_name(string query, string[] expected)
    {
        await StoreSweepsAsync();

        var list = await (await _client.GetAsync("/api/sweeps" + query)).ReadJsonAsync<SweepList>();

        Assert.Equal(expected, list.Sweeps.Select(s => s.Id));
    }

    [Theory]
    [InlineData("?limit=lots", "limit", 422, "limit must be a whole number")]
    [InlineData("?limit=0", "limit", 422, "between 1 and 500")]
    [InlineData("?status=done", "status", 422, "partiallySucceeded")]
    [InlineData("?cursor=bm90IGEgY3Vyc29y", "cursor", 422, "nextCursor")]
    [InlineData("?dataset=mnist", "dataset", 400, "takes limit, cursor, status, name")]
    public async Task A_bad_or_unknown_query_parameter_is_refused_naming_it(string query, string parameter, int status, string fragment)
    {
        var response = await _client.GetAsync("/api/sweeps" + query);
        await response.AssertProblemAsync(status, fragment);
        Assert.Equal([parameter], (await response.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }
}
