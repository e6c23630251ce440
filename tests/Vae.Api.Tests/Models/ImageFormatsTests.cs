using System.Net;
using System.Net.Http.Json;
using SixLabors.ImageSharp.Formats.Png;
using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>
/// Every endpoint that reads images takes PNG, JPEG, WebP and BMP files alike (made here with
/// ImageSharp), in every variant people's files come in, and reads them as the same picture.
/// </summary>
[Collection(ModelsCollection.Name)]
public class ImageFormatsTests(ModelsFixture fx)
{
    private string Url(string endpoint) => $"/api/models/{fx.Vae.Id}/{endpoint}";

    /// <summary>MNIST test image <paramref name="index"/> as 8-bit RGBA, white on black, opaque.</summary>
    private RgbaImage Digit(int index)
    {
        float[] pixels = fx.Pixels(index);
        return TestImages.Rgba(28, 28, (x, y) => Gray(pixels[(y * 28) + x]));

        static (int, int, int, int) Gray(float v) => ((int)MathF.Round(v * 255), (int)MathF.Round(v * 255), (int)MathF.Round(v * 255), 255);
    }

    private async Task<float[]> MuAsync(byte[] file, string contentType, string query = "")
    {
        var response = await fx.Client.PostAsync(Url("encode") + query, Http.Body(file, contentType));
        return Assert.Single((await response.ReadJsonAsync<EncodeResponse>()).Results).Mu;
    }

