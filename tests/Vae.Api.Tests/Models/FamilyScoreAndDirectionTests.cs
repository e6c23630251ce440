using System.Net;
using System.Net.Http.Json;
using Vae.Api.Models;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>Anomaly scores and latent directions with every family: gray and colour, unconditional and conditional.</summary>
[Collection(FamiliesCollection.Name)]
public class FamilyScoreAndDirectionTests(FamiliesFixture fx)
{
    public static TheoryData<string> Families => FamiliesFixture.Names;

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_scores_a_png_of_its_own_shape_against_its_test_images(string family)
    {
        var model = fx.Models[family];
        var answer = await (await fx.Client.PostAsync($"/api/models/{model.Id}/score?invert=false&k=8{model.LabelQuery('&')}", Http.PngBody(model.Png(0))))
            .ReadJsonAsync<ScoreResponse>();

        var score = Assert.Single(answer.Scores);
        Assert.Equal(("negativeIwae", (int?)8), (answer.Measure, answer.K));
        Assert.True(double.IsFinite(score.NegativeIwae!.Value) && double.IsFinite(score.NegativeElbo!.Value) && double.IsFinite(score.Reconstruction), $"{score}");
        Assert.InRange(score.Percentile!.Value, 0, 100);
        Assert.Equal(200, answer.Distribution!.Images);

        var histogram = await (await fx.Client.GetAsync($"/api/models/{model.Id}/scores?bins=10")).ReadJsonAsync<ScoreHistogram>();
        Assert.Equal(200, histogram.Counts.Sum());
        Assert.Equal(answer.Distribution.CreatedAt, histogram.CreatedAt);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_stores_a_direction_between_image_groups_and_moves_an_image_along_it(string family)
    {
        var model = fx.Models[family];
        string Png(int i) => Convert.ToBase64String(model.Png(i));
        var created = await fx.Client.PostAsync($"/api/models/{model.Id}/directions?invert=false{model.LabelQuery('&')}",
            JsonContent.Create(new { name = "family-" + family, from = new { images = new[] { Png(0), Png(1) } }, to = new { images = new[] { Png(2), Png(3) } } }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var direction = await created.ReadJsonAsync<DirectionView>();
        Assert.Equal(model.Config.LatentDim, direction.Vector.Length);

        var strip = await fx.Client.PostAsync($"/api/models/{model.Id}/edit?invert=false{model.LabelQuery('&')}",
            JsonContent.Create(new { image = Png(4), direction = direction.Name, amounts = new[] { -1f, 0f, 1f } }));
        var png = await strip.Content.ReadAsByteArrayAsync();
        Assert.True(strip.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        int w = model.Config.Width, h = model.Config.Height;
        Assert.Equal((3 * (w + 2) + 2, h + 4), PngFacts.Size(png));
        Assert.Equal(model.IsColour ? 2 : 0, PngFacts.ColourType(png));

        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync($"/api/models/{model.Id}/directions/{direction.Name}")).StatusCode);
    }

    [Fact]
    public async Task A_colour_model_scales_an_image_of_another_size_and_a_conditional_one_refuses_an_image_without_its_class()
    {
        var scaled = await (await fx.Client.PostAsync($"/api/models/{fx.ConvColour.Id}/score", Http.PngBody(fx.Mlp.Png(0)))).ReadJsonAsync<ScoreResponse>();
        Assert.True(double.IsFinite(Assert.Single(scaled.Scores).Reconstruction));
        await (await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/score", Http.PngBody(fx.ResNet.Png(0))))
            .AssertProblemAsync(422, "conditional", "label is required");
        await (await fx.Client.PostAsync($"/api/models/{fx.Conv.Id}/score", JsonContent.Create(new { images = new[] { fx.Conv.Pixels(0), fx.Conv.Pixels(1) }, labels = new[] { 1 } })))
            .AssertProblemAsync(422, "labels has 1 entries but images has 2");
        // A group of images needs the class they are read as, too; a group of a class does not.
        await (await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/directions",
            JsonContent.Create(new { name = "no-class", from = new { images = new[] { fx.ResNet.Pixels(0) } }, to = new { label = 1 } })))
            .AssertProblemAsync(422, "label is required");
        await (await fx.Client.PostAsync($"/api/models/{fx.ConvColour.Id}/directions",
            JsonContent.Create(new { name = "gif", from = new { images = new[] { Convert.ToBase64String(TestImages.Gif(TestImages.Photo(8, 8))) } }, to = new { label = 1 } })))
            .AssertProblemAsync(415, "from.images[0]", "GIF", "PNG, JPEG, WebP or BMP");
        var classes = await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/directions",
            JsonContent.Create(new { name = "cat-to-dog", from = new { label = 3 }, to = new { label = 5 }, limit = 5 }));
        var direction = await classes.ReadJsonAsync<DirectionView>();
        Assert.Equal(new DirectionSource(5, "dog", 5), direction.To);
        await (await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/edit", JsonContent.Create(new { latent = new float[4], direction = "cat-to-dog" })))
            .AssertProblemAsync(422, "label is required");
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/edit?label=3", JsonContent.Create(new { latent = new float[4], direction = "cat-to-dog" }))).StatusCode);
    }

    [Fact]
    public async Task A_conditional_model_asked_to_draw_without_a_class_says_how_to_give_one()
    {
        await (await fx.Client.GetAsync($"/api/models/{fx.ResNet.Id}/samples.png"))
            .AssertProblemAsync(422, "label is required", "add ?label=k to the request's query", "a class from 0 to 9", "3 = cat");
        await (await fx.Client.PostAsync($"/api/models/{fx.ResNet.Id}/decode", JsonContent.Create(new { latents = new[] { new float[4] } })))
            .AssertProblemAsync(422, "label is required", "?label=k", "\"label\": k", "\"labels\", one class per item of latents");
    }
}
