using Vae.Api.Models;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class DecodeTests(ModelsFixture fx)
{
    private string Url => $"/api/models/{fx.Vae.Id}/decode";

    [Fact]
    public async Task Decoding_one_latent_answers_a_28x28_png()
    {
        var response = await fx.Client.PostAsync(Url, Http.JsonBody("""{"latent":[0.5,-1]}"""));
        await response.AssertPngAsync(28, 28);
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("image/png")]
    [InlineData("image/*, application/json;q=0.5")]
    [InlineData("text/html")]
    public async Task Any_accept_but_json_gets_png(string accept)
    {
        var response = await fx.Client.PostAsync(Url, Http.JsonBody("""{"latent":[0,0]}"""), accept);
        await response.AssertPngAsync(28, 28);
        Assert.Contains("Accept", response.Headers.Vary);
    }

    [Fact]
    public async Task Several_latents_make_a_padded_grid_with_square_columns_by_default()
    {
        var latents = """{"latents":[[0,0],[1,0],[0,1],[1,1],[2,2]]}""";
        // 5 tiles: 3 columns, 2 rows, tiles 28 with 2 pixels of padding around and between them.
        await (await fx.Client.PostAsync(Url, Http.JsonBody(latents))).AssertPngAsync(3 * 30 + 2, 2 * 30 + 2);
        await (await fx.Client.PostAsync(Url + "?columns=5", Http.JsonBody(latents))).AssertPngAsync(5 * 30 + 2, 32);
        await (await fx.Client.PostAsync(Url + "?columns=1&scale=2", Http.JsonBody(latents))).AssertPngAsync(2 * 32, 2 * (5 * 30 + 2));
    }

    [Fact]
    public async Task Scale_enlarges_each_pixel_into_a_block()
    {
        var plain = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"latent":[0.3,0.2]}"""))).AssertPngAsync(28, 28);
        var scaled = await (await fx.Client.PostAsync(Url + "?scale=3", Http.JsonBody("""{"latent":[0.3,0.2]}"""))).AssertPngAsync(84, 84);
        for (int y = 0; y < 84; y++)
            for (int x = 0; x < 84; x++)
                Assert.Equal(plain.GetPixel(x / 3, y / 3), scaled.GetPixel(x, y));
    }

    [Fact]
    public async Task Asking_for_json_answers_pixel_values_in_0_to_1()
    {
        var response = await fx.Client.PostAsync(Url, Http.JsonBody("""{"latents":[[0,0],[1,-1]]}"""), "application/json");
        var images = await response.ReadJsonAsync<ImagesResponse>();
        Assert.Equal((28, 28), (images.Width, images.Height));
        Assert.Equal(2, images.Images.Count);
        Assert.All(images.Images, image => Assert.Equal(784, image.Length));
        Assert.All(images.Images.SelectMany(i => i), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public async Task The_png_holds_the_json_values_rounded_to_bytes()
    {
        var values = (await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"latent":[-0.7,1.1]}"""), "application/json")).ReadJsonAsync<ImagesResponse>()).Images[0];
        var png = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"latent":[-0.7,1.1]}"""))).AssertPngAsync(28, 28);
        for (int i = 0; i < 784; i++) Assert.Equal((byte)Math.Round(values[i] * 255), png.GetPixel(i % 28, i / 28).R);
    }

    [Fact]
    public async Task Extreme_but_finite_latents_still_give_valid_images()
    {
        var response = await fx.Client.PostAsync(Url, Http.JsonBody("""{"latents":[[3e38,-3e38],[1e30,1e30]]}"""), "application/json");
        var images = await response.ReadJsonAsync<ImagesResponse>();
        Assert.All(images.Images.SelectMany(i => i), v => Assert.InRange(v, 0f, 1f));
        await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"latents":[[3e38,-3e38]]}"""))).AssertPngAsync(28, 28);
    }

    [Theory]
    [InlineData("""{"latent":[1,2,3]}""", "latent", "3", "expects 2")]
    [InlineData("""{"latents":[[0,0],[1]]}""", "latents[1]", "1", "expects 2")]
    [InlineData("""{"latent":[1e999,0]}""", "latent[0]", "not a finite number", "overflows a 32-bit float")]
    [InlineData("""{"latents":[[0,-1e39]]}""", "latents[0][1]", "not a finite number", "overflows a 32-bit float")]
    [InlineData("""{"latents":[]}""", "latents", "between 1 and 256 codes", "got 0")]
    public async Task Wrong_lengths_and_non_finite_numbers_are_422(string json, string a, string b, string c)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(422, a, b, c);
    }

    [Theory]
    [InlineData("""{"latent":["NaN",0]}""")]
    [InlineData("""{"latent":[0,0}""")]
    [InlineData("""{"latent":[0,0],"latents":[[0,0]]}""")]
    [InlineData("""{"z":[0,0]}""")]
    [InlineData("")]
    public async Task Malformed_bodies_are_400(string json)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(400);
    }

    [Theory]
    [InlineData("?columns=0", "columns")]
    [InlineData("?columns=257", "columns")]
    [InlineData("?scale=0", "scale")]
    [InlineData("?scale=9", "scale")]
    public async Task Columns_and_scale_out_of_range_are_422(string query, string name)
    {
        await (await fx.Client.PostAsync(Url + query, Http.JsonBody("""{"latent":[0,0]}"""))).AssertProblemAsync(422, name);
    }

    [Fact]
    public async Task More_latents_than_the_batch_limit_are_422()
    {
        string json = $$"""{"latents":[{{string.Join(",", Enumerable.Repeat("[0,0]", 257))}}]}""";
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(422, "256");
    }

    [Fact]
    public async Task A_non_json_body_is_415_and_an_oversized_one_413()
    {
        await (await fx.Client.PostAsync(Url, Http.PngBody(fx.Png(0)))).AssertProblemAsync(415, "application/json");
        await (await fx.Client.PostAsync(Url, Http.Body(new byte[(16 * 1024 * 1024) + 1], "application/json"))).AssertProblemAsync(413);
    }

    [Fact]
    public async Task Decoding_with_an_unknown_model_is_404()
    {
        await (await fx.Client.PostAsync("/api/models/unknown/decode", Http.JsonBody("""{"latent":[0,0]}"""))).AssertProblemAsync(404, "unknown");
    }

    [Fact]
    public async Task Concurrent_decodes_share_the_model_and_agree_with_sequential_ones()
    {
        var latents = Enumerable.Range(0, 48).Select(i => $"[{(i % 7) - 3},{(i % 5) - 2}]").ToArray();
        async Task<float[]> DecodeAsync(string latent)
            => (await (await fx.Client.PostAsync(Url, Http.JsonBody($$"""{"latent":{{latent}}}"""), "application/json")).ReadJsonAsync<ImagesResponse>()).Images[0];

        var sequential = new List<float[]>();
        foreach (var latent in latents) sequential.Add(await DecodeAsync(latent));
        var concurrent = await Task.WhenAll(latents.Select(l => Task.Run(() => DecodeAsync(l))));
        for (int i = 0; i < latents.Length; i++) Assert.Equal(sequential[i], concurrent[i]);
    }
}
