using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>Colour models (CIFAR-10) take and answer RGB images of their own 32x32 size.</summary>
[Collection(FamiliesCollection.Name)]
public class ColourTests(FamiliesFixture fx)
{
    private TrainedModel Model => fx.ConvColour;

    [Fact]
    public async Task Samples_of_a_colour_model_are_an_rgb_png_of_32x32_tiles_with_colour_in_them()
    {
        var response = await fx.Client.GetAsync($"/api/models/{Model.Id}/samples.png?n=4&seed=3");
        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(2, PngFacts.ColourType(png));
        var image = TestImages.Read(png);
        Assert.Equal((2 * 34 + 2, 2 * 34 + 2), (image.Width, image.Height));
        Assert.Equal((2, 2, 32, 32, 2, 1), PngFacts.Grid(response));
        // A gray rendering would have red = green = blue everywhere.
        bool coloured = false;
        for (int y = 2; y < 34 && !coloured; y++)
            for (int x = 2; x < 34 && !coloured; x++)
                coloured = image.GetPixel(x, y) is var (r, g, b, _) && (r != g || g != b);
        Assert.True(coloured, "the first tile has no pixel whose channels differ");
    }

    [Fact]
    public async Task Each_tile_of_a_decoded_grid_is_where_the_headers_say_and_holds_the_json_images_channels()
    {
        string body = $$"""{"latents":[{{Http.Floats([0f, 0f, 0f])}},{{Http.Floats([1f, -1f, 0.5f])}},{{Http.Floats([-2f, 0.3f, 1f])}}]}""";
        var pixels = await (await fx.Client.PostAsync($"/api/models/{Model.Id}/decode", Http.JsonBody(body), "application/json")).ReadJsonAsync<ImagesResponse>();
        var response = await fx.Client.PostAsync($"/api/models/{Model.Id}/decode?columns=2&scale=2", Http.JsonBody(body));
        var grid = TestImages.Read(await response.Content.ReadAsByteArrayAsync());

        var (columns, rows, tileWidth, tileHeight, padding, scale) = PngFacts.Grid(response);
        Assert.Equal((2, 2, 64, 64, 4, 2), (columns, rows, tileWidth, tileHeight, padding, scale));
        Assert.Equal((3, 32, 32), (pixels.Channels, pixels.Height, pixels.Width));
        for (int k = 0; k < 3; k++)
        {
            int left = padding + (k % columns * (tileWidth + padding)), top = padding + (k / columns * (tileHeight + padding));
            foreach (var (x, y) in new[] { (0, 0), (31, 0), (5, 17), (31, 31) })
            {
                var (r, g, b, _) = grid.GetPixel(left + (x * scale) + 1, top + (y * scale) + 1);
                float[] image = pixels.Images[k];
                // Channel-major JSON: all red values, then green, then blue.
                Assert.Equal(Byte(image[(y * 32) + x]), r);
                Assert.Equal(Byte(image[1024 + (y * 32) + x]), g);
                Assert.Equal(Byte(image[2048 + (y * 32) + x]), b);
            }
        }

        static byte Byte(float v) => (byte)MathF.Round(v * 255f);
    }

    [Fact]
    public async Task An_rgb_png_is_encoded_as_its_exact_pixels_and_a_gray_png_as_three_equal_planes()
    {
        var rgb = await Mu(Http.PngBody(Model.Png(4)));
        var json = await Mu(Http.JsonBody($$"""{"pixels":{{Http.Floats(Model.Pixels(4))}}}"""));
        for (int d = 0; d < rgb.Length; d++) Assert.Equal(json[d], rgb[d], 4);

        var plane = Model.Pixels(5)[..1024];
        var gray = await Mu(Http.PngBody(TestImages.Png(new GrayImage(32, 32, plane))));
        var planes = await Mu(Http.JsonBody($$"""{"pixels":{{Http.Floats(plane.Concat(plane).Concat(plane))}}}"""));
        for (int d = 0; d < gray.Length; d++) Assert.Equal(planes[d], gray[d], 4);

        async Task<float[]> Mu(HttpContent body)
            => Assert.Single((await (await fx.Client.PostAsync($"/api/models/{Model.Id}/encode", body)).ReadJsonAsync<EncodeResponse>()).Results).Mu;
    }

