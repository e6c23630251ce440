using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Vae.Web.Tests;

/// <summary>A sweep's models in the comparison: grouped under their grid, and plotted against the swept values.</summary>
[Collection(DemoSiteCollection.Name)]
public class SweepTests(DemoSite site)
{
    [Fact]
    public async Task A_finished_sweeps_models_are_grouped_in_the_comparison_and_plotted_one_point_per_value()
    {
        var (sweepId, modelIds) = await RunSweepAsync(new
        {
            name = "beta-by-size",
            @base = new { model = new { family = "mlp", hiddenSizes = new[] { 64 }, latentDim = 2 }, epochs = 2, batchSize = 50, maxTrainImages = 1000, maxTestImages = 200, seed = 5 },
            grid = new Dictionary<string, object[]> { ["model.beta"] = [0.5, 1, 4], ["model.latentDim"] = [2, 3] },
        });
        try
        {
            await using var tab = await site.OpenPageAsync();
            await tab.OpenAsync();
            string caption = $"#compare-body tr.sweep-caption[data-sweep-id='{sweepId}']";
            await tab.WaitUntilAsync($"() => document.querySelector(\"{caption}\")", "the sweep's caption row");

            // The caption, then the sweep's six models in grid order, one after the other.
            string[] rowsAfterCaption = await tab.EvalAsync<string[]>(
                "sel => { const rows = [...document.querySelectorAll('#compare-body tr')]; const i = rows.indexOf(document.querySelector(sel)); return rows.slice(i + 1, i + 7).map(r => r.dataset.modelId ?? ''); }",
                caption);
            Assert.Equal(modelIds, rowsAfterCaption);
            string captionText = (await tab.Page.TextContentAsync(caption))!;
            Assert.Contains("beta-by-size", captionText);
            Assert.Contains("β ∈ {0.5, 1, 4} × latent size ∈ {2, 3}", captionText);
            // In the group a model is named by its values: the caption names the sweep.
            Assert.Equal("β = 4, latent size = 3", await tab.EvalAsync<string>(
                "sel => document.querySelector(sel).firstChild.textContent", $"#compare-body tr[data-model-id='{modelIds[5]}'] td span"));
            // The four models of the site stay rows of their own.
            Assert.Equal(4, await tab.EvalAsync<int>("() => document.querySelectorAll('#compare-body tr[data-model-id]:not(.in-sweep)').length"));

            // Both charts: one line per latent size, one point per β on each.
            string figure = $"#sweep-plots figure[data-sweep-id='{sweepId}']";
            foreach (string metric in new[] { "loss", "kl" })
            {
                string chart = $"{figure} .chart[data-metric={metric}]";
                await tab.WaitUntilAsync($"() => document.querySelectorAll(\"{chart} circle.marker\").length === 6", $"six points on the {metric} chart");
                Assert.Equal("3", await tab.Page.GetAttributeAsync(chart, "data-count-s0"));
                Assert.Equal("3", await tab.Page.GetAttributeAsync(chart, "data-count-s1"));
                string[] legend = await tab.EvalAsync<string[]>("sel => [...document.querySelectorAll(sel + ' .chart-legend li')].map(l => l.textContent)", chart);
                Assert.Equal(["latent size = 2", "latent size = 3"], legend);
                // The x axis is labelled at the swept values themselves, then named.
                string[] xAxis = await tab.EvalAsync<string[]>("sel => [...document.querySelectorAll(sel + ' .axis > text:not([dominant-baseline])')].map(t => t.textContent)", chart);
                Assert.Equal(["0.5", "1", "4", "β"], xAxis);
            }
            await tab.Page.Locator("#compare-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "sweep-compare.png") });

            // On a phone the plots fit the screen.
            await tab.Page.SetViewportSizeAsync(375, 812);
            await tab.WaitUntilAsync($"() => document.querySelector(\"{figure}\").getBoundingClientRect().right <= window.innerWidth", "the plots to fit a phone");
            await tab.Page.Locator(figure).ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "sweep-plots-375.png") });
            Assert.Empty(tab.ScriptErrors);
            Assert.Empty(tab.ConsoleErrors);
        }
        finally
        {
            // The other tests count the site's four models.
            foreach (string id in modelIds) using (await site.Http.DeleteAsync($"api/models/{id}")) { }
        }
    }

    [Fact]
    public async Task The_training_form_starts_a_sweep_of_one_setting_from_its_own_request()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.FillAsync("#train-form [name=name]", "form-sweep");
        await tab.Page.FillAsync("#train-form [name=\"model.hiddenSizes\"]", "32");
        await tab.Page.FillAsync("#train-form [name=epochs]", "1");
        await tab.Page.ClickAsync("#sweep-box summary");
        await tab.Page.SelectOptionAsync("#sweep-field", "model.latentDim");
        Assert.Equal("2, 8, 32", await tab.Page.InputValueAsync("#sweep-values"));

        // A value the service refuses: its message names the setting and the value, and nothing is queued.
        await tab.Page.FillAsync("#sweep-values", "0, 2");
        await tab.Page.ClickAsync("#sweep-submit");
        await tab.WaitUntilAsync("() => document.querySelector('#sweep-error').textContent.length > 0", "the sweep's refusal");
        Assert.StartsWith("grid.model.latentDim value 0 is not accepted", await tab.Page.TextContentAsync("#sweep-error"));

        await tab.Page.FillAsync("#sweep-values", "2, 3");
        await tab.Page.ClickAsync("#sweep-submit");
        await tab.WaitUntilAsync("() => document.querySelector('#sweep-status').textContent.includes('queued')", "the sweep to be queued");
        Assert.Equal("", await tab.Page.TextContentAsync("#sweep-error"));
        Assert.Contains("2 jobs", await tab.Page.TextContentAsync("#sweep-status"));
        await tab.Page.Locator("#sweep-box").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "sweep-form.png") });

        using var list = JsonDocument.Parse(await site.Http.GetStringAsync("api/sweeps"));
        var sweep = list.RootElement.GetProperty("sweeps")[0];
        string id = sweep.GetProperty("id").GetString()!;
        try
        {
            Assert.Equal("form-sweep", sweep.GetProperty("name").GetString());
            Assert.Equal("[2,3]", sweep.GetProperty("grid").GetProperty("model.latentDim").GetRawText());
            // The base is the form's request.
            var baseRequest = sweep.GetProperty("base");
            Assert.Equal("[32]", baseRequest.GetProperty("model").GetProperty("hiddenSizes").GetRawText());
            Assert.Equal(1, baseRequest.GetProperty("epochs").GetInt32());
            Assert.Empty(tab.ScriptErrors);
        }
        finally
        {
            // The other tests count the site's four models: stop the sweep and drop what it made.
            using (await site.Http.DeleteAsync($"api/sweeps/{id}")) { }
            foreach (string modelId in await FinishedModelsAsync(id))
                using (await site.Http.DeleteAsync($"api/models/{modelId}")) { }
        }
    }

    /// <summary>Waits until every job of the sweep has ended; returns the models it made.</summary>
    private async Task<string[]> FinishedModelsAsync(string sweepId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var view = JsonDocument.Parse(await site.Http.GetStringAsync($"api/sweeps/{sweepId}"));
            var root = view.RootElement;
            if (root.GetProperty("status").GetString() is not ("queued" or "running") || clock.Elapsed > TimeSpan.FromMinutes(5))
            {
                return [.. root.GetProperty("points").EnumerateArray()
                    .Select(p => p.GetProperty("modelId").GetString()).OfType<string>()];
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Starts a sweep and waits for it to succeed; returns its id and its models in grid order.</summary>
    private async Task<(string SweepId, string[] ModelIds)> RunSweepAsync(object sweep)
    {
        var response = await site.Http.PostAsJsonAsync("api/sweeps", sweep);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/sweeps answered {(int)response.StatusCode}: {body}");
        string id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            using var view = JsonDocument.Parse(await site.Http.GetStringAsync($"api/sweeps/{id}"));
            string status = view.RootElement.GetProperty("status").GetString()!;
            if (status == "succeeded")
                return (id, [.. view.RootElement.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("modelId").GetString()!)]);
            if (status is "failed" or "cancelled" or "partiallySucceeded")
                throw new InvalidOperationException($"Sweep {id} ended {status}: {view.RootElement}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"Sweep {id} did not finish in five minutes.");
    }
}
