using System.Buffers.Binary;
using System.Text.Json;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

/// <summary>What the codec reads (every accepted format and the variants people's files come in) and writes (grids).</summary>
public sealed class ImageCodecTests
{
    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "png", "expected.json"))).RootElement);

    private readonly IImageCodec _codec = new ImageSharpCodec(ImageLimits.Default);

    public static TheoryData<string> PngFixtures()
    {
        // Listed from the generator's record, so a fixture missing from the output folder fails loudly.
        var names = new TheoryData<string>();
        foreach (JsonProperty file in Expected.Value.EnumerateObject()) names.Add(file.Name);
        return names;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(31, 17)]
    [InlineData(242, 242)]
    [InlineData(600, 600)]
    public void Gray_planes_are_written_as_an_8_bit_gray_png_that_reads_back_exactly(int width, int height)
    {
        var random = new Random(width + height);
        var image = new GrayImage(width, height, [.. Enumerable.Range(0, width * height).Select(_ => random.Next(256) / 255f)]);

        byte[] png = _codec.Encode(image);

        Assert.Equal(0, TestImages.PngColourType(png));
        RgbaImage back = TestImages.Read(png);
        Assert.Equal((width, height), (back.Width, back.Height));
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            byte expected = (byte)MathF.Round(image.Pixels[i] * 255f);
            Assert.Equal((expected, expected, expected, (byte)255), back.GetPixel(i % width, i / width));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(32, 32)]
    [InlineData(45, 17)]
    [InlineData(300, 300)]
    public void Rgb_planes_are_written_as_an_opaque_rgb_png_with_each_plane_in_its_channel(int width, int height)
    {
        int area = width * height;
        var random = new Random(width * height);
        byte[] bytes = new byte[3 * area];
        random.NextBytes(bytes);
        var image = RgbImage.FromPlanar([.. bytes.Select(b => b / 255f)], width, height);

        byte[] png = _codec.Encode(image);

        Assert.Equal(2, TestImages.PngColourType(png)); // RGB without alpha
        RgbaImage back = TestImages.Read(png);
        for (int i = 0; i < area; i++)
        {
            Assert.Equal((bytes[i], bytes[area + i], bytes[(2 * area) + i], (byte)255), back.GetPixel(i % width, i / width));
        }
    }

    [Fact]
    public void Small_grids_are_stored_for_speed_and_large_images_compressed()
    {
        // A flat field compresses to almost nothing, so the size shows which way each was written.
        byte[] small = _codec.Encode(new GrayImage(242, 242));
        byte[] large = _codec.Encode(new GrayImage(600, 600));
        byte[] smallColour = _codec.Encode(new RgbImage(200, 200));
        byte[] largeColour = _codec.Encode(new RgbImage(320, 320));

        Assert.True(small.Length > 242 * 242, $"a 242x242 grid took {small.Length} bytes; stored, it takes more than its pixels");
        Assert.True(smallColour.Length > 3 * 200 * 200, $"a 200x200 colour grid took {smallColour.Length} bytes");
        Assert.True(large.Length < 600 * 600 / 20, $"a flat 600x600 image took {large.Length} bytes; compressed, it takes a few KB");
        Assert.True(largeColour.Length < 3 * 320 * 320 / 20, $"a flat 320x320 colour image took {largeColour.Length} bytes");
        Assert.All(new[] { small, large, smallColour, largeColour }, png => Assert.Equal(255, TestImages.Read(png).GetPixel(0, 0).A));
    }

    [Fact]
    public void Float_pixels_are_clamped_and_rounded_to_bytes()
    {
        float[] values = [-1f, 0f, 0.6f / 255f, 0.4f / 255f, 0.5f, 1f, 7f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];

        RgbaImage back = TestImages.Read(_codec.Encode(new GrayImage(values.Length, 1, values)));

        Assert.Equal(new byte[] { 0, 0, 1, 0, 128, 255, 255, 0, 255, 0 }, Enumerable.Range(0, values.Length).Select(i => back.Pixels[4 * i]));
    }

    [Fact]
    public void Long_rows_are_quantised_exactly_as_one_value_at_a_time()
    {
        // Long enough for the vector loop, with a tail after it; values on and beside every rounding
        // boundary, out of range, and not numbers, at every position modulo the vector width.
        var random = new Random(7);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1f, -3f, 2f, 1e-30f, 0.99999f];
        var values = new float[64 * 40 + 37];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 5) switch
            {
                0 => specials[(i / 5) % specials.Length],
                1 => (random.Next(256) + 0.5f) / 255f,
                2 => MathF.BitIncrement((random.Next(256) + 0.5f) / 255f),
                3 => MathF.BitDecrement((random.Next(256) + 0.5f) / 255f),
                _ => (float)(random.NextDouble() * 1.4 - 0.2),
            };
        }

        RgbaImage back = TestImages.Read(_codec.Encode(values, values.Length, 1));

        var expected = values.Select(v => v > 0f ? (v < 1f ? (byte)((v * 255f) + 0.5f) : (byte)255) : (byte)0);
        Assert.Equal(expected, Enumerable.Range(0, values.Length).Select(i => back.Pixels[4 * i]));
    }

    [Fact]
    public void A_gray_buffer_of_the_wrong_length_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => _codec.Encode(new float[10], 4, 3));
        Assert.Contains("4x3", error.Message);
    }

    [Fact]
    public void A_grid_written_as_webp_is_lossless_and_holds_the_pngs_pixels()
    {
        var random = new Random(3);
        var gray = new GrayImage(30, 20, [.. Enumerable.Range(0, 600).Select(_ => random.Next(256) / 255f)]);
        var colour = RgbImage.FromPlanar([.. Enumerable.Range(0, 3 * 600).Select(_ => random.Next(256) / 255f)], 30, 20);

        byte[] grayWebp = _codec.Encode(gray, ImageFormat.Webp);
        byte[] colourWebp = _codec.Encode(colour, ImageFormat.Webp);

        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(grayWebp, 0, 4));
        Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(grayWebp, 8, 4));
        Assert.Equal(TestImages.Read(_codec.Encode(gray)).Pixels, TestImages.Read(grayWebp).Pixels);
        Assert.Equal(TestImages.Read(_codec.Encode(colour)).Pixels, TestImages.Read(colourWebp).Pixels);
    }

    [Fact]
    public void Grids_are_written_as_png_or_webp_only()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _codec.Encode(new GrayImage(2, 2), ImageFormat.Jpeg));
        Assert.Throws<ArgumentOutOfRangeException>(() => _codec.Encode(new RgbImage(2, 2), ImageFormat.Bmp));
    }

    [Theory]
    [MemberData(nameof(PngFixtures))]
    public void Pngs_written_by_other_tools_decode_to_the_pixels_those_tools_read(string name)
    {
        JsonElement entry = Expected.Value.GetProperty(name);
        // The interlaced fixture holds rgb8.png's pixels; the generator only records pixels of files ImageMagick reads without interlacing.
        JsonElement pixels = entry.GetProperty("interlaced").GetBoolean() ? Expected.Value.GetProperty("rgb8.png") : entry;

        RgbaImage image = _codec.Decode(File.ReadAllBytes(Path.Combine(FixtureFolder, "png", name)));

        Assert.Equal((entry.GetProperty("width").GetInt32(), entry.GetProperty("height").GetInt32()), (image.Width, image.Height));
        byte[] toolPixels = Convert.FromHexString(pixels.GetProperty("rgba").GetString()!);
        if (!entry.TryGetProperty("rgba16", out JsonElement wide))
        {
            Assert.Equal(Convert.ToHexStringLower(toolPixels), Convert.ToHexStringLower(image.Pixels));
            return;
        }

        // 16-bit samples: the tool's 16-bit values rounded to v / 257 (ImageMagick's own 8-bit reading truncates).
        byte[] samples = Convert.FromHexString(wide.GetString()!);
        byte[] rounded = [.. Enumerable.Range(0, samples.Length / 2).Select(i => (byte)Math.Round(BinaryPrimitives.ReadUInt16BigEndian(samples.AsSpan(2 * i)) / 257.0))];
        Assert.Equal(Convert.ToHexStringLower(rounded), Convert.ToHexStringLower(image.Pixels));
    }

    [Fact]
    public void Sixteen_bit_palette_and_interlaced_pngs_read_the_same_picture()
    {
        RgbaImage picture = TestImages.Rgba(13, 9, (x, y) => (x * 19, y * 28, (x * y) % 256, x < 3 ? 128 : 255));

        foreach (var (colour, depth, interlaced) in new[]
        {
            (PngColorType.RgbWithAlpha, PngBitDepth.Bit16, false),
            (PngColorType.RgbWithAlpha, PngBitDepth.Bit8, true),
            (PngColorType.RgbWithAlpha, PngBitDepth.Bit16, true),
        })
        {
            Assert.Equal(picture.Pixels, _codec.Decode(TestImages.Png(picture, colour, depth, interlaced)).Pixels);
        }

        // A palette holds at most 256 colours: a picture of few colours survives it exactly.
        RgbaImage few = TestImages.Rgba(13, 9, (x, y) => ((x % 3) * 100, (y % 2) * 200, 50, 255));
        byte[] palette = TestImages.Png(few, PngColorType.Palette);
        Assert.Equal(3, TestImages.PngColourType(palette));
        Assert.Equal(few.Pixels, _codec.Decode(palette).Pixels);
    }

    [Fact]
    public void Jpeg_webp_and_bmp_files_decode_to_their_pictures()
    {
        RgbaImage photo = TestImages.Photo(40, 24);

        // Lossless formats give the pixels back exactly; JPEG and lossy WebP within a few levels.
        Assert.Equal(photo.Pixels, _codec.Decode(TestImages.Webp(photo, lossless: true)).Pixels);
        Assert.Equal(photo.Pixels, _codec.Decode(TestImages.Bmp(photo)).Pixels);
        AssertClose(photo, _codec.Decode(TestImages.Jpeg(photo)), tolerance: 24);
        AssertClose(photo, _codec.Decode(TestImages.Webp(photo, lossless: false)), tolerance: 32);

        RgbaImage seeThrough = TestImages.Rgba(8, 8, (x, y) => (200, 10 * x, 30, 30 * y));
        Assert.Equal(seeThrough.Pixels, _codec.Decode(TestImages.Bmp(seeThrough, alpha: true)).Pixels);
    }

    [Theory]
    [InlineData("progressive.jpg")]
    [InlineData("cmyk.jpg")]
    [InlineData("rotated.jpg")]
    public void Progressive_cmyk_and_rotated_jpegs_from_another_tool_read_as_their_four_colours(string name)
    {
        // Made by Pillow (Fixtures/jpeg/make_fixtures.sh): 48x32, red, green / blue, white quadrants once upright.
        RgbaImage image = _codec.Decode(File.ReadAllBytes(Path.Combine(FixtureFolder, "jpeg", name)));

        Assert.Equal((48, 32), (image.Width, image.Height));
        AssertColour(image.GetPixel(12, 8), (255, 0, 0));
        AssertColour(image.GetPixel(36, 8), (0, 255, 0));
        AssertColour(image.GetPixel(12, 24), (0, 0, 255));
        AssertColour(image.GetPixel(36, 24), (255, 255, 255));
    }

    [Fact]
    public void A_cmyk_jpeg_written_by_imagesharp_reads_as_its_colour()
    {
        RgbaImage red = TestImages.Rgba(16, 16, (_, _) => (230, 20, 40, 255));

        RgbaImage back = _codec.Decode(TestImages.Jpeg(red, colour: JpegColorType.Cmyk));

        AssertColour(back.GetPixel(8, 8), (230, 20, 40));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(8)]
    [InlineData(3)]
    public void Exif_orientation_turns_a_photo_upright_and_identify_gives_the_upright_size(ushort orientation)
    {
        // Stored sideways (or upside down): a red corner that is top left once the picture is upright.
        RgbaImage upright = TestImages.Rgba(40, 20, (x, y) => x < 10 && y < 10 ? (255, 0, 0, 255) : (0, 0, 255, 255));
        RgbaImage stored = orientation switch
        {
            6 => Turn(upright, clockwise: false),
            8 => Turn(upright, clockwise: true),
            _ => Turn(Turn(upright, clockwise: true), clockwise: true),
        };

        foreach (byte[] file in new[] { TestImages.Jpeg(stored, orientation: orientation), TestImages.Webp(stored, orientation: orientation) })
        {
            Assert.Equal((40, 20), (_codec.Identify(file).Width, _codec.Identify(file).Height));
            RgbaImage image = _codec.Decode(file);
            Assert.Equal((40, 20), (image.Width, image.Height));
            AssertColour(image.GetPixel(3, 3), (255, 0, 0));
            AssertColour(image.GetPixel(36, 16), (0, 0, 255));
        }
    }

    [Fact]
    public void Cover_scales_to_exactly_the_size_asked_keeping_the_centre_and_within_only_shrinks()
    {
        // 80x40: a green middle square between red and blue sides; covering 20x20 keeps the middle.
        RgbaImage wide = TestImages.Rgba(80, 40, (x, _) => x < 20 ? (255, 0, 0, 255) : x >= 60 ? (0, 0, 255, 255) : (0, 255, 0, 255));
        byte[] png = TestImages.Png(wide);

        RgbaImage covered = _codec.Decode(png, ImageFit.Cover(20, 20));
        Assert.Equal((20, 20), (covered.Width, covered.Height));
        AssertColour(covered.GetPixel(1, 10), (0, 255, 0));
        AssertColour(covered.GetPixel(18, 10), (0, 255, 0));

        RgbaImage within = _codec.Decode(png, ImageFit.Within(20, 20));
        Assert.Equal((20, 10), (within.Width, within.Height));
        AssertColour(within.GetPixel(1, 5), (255, 0, 0));

        RgbaImage untouched = _codec.Decode(png, ImageFit.Within(100, 100));
        Assert.Equal(wide.Pixels, untouched.Pixels);
    }

    [Fact]
    public void Shrinking_averages_fine_detail_instead_of_picking_pixels()
    {
        // One-pixel black and white stripes: a resampler that skips pixels gives black or white, a proper one gray.
        RgbaImage stripes = TestImages.Rgba(64, 64, (x, _) => x % 2 == 0 ? (0, 0, 0, 255) : (255, 255, 255, 255));

        RgbaImage small = _codec.Decode(TestImages.Png(stripes), ImageFit.Cover(8, 8));

        Assert.All(Enumerable.Range(0, 64), i => Assert.InRange(small.Pixels[4 * i], 100, 155));
    }

    [Fact]
    public void Identify_reads_the_format_and_size_from_the_header()
    {
        RgbaImage photo = TestImages.Photo(33, 21);

        Assert.Equal(new ImageHeader(ImageFormat.Png, 33, 21), _codec.Identify(TestImages.Png(photo)));
        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 33, 21), _codec.Identify(TestImages.Jpeg(photo)));
        Assert.Equal(new ImageHeader(ImageFormat.Webp, 33, 21), _codec.Identify(TestImages.Webp(photo)));
        Assert.Equal(new ImageHeader(ImageFormat.Bmp, 33, 21), _codec.Identify(TestImages.Bmp(photo)));
    }

    [Fact]
    public void Bytes_after_the_end_of_a_png_or_jpeg_are_ignored()
    {
        RgbaImage photo = TestImages.Photo(16, 16);
        byte[] trailer = "trailing bytes, as some phones append"u8.ToArray();

        Assert.Equal(photo.Pixels, _codec.Decode((byte[])[.. TestImages.Png(photo), .. trailer]).Pixels);
        AssertClose(photo, _codec.Decode((byte[])[.. TestImages.Jpeg(photo), .. trailer]), tolerance: 24);
    }

    [Fact]
    public void Image_data_split_over_many_idat_chunks_with_other_chunks_around_them_decodes()
    {
        RgbaImage picture = TestImages.Photo(9, 6);
        byte[] original = TestImages.Png(picture);
        int headerAt = TestImages.IndexOf(original, "IHDR") - 4;
        int dataAt = TestImages.IndexOf(original, "IDAT") - 4;
        byte[] header = original[(headerAt + 8)..(headerAt + 8 + 13)];
        byte[] data = original[(dataAt + 8)..(dataAt + 8 + BinaryPrimitives.ReadInt32BigEndian(original.AsSpan(dataAt)))];

        var chunks = new List<byte[]> { TestImages.Chunk("IHDR", header), TestImages.Chunk("tEXt", "Comment\0split"u8.ToArray()) };
        for (int at = 0; at < data.Length; at += 3) chunks.Add(TestImages.Chunk("IDAT", data[at..Math.Min(data.Length, at + 3)]));
        chunks.Add(TestImages.Chunk("zzZz", [1, 2, 3]));
        chunks.Add(TestImages.Chunk("IEND", []));

        Assert.Equal(picture.Pixels, _codec.Decode(TestImages.PngOf([.. chunks])).Pixels);
    }

    [Fact]
    public void Trusted_limits_read_an_image_taller_than_the_default_allows()
    {
        var tall = new ImageSharpCodec(new ImageLimits(MaxWidth: 2, MaxHeight: 20000, MaxPixels: 40000, MaxDecoderMegabytes: 1, Timeout.InfiniteTimeSpan));
        byte[] png = TestImages.Gray8Png([.. Enumerable.Range(0, 2 * 20000).Select(i => (byte)(i / 2))], 2, 20000);

        RgbaImage image = tall.Decode(png);

        Assert.Equal((2, 20000), (image.Width, image.Height));
        Assert.Equal((byte)(4321 % 256), image.GetPixel(1, 4321).R);
        Assert.Throws<ImageOverLimitException>(() => new ImageSharpCodec(ImageLimits.Default with { MaxHeight = 19999 }).Identify(png));
    }

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

    private static void AssertColour((byte R, byte G, byte B, byte A) pixel, (int R, int G, int B) expected, int tolerance = 40)
    {
        Assert.True(Math.Abs(pixel.R - expected.R) <= tolerance && Math.Abs(pixel.G - expected.G) <= tolerance && Math.Abs(pixel.B - expected.B) <= tolerance,
            $"expected about {expected}, got {pixel}");
    }

    private static void AssertClose(RgbaImage expected, RgbaImage actual, int tolerance)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int worst = Enumerable.Range(0, expected.Pixels.Length).Max(i => Math.Abs(expected.Pixels[i] - actual.Pixels[i]));
        Assert.True(worst <= tolerance, $"a channel is {worst} levels off; at most {tolerance} expected");
    }
}
