using System.Net;

namespace Vae.Web.Tests;

[Collection(DemoSiteCollection.Name)]
public class PageTests(DemoSite site)
{
    [Fact]
    public async Task The_service_serves_the_demo_page_at_the_root()
    {
        var response = await site.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>", html);
        Assert.Contains("js/main.js", html);
    }

    [Fact]
    public async Task The_page_loads_every_section_without_console_errors()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').naturalWidth > 0", "the sample grid");
        await tab.WaitUntilAsync("() => Number(document.querySelector('#scatter-canvas').dataset.pointCount) > 0", "the latent scatter");
        await tab.WaitUntilAsync("() => document.querySelector('#interp-img').naturalWidth > 0", "the interpolation strip");
        await tab.WaitUntilAsync("() => document.querySelectorAll('#jobs-body tr[data-job-id]').length >= 2", "the jobs table");
        await tab.ScreenshotAsync("page-loaded");

        Assert.False(string.IsNullOrWhiteSpace(await tab.Page.TitleAsync()));
        string[] headings = await tab.EvalAsync<string[]>("() => [...document.querySelectorAll('main h2')].map(h => h.textContent.trim())");
        Assert.Equal(["Model", "Samples", "Draw or load an image", "Interpolate", "Latent space", "Is this unusual?", "Latent arithmetic", "Train a model", "Compare models", "Jobs"], headings);
        // The newest MNIST model is chosen, and the picker offers all four.
        Assert.Equal(site.VaeModelId, await tab.Page.InputValueAsync("#model-select"));
        Assert.Equal(4, await tab.EvalAsync<int>("() => document.querySelectorAll('#model-select option').length"));
        Assert.Equal(3, await tab.EvalAsync<int>("() => document.querySelectorAll('#model-curves [data-series=train]')[0]?.dataset.count | 0"));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
        Assert.Empty(tab.ConsoleErrors);
    }

    [Fact]
    public async Task On_a_375_pixel_phone_screen_nothing_scrolls_sideways()
    {
        await using var tab = await site.OpenPageAsync(375, 812);
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => Number(document.querySelector('#scatter-canvas').dataset.pointCount) > 0", "the latent scatter");
        await tab.WaitUntilAsync("() => document.querySelectorAll('#jobs-body tr[data-job-id]').length >= 2", "the jobs table");
        await tab.ScreenshotAsync("phone-375");

        int[] widths = await tab.EvalAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        var (scrollWidth, viewport) = (widths[0], widths[1]);
        Assert.True(scrollWidth <= viewport, $"The page is {scrollWidth} px wide on a {viewport} px screen.");
        string[] wide = await tab.EvalAsync<string[]>(
            "() => [...document.querySelectorAll('main *, header *')].filter(e => e.offsetParent !== null && !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.tagName + '#' + e.id)");
        Assert.Empty(wide);
        Assert.Empty(tab.ScriptErrors);
    }
}
