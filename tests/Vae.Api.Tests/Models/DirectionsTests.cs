using System.Net;
using System.Net.Http.Json;
using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Tests;
using Xunit.Abstractions;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>Latent directions on a model that knows digits: computed from classes or images, stored, listed, deleted, and followed.</summary>
[Collection(DigitsModelCollection.Name)]
public class DirectionsTests(DigitsModelFixture fx, ITestOutputHelper output)
{
    private string Url(string rest = "") => $"/api/models/{fx.ModelId}/directions{rest}";

    private Task<HttpResponseMessage> CreateAsync(object body) => fx.Client.PostAsync(Url(), JsonContent.Create(body));

    [Fact]
    public async Task Moving_ones_along_the_direction_from_ones_to_sevens_makes_an_independent_classifier_read_sevens()
    {
        var judge = Task.Run(() => new DigitClassifier());
        var created = await CreateAsync(new { name = "one-to-seven", from = new { label = 1 }, to = new { label = 7 } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var direction = await created.ReadJsonAsync<DirectionView>();
        Assert.Equal($"/api/models/{fx.ModelId}/directions/one-to-seven", created.Headers.Location?.OriginalString);
        Assert.Equal(("one-to-seven", 8, 8), (direction.Name, direction.LatentDim, direction.Vector.Length));
        Assert.Equal(Math.Sqrt(direction.Vector.Sum(v => (double)v * v)), direction.Norm, 4);
        Assert.Equal(new DirectionSource(1, "1", direction.FromCount), direction.From);
        Assert.Equal(new DirectionSource(7, "7", direction.ToCount), direction.To);
        // The service's test split is its first 200 digits: a few dozen of each class.
        Assert.InRange(direction.FromCount, 10, 40);
        Assert.InRange(direction.ToCount, 10, 40);
        Assert.True(direction.Norm > 0.5, $"ones and sevens should have different mean codes; the norm is {direction.Norm}");

        var ones = Enumerable.Range(0, fx.HeldOutDigits.Count).Where(i => fx.HeldOutDigits.GetLabel(i) == 1).Take(20).ToArray();
        float[] amounts = [0, 1, 2];
        var read = new List<int[]>();
        foreach (var row in DigitsModelFixture.Rows(fx.HeldOutDigits, ones))
        {
            var strip = await (await fx.Client.PostAsync($"/api/models/{fx.ModelId}/edit",
                JsonContent.Create(new { image = row, direction = "one-to-seven", amounts }), "application/json")).ReadJsonAsync<EditResponse>();
            Assert.Equal(amounts, strip.Amounts);
            Assert.Equal(3, strip.Images.Count);
            read.Add((await judge).Predict(strip.Images.SelectMany(image => image).ToArray()));
        }
        int Sevens(int step) => read.Count(digits => digits[step] == 7);
        output.WriteLine($"sevens among {ones.Length} ones moved by 0, 1, 2: {Sevens(0)}, {Sevens(1)}, {Sevens(2)}");
        Assert.True(Sevens(0) <= 3, $"{Sevens(0)} of the unmoved ones already read as sevens");
        Assert.True(Sevens(1) >= Sevens(0) + 8, $"moved by 1, only {Sevens(1)} of {ones.Length} ones read as sevens (unmoved: {Sevens(0)})");
        Assert.True(Sevens(2) >= Sevens(0) + 10, $"moved by 2, only {Sevens(2)} of {ones.Length} ones read as sevens (unmoved: {Sevens(0)})");
    }

    [Fact]
    public async Task Directions_from_images_are_listed_fetched_and_deleted_by_name()
    {
        var rows = DigitsModelFixture.Rows(fx.HeldOutDigits, Enumerable.Range(0, 6));
        var png = Convert.ToBase64String(TestImages.Png(new GrayImage(28, 28, rows[5])));
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(new { name = "listed.a", from = new { images = rows[..2] }, to = new { images = new object[] { rows[2], png } } })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(new { name = "listed.b", from = new { label = 3 }, to = new { images = rows[3..5] }, limit = 5 })).StatusCode);

        var list = await (await fx.Client.GetAsync(Url())).ReadJsonAsync<DirectionList>();
        var a = Assert.Single(list.Directions, d => d.Name == "listed.a");
        Assert.Equal((2, 2), (a.FromCount, a.ToCount));
        Assert.Equal(new DirectionSource(null, null, 2), a.From);
        var b = await (await fx.Client.GetAsync(Url("/listed.b"))).ReadJsonAsync<DirectionView>();
        Assert.Equal((5, 2), (b.FromCount, b.ToCount));

        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(Url("/listed.a"))).StatusCode);
        list = await (await fx.Client.GetAsync(Url())).ReadJsonAsync<DirectionList>();
        Assert.DoesNotContain(list.Directions, d => d.Name == "listed.a");
        Assert.Contains(list.Directions, d => d.Name == "listed.b");
        await (await fx.Client.DeleteAsync(Url("/listed.a"))).AssertProblemAsync(404, "no direction named 'listed.a'");
        await (await fx.Client.GetAsync(Url("/listed.a"))).AssertProblemAsync(404, "no direction named 'listed.a'", "listed.b");
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(Url("/listed.b"))).StatusCode);
    }

    [Fact]
    public async Task An_edit_strip_is_a_png_with_one_tile_per_amount_and_a_code_moves_as_far_as_asked()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(new { name = "strip", from = new { label = 0 }, to = new { label = 6 }, limit = 10 })).StatusCode);
        var direction = await (await fx.Client.GetAsync(Url("/strip"))).ReadJsonAsync<DirectionView>();
        var png = Convert.ToBase64String(TestImages.Png(new GrayImage(28, 28, DigitsModelFixture.Rows(fx.HeldOutDigits, [0])[0])));

        var strip = await fx.Client.PostAsync($"/api/models/{fx.ModelId}/edit?scale=2", JsonContent.Create(new { image = png, direction = "strip" }));
        await strip.AssertPngAsync(2 * ((5 * 30) + 2), 2 * 32);
        Assert.Equal((5, 1, 56, 56, 4, 2), PngFacts.Grid(strip));

        var latent = new float[8];
        var moved = await (await fx.Client.PostAsync($"/api/models/{fx.ModelId}/edit",
            JsonContent.Create(new { latent, direction = "strip", amounts = new[] { -1.5f, 3f } }), "application/json")).ReadJsonAsync<EditResponse>();
        for (int d = 0; d < 8; d++)
        {
            Assert.Equal(-1.5f * direction.Vector[d], moved.Latents[0][d], 5);
            Assert.Equal(3f * direction.Vector[d], moved.Latents[1][d], 5);
        }
        Assert.Equal((1, 28, 28), (moved.Channels, moved.Height, moved.Width));
        // One amount is one image, without the strip's padding, as decode draws a single code.
        var single = await fx.Client.PostAsync($"/api/models/{fx.ModelId}/edit?scale=4", JsonContent.Create(new { latent, direction = "strip", amounts = new[] { 1f } }));
        await single.AssertPngAsync(112, 112);
        Assert.Equal((1, 1, 112, 112, 0, 4), PngFacts.Grid(single));
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(Url("/strip"))).StatusCode);
    }

    [Fact]
    public async Task Every_unusable_direction_or_edit_request_is_refused_with_a_problem_that_says_why()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(new { name = "taken", from = new { label = 2 }, to = new { label = 5 }, limit = 5 })).StatusCode);
        await (await CreateAsync(new { name = "taken", from = new { label = 2 }, to = new { label = 5 } })).AssertProblemAsync(409, "already has a direction named 'taken'");
        await (await CreateAsync(new { from = new { label = 2 }, to = new { label = 5 } })).AssertProblemAsync(422, "name is required");
        await (await CreateAsync(new { name = "no/slash", from = new { label = 2 }, to = new { label = 5 } })).AssertProblemAsync(422, "letters, digits");
        await (await CreateAsync(new { name = new string('x', 65), from = new { label = 2 }, to = new { label = 5 } })).AssertProblemAsync(422, "1 to 64");
        await (await CreateAsync(new { name = "x", from = new { label = 10 }, to = new { label = 5 } })).AssertProblemAsync(422, "from.label must be a class", "from 0 to 9");
        await (await CreateAsync(new { name = "x", from = new { label = 2 }, to = new { label = -1 } })).AssertProblemAsync(422, "to.label");
        await (await CreateAsync(new { name = "x", from = new { label = 2 } })).AssertProblemAsync(422, "to needs exactly one of");
        await (await CreateAsync(new { name = "x", from = new { label = 2, images = new[] { new float[784] } }, to = new { label = 5 } })).AssertProblemAsync(422, "from needs exactly one of");
        await (await CreateAsync(new { name = "x", from = new { images = Array.Empty<float[]>() }, to = new { label = 5 } })).AssertProblemAsync(422, "from.images must be between 1 and 256");
        await (await CreateAsync(new { name = "x", from = new { images = new[] { new float[10] } }, to = new { label = 5 } })).AssertProblemAsync(422, "from.images[0] has 10 pixel values", "784");
        await (await CreateAsync(new { name = "x", from = new { label = 2 }, to = new { label = 5 }, limit = 0 })).AssertProblemAsync(422, "limit must be between 1");
        await (await fx.Client.PostAsync(Url(), Http.JsonBody(""))).AssertProblemAsync(400, "body is empty");
        await (await fx.Client.PostAsync(Url(), Http.PngBody([1]))).AssertProblemAsync(415, "application/json");
        await (await fx.Client.PostAsync("/api/models/nope/directions", JsonContent.Create(new { name = "x" }))).AssertProblemAsync(404, "no model 'nope'");
        await (await fx.Client.GetAsync("/api/models/nope/directions")).AssertProblemAsync(404, "no model 'nope'");
        await (await fx.Client.DeleteAsync("/api/models/nope/directions/taken")).AssertProblemAsync(404, "no model 'nope'");

        string edit = $"/api/models/{fx.ModelId}/edit";
        var latent = new float[8];
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent, direction = "missing" }))).AssertProblemAsync(422, "no direction named 'missing'", "'taken'");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent }))).AssertProblemAsync(422, "direction is required");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent, image = new float[784], direction = "taken" }))).AssertProblemAsync(400, "exactly one of");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { direction = "taken" }))).AssertProblemAsync(400, "exactly one of");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent = new float[3], direction = "taken" }))).AssertProblemAsync(422, "latent has 3 numbers", "8");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent, direction = "taken", amounts = new[] { 0f, 1000f } }))).AssertProblemAsync(422, "amounts[1]");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { latent, direction = "taken", amounts = Array.Empty<float>() }))).AssertProblemAsync(422, "amounts must be between 1 and 64");
        await (await fx.Client.PostAsync(edit, JsonContent.Create(new { image = "%%%", direction = "taken" }))).AssertProblemAsync(400, "image is not valid base64");
        await (await fx.Client.PostAsync(edit + "?label=1", JsonContent.Create(new { latent, direction = "taken" }))).AssertProblemAsync(422, "not conditional");
        await (await fx.Client.PostAsync("/api/models/nope/edit", JsonContent.Create(new { latent, direction = "taken" }))).AssertProblemAsync(404, "no model 'nope'");
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(Url("/taken"))).StatusCode);
    }

    [Fact]
    public async Task Storing_and_deleting_directions_needs_write_access_while_scoring_and_editing_do_not()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(new { name = "guarded", from = new { label = 4 }, to = new { label = 9 }, limit = 5 })).StatusCode);
        using var remote = new ServiceFactory(stateDirectory: fx.Service.StateDirectory, remoteAddress: IPAddress.Parse("203.0.113.7"),
            settings: new Dictionary<string, string?> { ["Datasets:TrainLimit"] = "8000" });
        using var client = remote.CreateClient();

        await (await client.PostAsync(Url(), JsonContent.Create(new { name = "intruder", from = new { label = 4 }, to = new { label = 9 } }))).AssertProblemAsync(403, "loopback");
        await (await client.DeleteAsync(Url("/guarded"))).AssertProblemAsync(403, "loopback");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Url("/guarded"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/models/{fx.ModelId}/edit", JsonContent.Create(new { latent = new float[8], direction = "guarded" }))).StatusCode);
        var pixels = DigitsModelFixture.Rows(fx.HeldOutDigits, [0]);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/models/{fx.ModelId}/score?k=4", JsonContent.Create(new { images = pixels }))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(Url("/guarded"))).StatusCode);
    }
}
