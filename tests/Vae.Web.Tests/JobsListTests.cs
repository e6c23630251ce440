using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Vae.Api.Storage;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;

namespace Vae.Web.Tests;

/// <summary>The jobs table: ten jobs a page, and only the buttons a job can use.</summary>
[Collection(DemoSiteCollection.Name)]
public class JobsListTests(DemoSite site)
{
    private const int PerPage = 10;
    private const string Rows = "#jobs-body tr[data-job-id]";

    [Fact]
    public async Task Jobs_come_ten_a_page_newest_first_and_the_older_pages_show_the_rest()
    {
        await SeedOldJobsAsync();
        var store = site.Service.Services.GetRequiredService<IVaeStore>();
        string[] expected = [.. (await store.ListJobsAsync(1000, CancellationToken.None)).Select(j => j.Id)];
        Assert.True(expected.Length > PerPage, $"The test needs more than {PerPage} jobs; the store has {expected.Length}.");

        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{Rows}\").length > 0", "the jobs table");
        Assert.True(await tab.Page.IsVisibleAsync("#jobs-pager"), "More than ten jobs, and no way to page through them.");
        Assert.True(await tab.Page.IsDisabledAsync("#jobs-prev"), "The newest page offers newer jobs.");

        var shown = new List<string>();
        for (int page = 0; ; page++)
        {
            string[] ids = await JobIdsAsync(tab);
            Assert.InRange(ids.Length, 1, PerPage);
            shown.AddRange(ids);
            if (await tab.Page.IsDisabledAsync("#jobs-next")) break;
            Assert.True(page < 100, "The pages never end.");
            await tab.Page.ClickAsync("#jobs-next");
            await tab.WaitUntilAsync("first => document.querySelector(\"#jobs-body tr[data-job-id]\")?.dataset.jobId !== first", "the next page", ids[0]);
        }
        await tab.Page.Locator("#jobs-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "jobs-last-page.png") });

        // Every job once, in the store's order.
        Assert.Equal(expected, shown);

        // Back to the newest.
        while (!await tab.Page.IsDisabledAsync("#jobs-prev"))
        {
            string first = (await JobIdsAsync(tab))[0];
            await tab.Page.ClickAsync("#jobs-prev");
            await tab.WaitUntilAsync("first => document.querySelector(\"#jobs-body tr[data-job-id]\")?.dataset.jobId !== first", "the newer page", first);
        }
        Assert.Equal(expected.Take(PerPage), await JobIdsAsync(tab));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task With_a_paging_service_the_page_asks_for_ten_jobs_and_follows_the_next_cursor()
    {
        // The service's answers are replaced by two pages that follow the cursor contract:
        // { jobs, nextCursor }, nextCursor null on the last page.
        var template = JsonNode.Parse(await site.Http.GetStringAsync($"api/jobs?limit=1"))!["jobs"]![0]!;
        JsonObject Job(int k)
        {
            var job = template.DeepClone().AsObject();
            job["id"] = $"jcursor{k:D2}";
            job["name"] = $"paged {k}";
            job["modelId"] = null;
            job["status"] = "failed";
            job["error"] = "stored for the paging test";
            return job;
        }
        var asked = new List<string>();
        await using var tab = await site.OpenPageAsync();
        await tab.Page.RouteAsync(url => new Uri(url).AbsolutePath == "/api/jobs", async route =>
        {
            if (route.Request.Method != "GET")
            {
                await route.ContinueAsync();
                return;
            }
            lock (asked) asked.Add(route.Request.Url);
            var query = System.Web.HttpUtility.ParseQueryString(new Uri(route.Request.Url).Query);
            var page = query["cursor"] == "second-page"
                ? new JsonObject { ["jobs"] = new JsonArray([.. Enumerable.Range(10, 3).Select(Job)]), ["nextCursor"] = null }
                : new JsonObject { ["jobs"] = new JsonArray([.. Enumerable.Range(0, 10).Select(Job)]), ["nextCursor"] = "second-page" };
            await route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = page.ToJsonString() });
        });
        await tab.OpenAsync();
        await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{Rows}\").length === 10", "the first ten jobs");
        Assert.Equal("Jobs 1–10", await tab.Page.TextContentAsync("#jobs-page"));

        await tab.Page.ClickAsync("#jobs-next");
        await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{Rows}\").length === 3", "the last three jobs");
        Assert.Equal(["jcursor10", "jcursor11", "jcursor12"], await JobIdsAsync(tab));
        Assert.True(await tab.Page.IsDisabledAsync("#jobs-next"));
        lock (asked)
        {
            Assert.All(asked, url => Assert.Contains("limit=10", url));
            Assert.Contains(asked, url => url.Contains("cursor=second-page"));
        }

        await tab.Page.ClickAsync("#jobs-prev");
        await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{Rows}\").length === 10", "the first page again");
        Assert.Equal("jcursor00", (await JobIdsAsync(tab))[0]);
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_job_that_ended_before_its_first_epoch_offers_no_chart_and_one_with_epochs_does()
    {
        // Dated before every job the fixture trains, so they never push another test's job off the first page.
        var store = site.Service.Services.GetRequiredService<IVaeStore>();
        var before = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var noEpochs = OldJob("jnoepochs01", "cancelled at once", before.AddMinutes(1)) with { Status = JobStatus.Cancelled };
        var oneEpoch = OldJob("joneepoch01", "cancelled later", before) with
        {
            Status = JobStatus.Cancelled,
            StartedAt = before,
            Epochs = [new EpochMetrics(1, new LossSummary(200, 180, 20), new LossSummary(190, 172, 18), 1.5)],
        };
        foreach (var job in new[] { noEpochs, oneEpoch })
            if (await store.GetJobAsync(job.Id, CancellationToken.None) is null) await store.InsertJobAsync(job, CancellationToken.None);

        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await ShowRowAsync(tab, "jnoepochs01");
        Assert.Equal(0, await tab.Page.Locator("#jobs-body tr[data-job-id='jnoepochs01'] button:text('Chart')").CountAsync());
        await ShowRowAsync(tab, "joneepoch01");
        Assert.Equal(1, await tab.Page.Locator("#jobs-body tr[data-job-id='joneepoch01'] button:text('Chart')").CountAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    /// <summary>Turns to older pages until the job's row is shown.</summary>
    private static async Task ShowRowAsync(DemoPage tab, string jobId)
    {
        await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{Rows}\").length > 0", "the jobs table");
        while ((await JobIdsAsync(tab)).Contains(jobId) is false)
        {
            Assert.False(await tab.Page.IsDisabledAsync("#jobs-next"), $"Job {jobId} is on no page.");
            string first = (await JobIdsAsync(tab))[0];
            await tab.Page.ClickAsync("#jobs-next");
            await tab.WaitUntilAsync("first => document.querySelector(\"#jobs-body tr[data-job-id]\")?.dataset.jobId !== first", "the next page", first);
        }
    }

    private static async Task<string[]> JobIdsAsync(DemoPage tab)
        => await tab.EvalAsync<string[]>($"() => [...document.querySelectorAll(\"{Rows}\")].map(r => r.dataset.jobId)");

    /// <summary>
    /// Twelve cancelled jobs dated years ago, stored as they are (nothing trains them), so they are
    /// the oldest jobs and never push another test's newest job off the first page.
    /// </summary>
    private async Task SeedOldJobsAsync()
    {
        var store = site.Service.Services.GetRequiredService<IVaeStore>();
        var longAgo = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (int k = 0; k < 12; k++)
        {
            string id = $"jold{k:D2}";
            if (await store.GetJobAsync(id, CancellationToken.None) is null)
                await store.InsertJobAsync(OldJob(id, $"old {k}", longAgo.AddMinutes(k)) with { Status = JobStatus.Cancelled }, CancellationToken.None);
        }
    }

    private static JobRecord OldJob(string id, string name, DateTimeOffset created) => new()
    {
        Id = id, Name = name, Status = JobStatus.Queued, CreatedAt = created, FinishedAt = created,
        Request = new TrainingRequest { Name = name, Model = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Epochs = 3, BatchSize = 100 },
    };
}
