using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>POST /api/models/{id}/score and GET /api/models/{id}/scores on a model that knows digits only.</summary>
[Collection(DigitsModelCollection.Name)]
public class AnomalyScoreTests(DigitsModelFixture fx, ITestOutputHelper output)
{
    private const int PerSet = 200;

    private Task<HttpResponseMessage> ScoreJsonAsync(string id, float[][] rows, string query = "")
        => fx.Client.PostAsync($"/api/models/{id}/score{query}", JsonContent.Create(new { images = rows }));

    [Fact]
    public async Task Clothes_score_as_more_unusual_than_digits_the_model_never_saw()
    {
        output.WriteLine($"the digits model trained in {fx.TrainingSeconds:0.0} s (job included)");
        var digits = await (await ScoreJsonAsync(fx.ModelId, DigitsModelFixture.Rows(fx.HeldOutDigits, Enumerable.Range(0, PerSet)))).ReadJsonAsync<ScoreResponse>();
        // Fashion-MNIST's test split may be ordered by class: a stride takes every class.
        int stride = fx.Fashion.Count / PerSet;
        var clothes = await (await ScoreJsonAsync(fx.ModelId, DigitsModelFixture.Rows(fx.Fashion, Enumerable.Range(0, PerSet).Select(i => i * stride)))).ReadJsonAsync<ScoreResponse>();

        Assert.Equal(PerSet, digits.Scores.Count);
        Assert.Equal("negativeIwae", digits.Measure);
        Assert.Equal(16, digits.K);
        Assert.Equal(new DistributionSummary(200, 16, "negativeIwae", digits.Distribution!.CreatedAt), digits.Distribution);
        double[] normal = digits.Scores.Select(s => s.NegativeIwae!.Value).ToArray();
        double[] unusual = clothes.Scores.Select(s => s.NegativeIwae!.Value).ToArray();
        double auc = RocAuc(normal, unusual);
        double Median(IEnumerable<double> values) => values.Order().ElementAt(PerSet / 2);
        output.WriteLine($"ROC AUC (Fashion-MNIST against held-out MNIST digits, {PerSet} each, by the IWAE estimate of -log p(x), k = 16): {auc:0.0000}");
        output.WriteLine($"median -log p(x): digits {Median(normal):0.0} nats, clothes {Median(unusual):0.0} nats; "
            + $"median percentile: digits {Median(digits.Scores.Select(s => s.Percentile!.Value)):0.0}, clothes {Median(clothes.Scores.Select(s => s.Percentile!.Value)):0.0}");
        Assert.True(auc > 0.95, $"ROC AUC {auc:0.0000}: the model does not tell clothes from digits.");

        // Held-out digits are like the test digits: their percentiles spread over the range; clothes sit at the top.
        Assert.InRange(Median(digits.Scores.Select(s => s.Percentile!.Value)), 20, 80);
        Assert.True(Median(clothes.Scores.Select(s => s.Percentile!.Value)) >= 99, "most clothes should score above every test digit");
        // The three figures relate as their definitions say.
        Assert.All(digits.Scores.Concat(clothes.Scores), s =>
        {
            Assert.True(s.Reconstruction < s.NegativeElbo, $"{s}");
            Assert.InRange(s.Percentile!.Value, 0, 100);
        });
        Assert.True(normal.Average() < digits.Scores.Average(s => s.NegativeElbo!.Value), "the IWAE estimate should lie below the negative ELBO on average");
    }

