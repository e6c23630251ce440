using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Vae.Web.Tests;

/// <summary>
/// What every browser test needs, made once: the service on a loopback port with four small trained
/// models (a conditional MNIST VAE and a colour CIFAR-10 conv VAE first, then a 2-d autoencoder,
/// then a 2-d VAE, which is then the newest MNIST model and so the default), and a headless
/// Chromium. Each test opens its own page.
/// </summary>
public sealed class DemoSite : IAsyncLifetime
{
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromMinutes(5);

    private LiveService? _service;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Uri BaseAddress => Service.BaseAddress;
    public HttpClient Http { get; private set; } = new();
    public string VaeModelId { get; private set; } = "";
    public string AeModelId { get; private set; } = "";
    public string ConditionalModelId { get; private set; } = "";
    public string ColourModelId { get; private set; } = "";

    public LiveService Service => _service ?? throw new InvalidOperationException("The service has not started.");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>Where the tests' screenshots go: screenshots/ next to the test assembly.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        // Said first and plainly: without the browser nothing below is worth starting.
        if (!File.Exists(Chromium.Path)) throw new InvalidOperationException(Chromium.MissingMessage);
        Directory.CreateDirectory(ScreenshotDirectory);

        _service = new LiveService();
        _service.Start();
        Http = new HttpClient { BaseAddress = _service.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };

        var models = TrainModelsAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
        await models;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        Http.Dispose();
        if (_service is not null) await _service.DisposeAsync();
    }

    /// <summary>A fresh page in its own context, recording console errors and script exceptions.</summary>
    public async Task<DemoPage> OpenPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        return new DemoPage(context, page);
    }

    private async Task TrainModelsAsync()
    {
        ConditionalModelId = await TrainAsync(new
        {
            name = "conditional-digits",
            model = new { family = "mlp", conditional = true, hiddenSizes = new[] { 256 }, latentDim = 2 },
            epochs = 3,
        });
        ColourModelId = await TrainAsync(new
        {
            name = "colour-photos",
            dataset = "cifar10",
            model = new { family = "conv", latentDim = 16, likelihood = "gaussianLearnedScale" },
            epochs = 1,
            maxTrainImages = 512,
            maxTestImages = 100,
        });
        AeModelId = await TrainAsync(new { name = "test-ae", model = new { family = "mlp", kind = "ae", hiddenSizes = new[] { 64 }, latentDim = 2 }, epochs = 2 });
        VaeModelId = await TrainAsync(new { name = "test-vae", model = new { family = "mlp", kind = "vae", hiddenSizes = new[] { 128 }, latentDim = 2 }, epochs = 3 });
    }

    /// <summary>Queues a job and waits for it; returns the id of the model it made.</summary>
    public async Task<string> TrainAsync(object request)
    {
        var response = await Http.PostAsJsonAsync("api/jobs", request);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/jobs answered {(int)response.StatusCode}: {body}");
        string id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TrainingTimeout)
        {
            using var job = JsonDocument.Parse(await Http.GetStringAsync($"api/jobs/{id}"));
            var root = job.RootElement;
            switch (root.GetProperty("status").GetString())
            {
                case "succeeded":
                    return root.GetProperty("modelId").GetString()!;
                case "failed" or "cancelled":
                    throw new InvalidOperationException($"Training job {id} for the browser tests ended {root.GetProperty("status")}: {root.GetProperty("error")}");
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Training job {id} for the browser tests did not finish in {TrainingTimeout.TotalSeconds} s.");
    }
}

[CollectionDefinition(Name)]
public sealed class DemoSiteCollection : ICollectionFixture<DemoSite>
{
    public const string Name = "Demo site";
}
