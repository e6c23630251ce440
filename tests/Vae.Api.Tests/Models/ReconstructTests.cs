using Vae.Api.Models;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class ReconstructTests(ModelsFixture fx)
{
    private string Url => $"/api/models/{fx.Vae.Id}/reconstruct";

    [Fact]
    public async Task Reconstructing_a_png_answers_the_decoded_mean_code_as_a_png()
    {
        var png = await (await fx.Client.PostAsync(Url, Http.PngBody(fx.Png(0)))).AssertPngAsync(28, 28);

        var mu = Assert.Single((await (await fx.Client.PostAsync($"/api/models/{fx.Vae.Id}/encode", Http.PngBody(fx.Png(0)))).ReadJsonAsync<EncodeResponse>()).Results).Mu;
        var decoded = await (await fx.Client.PostAsync($"/api/models/{fx.Vae.Id}/decode", Http.JsonBody($$"""{"latent":{{Http.Floats(mu)}}}"""))).AssertPngAsync(28, 28);
        Assert.Equal(decoded.Pixels, png.Pixels);
    }

    [Fact]
    public async Task Scale_and_invert_apply_to_reconstructions()
    {
        await (await fx.Client.PostAsync(Url + "?scale=4", Http.PngBody(fx.Png(1)))).AssertPngAsync(112, 112);
        await (await fx.Client.PostAsync(Url + "?invert=true", Http.PngBody(Http.Fixture("seven-40x40-rgb.png")))).AssertPngAsync(28, 28);
        await (await fx.Client.PostAsync($"/api/models/{fx.Autoencoder.Id}/reconstruct", Http.PngBody(fx.Png(1)))).AssertPngAsync(28, 28);
    }

    [Fact]
    public async Task Reconstruct_takes_only_image_bodies()
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"pixels":[0]}"""))).AssertProblemAsync(415, "image/png", "image/jpeg", "image/webp", "image/bmp");
    }

    [Fact]
    public async Task Broken_unsupported_and_oversized_images_are_400_415_and_413()
    {
        await (await fx.Client.PostAsync(Url, Http.PngBody([0x89, (byte)'P', (byte)'N', (byte)'G']))).AssertProblemAsync(400, "truncated");
        await (await fx.Client.PostAsync(Url, Http.PngBody(TestImages.Gif(TestImages.Photo(8, 8))))).AssertProblemAsync(415, "GIF", "PNG, JPEG, WebP or BMP");
        await (await fx.Client.PostAsync(Url, Http.Body(TestImages.Photo(8, 8).Pixels, "image/gif"))).AssertProblemAsync(415, "image/gif", "image/png, image/jpeg, image/webp or image/bmp");
        await (await fx.Client.PostAsync(Url, Http.PngBody(new byte[(16 * 1024 * 1024) + 1]))).AssertProblemAsync(413);
    }

    [Theory]
    [InlineData("?scale=0", "scale")]
    [InlineData("?scale=9", "scale")]
    [InlineData("?invert=yes", "invert")]
    public async Task Bad_options_are_422(string query, string name)
    {
        await (await fx.Client.PostAsync(Url + query, Http.PngBody(fx.Png(0)))).AssertProblemAsync(422, name);
    }

    [Fact]
    public async Task Reconstructing_with_an_unknown_model_is_404()
    {
        await (await fx.Client.PostAsync("/api/models/gone/reconstruct", Http.PngBody(fx.Png(0)))).AssertProblemAsync(404, "gone");
    }
}
