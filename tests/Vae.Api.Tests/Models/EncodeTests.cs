using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class EncodeTests(ModelsFixture fx)
{
    private string Url => $"/api/models/{fx.Vae.Id}/encode";

    [Fact]
    public async Task Encoding_a_png_answers_its_mean_and_log_variance()
    {
        var response = await fx.Client.PostAsync(Url, Http.PngBody(fx.Png(0)));
        var result = Assert.Single((await response.ReadJsonAsync<EncodeResponse>()).Results);
        Assert.Equal(2, result.Mu.Length);
        Assert.Equal(2, result.LogVar!.Length);
        Assert.All(result.Mu.Concat(result.LogVar), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public async Task Encoding_pixels_as_json_answers_one_code_and_a_batch_one_code_per_image()
    {
        var one = await (await fx.Client.PostAsync(Url, Http.JsonBody($$"""{"pixels":{{Http.Floats(fx.Pixels(3))}}}"""))).ReadJsonAsync<EncodeResponse>();
        Assert.Single(one.Results);

        var batch = await (await fx.Client.PostAsync(Url, Http.JsonBody(
            $$"""{"batch":[{{Http.Floats(fx.Pixels(3))}},{{Http.Floats(fx.Pixels(4))}},{{Http.Floats(fx.Pixels(5))}}]}"""))).ReadJsonAsync<EncodeResponse>();
        Assert.Equal(3, batch.Results.Count);
        Assert.Equal(one.Results[0].Mu, batch.Results[0].Mu);
        Assert.NotEqual(batch.Results[0].Mu, batch.Results[1].Mu);
    }

    [Fact]
    public async Task An_autoencoder_has_no_log_variance()
    {
        var response = await fx.Client.PostAsync($"/api/models/{fx.Autoencoder.Id}/encode", Http.PngBody(fx.Png(1)));
        var result = Assert.Single((await response.ReadJsonAsync<EncodeResponse>()).Results);
        Assert.Equal(2, result.Mu.Length);
        Assert.Null(result.LogVar);
    }

    [Fact]
    public async Task A_dark_digit_on_a_light_rgb_page_is_inverted_automatically()
    {
        // Drawn with ImageMagick: a black "7" on white, 40x40 RGB (see Fixtures/make_fixtures.sh).
        var seven = Http.Fixture("seven-40x40-rgb.png");
        async Task<float[]> Mu(string query)
            => Assert.Single((await (await fx.Client.PostAsync(Url + query, Http.PngBody(seven))).ReadJsonAsync<EncodeResponse>()).Results).Mu;

        var auto = await Mu("");
        Assert.Equal(auto, await Mu("?invert=auto"));
        Assert.Equal(auto, await Mu("?invert=true"));
        Assert.NotEqual(auto, await Mu("?invert=false"));
    }

    [Fact]
    public async Task An_rgba_png_on_a_light_background_reads_like_its_gray_inverse()
    {
        var pixels = fx.Pixels(2);
        var rgba = new RgbaImage(28, 28);
        for (int i = 0; i < pixels.Length; i++)
        {
            byte ink = (byte)(255 - (int)Math.Round(pixels[i] * 255));
            rgba.SetPixel(i % 28, i / 28, ink, ink, ink);
        }
        var fromRgba = await (await fx.Client.PostAsync(Url, Http.PngBody(TestImages.Png(rgba)))).ReadJsonAsync<EncodeResponse>();
        var fromGray = await (await fx.Client.PostAsync(Url, Http.PngBody(fx.Png(2)))).ReadJsonAsync<EncodeResponse>();
        for (int d = 0; d < 2; d++) Assert.Equal(fromGray.Results[0].Mu[d], fromRgba.Results[0].Mu[d], 3);
    }

    [Fact]
    public async Task A_large_png_is_scaled_down_to_the_model_input()
    {
        var big = ImageOps.Scale(new GrayImage(28, 28, fx.Pixels(0)), 10);
        var response = await fx.Client.PostAsync(Url, Http.PngBody(TestImages.Png(big)));
        Assert.Single((await response.ReadJsonAsync<EncodeResponse>()).Results);
    }

    [Fact]
    public async Task Bytes_that_are_not_a_png_are_400()
    {
        await (await fx.Client.PostAsync(Url, Http.PngBody("not a png at all"u8.ToArray()))).AssertProblemAsync(400);
        var truncated = fx.Png(0)[..40];
        await (await fx.Client.PostAsync(Url, Http.PngBody(truncated))).AssertProblemAsync(400, "truncated");
        await (await fx.Client.PostAsync(Url, Http.PngBody([]))).AssertProblemAsync(400, "empty");
    }

    [Fact]
    public async Task A_png_that_inflates_to_60000x60000_and_a_jpeg_claiming_65000x65000_are_422_naming_the_limits_before_they_are_decoded()
    {
        await (await fx.Client.PostAsync(Url, Http.PngBody(TestImages.Bomb))).AssertProblemAsync(422, "60000x60000", "16384 pixels wide", "32 megapixels");
        byte[] liar = TestImages.JpegClaiming(TestImages.Jpeg(TestImages.Photo(16, 16)), 65000, 65000);
        await (await fx.Client.PostAsync(Url, Http.Body(liar, "image/jpeg"))).AssertProblemAsync(422, "65000x65000", "16384 pixels wide");
    }

    [Fact]
    public async Task An_interlaced_png_is_read_like_the_same_picture_not_interlaced()
    {
        byte[] interlaced = Http.Fixture("interlaced-24x24.png");
        byte[] plain = TestImages.Png(TestImages.Read(interlaced));
        async Task<float[]> Mu(byte[] png) => Assert.Single((await (await fx.Client.PostAsync(Url, Http.PngBody(png))).ReadJsonAsync<EncodeResponse>()).Results).Mu;

        Assert.Equal(await Mu(plain), await Mu(interlaced));
    }

    [Fact]
    public async Task Other_content_types_are_415_naming_the_accepted_ones()
    {
        await (await fx.Client.PostAsync(Url, Http.Body("hello"u8.ToArray(), "text/plain"))).AssertProblemAsync(415, "image/png", "application/json", "text/plain");
        await (await fx.Client.PostAsync(Url, new ByteArrayContent(fx.Png(0)))).AssertProblemAsync(415, "no Content-Type");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_before_it_is_decoded()
    {
        var huge = new byte[(16 * 1024 * 1024) + 1];
        await (await fx.Client.PostAsync(Url, Http.PngBody(huge))).AssertProblemAsync(413, "bytes");
        await (await fx.Client.PostAsync(Url, Http.Body(huge, "application/json"))).AssertProblemAsync(413);
    }

    [Fact]
    public async Task A_body_of_unknown_length_over_the_limit_is_413_too()
    {
        var content = new UnknownLengthContent(new byte[(16 * 1024 * 1024) + 1]);
        content.Headers.ContentType = new("image/png");
        await (await fx.Client.PostAsync(Url, content)).AssertProblemAsync(413);
    }

    /// <summary>A body sent without Content-Length, so the limit must be enforced while reading.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("""{"pixels":[0,0.5,1]}""", "784", "3")]
    [InlineData("""{"batch":[[0.5]]}""", "batch[0]", "784")]
    [InlineData("""{"batch":[]}""", "batch", "between 1")]
    [InlineData("""{"batch":[null]}""", "batch[0]", "null")]
    public async Task Vectors_of_the_wrong_length_are_422_saying_expected_and_got(string json, string fragment1, string fragment2)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(422, fragment1, fragment2);
    }

    [Fact]
    public async Task Pixel_values_outside_0_to_1_or_not_finite_are_422()
    {
        var pixels = fx.Pixels(0).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        pixels[10] = "1.5";
        await (await fx.Client.PostAsync(Url, Http.JsonBody($$"""{"pixels":[{{string.Join(",", pixels)}}]}"""))).AssertProblemAsync(422, "pixels[10]", "[0, 1]");
        pixels[10] = "1e999";
        await (await fx.Client.PostAsync(Url, Http.JsonBody($$"""{"pixels":[{{string.Join(",", pixels)}}]}"""))).AssertProblemAsync(422, "pixels[10]", "finite");
    }

    [Fact]
    public async Task More_images_than_the_batch_limit_are_422()
    {
        string row = Http.Floats(new float[784]);
        string json = $$"""{"batch":[{{string.Join(",", Enumerable.Repeat(row, 257))}}]}""";
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(422, "256", "257");
    }

    [Theory]
    [InlineData("""{"pixels":[0,""")]
    [InlineData("""{"pixels":"zero"}""")]
    [InlineData("""{"pixels":["NaN"]}""")]
    [InlineData("null")]
    [InlineData("""{}""")]
    [InlineData("""{"pixels":[0],"batch":[[0]]}""")]
    public async Task Malformed_json_or_neither_or_both_fields_are_400(string json)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(400);
    }

    [Fact]
    public async Task An_unknown_invert_value_is_422()
    {
        await (await fx.Client.PostAsync(Url + "?invert=maybe", Http.PngBody(fx.Png(0)))).AssertProblemAsync(422, "invert", "auto");
    }

    [Fact]
    public async Task Encoding_with_an_unknown_model_is_404()
    {
        await (await fx.Client.PostAsync("/api/models/m999/encode", Http.PngBody(fx.Png(0)))).AssertProblemAsync(404, "m999");
    }
}
