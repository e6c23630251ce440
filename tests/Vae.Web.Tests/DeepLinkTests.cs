using System.Text.Json;

namespace Vae.Web.Tests;

/// <summary>?model= in the address: a link opens the page on a model, and the address follows the picker.</summary>
[Collection(DemoSiteCollection.Name)]
public class DeepLinkTests(DemoSite site)
{
    [Fact]
    public async Task A_link_naming_a_model_by_its_name_opens_the_page_on_that_model_and_keeps_the_name()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync("/?model=conditional-digits");

        Assert.Equal(site.ConditionalModelId, await tab.Page.InputValueAsync("#model-select"));
        Assert.Equal(site.ConditionalModelId, await tab.EvalAsync<string>("() => document.body.dataset.model"));
        Assert.False(await tab.Page.IsHiddenAsync("#label-picker"), "The linked conditional model's class picker is missing.");
        // The visitor's own words stay in the address while they name the model shown.
        Assert.Equal("conditional-digits", ModelParameter(tab.Page.Url));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_link_naming_a_model_by_its_id_opens_the_page_on_that_model()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync($"/?model={site.ColourModelId}");

        Assert.Equal(site.ColourModelId, await tab.Page.InputValueAsync("#model-select"));
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').naturalWidth === 8 * 34 + 2", "the colour model's samples");
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task Choosing_another_model_in_the_picker_writes_it_into_the_address_without_a_new_history_entry()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        // A plain visit stays plain: the default model is shown, and the address names none.
        Assert.Null(ModelParameter(tab.Page.Url));
        int history = await tab.EvalAsync<int>("() => history.length");

        await tab.Page.SelectOptionAsync("#model-select", site.AeModelId);
        await tab.WaitUntilAsync("id => new URLSearchParams(location.search).get('model') !== null", "the address to name the model", site.AeModelId);

        Assert.Equal(await ExpectedReferenceAsync(site.AeModelId), ModelParameter(tab.Page.Url));
        Assert.Equal(history, await tab.EvalAsync<int>("() => history.length"));

        // The address opens the same model again.
        await using var again = await site.OpenPageAsync();
        await again.OpenAsync(new Uri(tab.Page.Url).PathAndQuery);
        Assert.Equal(site.AeModelId, await again.Page.InputValueAsync("#model-select"));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_link_to_a_model_that_is_not_there_says_so_and_shows_the_default_model()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync("/?model=no-such-model");

        Assert.Equal(site.VaeModelId, await tab.Page.InputValueAsync("#model-select"));
        Assert.StartsWith("No model is called “no-such-model”", await tab.Page.TextContentAsync("#model-error"));
        Assert.Empty(tab.ScriptErrors);
    }

    /// <summary>What the page writes for a model: name@version once the service versions names, its id before.</summary>
    private async Task<string> ExpectedReferenceAsync(string modelId)
    {
        using var model = JsonDocument.Parse(await site.Http.GetStringAsync($"api/models/{modelId}"));
        var root = model.RootElement;
        bool versioned = root.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number
            && root.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String;
        return versioned ? $"{root.GetProperty("name").GetString()}@{version.GetInt32()}" : modelId;
    }

    private static string? ModelParameter(string url)
        => System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["model"];
}