    private static void AssertNear(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int d = 0; d < expected.Length; d++) Assert.True(Math.Abs(expected[d] - actual[d]) <= tolerance, $"dimension {d}: {expected[d]} and {actual[d]}");
    }

    [Fact]
    public async Task Lossless_webp_bmp_and_every_kind_of_png_encode_to_the_same_code_and_jpeg_to_nearly_it()
    {
        RgbaImage digit = Digit(3);
        float[] png = await MuAsync(TestImages.Png(digit), "image/png");

        Assert.Equal(png, await MuAsync(TestImages.Webp(digit, lossless: true), "image/webp"));
        Assert.Equal(png, await MuAsync(TestImages.Bmp(digit), "image/bmp"));
        Assert.Equal(png, await MuAsync(TestImages.Png(digit, PngColorType.Grayscale, PngBitDepth.Bit16), "image/png"));
        AssertNear(png, await MuAsync(TestImages.Png(digit, PngColorType.Palette), "image/png"), 0.1); // the palette's 256 colours are dithered
        Assert.Equal(png, await MuAsync(TestImages.Png(digit, interlaced: true), "image/png"));
        AssertNear(png, await MuAsync(TestImages.Jpeg(digit), "image/jpeg"), 0.25);
        AssertNear(png, await MuAsync(TestImages.Webp(digit, lossless: false), "image/webp"), 0.25);
        AssertNear(png, await MuAsync(TestImages.Jpeg(digit, colour: SixLabors.ImageSharp.Formats.Jpeg.JpegColorType.Cmyk), "image/jpeg"), 0.25);
    }

    [Fact]
    public async Task The_bytes_decide_the_format_whatever_image_type_the_request_names()
    {
        RgbaImage digit = Digit(4);

        Assert.Equal(await MuAsync(TestImages.Png(digit), "image/png"), await MuAsync(TestImages.Bmp(digit), "image/png"));
        Assert.Equal(await MuAsync(TestImages.Webp(digit), "image/webp"), await MuAsync(TestImages.Webp(digit), "image/jpeg"));
    }

    [Theory]
    [InlineData((ushort)6)]
    [InlineData((ushort)8)]
    public async Task A_photo_stored_sideways_with_exif_orientation_reads_upright(ushort orientation)
    {
        RgbaImage digit = Digit(5);
        RgbaImage stored = Turn(digit, clockwise: orientation == 8);

        float[] upright = await MuAsync(TestImages.Png(digit), "image/png");

        Assert.Equal(upright, await MuAsync(TestImages.Webp(stored, orientation: orientation), "image/webp"));
        AssertNear(upright, await MuAsync(TestImages.Jpeg(stored, orientation: orientation), "image/jpeg"), 0.25);
        Assert.NotEqual(upright, await MuAsync(TestImages.Webp(stored), "image/webp"));
    }

    [Fact]
    public async Task Dark_ink_on_a_transparent_canvas_reads_as_the_same_white_digit_on_black()
    {
        float[] pixels = fx.Pixels(6);
        RgbaImage inkOnGlass = TestImages.Rgba(28, 28, (x, y) => (0, 0, 0, (int)MathF.Round(pixels[(y * 28) + x] * 255)));
        RgbaImage lightOnGlass = TestImages.Rgba(28, 28, (x, y) => (255, 255, 255, (int)MathF.Round(pixels[(y * 28) + x] * 255)));

        float[] opaque = await MuAsync(TestImages.Png(Digit(6)), "image/png");

        AssertNear(opaque, await MuAsync(TestImages.Png(inkOnGlass), "image/png"), 1e-3);
        AssertNear(opaque, await MuAsync(TestImages.Webp(lightOnGlass), "image/webp"), 1e-3);
    }

    [Fact]
    public async Task Reconstruct_score_interpolate_directions_and_edit_take_jpeg_webp_and_bmp()
    {
        RgbaImage digit = Digit(7);
        byte[] jpeg = TestImages.Jpeg(digit), webp = TestImages.Webp(digit), bmp = TestImages.Bmp(digit);

        foreach (var (file, type) in new[] { (jpeg, "image/jpeg"), (webp, "image/webp"), (bmp, "image/bmp") })
        {
            await (await fx.Client.PostAsync(Url("reconstruct"), Http.Body(file, type))).AssertPngAsync(28, 28);
            var score = await (await fx.Client.PostAsync(Url("score"), Http.Body(file, type))).ReadJsonAsync<ScoreResponse>();
            Assert.True(Assert.Single(score.Scores).NegativeElbo > 0);
        }

        var scored = await (await fx.Client.PostAsync(Url("score"), JsonContent.Create(new { images = new[] { Convert.ToBase64String(jpeg), Convert.ToBase64String(bmp) } })))
            .ReadJsonAsync<ScoreResponse>();
        Assert.Equal(2, scored.Scores.Count);

        await (await fx.Client.PostAsync(Url("interpolate"),
            JsonContent.Create(new { from = new { png = Convert.ToBase64String(webp) }, to = new { png = Convert.ToBase64String(jpeg) }, steps = 3 }))).AssertPngAsync(3 * 30 + 2, 32);

        string name = "formats-" + Guid.NewGuid().ToString("N")[..8];
        var created = await fx.Client.PostAsync(Url("directions"), JsonContent.Create(new
        {
            name,
            from = new { images = new[] { Convert.ToBase64String(bmp) } },
            to = new { images = new[] { Convert.ToBase64String(webp), Convert.ToBase64String(jpeg) } },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await (await fx.Client.PostAsync(Url("edit"), JsonContent.Create(new { image = Convert.ToBase64String(jpeg), direction = name, amounts = new[] { 0f, 1f } })))
            .AssertPngAsync(2 * 30 + 2, 32);
        await fx.Client.DeleteAsync($"{Url("directions")}/{name}");
    }

    [Fact]
    public async Task A_zip_of_jpeg_webp_and_bmp_files_scores_each_under_its_name()
    {
        RgbaImage digit = Digit(8);
        byte[] zip = UploadFilesZip(("c.bmp", TestImages.Bmp(digit)), ("a.jpg", TestImages.Jpeg(digit)), ("b.webp", TestImages.Webp(digit)));

        var scored = await (await fx.Client.PostAsync(Url("score"), Http.Body(zip, "application/zip"))).ReadJsonAsync<ScoreResponse>();

        Assert.Equal(["a.jpg", "b.webp", "c.bmp"], scored.Scores.Select(s => s.Name));
        Assert.All(scored.Scores, s => Assert.True(s.NegativeElbo > 0 && double.IsFinite(s.NegativeElbo!.Value)));
        // The first image draws the same noise as one image sent alone.
        var alone = await (await fx.Client.PostAsync(Url("score"), Http.Body(TestImages.Jpeg(digit), "image/jpeg"))).ReadJsonAsync<ScoreResponse>();
        Assert.Equal(alone.Scores[0].NegativeElbo!.Value, scored.Scores[0].NegativeElbo!.Value, 6);
    }

    [Fact]
    public async Task Grids_come_as_lossless_webp_to_a_client_that_asks_for_it_and_as_png_otherwise()
    {
        string samples = $"/api/models/{fx.Vae.Id}/samples.png?n=4&seed=2";
        async Task<HttpResponseMessage> GetAsync(string? accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, samples);
            if (accept is not null) request.Headers.Accept.ParseAdd(accept);
            return await fx.Client.SendAsync(request);
        }

        var png = await GetAsync(null);
        var webp = await GetAsync("image/webp");
        var browser = await GetAsync("image/avif,image/webp,image/apng,image/*,*/*;q=0.8");

        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal("image/webp", webp.Content.Headers.ContentType?.MediaType);
        Assert.Equal("image/png", browser.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept", webp.Headers.Vary);
        Assert.NotEqual(png.Headers.ETag, webp.Headers.ETag);
        Assert.Equal(png.Headers.GetValues("X-Grid-Columns"), webp.Headers.GetValues("X-Grid-Columns"));
        Assert.Equal(TestImages.Read(await png.Content.ReadAsByteArrayAsync()).Pixels, TestImages.Read(await webp.Content.ReadAsByteArrayAsync()).Pixels);

        var reconstruction = await fx.Client.PostAsync(Url("reconstruct"), Http.PngBody(fx.Png(1)), "image/webp");
        Assert.Equal("image/webp", reconstruction.Content.Headers.ContentType?.MediaType);
        var decoded = await fx.Client.PostAsync(Url("decode"), Http.JsonBody("""{"latent":[0,0]}"""), "image/webp");
        Assert.Equal("image/webp", decoded.Content.Headers.ContentType?.MediaType);
    }

    private static byte[] UploadFilesZip(params (string Name, byte[] Bytes)[] files) => Datasets.UploadFiles.Zip(files);

    private static RgbaImage Turn(RgbaImage image, bool clockwise)
    {
        var turned = new RgbaImage(image.Height, image.Width);
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                var (r, g, b, a) = image.GetPixel(x, y);
                (int tx, int ty) = clockwise ? (image.Height - 1 - y, x) : (y, image.Width - 1 - x);
                turned.SetPixel(tx, ty, r, g, b, a);
            }
        }

        return turned;
    }
}
