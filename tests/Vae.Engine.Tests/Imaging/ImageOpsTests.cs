using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

public sealed class ImageOpsTests
{
    [Fact]
    public void A_dark_digit_on_white_paper_is_inverted_to_white_on_black()
    {
        RgbaImage scan = Rgba(9, 9, (x, y) => x == 4 ? (20, 20, 20, 255) : (250, 250, 250, 255));

        GrayImage gray = ImageOps.ToGray(scan);

        Assert.Equal(1f - (20 / 255f), gray[4, 4], 4);
        Assert.Equal(1f - (250 / 255f), gray[0, 0], 4);
    }

    [Fact]
    public void A_transparent_canvas_with_dark_strokes_becomes_a_white_digit_on_black()
    {
        RgbaImage canvas = Rgba(9, 9, (x, y) => y == 3 ? (0, 0, 0, 255) : (0, 0, 0, 0));

        GrayImage gray = ImageOps.ToGray(canvas);

        Assert.Equal(1f, gray[5, 3]);
        Assert.Equal(0f, gray[5, 5]);
    }

    [Fact]
    public void Colour_is_kept_per_channel_and_transparency_reads_as_the_background_given()
    {
        RgbaImage image = Rgba(3, 1, (x, y) => x switch { 0 => (200, 100, 0, 255), 1 => (0, 0, 0, 0), _ => (255, 0, 0, 51) });

        RgbImage onWhite = ImageOps.ToRgb(image, background: 1f);
        RgbImage onBlack = ImageOps.ToRgb(image, background: 0f);

        Assert.Equal((200 / 255f, 100 / 255f, 0f), (onWhite.Red[0, 0], onWhite.Green[0, 0], onWhite.Blue[0, 0]));
        Assert.Equal((1f, 1f, 1f), (onWhite.Red[1, 0], onWhite.Green[1, 0], onWhite.Blue[1, 0]));
        Assert.Equal((0f, 0f, 0f), (onBlack.Red[1, 0], onBlack.Green[1, 0], onBlack.Blue[1, 0]));
        Assert.Equal((1f, 0.8f, 0.8f), (onWhite.Red[2, 0], MathF.Round(onWhite.Green[2, 0], 3), MathF.Round(onWhite.Blue[2, 0], 3))); // 20 % red over white
        Assert.Equal(0.2f, onBlack.Red[2, 0], 3);
        Assert.Equal(1f - (200 / 255f), ImageOps.ToRgb(image, 1f, invert: true).Red[0, 0], 5);
    }

    [Fact]
    public void A_transparent_canvas_with_light_strokes_keeps_them_white_on_black()
    {
        // The drawing pad's own colours on a transparent canvas: white ink, nothing behind it.
        RgbaImage canvas = Rgba(9, 9, (x, y) => y == 3 ? (255, 255, 255, 255) : (255, 255, 255, 0));

        GrayImage gray = ImageOps.ToGray(canvas);

        Assert.Equal(1f, gray[5, 3]);
        Assert.Equal(0f, gray[5, 5]);
    }

    [Fact]
    public void A_colour_grid_places_each_plane_like_the_gray_grid()
    {
        RgbImage Tile(float r, float g, float b)
        {
            var t = new RgbImage(2, 2);
            Array.Fill(t.Red.Pixels, r);
            Array.Fill(t.Green.Pixels, g);
            Array.Fill(t.Blue.Pixels, b);
            return t;
        }

        RgbImage grid = ImageOps.Scale(ImageOps.Grid([Tile(1f, 0f, 0f), Tile(0f, 0f, 1f), Tile(0f, 1f, 0f)], columns: 2, padding: 1), 2);

        Assert.Equal((2 * 7, 2 * 7), (grid.Width, grid.Height));
        Assert.Equal((1f, 0f, 0f), (grid.Red[2, 2], grid.Green[2, 2], grid.Blue[2, 2]));     // first tile, top left
        Assert.Equal((0f, 0f, 1f), (grid.Red[8, 2], grid.Green[8, 2], grid.Blue[8, 2]));     // second tile, top right
        Assert.Equal((0f, 1f, 0f), (grid.Red[2, 8], grid.Green[2, 8], grid.Blue[2, 8]));     // third tile, next row
        Assert.Equal((0f, 0f, 0f), (grid.Red[0, 0], grid.Green[0, 0], grid.Blue[0, 0]));     // padding
        Assert.Equal((1f, 0f), (ImageOps.ResizeArea(grid, 7, 7).Red[1, 1], ImageOps.ResizeArea(grid, 7, 7).Red[4, 1]));
    }

    [Fact]
    public void A_white_digit_on_black_is_left_as_it_is()
    {
        RgbaImage mnistLike = Rgba(9, 9, (x, y) => x == 4 ? (255, 255, 255, 255) : (0, 0, 0, 255));

        GrayImage gray = ImageOps.ToGray(mnistLike);

        Assert.Equal(1f, gray[4, 4]);
        Assert.Equal(0f, gray[0, 0]);
    }

