using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Web.Tests;

/// <summary>The page with models other than gray digit VAEs: a conditional model and a colour model.</summary>
[Collection(DemoSiteCollection.Name)]
public class ModelZooTests(DemoSite site)
{
    [Fact]
    public async Task A_conditional_model_gets_a_class_picker_that_drives_samples_plane_and_interpolation()
    {
        await using var tab = await site.OpenPageAsync();
        var asked = new List<string>();
        tab.Page.Request += (_, request) =>
        {
            if (request.Url.Contains(site.ConditionalModelId, StringComparison.Ordinal)) lock (asked) asked.Add(request.Url);
        };
        await tab.OpenAsync();
        Assert.True(await tab.Page.IsHiddenAsync("#label-picker"), "An unconditional model shows no class picker.");

        await tab.Page.SelectOptionAsync("#model-select", site.ConditionalModelId);
        await tab.WaitUntilAsync("() => !document.querySelector('#label-picker').hidden", "the class picker");
        Assert.Equal(10, await tab.EvalAsync<int>("() => document.querySelectorAll('#label-select option').length"));
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').naturalWidth > 0", "the samples");

        string before = await tab.Page.GetAttributeAsync("#samples-img", "src") ?? "";
        await tab.Page.SelectOptionAsync("#label-select", "7");
        await tab.WaitUntilAsync("before => document.querySelector('#samples-img').getAttribute('src') !== before", "samples of sevens", before);
        await tab.WaitUntilAsync("() => document.querySelector('#manifold-caption').textContent.startsWith('Decoded plane:')", "the decoded plane");
        await tab.WaitUntilAsync("() => document.querySelector('#interp-img').naturalWidth > 0", "the interpolation strip");
        lock (asked)
        {
            Assert.Contains(asked, url => url.Contains("/samples.png") && url.Contains("label=7"));
            Assert.Contains(asked, url => url.Contains("/manifold.png") && url.Contains("label=7"));
            Assert.Contains(asked, url => url.Contains("/interpolate") && url.Contains("label=7"));
        }
        await tab.ScreenshotAsync("conditional-sevens");

        // The configuration says what the model is.
        Assert.Contains("yes: 10 classes", await tab.Page.TextContentAsync("#model-config"));
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_colour_model_renders_its_samples_reconstructions_and_probes_in_colour()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.SelectOptionAsync("#model-select", site.ColourModelId);
        await tab.WaitUntilAsync("id => document.body.dataset.model === id", "the colour model", site.ColourModelId);
        // 8 tiles of 32 pixels with 2 pixels of padding (the digit models' grids are 8 x 30 + 2 wide).
        await tab.WaitUntilAsync("() => document.querySelector('#samples-img').naturalWidth === 8 * 34 + 2", "the colour samples");
        Assert.True(await ColourfulPixelsAsync(tab, "#samples-img") > 500, "The colour model's samples are gray.");
        Assert.Contains("colour 32×32", await tab.Page.TextContentAsync("#model-config"));

        // An image file goes through the model at its own size and comes back in colour.
        await tab.Page.SetInputFilesAsync("#draw-file", new Microsoft.Playwright.FilePayload
        {
            Name = "stripes.png", MimeType = "image/png", Buffer = StripesPng(),
        });
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#recon-img'); return !i.hidden && i.naturalWidth === 32; }", "the reconstruction");
        Assert.True(await ColourfulPixelsAsync(tab, "#recon-img") > 20, "The reconstruction of a colourful image is gray.");
        await tab.ScreenshotAsync("colour-model");
        await tab.Page.Locator("#draw-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "colour-reconstruction.png") });
        Assert.Empty(await tab.AlertsAsync());
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task A_jpeg_photo_loaded_into_the_drawing_pad_of_a_colour_model_is_sent_as_it_is_and_reconstructed()
    {
        await using var tab = await site.OpenPageAsync();
        var sent = new List<string>();
        tab.Page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.Contains($"/api/models/{site.ColourModelId}/", StringComparison.Ordinal))
                lock (sent) sent.Add($"{new Uri(request.Url).AbsolutePath} {request.Headers.GetValueOrDefault("content-type")}");
        };
        await tab.OpenAsync();
        await tab.Page.SelectOptionAsync("#model-select", site.ColourModelId);
        await tab.WaitUntilAsync("id => document.body.dataset.model === id", "the colour model", site.ColourModelId);

        // A 640x480 photo as a phone stores it: sideways, with EXIF orientation 6 to turn it upright.
        var upright = TestImages.Rgba(640, 480, (x, y) => (x < 320 ? 230 : 30, y < 240 ? 60 : 200, (x + y) % 256, 255));
        var stored = TestImages.Rgba(480, 640, (x, y) =>
        {
            var (r, g, b, a) = upright.GetPixel(639 - y, x);
            return (r, g, b, a);
        });
        await tab.Page.SetInputFilesAsync("#draw-file", new Microsoft.Playwright.FilePayload
        {
            Name = "photo.jpg", MimeType = "image/jpeg", Buffer = TestImages.Jpeg(stored, quality: 90, orientation: 6),
        });
        await tab.WaitUntilAsync("() => { const i = document.querySelector('#recon-img'); return !i.hidden && i.naturalWidth === 32; }", "the reconstruction");

        Assert.True(await ColourfulPixelsAsync(tab, "#recon-img") > 20, "The reconstruction of a colourful photo is gray.");
        Assert.Equal("", (await tab.Page.TextContentAsync("#draw-error"))?.Trim());
        lock (sent)
        {
            Assert.Contains($"/api/models/{site.ColourModelId}/reconstruct image/jpeg", sent);
            Assert.Contains($"/api/models/{site.ColourModelId}/encode image/jpeg", sent);
        }
        await tab.Page.Locator("#draw-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "colour-photo.png") });

        // A format the service does not read is sent too, and the page shows why it is refused.
        await tab.Page.SetInputFilesAsync("#draw-file", new Microsoft.Playwright.FilePayload
        {
            Name = "animation.gif", MimeType = "image/gif", Buffer = TestImages.Gif(TestImages.Photo(16, 16)),
        });
        await tab.WaitUntilAsync("() => document.querySelector('#draw-error').textContent.includes('image/gif')", "the refusal of the GIF");
        Assert.Contains("image/png, image/jpeg, image/webp or image/bmp", await tab.Page.TextContentAsync("#draw-error"));
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task The_comparison_table_lists_every_model_with_its_figures_and_samples()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelectorAll('#compare-body tr[data-model-id]').length === 4", "four rows");
        await tab.WaitUntilAsync("() => [...document.querySelectorAll('#compare-body img')].every(i => i.naturalWidth > 0)", "every thumbnail");
        string colourRow = $"#compare-body tr[data-model-id='{site.ColourModelId}']";
        Assert.Contains("cifar10", await tab.Page.TextContentAsync(colourRow));
        Assert.Matches(@"^\d+\.\d{3}$", (await tab.Page.TextContentAsync($"{colourRow} td[data-metric=bits]"))!.Trim());
        Assert.Matches(@"^\d+\.\d$", (await tab.Page.TextContentAsync($"#compare-body tr[data-model-id='{site.VaeModelId}'] td[data-metric=iwae]"))!.Trim());

        // Filtered to one dataset, the others leave the table.
        await tab.Page.SelectOptionAsync("#compare-dataset", "cifar10");
        Assert.Equal(1, await tab.EvalAsync<int>("() => document.querySelectorAll('#compare-body tr[data-model-id]').length"));
        await tab.Page.SelectOptionAsync("#compare-dataset", "");
        await tab.Page.Locator("#compare-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "compare.png") });

        // "Use" makes a row's model the page's model.
        await tab.Page.ClickAsync($"{colourRow} button");
        await tab.WaitUntilAsync("id => document.querySelector('#model-select').value === id", "the colour model to be chosen", site.ColourModelId);
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task The_training_form_offers_every_family_and_their_own_fields()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.WaitUntilAsync("() => document.querySelectorAll('#train-form [name=\"model.family\"] option').length >= 3", "the families");
        string[] families = await tab.EvalAsync<string[]>("() => [...document.querySelectorAll('#train-form [name=\"model.family\"] option')].map(o => o.value)");
        Assert.Equal(["mlp", "conv", "resnet"], families);
        Assert.True(await tab.Page.IsVisibleAsync("#train-form [name=\"model.hiddenSizes\"]"));
        // The service's default family is chosen, at its starting point (a 2-d code the page draws as a plane), all from GET /api/families.
        Assert.Equal("mlp", await tab.Page.InputValueAsync("#train-form [name=\"model.family\"]"));
        Assert.Equal("2", await tab.Page.InputValueAsync("#train-form [name=\"model.latentDim\"]"));
        Assert.Equal("256", await tab.Page.InputValueAsync("#train-form [name=\"model.hiddenSizes\"]"));

        await tab.Page.SelectOptionAsync("#train-form [name=\"model.family\"]", "resnet");
        await tab.WaitUntilAsync("() => !document.querySelector('#train-form [name=\"model.hiddenSizes\"]')", "the MLP's fields to go");
        Assert.NotEmpty(await tab.Page.TextContentAsync("#family-help") ?? "");
        // Every field has its help text, from the service's description.
        Assert.Equal(0, await tab.EvalAsync<int>("() => [...document.querySelectorAll('#model-fields label')].filter(l => !l.querySelector('.help')).length"));

        // A ResNet on 28x28 digits is refused: the page sends only what the visitor changed, so the service
        // names the dataset (not the ResNet's default widths) and says what fits, and the page marks the dataset.
        await tab.Page.SelectOptionAsync("#train-form [name=dataset]", "mnist");
        await tab.Page.ClickAsync("#train-submit");
        await tab.WaitUntilAsync("() => document.querySelector('#train-error').textContent.length > 0", "the refusal");
        string refusal = await tab.Page.TextContentAsync("#train-error") ?? "";
        Assert.Contains("28x28", refusal);
        Assert.Contains("cifar10", refusal);
        Assert.Equal("true", await tab.Page.GetAttributeAsync("#train-form [name=dataset]", "aria-invalid"));
        Assert.Null(await tab.Page.GetAttributeAsync("#train-form [name=\"model.widths\"]", "aria-invalid"));
        await tab.Page.Locator("#train-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "training-resnet-refused.png") });
        Assert.Empty(tab.ScriptErrors);
    }

    [Fact]
    public async Task An_uploaded_dataset_joins_the_form_and_is_chosen_for_the_next_job()
    {
        await using var tab = await site.OpenPageAsync();
        await tab.OpenAsync();
        await tab.Page.ClickAsync("#upload-box summary");
        await tab.Page.SetInputFilesAsync("#upload-file", new Microsoft.Playwright.FilePayload
        {
            Name = "shapes.zip", MimeType = "application/zip", Buffer = ShapesZip(),
        });
        await tab.Page.FillAsync("#upload-name", "page shapes");
        await tab.Page.ClickAsync("#upload-submit");
        await tab.WaitUntilAsync("() => document.querySelector('#upload-status').textContent.startsWith('Uploaded')", "the upload");
        string id = await tab.Page.InputValueAsync("#train-form [name=dataset]");
        Assert.StartsWith("page shapes", await tab.Page.TextContentAsync("#train-form [name=dataset] option:checked"));
        Assert.Contains("3 classes", await tab.Page.TextContentAsync("#dataset-help"));
        await tab.Page.Locator("#train-section").ScreenshotAsync(new() { Path = Path.Combine(DemoSite.ScreenshotDirectory, "upload.png") });

        // A second upload of something that is not a zip is explained, and changes nothing.
        await tab.Page.SetInputFilesAsync("#upload-file", new Microsoft.Playwright.FilePayload { Name = "notes.zip", MimeType = "application/zip", Buffer = "not a zip"u8.ToArray() });
        await tab.Page.ClickAsync("#upload-submit");
        await tab.WaitUntilAsync("() => document.querySelector('#upload-error').textContent.length > 0", "the refusal");
        Assert.Equal(id, await tab.Page.InputValueAsync("#train-form [name=dataset]"));
        Assert.Empty(tab.ScriptErrors);
        await site.Http.DeleteAsync($"api/datasets/{id}");
    }

    /// <summary>A zip of three classes of 12x12 gray shapes, ten images each.</summary>
    private static byte[] ShapesZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(memory, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, k) in new[] { ("bar", 0), ("dot", 1), ("ring", 2) })
            {
                for (int i = 0; i < 10; i++)
                {
                    var image = new RgbaImage(12, 12);
                    for (int y = 0; y < 12; y++)
                        for (int x = 0; x < 12; x++)
                        {
                            double r = Math.Sqrt(((x - 6) * (x - 6)) + ((y - 6) * (y - 6)));
                            bool on = k switch { 0 => x == 3 + (i % 5), 1 => r < 2 + (i % 2), _ => Math.Abs(r - 4) < 1 };
                            byte v = on ? (byte)255 : (byte)0;
                            image.SetPixel(x, y, v, v, v);
                        }
                    using var entry = zip.CreateEntry($"{name}/{i}.png").Open();
                    entry.Write(TestImages.Png(image));
                }
            }
        }
        return memory.ToArray();
    }

    /// <summary>Pixels of an image whose channels differ clearly: colour, not gray.</summary>
    private static Task<int> ColourfulPixelsAsync(DemoPage tab, string selector)
        => tab.EvalAsync<int>(
            "s => { const i = document.querySelector(s); const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight; " +
            "const x = c.getContext('2d'); x.drawImage(i, 0, 0); const d = x.getImageData(0, 0, c.width, c.height).data; let n = 0; " +
            "for (let k = 0; k < d.length; k += 4) { const hi = Math.max(d[k], d[k + 1], d[k + 2]), lo = Math.min(d[k], d[k + 1], d[k + 2]); if (hi - lo > 30) n++; } return n; }",
            selector);

    /// <summary>A 64x64 PNG of red, green and blue stripes.</summary>
    private static byte[] StripesPng()
    {
        var image = new RgbaImage(64, 64);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                image.SetPixel(x, y, (byte)(x < 21 ? 220 : 20), (byte)(x is >= 21 and < 43 ? 200 : 30), (byte)(x >= 43 ? 230 : 40));
        return TestImages.Png(image);
    }
}
