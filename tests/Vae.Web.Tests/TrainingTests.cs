using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Jobs;
using Vae.Api.Tests;
using Vae.Api.Storage;

namespace Vae.Web.Tests;

/// <summary>The training form, its live chart, and the jobs table.</summary>
[Collection(DemoSiteCollection.Name)]
public class TrainingTests(DemoSite site)
{
    [Fact]
    public async Task A_job_started_from_the_form_plots_its_loss_live_and_can_be_cancelled()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        // The job waits at its start until the page follows its feed, then is held before its fourth
        // batch: three batches are on the chart and it is still running.
        var start = site.Service.Gate.Hold(p => p.Step == TrainingStep.Started, "the start of the live-chart job");
        var held = site.Service.Gate.Hold(p => p.Step == TrainingStep.Batch && p.Epoch == 1 && p.Batch == 4, "batch 4 of the live-chart job");
        try
        {
            await FollowAndCancelAsync(tab, start, held);
        }
        finally
        {
            site.Service.Gate.ReleaseAll();
        }
    }

    private static async Task FollowAndCancelAsync(DemoPage tab, GateHold start, GateHold held)
    {
        // The service subscribes the stream to the job before it answers, so once the answer is in, no event is missed.
        var following = tab.Page.WaitForResponseAsync(r => r.Url.Contains("/events", StringComparison.Ordinal));
        await tab.Page.FillAsync("#train-form [name=name]", "live-chart");
        await tab.Page.FillAsync("#train-form [name=\"model.hiddenSizes\"]", "64");
        await tab.Page.FillAsync("#train-form [name=\"model.latentDim\"]", "16");
        await tab.Page.FillAsync("#train-form [name=epochs]", "2");
        await tab.Page.ClickAsync("#train-form .advanced summary");
        await tab.Page.FillAsync("#train-form [name=batchSize]", "32");
        await tab.Page.ClickAsync("#train-submit");

        await tab.WaitUntilAsync("() => !document.querySelector('#train-live').hidden", "the live view");
        string jobId = await tab.Page.GetAttributeAsync("#train-live", "data-job-id") ?? "";
        Assert.StartsWith("j", jobId);
        Assert.Equal(jobId, (await start.ReachedAsync()).JobId);
        await following;
        start.Release();
        Assert.Equal(jobId, (await held.ReachedAsync()).JobId);
        await tab.WaitUntilAsync("() => Number(document.querySelector('#train-chart').dataset.countBatch) === 3", "the three batches on the live chart");
        await tab.WaitUntilAsync("() => document.querySelector('#train-chart [data-series=batch]')?.getAttribute('d')?.includes('L')", "the batch curve");
        Assert.Contains("Running: epoch", await tab.Page.TextContentAsync("#train-status"));
        await tab.WaitUntilAsync("id => document.querySelector(`#jobs-body tr[data-job-id='${id}'][data-status='running']`)", "the job's row", jobId);
        await tab.Page.Locator("#train-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "training-live.png") });

        // The cancel reply (still "running, cancel requested") is held back until the live feed has said
        // "cancelled": the page must not take the late reply for news.
        var cancelledOnPage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await tab.Page.RouteAsync("**/api/jobs/*", async route =>
        {
            if (route.Request.Method != "DELETE")
            {
                await route.ContinueAsync();
                return;
            }
            var reply = await route.FetchAsync();
            await cancelledOnPage.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await route.FulfillAsync(new() { Response = reply });
        });
        await tab.Page.ClickAsync("#train-cancel");
        await tab.WaitUntilAsync("() => document.querySelector('#train-live').dataset.status === 'cancelled'", "the job to be cancelled");
        var replyRead = tab.Page.WaitForRequestFinishedAsync(new() { Predicate = r => r.Method == "DELETE" });
        cancelledOnPage.SetResult();
        await replyRead;
        // The page reads the reply in a task queued as its body ended; one queued after it runs once the page has.
        await tab.Page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 0))");
        Assert.Equal("cancelled", await tab.Page.GetAttributeAsync("#train-live", "data-status"));
        Assert.True(await tab.Page.IsHiddenAsync("#train-cancel"), "the late reply brought the cancel button back");
        Assert.StartsWith("Cancelled after", await tab.Page.TextContentAsync("#train-status"));
        await tab.WaitUntilAsync("id => document.querySelector(`#jobs-body tr[data-job-id='${id}'][data-status='cancelled']`)", "the cancelled row", jobId);
        await tab.ScreenshotAsync("training-cancelled");
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task An_impossible_setting_shows_the_service_message_next_to_the_form()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.FillAsync("#train-form [name=\"model.latentDim\"]", "0");
        await tab.Page.ClickAsync("#train-submit");

        await tab.WaitUntilAsync("() => document.querySelector('#train-error').textContent.length > 0", "the form's error");
        Assert.Matches(@"^model\.latentDim must be between 1 and \d+, got 0\.$", await tab.Page.TextContentAsync("#train-error"));
        Assert.Equal("true", await tab.Page.GetAttributeAsync("#train-form [name=\"model.latentDim\"]", "aria-invalid"));
        Assert.Contains("between 1 and", await tab.Page.TextContentAsync("#field-error-model\\.latentDim"));
        Assert.True(await tab.Page.IsHiddenAsync("#train-live"));
        await tab.Page.Locator("#train-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "training-error.png") });

        // Fixing the field clears its mark.
        await tab.Page.FillAsync("#train-form [name=\"model.latentDim\"]", "2");
        Assert.Null(await tab.Page.GetAttributeAsync("#train-form [name=\"model.latentDim\"]", "aria-invalid"));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_finished_job_puts_its_model_in_the_picker()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.FillAsync("#train-form [name=name]", "quick-one");
        await tab.Page.FillAsync("#train-form [name=\"model.hiddenSizes\"]", "32");
        await tab.Page.FillAsync("#train-form [name=epochs]", "1");
        await tab.Page.ClickAsync("#train-submit");

        await tab.WaitUntilAsync("() => document.querySelector('#train-live').dataset.status === 'succeeded'", "the job to succeed", timeoutMs: 60_000);
        string jobId = await tab.Page.GetAttributeAsync("#train-live", "data-job-id") ?? "";
        using var job = System.Text.Json.JsonDocument.Parse(await site.Http.GetStringAsync($"api/jobs/{jobId}"));
        string modelId = job.RootElement.GetProperty("modelId").GetString()!;
        try
        {
            await tab.WaitUntilAsync("id => document.querySelector('#model-select').value === id", "the new model to be selected", modelId);
            Assert.Contains("quick-one", await tab.Page.TextContentAsync("#model-select option:checked"));
            await tab.WaitUntilAsync("() => document.querySelectorAll('#model-curves [data-series=train]')[0]?.dataset.count === '1'", "the new model's curve");
            await tab.ScreenshotAsync("training-succeeded");
            Assert.Empty(tab.ScriptErrors);
        }
        finally
        {
            // Other tests expect the fixture's VAE to be the newest model.
            await site.Http.DeleteAsync($"api/models/{modelId}");
        }
    }

    [Fact]
    public async Task A_failed_job_offers_resume_and_resuming_it_trains_it_to_the_end()
    {
        string modelId = await site.TrainAsync(new { name = "to-resume", model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs = 1 });
        await site.Http.DeleteAsync($"api/models/{modelId}");
        // The failure is written into the record: how jobs come to fail (a full disk, a checkpoint that
        // cannot be written) is tested against the API; here the page only has to offer the way back.
        var store = site.Service.Services.GetRequiredService<IVaeStore>();
        var job = (await store.ListJobsAsync(50, CancellationToken.None)).First(j => j.Name == "to-resume");
        Assert.True(await store.UpdateJobAsync(job with { Status = JobStatus.Failed, Error = "The disk was full.", ModelId = null }, CancellationToken.None));
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        string row = $"#jobs-body tr[data-job-id='{job.Id}']";
        await tab.WaitUntilAsync("row => document.querySelector(row + \"[data-status='failed']\")", "the failed job's row", row);
        Assert.Contains("The disk was full.", await tab.Page.TextContentAsync(row));

        await tab.Page.ClickAsync($"{row} button:text('Resume')");

        try
        {
            await tab.WaitUntilAsync("row => document.querySelector(row + \"[data-status='succeeded']\")", "the resumed job to succeed", row, timeoutMs: 60_000);
            Assert.Equal(0, await tab.Page.Locator($"{row} button:text('Resume')").CountAsync());
            Assert.Empty(await tab.AlertsAsync());
            Assert.Empty(tab.ScriptErrors);
        }
        finally
        {
            // Other tests expect the fixture's VAE to be the newest model.
            var resumed = await store.GetJobAsync(job.Id, CancellationToken.None);
            if (resumed?.ModelId is { } id) await site.Http.DeleteAsync($"api/models/{id}");
        }
    }
}
