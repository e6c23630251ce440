using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Tests.Models;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>GET /api/jobs: pages, filters, and refusals that name the parameter.</summary>
public sealed class JobListTests : IDisposable
{
    private readonly ServiceFactory _factory;
    private readonly HttpClient _client;

    public JobListTests(ITestOutputHelper output)
    {
        _factory = new ServiceFactory(output);
        _client = _factory.CreateClient();
    }

    /// <summary>Stores finished and queued records as earlier runs left them: none of them is scheduled to run.</summary>
    private async Task<IReadOnlyList<JobRecord>> StoreJobsAsync()
    {
        var store = _factory.Services.GetRequiredService<IVaeStore>();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var jobs = new List<JobRecord>();
        string[] datasets = ["mnist", "fashion-mnist", "mnist", "mnist", "cifar10"];
        JobStatus[] statuses = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Succeeded, JobStatus.Cancelled, JobStatus.Succeeded];
        for (int i = 0; i < 5; i++)
        {
            var job = new JobRecord
            {
                Id = $"jlist0000000{i}", Name = i % 2 == 0 ? "even" : "odd", Status = statuses[i], CreatedAt = t0.AddMinutes(i), FinishedAt = t0.AddMinutes(i),
                Request = new TrainingRequest { Dataset = datasets[i], Model = new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, Epochs = 1 },
            };
            await store.InsertJobAsync(job, CancellationToken.None);
            jobs.Add(job);
        }
        return jobs;
    }

    [Fact]
    public async Task Jobs_come_newest_first_a_page_at_a_time_until_the_cursor_is_null()
    {
        await StoreJobsAsync();

        var first = await (await _client.GetAsync("/api/jobs?limit=2")).ReadJsonAsync<JobList>();
        var second = await (await _client.GetAsync($"/api/jobs?limit=2&cursor={first.NextCursor}")).ReadJsonAsync<JobList>();
        var third = await (await _client.GetAsync($"/api/jobs?limit=2&cursor={second.NextCursor}")).ReadJsonAsync<JobList>();

        Assert.Equal(["jlist00000004", "jlist00000003"], first.Jobs.Select(j => j.Id));
        Assert.Equal(["jlist00000002", "jlist00000001"], second.Jobs.Select(j => j.Id));
        Assert.Equal(["jlist00000000"], third.Jobs.Select(j => j.Id));
        Assert.Null(third.NextCursor);
    }

    [Theory]
    [InlineData("?status=succeeded", new[] { "jlist00000004", "jlist00000002", "jlist00000000" })]
    [InlineData("?status=Failed", new[] { "jlist00000001" })]
    [InlineData("?dataset=MNIST", new[] { "jlist00000003", "jlist00000002", "jlist00000000" })]
    [InlineData("?name=odd", new[] { "jlist00000003", "jlist00000001" })]
    [InlineData("?status=succeeded&dataset=mnist&name=even", new[] { "jlist00000002", "jlist00000000" })]
    [InlineData("?status=running", new string[0])]
    public async Task Jobs_are_filtered_by_status_dataset_and_name(string query, string[] expected)
    {
        await StoreJobsAsync();

        var list = await (await _client.GetAsync("/api/jobs" + query)).ReadJsonAsync<JobList>();

        Assert.Equal(expected, list.Jobs.Select(j => j.Id));
    }

    [Theory]
    [InlineData("?limit=abc", "limit", 422, "limit must be a whole number, got \"abc\"")]
    [InlineData("?limit=501", "limit", 422, "between 1 and 500")]
    [InlineData("?status=done", "status", 422, "queued, running, succeeded, failed, cancelled")]
    [InlineData("?cursor=%25%25", "cursor", 422, "nextCursor")]
    [InlineData("?state=running", "state", 400, "'state' is not a query parameter")]
    public async Task A_bad_or_unknown_query_parameter_is_refused_naming_it(string query, string parameter, int status, string fragment)
    {
        var response = await _client.GetAsync("/api/jobs" + query);
        await response.AssertProblemAsync(status, fragment);
        Assert.Equal([parameter], (await response.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }
}
