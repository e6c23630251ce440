using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Imaging;
using Vae.Engine.Tests;
using Xunit.Abstractions;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>
/// A conditional model trained through the API draws the digit a request asks for, as judged by a
/// classifier trained here on MNIST, independent of the model.
/// </summary>
public sealed class ConditionalSamplesFixture : IAsyncLifetime
{
    public ServiceFactory Service { get; } = new(settings: new Dictionary<string, string?>
    {
        // More digits than the other API tests use: the labels must be learned, not guessed.
        ["Datasets:TrainLimit"] = "10000",
        ["Jobs:TrainingThreads"] = "2",
    });

    public HttpClient Client { get; private set; } = null!;
    public DigitClassifier Judge { get; private set; } = null!;
    public string ModelId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Client = Service.CreateClient();
        var judge = Task.Run(() => new DigitClassifier());
        var job = await Client.SubmitAsync(new
        {
            name = "conditional-digits",
            model = new { family = "mlp", conditional = true, latentDim = 2, hiddenSizes = new[] { 512 } },
            epochs = 6,
            evaluation = new { enabled = false },
        });
        var done = await Client.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);
        Assert.True(done.ModelId is not null, $"The conditional job ended {done.Status}: {done.Error}");
        ModelId = done.ModelId!;
        Judge = await judge;
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        Service.Dispose();
        return Task.CompletedTask;
    }
}

public class ConditionalSamplesTests(ConditionalSamplesFixture fx, ITestOutputHelper output) : IClassFixture<ConditionalSamplesFixture>
{
    private const int Tile = 28, Padding = 2, Columns = 5, PerDigit = 25;

    [Fact]
    public async Task Samples_asked_for_digit_k_are_read_as_k_by_an_independent_classifier()
    {
        Assert.True(fx.Judge.TestAccuracy >= 0.95, $"The judge reads only {fx.Judge.TestAccuracy:P1} of real test digits right.");
        int right = 0;
        var perDigit = new List<string>();
        for (int digit = 0; digit < 10; digit++)
        {
            var response = await fx.Client.GetAsync($"/api/models/{fx.ModelId}/samples.png?label={digit}&n={PerDigit}&columns={Columns}&seed={digit + 1}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var grid = TestImages.Read(await response.Content.ReadAsByteArrayAsync());
            int[] read = fx.Judge.Predict(Tiles(grid, PerDigit));
            int hits = read.Count(d => d == digit);
            right += hits;
            perDigit.Add($"{digit}: {hits}/{PerDigit}");
        }
        double rate = right / (10.0 * PerDigit);
        output.WriteLine($"asked-digit rate {rate:P1} ({string.Join(", ", perDigit)})");
        Assert.True(rate >= 0.85, $"Only {rate:P1} of the samples show the digit asked for ({string.Join(", ", perDigit)}).");
    }

    [Fact]
    public async Task Decoding_the_same_codes_with_other_labels_draws_other_digits()
    {
        var latents = Enumerable.Range(0, 10).Select(i => new[] { 0.3f * (i % 3) - 0.3f, 0.2f * (i % 2) }).ToArray();
        int[] labels = Enumerable.Range(0, 10).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/models/{fx.ModelId}/decode")
        {
            Content = JsonContent.Create(new { latents, labels }),
        };
        request.Headers.Accept.ParseAdd("application/json");
        var response = await fx.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        float[] pixels = body.RootElement.GetProperty("images").EnumerateArray()
            .SelectMany(image => image.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        int[] read = fx.Judge.Predict(pixels);
        int hits = read.Where((d, i) => d == labels[i]).Count();
        Assert.True(hits >= 8, $"The decoded digits read as {string.Join(",", read)} for labels 0-9.");
    }

    /// <summary>The first <paramref name="count"/> tiles of a sample grid as gray values in [0, 1].</summary>
    private static float[] Tiles(RgbaImage grid, int count)
    {
        var pixels = new float[count * Tile * Tile];
        for (int t = 0; t < count; t++)
        {
            int x0 = Padding + (t % Columns) * (Tile + Padding), y0 = Padding + (t / Columns) * (Tile + Padding);
            for (int y = 0; y < Tile; y++)
                for (int x = 0; x < Tile; x++)
                    pixels[(t * Tile * Tile) + (y * Tile) + x] = grid.Pixels[(((y0 + y) * grid.Width) + x0 + x) * RgbaImage.Channels] / 255f;
        }
        return pixels;
    }
}