    [Fact]
    public void Inversion_can_be_forced_either_way()
    {
        RgbaImage scan = Rgba(3, 3, (x, y) => (250, 250, 250, 255));

        Assert.Equal(250 / 255f, ImageOps.ToGray(scan, invert: false)[1, 1], 5);
        Assert.Equal(1f - (250 / 255f), ImageOps.ToGray(scan, invert: true)[1, 1], 5);
    }

    [Fact]
    public void Gray_is_luminance_composited_over_white()
    {
        RgbaImage image = Rgba(4, 1, (x, y) => x switch
        {
            0 => (255, 0, 0, 255),
            1 => (0, 255, 0, 255),
            2 => (0, 0, 255, 255),
            _ => (0, 0, 0, 51), // 20 % black over white
        });

        GrayImage gray = ImageOps.ToGray(image, invert: false);

        Assert.Equal(0.299f, gray[0, 0], 4);
        Assert.Equal(0.587f, gray[1, 0], 4);
        Assert.Equal(0.114f, gray[2, 0], 4);
        Assert.Equal(0.8f, gray[3, 0], 4);
    }

    [Fact]
    public void Downscaling_by_a_whole_factor_averages_each_block()
    {
        var image = new GrayImage(4, 2, [0f, 1f, 0.2f, 0.2f, 1f, 0f, 0.6f, 0.2f]);

        GrayImage small = ImageOps.ResizeArea(image, 2, 1);

        Assert.Equal(new[] { 0.5f, 0.3f }, small.Pixels.Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void Downscaling_by_a_fractional_factor_keeps_the_mean()
    {
        var random = new Random(4);
        var image = new GrayImage(28, 19, Enumerable.Range(0, 28 * 19).Select(_ => random.NextSingle()).ToArray());

        GrayImage small = ImageOps.ResizeArea(image, 20, 7);

        Assert.Equal(20, small.Width);
        Assert.Equal(7, small.Height);
        Assert.Equal(image.Pixels.Average(), small.Pixels.Average(), 4);
        Assert.All(small.Pixels, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Upscaling_interpolates_between_pixel_centres()
    {
        var image = new GrayImage(2, 1, [0f, 1f]);

        GrayImage big = ImageOps.ResizeArea(image, 4, 3);

        // Output centres at 0.5, 1.5, 2.5, 3.5 map to source positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        Assert.Equal(new[] { 0f, 0.25f, 0.75f, 1f }, big.Row(1).ToArray());
        Assert.Equal(big.Row(0).ToArray(), big.Row(2).ToArray());
    }

    [Fact]
    public void Resizing_to_the_same_size_returns_an_equal_copy()
    {
        var image = new GrayImage(3, 2, [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f]);

        GrayImage same = ImageOps.ResizeArea(image, 3, 2);

        Assert.Equal(image.Pixels, same.Pixels);
        Assert.NotSame(image.Pixels, same.Pixels);
    }

    [Fact]
    public void Mnist_input_centres_an_off_centre_blob_by_its_centre_of_mass()
    {
        var image = new GrayImage(100, 80);
        for (int y = 5; y < 17; y++)
        {
            for (int x = 70; x < 78; x++)
            {
                image[x, y] = x < 74 ? 1f : 0.5f; // heavier on the left, so mass and box centres differ
            }
        }

        GrayImage input = ImageOps.ToMnistInput(image);

        Assert.Equal(28, input.Width);
        Assert.Equal(28, input.Height);
        (double cx, double cy) = ImageOps.CentreOfMass(input);
        Assert.InRange(cx, 13, 15);
        Assert.InRange(cy, 13, 15);
        (int width, int height) = InkBox(input);
        Assert.Equal(20, height);
        Assert.InRange(width, 13, 14); // 8x12 scaled to fit 20x20 keeps its aspect ratio
        Assert.All(input.Pixels, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Mnist_input_scales_the_digit_box_with_the_requested_size()
    {
        var image = new GrayImage(10, 10);
        image[2, 3] = 1f;
        image[6, 3] = 1f;

        GrayImage input = ImageOps.ToMnistInput(image, size: 56);

        Assert.Equal(56, input.Width);
        Assert.Equal(40, InkBox(input).Width);
    }

    [Fact]
    public void Mnist_input_of_a_blank_image_is_all_black()
    {
        var image = new GrayImage(30, 30, Enumerable.Repeat(0.05f, 900).ToArray());

        GrayImage input = ImageOps.ToMnistInput(image);

        Assert.Equal(28 * 28, input.Pixels.Length);
        Assert.All(input.Pixels, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_drawing_decoded_from_png_becomes_a_centred_white_digit()
    {
        // A dark vertical stroke near the left edge of a transparent 60x60 canvas, as a browser would upload it.
        RgbaImage canvas = Rgba(60, 60, (x, y) => x is >= 5 and < 11 && y is >= 10 and < 50 ? (30, 30, 30, 255) : (0, 0, 0, 0));
        RgbaImage decoded = new ImageSharpCodec(ImageLimits.Default).Decode(TestImages.Png(canvas));

        GrayImage input = ImageOps.ToMnistInput(ImageOps.ToGray(decoded));

        (double cx, double cy) = ImageOps.CentreOfMass(input);
        Assert.InRange(cx, 13, 15);
        Assert.InRange(cy, 13, 15);
        Assert.True(input[14, 14] > 0.8f);
        Assert.Equal(0f, input[0, 0]);
    }

    [Fact]
    public void A_grid_of_64_mnist_tiles_in_8_columns_is_242_pixels_square_like_make_grid()
    {
        GrayImage[] tiles = Enumerable.Range(0, 64).Select(i => Filled(28, 28, (i + 1) / 64f)).ToArray();

        GrayImage grid = ImageOps.Grid(tiles, columns: 8);

        Assert.Equal(242, grid.Width);
        Assert.Equal(242, grid.Height);
        for (int i = 0; i < 64; i++)
        {
            int left = 2 + (30 * (i % 8));
            int top = 2 + (30 * (i / 8));
            Assert.Equal(tiles[i][0, 0], grid[left, top]);
            Assert.Equal(tiles[i][0, 0], grid[left + 27, top + 27]);
            Assert.Equal(0f, grid[left - 1, top]);
            Assert.Equal(0f, grid[left + 28, top + 27]);
        }
    }

    [Fact]
    public void A_grid_with_a_partial_last_row_fills_the_gaps_with_the_background()
    {
        GrayImage[] tiles = Enumerable.Range(0, 10).Select(_ => Filled(4, 3, 1f)).ToArray();

        GrayImage grid = ImageOps.Grid(tiles, columns: 8, padding: 1, background: 0.5f);

        Assert.Equal((8 * 5) + 1, grid.Width);
        Assert.Equal((2 * 4) + 1, grid.Height);
        Assert.Equal(1f, grid[1 + 5, 1 + 4]); // second tile of the second row
        Assert.Equal(0.5f, grid[1 + 10, 1 + 4]); // where the third tile of the second row would be
        Assert.Equal(0.5f, grid[0, 0]);
    }

    [Fact]
    public void A_grid_with_fewer_tiles_than_columns_is_as_wide_as_its_tiles()
    {
        GrayImage grid = ImageOps.Grid([Filled(5, 5, 1f), Filled(5, 5, 1f)], columns: 8, padding: 0);

        Assert.Equal(10, grid.Width);
        Assert.Equal(5, grid.Height);
    }

    [Fact]
    public void Tiles_of_different_sizes_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageOps.Grid([Filled(5, 5, 1f), Filled(5, 4, 1f)], columns: 2));

        Assert.Contains("tile 1 is 5x4", e.Message);
    }

    [Fact]
    public void A_strip_is_a_single_row()
    {
        GrayImage strip = ImageOps.Strip(Enumerable.Range(0, 5).Select(_ => Filled(28, 28, 1f)).ToArray());

        Assert.Equal(152, strip.Width);
        Assert.Equal(32, strip.Height);
    }

    [Fact]
    public void Scaling_repeats_each_pixel_as_a_block()
    {
        var image = new GrayImage(2, 1, [0.25f, 0.75f]);

        GrayImage big = ImageOps.Scale(image, 3);

        Assert.Equal(6, big.Width);
        Assert.Equal(3, big.Height);
        for (int y = 0; y < 3; y++)
        {
            Assert.Equal(new[] { 0.25f, 0.25f, 0.25f, 0.75f, 0.75f, 0.75f }, big.Row(y).ToArray());
        }
    }

    [Fact]
    public void From_pixels_copies_the_values()
    {
        float[] values = [0.1f, 0.2f, 0.3f, 0.4f];

        GrayImage image = ImageOps.FromPixels(values, 2, 2);
        values[0] = 9f;

        Assert.Equal(0.1f, image[0, 0]);
        Assert.Equal(0.4f, image[1, 1]);
        Assert.Throws<ArgumentException>(() => ImageOps.FromPixels(values, 3, 2));
    }

    private static RgbaImage Rgba(int width, int height, Func<int, int, (int R, int G, int B, int A)> color)
    {
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (int r, int g, int b, int a) = color(x, y);
                image.SetPixel(x, y, (byte)r, (byte)g, (byte)b, (byte)a);
            }
        }

        return image;
    }

    private static GrayImage Filled(int width, int height, float value) =>
        new(width, height, Enumerable.Repeat(value, width * height).ToArray());

    private static (int Width, int Height) InkBox(GrayImage image)
    {
        int left = int.MaxValue, right = -1, top = int.MaxValue, bottom = -1;
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                if (image[x, y] > 0.1f)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        return (right - left + 1, bottom - top + 1);
    }
}
