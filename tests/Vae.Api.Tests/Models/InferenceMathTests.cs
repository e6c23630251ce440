using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

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

    [Fact]
    public void A_png_becomes_a_model_input_of_the_model_size_in_every_channel()
    {
        var gray = new GrayImage(50, 30);
        for (int y = 5; y < 25; y++) for (int x = 20; x < 26; x++) gray[x, y] = 1f;
        var png = PngEncoder.EncodeGray(gray);

        var mnist = InferenceService.ReadPng(png, invert: null, new MlpConfig());
        Assert.Equal(784, mnist.Length);
        Assert.InRange(mnist.Max(), 0.9f, 1f);
        Assert.Equal(0f, mnist[0]);

        var wide = InferenceService.ReadPng(png, invert: false, new MlpConfig { Channels = 3, Height = 16, Width = 24 });
        Assert.Equal(3 * 16 * 24, wide.Length);
        Assert.Equal(wide.AsSpan(0, 384).ToArray(), wide.AsSpan(768, 384).ToArray());
    }

    [Fact]
    public void Grids_are_sized_by_columns_padding_and_scale()
    {
        var config = new MlpConfig();
        Assert.Equal((8L * 30 + 2, 8L * 30 + 2), InferenceService.GridSize(64, config, 8, 1, 2));
        Assert.Equal((3L * 28 * 2, 2L * 28 * 2), InferenceService.GridSize(5, config, 3, 2, 0));
        Assert.Equal((2L * 30 + 2, 32L), InferenceService.GridSize(2, config, 10, 1, 2));
    }
}