    [Fact]
    public async Task A_png_a_zip_of_pngs_and_base64_pngs_in_json_score_the_same_image_alike()
    {
        byte[] one = Png(0), two = Png(1);
        string url = $"/api/models/{fx.ModelId}/score?invert=false&seed=5";
        var single = await (await fx.Client.PostAsync(url, Http.PngBody(one))).ReadJsonAsync<ScoreResponse>();
        var zipped = await (await fx.Client.PostAsync(url, Http.Body(Zip(("b/two.png", two), ("a/one.png", one)), "application/zip"))).ReadJsonAsync<ScoreResponse>();
        var json = await (await fx.Client.PostAsync($"/api/models/{fx.ModelId}/score?invert=false",
            JsonContent.Create(new { images = new[] { Convert.ToBase64String(one) }, seed = 5 }))).ReadJsonAsync<ScoreResponse>();

        Assert.Null(Assert.Single(single.Scores).Name);
        Assert.Equal(["a/one.png", "b/two.png"], zipped.Scores.Select(s => s.Name));
        // Each image's noise comes from the seed and its place in the request, not from the others sent with it.
        AssertAlike(single.Scores[0], zipped.Scores[0]);
        AssertAlike(single.Scores[0], json.Scores[0]);
        Assert.Equal(5, json.Seed);
        Assert.NotEqual(zipped.Scores[0].NegativeIwae, zipped.Scores[1].NegativeIwae);
    }

    [Fact]
    public async Task More_importance_samples_answer_a_tighter_estimate_while_the_percentile_keeps_to_the_distributions_k()
    {
        var rows = DigitsModelFixture.Rows(fx.HeldOutDigits, [3]);
        var few = await (await ScoreJsonAsync(fx.ModelId, rows, "?k=1")).ReadJsonAsync<ScoreResponse>();
        var many = await (await fx.Client.PostAsync($"/api/models/{fx.ModelId}/score", JsonContent.Create(new { images = rows, k = 256 }))).ReadJsonAsync<ScoreResponse>();
        var usual = await (await ScoreJsonAsync(fx.ModelId, rows)).ReadJsonAsync<ScoreResponse>();

        Assert.Equal((1, 256, 16), (few.K, many.K, usual.K));
        Assert.True(many.Scores[0].NegativeIwae < few.Scores[0].NegativeIwae, $"k = 256: {many.Scores[0]}, k = 1: {few.Scores[0]}");
        Assert.Equal(usual.Scores[0].Percentile, few.Scores[0].Percentile);
        Assert.Equal(usual.Scores[0].Percentile, many.Scores[0].Percentile);
    }

    [Fact]
    public async Task The_histogram_counts_every_test_score_between_the_lowest_and_the_highest()
    {
        var histogram = await (await fx.Client.GetAsync($"/api/models/{fx.ModelId}/scores?bins=12")).ReadJsonAsync<ScoreHistogram>();
        Assert.Equal(12, histogram.Bins);
        Assert.Equal(12, histogram.Counts.Length);
        Assert.Equal(200, histogram.Counts.Sum());
        Assert.Equal(200, histogram.Images);
        Assert.Equal((16, "negativeIwae"), (histogram.K, histogram.Measure));
        Assert.True(histogram.Counts[0] > 0 && histogram.Counts[^1] > 0, "the end bins hold the lowest and the highest score");
        Assert.InRange(histogram.Median, histogram.Min, histogram.Max);
        Assert.InRange(histogram.Min, 20, 400); // nats of a 784-pixel binary-ish image under a digit model

        var standard = await (await fx.Client.GetAsync($"/api/models/{fx.ModelId}/scores")).ReadJsonAsync<ScoreHistogram>();
        Assert.Equal(30, standard.Bins);
        Assert.Equal(histogram.CreatedAt, standard.CreatedAt);
        await (await fx.Client.GetAsync($"/api/models/{fx.ModelId}/scores?bins=0")).AssertProblemAsync(422, "bins must be between 1 and 200");
        await (await fx.Client.GetAsync("/api/models/nope/scores")).AssertProblemAsync(404, "no model 'nope'");
    }

