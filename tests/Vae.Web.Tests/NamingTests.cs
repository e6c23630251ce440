using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Vae.Web.Tests;

/// <summary>What the page calls things: classes by their names, and each model by one name in every section.</summary>
[Collection(DemoSiteCollection.Name)]
public class NamingTests(DemoSite site)
{
    [Fact]
    public async Task The_class_picker_of_a_digit_model_lists_the_digits_by_name()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync($"/?model={site.ConditionalModelId}");
        await tab.WaitUntilAsync("() => !document.querySelector('#label-picker').hidden", "the class picker");

        string[] options = await tab.EvalAsync<string[]>("() => [...document.querySelectorAll('#label-select option')].map(o => o.textContent)");
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], options);
        await tab.Page.SelectOptionAsync("#label-select", "7");
        Assert.Equal("7", await tab.Page.TextContentAsync("#label-select option:checked"));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_model_listed_without_class_names_takes_its_datasets_names()
    {
        // The conditional digit model is listed as a Fashion-MNIST model that carries no class names,
        // as a model imported from elsewhere may be: the page asks the dataset.
        await using var tab = await site.OpenPageAsync();
        var datasetAsked = tab.Page.WaitForResponseAsync(r => new Uri(r.Url).AbsolutePath == "/api/datasets/fashion-mnist");
        await RewriteListAsync(tab, "/api/models", "models", model =>
        {
            if ((string?)model["id"] != site.ConditionalModelId) return true;
            model["dataset"] = "fashion-mnist";
            model.Remove("classNames");
            return true;
        });
        await tab.OpenAsync($"/?model={site.ConditionalModelId}");
        await datasetAsked;
        await tab.WaitUntilAsync("() => document.querySelector('#label-select option[value=\"7\"]')?.textContent === 'Sneaker'", "the Fashion-MNIST class names");

        Assert.Equal("T-shirt/top", await tab.Page.TextContentAsync("#label-select option[value='0']"));
        Assert.Equal(10, await tab.EvalAsync<int>("() => document.querySelectorAll('#label-select option').length"));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_model_without_a_name_goes_by_its_id_in_the_picker_the_comparison_and_the_jobs_alike()
    {
        using var record = System.Text.Json.JsonDocument.Parse(await site.Http.GetStringAsync($"api/models/{site.AeModelId}"));
        string jobId = record.RootElement.GetProperty("jobId").GetString()!;
        await using var tab = await site.OpenPageAsync();
        // Neither the model nor its job has a name, as when a job is started without one. The jobs
        // table lists that job alone, so it is on the first page whatever other tests queued.
        await RewriteListAsync(tab, "/api/models", "models", model =>
        {
            if ((string?)model["id"] == site.AeModelId) model.Remove("name");
            return true;
        });
        await RewriteListAsync(tab, "/api/jobs", "jobs", job =>
        {
            if ((string?)job["id"] != jobId) return false;
            job["name"] = null;
            job["request"]!["name"] = null;
            return true;
        });
        await tab.OpenAsync();
        string compareRow = $"#compare-body tr[data-model-id='{site.AeModelId}']";
        string jobRow = $"#jobs-body tr[data-job-id='{jobId}']";
        await tab.WaitUntilAsync("s => document.querySelector(s)", "the model's row in the comparison", compareRow);
        await tab.WaitUntilAsync("s => document.querySelector(s)", "its job's row", jobRow);

        const string title = "s => document.querySelector(s + ' td > span').firstChild.textContent";
        Assert.Equal(site.AeModelId, await tab.EvalAsync<string>(title, compareRow));
        Assert.Equal(site.AeModelId, await tab.EvalAsync<string>(title, jobRow));
        Assert.StartsWith($"{site.AeModelId} · ", await tab.Page.TextContentAsync($"#model-select option[value='{site.AeModelId}']"));
        Assert.DoesNotContain("unnamed", await tab.Page.TextContentAsync("#jobs-body"));
        Assert.Empty(tab.ScriptErrors);
    }

    /// <summary>
    /// Passes the service's answers to GET <paramref name="path"/> through <paramref name="change"/>,
    /// item by item; an item it answers false for is left out.
    /// </summary>
    private static Task RewriteListAsync(DemoPage tab, string path, string listName, Func<JsonObject, bool> change)
        => tab.Page.RouteAsync(url => new Uri(url).AbsolutePath == path, async route =>
        {
            if (route.Request.Method != "GET")
            {
                await route.ContinueAsync();
                return;
            }
            // The whole list, filtered, as one last page: the items kept may sit on any page of the real one.
            var whole = new UriBuilder(route.Request.Url) { Query = "limit=500" }.Uri.ToString();
            var response = await route.FetchAsync(new RouteFetchOptions { Url = whole });
            var body = JsonNode.Parse(await response.TextAsync())!;
            var list = body[listName]!.AsArray();
            foreach (var item in list.ToList())
                if (!change(item!.AsObject())) list.Remove(item);
            if (body is JsonObject answer && answer.ContainsKey("nextCursor")) answer["nextCursor"] = null;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = body.ToJsonString() });
        });
}