    [Fact]
    public async Task An_image_of_another_size_is_scaled_to_the_colour_models_own_and_reads_like_it()
    {
        // The model's 32x32 image enlarged 4 times: scaled back down, it is (nearly) the image itself.
        var image = RgbImage.FromPlanar(Model.Pixels(4), 32, 32);
        var big = ImageOps.Scale(image, 4);
        var own = await Mu(Http.PngBody(TestImages.Png(image)));
        var scaled = await Mu(Http.PngBody(TestImages.Png(big)));
        for (int d = 0; d < own.Length; d++) Assert.Equal(own[d], scaled[d], 1);

        var response = await fx.Client.PostAsync($"/api/models/{Model.Id}/reconstruct", Http.PngBody(TestImages.Png(new RgbImage(40, 28))));
        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        Assert.Equal((32, 32), PngFacts.Size(png));

        async Task<float[]> Mu(HttpContent body)
            => Assert.Single((await (await fx.Client.PostAsync($"/api/models/{Model.Id}/encode", body)).ReadJsonAsync<EncodeResponse>()).Results).Mu;
    }

    [Theory]
    [InlineData("progressive.jpg")]
    [InlineData("cmyk.jpg")]
    [InlineData("rotated.jpg")]
    public async Task Progressive_cmyk_and_rotated_jpegs_from_another_tool_encode_like_the_same_picture_as_a_png(string name)
    {
        // Pillow's files (tests/Vae.Engine.Tests/Fixtures/jpeg): red, green / blue, white quadrants, 48x32 once upright.
        byte[] jpeg = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "jpeg", name));
        var quadrants = TestImages.Rgba(48, 32, (x, y) => (x < 24, y < 16) switch
        {
            (true, true) => (255, 0, 0, 255),
            (false, true) => (0, 255, 0, 255),
            (true, false) => (0, 0, 255, 255),
            _ => (255, 255, 255, 255),
        });

        var fromJpeg = await Mu(Http.Body(jpeg, "image/jpeg"));
        var fromPng = await Mu(Http.PngBody(TestImages.Png(quadrants)));

        for (int d = 0; d < fromPng.Length; d++) Assert.True(Math.Abs(fromPng[d] - fromJpeg[d]) < 0.1, $"dimension {d}: {fromPng[d]} and {fromJpeg[d]}");

        async Task<float[]> Mu(HttpContent body)
            => Assert.Single((await (await fx.Client.PostAsync($"/api/models/{Model.Id}/encode", body)).ReadJsonAsync<EncodeResponse>()).Results).Mu;
    }

    [Fact]
    public async Task An_interpolation_end_of_another_size_is_scaled_too()
    {
        string png = Convert.ToBase64String(TestImages.Png(new RgbImage(28, 28)));
        var response = await fx.Client.PostAsync($"/api/models/{Model.Id}/interpolate",
            Http.JsonBody($$$"""{"from":{"png":"{{{png}}}"},"to":{"latent":[0,0,0]},"steps":3}"""));
        var strip = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(strip));
        Assert.Equal((3 * 34 + 2, 36), PngFacts.Size(strip));
    }

    [Fact]
    public async Task A_gray_digit_model_still_takes_a_png_of_any_size_and_colour()
    {
        var seven = Http.Fixture("seven-40x40-rgb.png");
        var response = await fx.Client.PostAsync($"/api/models/{fx.Mlp.Id}/reconstruct", Http.PngBody(seven));
        var png = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(png));
        Assert.Equal((28, 28), PngFacts.Size(png));
        Assert.Equal(0, PngFacts.ColourType(png));
    }

    [Fact]
    public async Task A_colour_models_view_shows_its_shape_and_class_names()
    {
        var view = await (await fx.Client.GetAsync($"/api/models/{Model.Id}")).ReadJsonAsync<ModelView>();
        Assert.Equal((3, 32, 32), (view.Channels, view.Height, view.Width));
        Assert.Equal("airplane", view.ClassNames![0]);
    }
}