    [Fact]
    public async Task The_test_set_distribution_is_computed_once_kept_beside_the_weights_and_deleted_with_the_model()
    {
        var record = await PublishTinyAsync(ModelKind.Vae, "scored once");
        string file = fx.Service.Services.GetRequiredService<AnomalyScoring>().FileOf(record.Id);
        Assert.False(File.Exists(file));

        var first = await (await fx.Client.PostAsync($"/api/models/{record.Id}/score", Http.PngBody(Png(2)))).ReadJsonAsync<ScoreResponse>();
        Assert.True(File.Exists(file), "the distribution should be stored beside the weights");
        Assert.Equal(Path.GetDirectoryName(fx.Service.Services.GetRequiredService<ModelStore>().PathOf(record.Id)), Path.GetDirectoryName(file));
        var written = File.GetLastWriteTimeUtc(file);
        using (var stored = JsonDocument.Parse(await File.ReadAllTextAsync(file)))
            Assert.Equal(200, stored.RootElement.GetProperty("scores").GetArrayLength());

        var second = await (await fx.Client.PostAsync($"/api/models/{record.Id}/score", Http.PngBody(Png(3)))).ReadJsonAsync<ScoreResponse>();
        var histogram = await (await fx.Client.GetAsync($"/api/models/{record.Id}/scores")).ReadJsonAsync<ScoreHistogram>();
        Assert.Equal(first.Distribution!.CreatedAt, second.Distribution!.CreatedAt);
        Assert.Equal(first.Distribution.CreatedAt, histogram.CreatedAt);
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));

        // A host started afresh on the same state reads the stored distribution rather than scoring the test images again.
        using (var restarted = fx.Service.Restart())
        {
            using var client = restarted.CreateClient();
            var again = await (await client.GetAsync($"/api/models/{record.Id}/scores")).ReadJsonAsync<ScoreHistogram>();
            Assert.Equal(first.Distribution.CreatedAt, again.CreatedAt);
        }

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await fx.Client.DeleteAsync($"/api/models/{record.Id}")).StatusCode);
        Assert.False(File.Exists(file), "deleting the model should delete its stored distribution");
        await (await fx.Client.GetAsync($"/api/models/{record.Id}/scores")).AssertProblemAsync(404, record.Id);
    }

    [Fact]
    public async Task A_plain_autoencoder_is_scored_and_ranked_by_its_reconstruction_term_alone()
    {
        var record = await PublishTinyAsync(ModelKind.Ae, "scored autoencoder");
        var answer = await (await fx.Client.PostAsync($"/api/models/{record.Id}/score?k=16", Http.PngBody(Png(4)))).ReadJsonAsync<ScoreResponse>();
        var score = Assert.Single(answer.Scores);
        Assert.Equal("reconstruction", answer.Measure);
        Assert.Null(answer.K);
        Assert.Null(score.NegativeElbo);
        Assert.Null(score.NegativeIwae);
        Assert.True(score.Reconstruction > 0);
        Assert.InRange(score.Percentile!.Value, 0, 100);
        var histogram = await (await fx.Client.GetAsync($"/api/models/{record.Id}/scores")).ReadJsonAsync<ScoreHistogram>();
        Assert.Equal(("reconstruction", (int?)null), (histogram.Measure, histogram.K));
    }

    [Fact]
    public async Task Every_unusable_score_request_is_refused_with_a_problem_that_says_why()
    {
        string url = $"/api/models/{fx.ModelId}/score";
        await (await fx.Client.PostAsync(url, Http.JsonBody(""))).AssertProblemAsync(400, "body is empty");
        await (await fx.Client.PostAsync(url, Http.PngBody([]))).AssertProblemAsync(400, "body is empty");
        await (await fx.Client.PostAsync(url, Http.Body([], "application/zip"))).AssertProblemAsync(400, "zip");
        await (await fx.Client.PostAsync(url, new ByteArrayContent([1, 2, 3]))).AssertProblemAsync(415, "image/png", "application/zip", "application/json");
        await (await fx.Client.PostAsync(url, Http.Body([1, 2, 3], "text/plain"))).AssertProblemAsync(415, "text/plain");
        await (await fx.Client.PostAsync(url, Http.PngBody([0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]))).AssertProblemAsync(400);
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": "not a list"}"""))).AssertProblemAsync(400, "images must be a list (got a string)");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"k": 4}"""))).AssertProblemAsync(400, "\"images\"");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": []}"""))).AssertProblemAsync(422, "images must be between 1 and 256");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": [[0.5, 0.5]]}"""))).AssertProblemAsync(422, "images[0] has 2 pixel values", "784");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": ["%%%"]}"""))).AssertProblemAsync(400, "images[0] is not valid base64");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": [null]}"""))).AssertProblemAsync(422, "images[0] is null");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": [{"png": "AAAA"}]}"""))).AssertProblemAsync(400, "base64 image string (PNG, JPEG, WebP or BMP) or a list of pixel values");
        await (await fx.Client.PostAsync(url, Http.JsonBody("""{"images": ["AAAA"]}"""))).AssertProblemAsync(400, "images[0]:");
        await (await fx.Client.PostAsync(url + "?label=3", Http.PngBody(Png(0)))).AssertProblemAsync(422, "not conditional");
        await (await fx.Client.PostAsync(url + "?k=0", Http.PngBody(Png(0)))).AssertProblemAsync(422, "k must be between 1 and 256");
        await (await fx.Client.PostAsync(url + "?k=257", Http.PngBody(Png(0)))).AssertProblemAsync(422, "k must be between 1 and 256");
        string pixels = Http.Floats(DigitsModelFixture.Rows(fx.HeldOutDigits, [0])[0]);
        await (await fx.Client.PostAsync(url, Http.JsonBody($$"""{"images": [{{pixels}}], "k": 1000}"""))).AssertProblemAsync(422, "k must be between 1 and 256");
        await (await fx.Client.PostAsync(url + "?k=8", Http.JsonBody($$"""{"images": [{{pixels}}], "k": 16}"""))).AssertProblemAsync(422, "k is 8 in the query but 16 in the body");
        await (await fx.Client.PostAsync(url, Http.Body(Zip(("notes.txt", "hello"u8.ToArray())), "application/zip"))).AssertProblemAsync(415, "notes.txt", "not a PNG, JPEG, WebP or BMP image");
        await (await fx.Client.PostAsync(url, Http.Body(Zip(("broken.png", [1, 2, 3])), "application/zip"))).AssertProblemAsync(400, "broken.png");
        await (await fx.Client.PostAsync("/api/models/nope/score", Http.PngBody(Png(0)))).AssertProblemAsync(404, "no model 'nope'");
    }

    /// <summary>The same figures up to the rounding of matrix products of another batch size.</summary>
    private static void AssertAlike(ImageScoreView expected, ImageScoreView actual)
    {
        Assert.Equal(expected.NegativeIwae!.Value, actual.NegativeIwae!.Value, 2);
        Assert.Equal(expected.NegativeElbo!.Value, actual.NegativeElbo!.Value, 2);
        Assert.Equal(expected.Reconstruction, actual.Reconstruction, 2);
        Assert.Equal(expected.Percentile, actual.Percentile);
    }

    /// <summary>The share of (normal, unusual) pairs that the scores order rightly, ties counting half: the area under the ROC curve.</summary>
    private static double RocAuc(double[] normal, double[] unusual)
    {
        double right = 0;
        foreach (double u in unusual)
            foreach (double n in normal)
                right += u > n ? 1 : u == n ? 0.5 : 0;
        return right / (normal.Length * unusual.Length);
    }

    private byte[] Png(int heldOut) => TestImages.Png(new GrayImage(28, 28, DigitsModelFixture.Rows(fx.HeldOutDigits, [heldOut])[0]));

    private static byte[] Zip(params (string Name, byte[] Bytes)[] files)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        }
        return memory.ToArray();
    }

    private async Task<Vae.Api.Storage.ModelRecord> PublishTinyAsync(ModelKind kind, string name)
        => await ModelsFixture.PublishAsync(fx.Service, new MlpConfig { Kind = kind, HiddenSizes = [16], LatentDim = 2 }, fx.HeldOutDigits.Subset(0, 300), fx.HeldOutDigits.Subset(300, 100), name);
}
