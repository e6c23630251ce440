using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

public class InferenceMathTests
{
    [Fact]
    public void Linear_interpolation_includes_both_ends_evenly_spaced()
    {
        var path = InferenceService.Interpolate([0f, 10f], [4f, 2f], 5, spherical: false);
        Assert.Equal([0f, 10f, 1f, 8f, 2f, 6f, 3f, 4f, 4f, 2f], path);
    }

    [Fact]
    public void Slerp_keeps_the_norm_between_unit_vectors_and_ends_exactly()
    {
        var path = InferenceService.Interpolate([1f, 0f, 0f], [0f, 0f, 1f], 7, spherical: true);
        for (int s = 0; s < 7; s++)
        {
            var p = path.AsSpan(s * 3, 3);
            Assert.Equal(1.0, Math.Sqrt((p[0] * p[0]) + (p[1] * p[1]) + (p[2] * p[2])), 5);
        }
        Assert.Equal([1f, 0f, 0f], path[..3]);
        Assert.Equal(0f, path[^3], 6);
        Assert.Equal(1f, path[^1], 6);
    }

    [Fact]
    public void Slerp_of_opposite_or_zero_vectors_falls_back_to_linear_without_nan()
    {
        Assert.Equal(InferenceService.Interpolate([1f, 0f], [-1f, 0f], 3, false), InferenceService.Interpolate([1f, 0f], [-1f, 0f], 3, true));
        Assert.Equal(InferenceService.Interpolate([0f, 0f], [1f, 2f], 4, false), InferenceService.Interpolate([0f, 0f], [1f, 2f], 4, true));
    }

    [Fact]
    public void Manifold_codes_run_left_to_right_and_top_to_bottom_from_plus_range()
    {
        var codes = InferenceService.ManifoldLatents(latentSize: 3, n: 3, range: 1f, xDim: 2, yDim: 0);
        // Row-major 3x3 grid of 3-D codes; dim 2 is x (columns), dim 0 is y (rows), dim 1 stays 0.
        Assert.Equal([1f, 0f, -1f], codes[..3]);       // top left
        Assert.Equal([1f, 0f, 1f], codes[6..9]);       // top right
        Assert.Equal([0f, 0f, 0f], codes[12..15]);     // centre
        Assert.Equal([-1f, 0f, -1f], codes[18..21]);   // bottom left
    }

    private static readonly IImageCodec Codec = new ImageSharpCodec(ImageLimits.Default);

    [Fact]
    public void A_png_becomes_an_mnist_input_centred_and_any_other_gray_input_resized_whole()
    {
        var gray = new GrayImage(50, 30);
        for (int y = 5; y < 25; y++) for (int x = 20; x < 26; x++) gray[x, y] = 1f;
        byte[] png = TestImages.Png(gray);

        var mnist = ModelImages.ToModelInput(Codec, png, invert: null, new MlpConfig(), "mnist");
        Assert.Equal(784, mnist.Length);
        Assert.InRange(mnist.Max(), 0.9f, 1f);
        Assert.Equal(0f, mnist[0]);
        // Centred by mass, as MNIST's digits are: the bar on the right of the upload ends up in the middle.
        double mass = mnist.Sum(), across = mnist.Select((v, i) => v * (i % 28)).Sum();
        Assert.InRange(across / mass, 13, 15);

        var fashion = ModelImages.ToModelInput(Codec, png, invert: false, new MlpConfig { Height = 15, Width = 25 }, "fashion-mnist");
        Assert.Equal(15 * 25, fashion.Length);
        // Resized whole (the same aspect, so nothing is cropped), not fitted to the ink: the bar keeps its place, columns 10 to 12 of 25.
        Assert.Equal(1f, fashion[(7 * 25) + 11], 1);
        Assert.Equal(0f, fashion[(7 * 25) + 2], 2);
    }

