using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Vae.Api.Models;
using Vae.Engine.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>Every endpoint with every family: gray and colour, unconditional and conditional.</summary>
[Collection(FamiliesCollection.Name)]
public class FamilyEndpointsTests(FamiliesFixture fx)
{
    public static TheoryData<string> Families => FamiliesFixture.Names;

    private const byte Gray = 0, Rgb = 2;

    private static byte ColourTypeOf(TrainedModel model) => model.IsColour ? Rgb : Gray;

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_encodes_a_png_of_its_own_shape_like_the_same_pixels_as_json(string family)
    {
        var model = fx.Models[family];
        var fromPng = await (await fx.Client.PostAsync($"/api/models/{model.Id}/encode?invert=false{model.LabelQuery('&')}", Http.PngBody(model.Png(0))))
            .ReadJsonAsync<EncodeResponse>();
        var fromJson = await (await fx.Client.PostAsync($"/api/models/{model.Id}/encode{model.LabelQuery()}",
            Http.JsonBody($$"""{"pixels":{{Http.Floats(model.Pixels(0))}}}"""))).ReadJsonAsync<EncodeResponse>();

        var code = Assert.Single(fromPng.Results);
        Assert.Equal(model.Config.LatentDim, code.Mu.Length);
        // MNIST uploads are recentred like MNIST's digits, so only the other datasets' PNGs are their exact pixels.
        if (model.Record.Dataset != "mnist")
            for (int i = 0; i < code.Mu.Length; i++) Assert.Equal(fromJson.Results[0].Mu[i], code.Mu[i], 4);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_decodes_codes_into_a_grid_of_its_tiles_with_the_layout_in_headers(string family)
    {
        var model = fx.Models[family];
        var latents = string.Join(",", Enumerable.Range(0, 3).Select(i => Http.Floats(Enumerable.Repeat(0.5f * i, model.Config.LatentDim))));
        var response = await fx.Client.PostAsync($"/api/models/{model.Id}/decode?columns=2{model.LabelQuery('&')}", Http.JsonBody($$"""{"latents":[{{latents}}]}"""));

        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        int w = model.Config.Width, h = model.Config.Height;
        Assert.Equal((2, 2, w, h, 2, 1), PngFacts.Grid(response));
        Assert.Equal((2 * (w + 2) + 2, 2 * (h + 2) + 2), PngFacts.Size(png));
        Assert.Equal(ColourTypeOf(model), PngFacts.ColourType(png));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_answers_decoded_pixels_as_json_with_channels_height_and_width(string family)
    {
        var model = fx.Models[family];
        var latent = Http.Floats(Enumerable.Repeat(0.25f, model.Config.LatentDim));
        var response = await fx.Client.PostAsync($"/api/models/{model.Id}/decode{model.LabelQuery()}", Http.JsonBody($$"""{"latents":[{{latent}}]}"""), "application/json");

        var images = await response.ReadJsonAsync<ImagesResponse>();
        Assert.Equal((model.Config.Channels, model.Config.Height, model.Config.Width), (images.Channels, images.Height, images.Width));
        Assert.Equal(model.Config.InputSize, Assert.Single(images.Images).Length);
        Assert.All(images.Images[0], v => Assert.InRange(v, 0f, 1f));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_reconstructs_a_png_into_one_tile_of_its_own_shape(string family)
    {
        var model = fx.Models[family];
        var response = await fx.Client.PostAsync($"/api/models/{model.Id}/reconstruct?invert=false&scale=2{model.LabelQuery('&')}", Http.PngBody(model.Png(1)));

        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        Assert.Equal((2 * model.Config.Width, 2 * model.Config.Height), PngFacts.Size(png));
        Assert.Equal(ColourTypeOf(model), PngFacts.ColourType(png));
        Assert.Equal((1, 1, 2 * model.Config.Width, 2 * model.Config.Height, 0, 2), PngFacts.Grid(response));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_draws_samples_in_a_padded_grid(string family)
    {
        var model = fx.Models[family];
        var response = await fx.Client.GetAsync($"/api/models/{model.Id}/samples.png?n=6&columns=3{model.LabelQuery('&')}");

        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        int w = model.Config.Width, h = model.Config.Height;
        Assert.Equal((3 * (w + 2) + 2, 2 * (h + 2) + 2), PngFacts.Size(png));
        Assert.Equal(ColourTypeOf(model), PngFacts.ColourType(png));
        Assert.Equal((3, 2, w, h, 2, 1), PngFacts.Grid(response));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_interpolates_between_a_png_and_a_code_as_a_strip_or_as_json(string family)
    {
        var model = fx.Models[family];
        string body = $$"""{"from":{"png":"{{Convert.ToBase64String(model.Png(2))}}"},"to":{"latent":{{Http.Floats(Enumerable.Repeat(1f, model.Config.LatentDim))}}},"steps":4}""";
        string url = $"/api/models/{model.Id}/interpolate?invert=false{model.LabelQuery('&')}";

        var strip = await fx.Client.PostAsync(url, Http.JsonBody(body));
        var png = await strip.Content.ReadAsByteArrayAsync();
        Assert.True(strip.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        Assert.Equal((4 * (model.Config.Width + 2) + 2, model.Config.Height + 4), PngFacts.Size(png));
        Assert.Equal(ColourTypeOf(model), PngFacts.ColourType(png));
        Assert.Equal((4, 1), (PngFacts.Grid(strip).Columns, PngFacts.Grid(strip).Rows));

        var path = await (await fx.Client.PostAsync(url, Http.JsonBody(body), "application/json")).ReadJsonAsync<InterpolationResponse>();
        Assert.Equal((model.Config.Channels, model.Config.Height, model.Config.Width), (path.Channels, path.Height, path.Width));
        Assert.Equal(4, path.Latents.Count);
        Assert.Equal(Enumerable.Repeat(1f, model.Config.LatentDim), path.Latents[3]);
        Assert.All(path.Images, image => Assert.Equal(model.Config.InputSize, image.Length));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_draws_its_latent_manifold(string family)
    {
        var model = fx.Models[family];
        var response = await fx.Client.GetAsync($"/api/models/{model.Id}/manifold.png?n=3&dims=1,0{model.LabelQuery('&')}");

        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        Assert.Equal((3 * model.Config.Width, 3 * model.Config.Height), PngFacts.Size(png));
        Assert.Equal(ColourTypeOf(model), PngFacts.ColourType(png));
        Assert.Equal((3, 3, model.Config.Width, model.Config.Height, 0, 1), PngFacts.Grid(response));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_family_encodes_its_datasets_test_images_with_their_labels(string family)
    {
        var model = fx.Models[family];
        var latents = await (await fx.Client.GetAsync($"/api/models/{model.Id}/latents?limit=5")).ReadJsonAsync<LatentsResponse>();

        Assert.Equal(model.Config.LatentDim, latents.LatentDim);
        Assert.Equal(5, latents.Points.Count);
        var test = (await fx.Factory.Services.GetRequiredService<DatasetCatalog>().OpenAsync(model.Record.Dataset, CancellationToken.None)).Test;
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((int?)test.GetLabel(i), latents.Points[i].Label);
            Assert.Equal(model.Config.LatentDim, latents.Points[i].Mu.Length);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task An_images_code_does_not_depend_on_the_other_images_of_its_batch(string family)
    {
        // Batch norm (conv, resnet) must serve with its running statistics, not the request's batch.
        var model = fx.Models[family];
        string labels = model.Config.Conditional ? ""","labels":[1,2,3]""" : "";
        var batch = await (await fx.Client.PostAsync($"/api/models/{model.Id}/encode", Http.JsonBody(
            $$"""{"batch":[{{Http.Floats(model.Pixels(0))}},{{Http.Floats(model.Pixels(1))}},{{Http.Floats(model.Pixels(2))}}]{{labels}}}"""))).ReadJsonAsync<EncodeResponse>();
        var alone = await (await fx.Client.PostAsync($"/api/models/{model.Id}/encode{model.LabelQuery()}",
            Http.JsonBody($$"""{"pixels":{{Http.Floats(model.Pixels(0))}}}"""))).ReadJsonAsync<EncodeResponse>();

        for (int d = 0; d < model.Config.LatentDim; d++) Assert.Equal(alone.Results[0].Mu[d], batch.Results[0].Mu[d], 4);
    }

    [Fact]
    public async Task A_conditional_models_dataset_codes_are_encoded_under_each_images_true_label()
    {
        var model = fx.ResNet;
        var test = (await fx.Factory.Services.GetRequiredService<DatasetCatalog>().OpenAsync(model.Record.Dataset, CancellationToken.None)).Test;
        var latents = await (await fx.Client.GetAsync($"/api/models/{model.Id}/latents?limit=3")).ReadJsonAsync<LatentsResponse>();

        for (int i = 0; i < 3; i++)
        {
            var pixels = new float[test.FeatureCount];
            test.CopyBatch([i], pixels);
            int label = test.GetLabel(i);
            async Task<float[]> Mu(int l) => (await (await fx.Client.PostAsync($"/api/models/{model.Id}/encode",
                Http.JsonBody($$"""{"pixels":{{Http.Floats(pixels)}},"label":{{l}}}"""))).ReadJsonAsync<EncodeResponse>()).Results[0].Mu;

            var underTrueLabel = await Mu(label);
            for (int d = 0; d < underTrueLabel.Length; d++) Assert.Equal(underTrueLabel[d], latents.Points[i].Mu[d], 4);
            Assert.NotEqual(underTrueLabel, await Mu((label + 1) % 10));
        }
    }
}
