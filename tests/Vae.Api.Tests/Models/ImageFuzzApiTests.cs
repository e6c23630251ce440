using System.Diagnostics;
using Vae.Engine.Imaging;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Tests.Imaging;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

/// <summary>
/// Two thousand damaged PNG, JPEG, WebP and BMP files, from a fixed seed, sent to encode as image
/// bodies: every answer is a success or a problem of the client's (400, 413, 415, 422), never a 5xx,
/// and none takes a second. The service decodes within half a second here (Images:DecodeTimeLimitSeconds);
/// each request's own stopwatch is checked against one second, a limit check and not a wait.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class ImageFuzzApiTests(ModelsFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task Two_thousand_damaged_image_bodies_are_each_read_or_refused_as_the_clients_fault_within_a_second()
    {
        using var factory = new ServiceFactory(settings: new Dictionary<string, string?> { ["Images:DecodeTimeLimitSeconds"] = "0.5" });
        var record = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, fx.TestImages, fx.TestImages, "fuzz");
        using var client = factory.CreateClient();
        string url = $"/api/models/{record.Id}/encode";
        var seeds = ImageMutator.Seeds();
        var mutator = new ImageMutator(seed: 7_2025);
        // The host's first request loads the model and compiles the endpoint: not a decode's time.
        foreach (var (_, file) in seeds)
            await client.PostAsync(url, Http.Body(file, ImageFormats.MediaTypes[0]));
        var statuses = new SortedDictionary<int, int>();
        var slowest = TimeSpan.Zero;

        // Every decoder's code is compiled before the clock counts: the first request of each kind pays the JIT, not the decode.
        foreach (var (_, file) in seeds)
            foreach (var mediaType in ImageFormats.MediaTypes)
                using (await client.PostAsync(url, Http.Body(file, mediaType))) { }
        for (int i = 0; i < 2000; i++)
        {
            var (name, file) = seeds[i % seeds.Count];
            var (damaged, damage) = mutator.Mutate(file);
            string type = ImageFormats.MediaTypes[i % ImageFormats.MediaTypes.Count];
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync(url, Http.Body(damaged, type));
            string body = await response.Content.ReadAsStringAsync();
            clock.Stop();

            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            Assert.True(status is 200 or 400 or 413 or 415 or 422, $"file {i} ({name}: {damage}) answered {status}: {body}");
            if (status != 200) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"file {i} ({name}: {damage}) took {clock.Elapsed.TotalMilliseconds:F0} ms");
        }

        output.WriteLine($"statuses: {string.Join(", ", statuses.Select(s => $"{s.Key} x{s.Value}"))}; slowest request {slowest.TotalMilliseconds:F1} ms");
        Assert.True(statuses.GetValueOrDefault(200) > 100, "hardly any damaged file was still read");
        Assert.True(statuses.GetValueOrDefault(400) > 500, "hardly any damaged file was refused as malformed");
    }
}