    [Fact]
    public void A_colour_image_of_any_size_is_scaled_to_cover_the_model_and_centre_cropped()
    {
        // 16x8, red on the left half and blue on the right: the model's own 4x2 aspect.
        var halves = TestImages.Rgba(16, 8, (x, _) => x < 8 ? (255, 0, 0, 255) : (0, 0, 255, 255));
        var config = new MlpConfig { Channels = 3, Height = 2, Width = 4 };

        var input = ModelImages.ToModelInput(Codec, TestImages.Png(halves), invert: null, config, "colours");

        Assert.Equal(24, input.Length);
        Assert.Equal(1f, input[0], 1);                       // red plane, (0, 0)
        Assert.Equal(0f, input[8], 1);                       // green plane, (0, 0)
        Assert.Equal(1f, input[16 + 7], 1);                  // blue plane, (3, 1)

        // 16x16 into 4x2: the top and bottom quarters are cropped, the middle rows kept whole.
        var rows = TestImages.Rgba(16, 16, (_, y) => y is >= 4 and < 12 ? (0, 255, 0, 255) : (255, 0, 0, 255));
        var cropped = ModelImages.ToModelInput(Codec, TestImages.Jpeg(rows), invert: null, config, "colours");
        Assert.All(Enumerable.Range(0, 8), i => Assert.InRange(cropped[8 + i], 0.8f, 1f)); // green everywhere
    }

    [Fact]
    public void Transparency_becomes_white_for_cifar_models_and_black_for_uploads()
    {
        var clear = TestImages.Rgba(4, 2, (_, _) => (0, 0, 0, 0));
        var config = new MlpConfig { Channels = 3, Height = 2, Width = 4 };

        Assert.All(ModelImages.ToModelInput(Codec, TestImages.Png(clear), null, config, "cifar10"), v => Assert.Equal(1f, v));
        Assert.All(ModelImages.ToModelInput(Codec, TestImages.Png(clear), null, config, "u1a2b3c4"), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Grids_are_sized_by_columns_padding_and_scale()
    {
        var config = new MlpConfig();
        Assert.Equal((8L * 30 + 2, 8L * 30 + 2), Size(GridLayout.For(64, config, 8, 1, 2)));
        Assert.Equal((3L * 28 * 2, 2L * 28 * 2), Size(GridLayout.For(5, config, 3, 2, 0)));
        Assert.Equal((2L * 30 + 2, 32L), Size(GridLayout.For(2, config, 10, 1, 2)));
        Assert.Equal((2, 1), (GridLayout.For(2, config, 10, 1, 2).Columns, GridLayout.For(2, config, 10, 1, 2).Rows));
        Assert.Equal((3, 2), (GridLayout.For(5, config, 3, 2, 0).Columns, GridLayout.For(5, config, 3, 2, 0).Rows));

        static (long, long) Size(GridLayout layout) => (layout.Width, layout.Height);
    }

    [Theory]
    [InlineData(1, 7, 3, 2, 1)] // a short last row
    [InlineData(1, 1, 1, 0, 1)] // one image, no frame
    [InlineData(2, 5, 2, 1, 1)] // more than one plane: their mean
    [InlineData(1, 5, 2, 1, 3)] // scaled up
    public void A_gray_grid_holds_the_pixels_of_its_tiles_laid_out_by_the_general_grid(int channels, int count, int columns, int padding, int scale)
    {
        var config = new MlpConfig { Channels = channels, Height = 5, Width = 4 };
        var random = new Random(3);
        var rows = Enumerable.Range(0, count * config.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        var layout = GridLayout.For(count, config, columns, scale, padding);

        byte[] png = ModelImages.Render(Codec, rows, config, layout);

        int area = config.Width * config.Height;
        var tiles = Enumerable.Range(0, count).Select(i =>
        {
            var pixels = new float[area];
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < area; p++) pixels[p] += rows[(i * config.InputSize) + (c * area) + p];
            for (int p = 0; p < area; p++) pixels[p] *= 1f / channels;
            return new GrayImage(config.Width, config.Height, pixels);
        }).ToArray();
        var grid = ImageOps.Grid(tiles, columns, padding);
        var expected = TestImages.Read(Codec.Encode(scale > 1 ? ImageOps.Scale(grid, scale) : grid));
        var actual = TestImages.Read(png);
        Assert.Equal((layout.Width, layout.Height), ((long)actual.Width, (long)actual.Height));
        Assert.Equal(expected.Pixels, actual.Pixels);
    }

    [Fact]
    public void Decoded_values_are_clamped_to_the_unit_range_with_nan_as_black()
    {
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, -1e-30f, 1f, 1.0000001f, 0.25f, 7f];
        var values = Enumerable.Range(0, 203).Select(i => i % 3 == 0 ? specials[i / 3 % specials.Length] : (i - 100) / 80f).ToArray();
        var expected = values.Select(v => v > 0f ? Math.Min(v, 1f) : 0f).ToArray();

        InferenceService.ToUnitRange(values);

        Assert.Equal(expected, values);
    }
}
