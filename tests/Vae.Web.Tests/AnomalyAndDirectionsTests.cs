using System.Globalization;

namespace Vae.Web.Tests;

/// <summary>The sections that score an image against the test set and move an image along a latent direction.</summary>
[Collection(DemoSiteCollection.Name)]
public class AnomalyAndDirectionsTests(DemoSite site)
{
    // A scribble that fills most of the pad: nothing like a digit.
    private static readonly (double X, double Y)[][] Scribble = Enumerable.Range(0, 9)
        .Select(i => new[] { (0.08, 0.1 + (0.1 * i)), (0.92, 0.12 + (0.1 * i)), (0.1, 0.15 + (0.1 * i)) }).ToArray();

    private static string Shot(string name) => Path.Combine(DemoSite.ScreenshotDirectory, name + ".png");

    [Fact]
    public async Task A_drawn_digit_scores_as_typical_and_a_scribble_as_unusual_on_the_test_sets_histogram()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        var section = tab.Page.Locator("#anomaly-section");
        await section.ScrollIntoViewIfNeededAsync();
        // The service caps the test split at 500 images here; the first visit scores them all.
        await tab.WaitUntilAsync("() => document.querySelector('#anomaly-histogram').dataset.images === '500'", "the test set's histogram", timeoutMs: 120_000);
        Assert.True(await tab.EvalAsync<int>("() => document.querySelectorAll('#anomaly-histogram rect.bar').length") >= 5, "the histogram has hardly any bars");

        await tab.Page.ClickAsync("#anomaly-example");
        await tab.WaitUntilAsync("() => document.querySelector('#anomaly-score').dataset.scores === '1'", "the example digit's score");
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#anomaly-recon'); return !i.hidden && i.naturalWidth === 28; }", "the reconstruction");
        double digit = await PercentileAsync(tab);
        Assert.Matches(@"^More unusual than \d+\.\d % of the test images\.", await tab.Page.TextContentAsync("#anomaly-verdict") ?? "");
        Assert.Matches(@"−log p\(x\) ≈ \d+\.\d nats \(IWAE, k = 16\)", await tab.Page.TextContentAsync("#anomaly-details") ?? "");
        Assert.False(string.IsNullOrEmpty(await tab.Page.GetAttributeAsync("#anomaly-histogram", "data-marker")), "no marker on the histogram");
        await section.ScreenshotAsync(new() { Path = Shot("anomaly-digit") });

        await tab.Page.ClickAsync("#anomaly-clear");
        await tab.DrawAsync("#anomaly-canvas", Scribble);
        await tab.WaitUntilAsync("() => Number(document.querySelector('#anomaly-score').dataset.scores) >= 2 && document.querySelector('#anomaly-details').textContent !== ''", "the scribble's score");
        await tab.WaitUntilAsync("before => document.querySelector('#anomaly-score').dataset.percentile !== before", "a new percentile",
            digit.ToString(CultureInfo.InvariantCulture));
        double scribble = await PercentileAsync(tab);
        await section.ScreenshotAsync(new() { Path = Shot("anomaly-scribble") });
        Assert.True(scribble >= 95 && scribble > digit, $"the scribble is at the {scribble} percentile, the example digit at the {digit}");
        Assert.StartsWith("More unusual than", await tab.Page.TextContentAsync("#anomaly-verdict"));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task Storing_the_direction_from_ones_to_sevens_and_sliding_along_it_redraws_the_image()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        var section = tab.Page.Locator("#directions-section");
        await section.ScrollIntoViewIfNeededAsync();
        Assert.Equal("1", await tab.Page.InputValueAsync("#dir-from"));
        Assert.Equal("7", await tab.Page.InputValueAsync("#dir-to"));
        Assert.Equal(10, await tab.EvalAsync<int>("() => document.querySelectorAll('#dir-from option').length"));
        await tab.WaitUntilAsync("() => document.querySelector('#dir-placeholder').textContent === 'Store a direction first'", "the start image");

        await tab.Page.ClickAsync("#dir-compute");
        await tab.WaitUntilAsync("() => document.querySelector('#dir-select').value === '1-to-7'", "the stored direction");
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#dir-strip'); return !i.hidden && i.naturalWidth === 304 && i.dataset.direction === '1-to-7'; }", "the strip");
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#dir-img'); return !i.hidden && i.naturalWidth === 112 && i.dataset.amount === '1'; }", "the moved image");
        string before = await tab.Page.GetAttributeAsync("#dir-img", "src") ?? "";

        await tab.SetValueAsync("#dir-amount", "-2");
        await tab.WaitUntilAsync("() => document.querySelector('#dir-img').dataset.amount === '-2'", "the image moved the other way");
        Assert.NotEqual(before, await tab.Page.GetAttributeAsync("#dir-img", "src"));
        Assert.Equal("-2.00", await tab.Page.TextContentAsync("#dir-amount-value"));
        await section.ScreenshotAsync(new() { Path = Shot("directions") });

        // A drawing can be moved too.
        await tab.DrawAsync("#dir-canvas", [(0.5, 0.15), (0.5, 0.85)]);
        await tab.WaitUntilAsync("before => document.querySelector('#dir-img').getAttribute('src') !== before", "the drawing moved", await tab.Page.GetAttributeAsync("#dir-img", "src"));

        // Computing it again keeps the stored one; deleting it empties the list.
        await tab.Page.ClickAsync("#dir-compute");
        await tab.WaitUntilAsync("() => document.querySelector('#dir-status').textContent.includes('stored already')", "the second computation");
        await tab.Page.ClickAsync("#dir-delete");
        await tab.WaitUntilAsync("() => document.querySelector('#dir-select').disabled && document.querySelector('#dir-img').hidden", "the deleted direction");
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    private static async Task<double> PercentileAsync(DemoPage tab)
        => double.Parse(await tab.EvalAsync<string>("() => document.querySelector('#anomaly-score').dataset.percentile"), CultureInfo.InvariantCulture);
}
