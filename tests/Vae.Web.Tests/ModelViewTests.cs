namespace Vae.Web.Tests;

/// <summary>The sections that show a trained model: samples, drawing, interpolation, latent space.</summary>
[Collection(DemoSiteCollection.Name)]
public class ModelViewTests(DemoSite site)
{
    // Grids are 8 tiles across, each 28 pixels with 2 pixels of padding around.
    private static int GridSize(int tiles) => (tiles * 30) + 2;

    private static readonly (double X, double Y)[] Seven = [(0.3, 0.25), (0.7, 0.25), (0.58, 0.5), (0.45, 0.8)];

    [Fact]
    public async Task The_gallery_shows_as_many_digits_as_asked_for()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').dataset.count === '64'", "64 samples");
        Assert.Equal([GridSize(8), GridSize(8)], await NaturalSizeAsync(tab, "#samples-img"));

        await tab.Page.SelectOptionAsync("#samples-count", "16");
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').dataset.count === '16'", "16 samples");
        Assert.Equal([GridSize(8), GridSize(2)], await NaturalSizeAsync(tab, "#samples-img"));

        string before = await tab.Page.GetAttributeAsync("#samples-img", "src") ?? "";
        await tab.Page.ClickAsync("#samples-new");
        await tab.WaitUntilAsync("before => document.querySelector('#samples-img').getAttribute('src') !== before", "new samples", before);
        await tab.Page.Locator("#samples-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "samples.png") });
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task Drawing_a_digit_shows_its_reconstruction_and_where_its_code_lands()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        Assert.True(await tab.Page.IsHiddenAsync("#recon-img"));

        await tab.DrawAsync("#draw-canvas", Seven);
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#recon-img'); return !i.hidden && i.naturalWidth === 28; }", "the reconstruction");
        await tab.WaitUntilAsync("() => document.querySelector('#draw-code').textContent.startsWith('Latent mean')", "the drawing's code");
        string code = await tab.Page.TextContentAsync("#draw-code") ?? "";
        Assert.Matches(@"^Latent mean: \(-?\d+\.\d\d, -?\d+\.\d\d\)$", code);
        await tab.ScreenshotAsync("draw");

        // The pad's ink is white on black: some pixels lit, most dark.
        double lit = await tab.EvalAsync<double>(
            "() => { const c = document.querySelector('#draw-canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return n / (c.width * c.height); }");
        Assert.InRange(lit, 0.02, 0.5);

        await tab.Page.ClickAsync("#draw-clear");
        await tab.WaitUntilAsync("() => document.querySelector('#recon-img').hidden", "the cleared reconstruction");
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task The_interpolation_strip_shows_one_digit_per_step()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        // Random ends are in place on load; draw A instead, and ask for 6 steps along a slerp path.
        await tab.DrawAsync("#end-a", [(0.5, 0.15), (0.5, 0.85)]);
        await tab.Page.SelectOptionAsync("#interp-method", "slerp");
        await tab.SetValueAsync("#interp-steps", "6");
        await tab.WaitUntilAsync("() => document.querySelector('#interp-img').dataset.steps === '6'", "a 6-step strip");
        Assert.Equal([GridSize(6), GridSize(1)], await NaturalSizeAsync(tab, "#interp-img"));

        // The main drawing can become an end too.
        await tab.DrawAsync("#draw-canvas", Seven);
        await tab.Page.ClickAsync("button[data-end='b'][data-action='copy']");
        await tab.SetValueAsync("#interp-steps", "8");
        await tab.WaitUntilAsync("() => document.querySelector('#interp-img').dataset.steps === '8'", "an 8-step strip");
        Assert.Equal([GridSize(8), GridSize(1)], await NaturalSizeAsync(tab, "#interp-img"));
        await tab.Page.Locator("#interpolate-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "interpolate.png") });
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task The_latent_scatter_plots_the_test_digits_of_both_models_side_by_side()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => Number(document.querySelector('#scatter-canvas').dataset.pointCount) > 0", "the latent scatter");
        await tab.WaitUntilAsync("() => Number(document.querySelector('#compare-canvas').dataset.pointCount) > 0", "the compared scatter");
        await tab.WaitUntilAsync("() => document.querySelector('#manifold-caption').textContent.startsWith('Decoded plane:')", "the decoded plane");
        await tab.Page.Locator("#explore-section").ScrollIntoViewIfNeededAsync();
        await tab.Page.Locator("#explore-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "latent-space.png") });

        // The service caps the test split at 500 images here.
        Assert.Equal("500", await tab.Page.GetAttributeAsync("#scatter-canvas", "data-point-count"));
        Assert.Equal(site.AeModelId, await tab.Page.InputValueAsync("#compare-select"));
        Assert.True(await ColouredPixelsAsync(tab, "#scatter-canvas") > 300, "The scatter plot shows no coloured points.");
        Assert.True(await ColouredPixelsAsync(tab, "#compare-canvas") > 300, "The compared scatter plot shows no coloured points.");
        Assert.Equal(10, await tab.EvalAsync<int>("() => document.querySelectorAll('#label-legend li').length"));

        await tab.Page.SelectOptionAsync("#compare-select", "");
        Assert.True(await tab.Page.IsHiddenAsync("#compare-figure"));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task Pointing_at_the_latent_plane_decodes_that_point()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelector('#manifold-caption').textContent.startsWith('Decoded plane:')", "the decoded plane");
        var plane = tab.Page.Locator("#manifold-canvas");
        await plane.ScrollIntoViewIfNeededAsync();
        var box = (await plane.BoundingBoxAsync())!;
        await tab.Page.Mouse.MoveAsync(box.X + (box.Width * 0.75f), box.Y + (box.Height * 0.25f));
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#probe-img'); return !i.hidden && i.naturalWidth === 112; }", "the probed digit");
        string caption = await tab.Page.TextContentAsync("#probe-caption") ?? "";
        Assert.Matches(@"z0 = \d\.\d\d, z1 = \d\.\d\d", caption);

        // Keyboard users move the probe with the arrow keys.
        await plane.FocusAsync();
        await tab.Page.Keyboard.PressAsync("ArrowLeft");
        await tab.Page.Keyboard.PressAsync("ArrowLeft");
        await tab.WaitUntilAsync("before => document.querySelector('#probe-caption').textContent !== before", "the probe to move", caption);
        await tab.Page.Locator("#explore-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "probe.png") });
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_value_the_service_refuses_is_explained_next_to_its_control()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.FillAsync("#manifold-range", "1000");
        await tab.WaitUntilAsync("() => document.querySelector('#explore-error').textContent.length > 0", "the plane's error");
        Assert.Contains("range must be above 0 and at most 100", await tab.Page.TextContentAsync("#explore-error"));
        await tab.Page.Locator("#explore-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "explore-error.png") });

        await tab.Page.FillAsync("#manifold-range", "2");
        await tab.WaitUntilAsync("() => document.querySelector('#explore-error').textContent === ''", "the error to clear");
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task When_the_service_cannot_be_reached_the_section_says_so()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.Page.RouteAsync("**/samples.png*", route => route.AbortAsync("connectionrefused"));
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelector('#samples-error').textContent.length > 0", "the samples' error");
        Assert.Contains("Could not reach the service", await tab.Page.TextContentAsync("#samples-error"));
        await tab.Page.Locator("#samples-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "samples-offline.png") });

        await tab.Page.UnrouteAsync("**/samples.png*");
        await tab.Page.ClickAsync("#samples-new");
        await tab.WaitUntilAsync("() => document.querySelector('#samples-error').textContent === ''", "the error to clear after a retry");
        Assert.Empty(tab.ScriptErrors);
    }

    private static async Task<int[]> NaturalSizeAsync(DemoPage tab, string selector)
        => await tab.EvalAsync<int[]>($"() => {{ const i = document.querySelector('{selector}'); return [i.naturalWidth, i.naturalHeight]; }}");

    /// <summary>Pixels of a canvas that are clearly coloured (the dots; the panel, grid and text are grey).</summary>
    private static Task<int> ColouredPixelsAsync(DemoPage tab, string selector)
        => tab.EvalAsync<int>(
            "s => { const c = document.querySelector(s); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; " +
            "for (let i = 0; i < d.length; i += 4) { const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]); if (hi - lo > 60) n++; } return n; }",
            selector);
}
