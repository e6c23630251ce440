using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

public sealed class PngCodecTests
{
    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "png");

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "expected.json"))).RootElement);

    public static TheoryData<string> Fixtures()
    {
        // Listed from the generator's record, so a fixture missing from the output folder fails loudly.
        var names = new TheoryData<string>();
        foreach (JsonProperty file in Expected.Value.EnumerateObject())
        {
            names.Add(file.Name);
        }

        return names;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 7)]
    [InlineData(3, 3)]
    [InlineData(7, 5)]
    [InlineData(31, 17)]
    [InlineData(242, 242)]
    public void Gray_bytes_survive_an_encode_decode_round_trip(int width, int height)
    {
        foreach (byte[] pixels in new[] { RandomBytes(width * height, seed: width + height), SmoothBytes(width, height, 1) })
        {
            RgbaImage decoded = PngDecoder.Decode(PngEncoder.EncodeGray8(pixels, width, height));

            Assert.Equal(width, decoded.Width);
            Assert.Equal(height, decoded.Height);
            for (int i = 0; i < pixels.Length; i++)
            {
                Assert.Equal(pixels[i], decoded.Pixels[4 * i]);
                Assert.Equal(pixels[i], decoded.Pixels[(4 * i) + 1]);
                Assert.Equal(pixels[i], decoded.Pixels[(4 * i) + 2]);
                Assert.Equal(255, decoded.Pixels[(4 * i) + 3]);
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 2)]
    [InlineData(13, 11)]
    [InlineData(64, 33)]
    public void Rgba_images_survive_an_encode_decode_round_trip(int width, int height)
    {
        foreach (byte[] pixels in new[] { RandomBytes(width * height * 4, seed: width * height), SmoothBytes(width, height, 4) })
        {
            var image = new RgbaImage(width, height, pixels);

            RgbaImage decoded = PngDecoder.Decode(PngEncoder.EncodeRgba(image));

            Assert.Equal(width, decoded.Width);
            Assert.Equal(height, decoded.Height);
            Assert.Equal(pixels, decoded.Pixels);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(32, 32)]
    [InlineData(45, 17)]
    public void Rgb_planes_survive_an_encode_decode_round_trip_as_an_opaque_colour_png(int width, int height)
    {
        int area = width * height;
        byte[] bytes = RandomBytes(3 * area, seed: width + (7 * height));
        float[] planar = bytes.Select(b => b / 255f).ToArray();
        var image = RgbImage.FromPlanar(planar, width, height);

        byte[] png = PngEncoder.EncodeRgb(image);
        RgbaImage decoded = PngDecoder.Decode(png);

        Assert.Equal(2, Chunks(png)[0].Data[9]); // colour type 2: RGB without alpha
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        for (int i = 0; i < area; i++)
        {
            // Plane c of pixel i lands in byte c of the decoded pixel.
            Assert.Equal(bytes[i], decoded.Pixels[4 * i]);
            Assert.Equal(bytes[area + i], decoded.Pixels[(4 * i) + 1]);
            Assert.Equal(bytes[(2 * area) + i], decoded.Pixels[(4 * i) + 2]);
            Assert.Equal(255, decoded.Pixels[(4 * i) + 3]);
        }
    }

    [Fact]
    public void A_decoded_colour_png_reads_back_into_the_same_planes()
    {
        var image = new RgbImage(4, 3);
        image.Red[1, 2] = 1f;
        image.Green[3, 0] = 0.5f;
        image.Blue[0, 0] = 0.2f;

        RgbImage back = ImageOps.ToRgb(PngDecoder.Decode(PngEncoder.EncodeRgb(image)));

        var expected = new float[36];
        var actual = new float[36];
        image.CopyPlanarTo(expected);
        back.CopyPlanarTo(actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 2);
        }
    }

    [Fact]
    public void Float_pixels_are_clamped_and_rounded_to_bytes()
    {
        float[] values = [-1f, 0f, 0.6f / 255f, 0.4f / 255f, 0.5f, 1f, 7f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        var image = new GrayImage(values.Length, 1, values);

        RgbaImage decoded = PngDecoder.Decode(PngEncoder.EncodeGray(image));

        byte[] red = Enumerable.Range(0, values.Length).Select(i => decoded.Pixels[4 * i]).ToArray();
        Assert.Equal(new byte[] { 0, 0, 1, 0, 128, 255, 255, 0, 255, 0 }, red);
    }

    [Fact]
    public void Encoded_files_have_the_standard_layout()
    {
        byte[] png = PngEncoder.EncodeGray8(new byte[] { 1, 2, 3, 4, 5, 6 }, 3, 2);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(["IHDR", "IDAT", "IEND"], Chunks(png).Select(c => c.Type));
        byte[] header = Chunks(png)[0].Data;
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(header));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)));
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0 }, header[8..]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82 }, png[^12..]); // IEND is always these bytes
    }

    [Fact]
    public void Encoding_picks_different_filters_for_different_rows()
    {
        // Random noise, a flat row, a ramp and a copy of the row above favour different filters.
        const int Width = 40;
        byte[] pixels = new byte[Width * 4];
        RandomBytes(Width, seed: 3).CopyTo(pixels, 0);
        for (int x = 0; x < Width; x++)
        {
            pixels[Width + x] = 200;
            pixels[(2 * Width) + x] = (byte)(5 * x);
            pixels[(3 * Width) + x] = (byte)(5 * x);
        }

        byte[] png = PngEncoder.EncodeGray8(pixels, Width, 4);

        byte[] raw = Inflate(Chunks(png).Single(c => c.Type == "IDAT").Data);
        byte[] filters = Enumerable.Range(0, 4).Select(y => raw[y * (Width + 1)]).ToArray();
        Assert.True(filters.Distinct().Count() >= 2, $"filters used: {string.Join(", ", filters)}");
        Assert.Equal(2, filters[3]); // Up turns a repeated row into zeros.
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void Every_filter_is_undone_exactly_for_every_pixel_size(int bytesPerPixel)
    {
        byte[] prior = RandomBytes(5 * bytesPerPixel + 1, seed: 11);
        byte[] row = RandomBytes(prior.Length, seed: 12);
        for (byte filter = 0; filter < PngFilters.Count; filter++)
        {
            var filtered = new byte[row.Length];
            PngFilters.Apply(filter, row, prior, bytesPerPixel, filtered);

            PngFilters.Undo(filter, filtered, prior, bytesPerPixel);

            Assert.Equal(row, filtered);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(8)]
    public void Vectorised_filtering_agrees_with_the_plain_loop_at_every_row_length(int bytesPerPixel)
    {
        var random = new Random(bytesPerPixel);
        for (int length = bytesPerPixel; length <= 300; length += bytesPerPixel)
        {
            byte[] prior = RandomBytes(length, seed: random.Next());
            byte[] row = RandomBytes(length, seed: random.Next());
            for (byte filter = 0; filter < PngFilters.Count; filter++)
            {
                var fast = new byte[length];
                var plain = new byte[length];

                PngFilters.Apply(filter, row, prior, bytesPerPixel, fast);
                PngFilters.ApplyScalar(filter, row, prior, bytesPerPixel, plain);

                Assert.Equal(plain, fast);
                long magnitudes = plain.Sum(b => Math.Abs((long)(sbyte)b));
                Assert.Equal(magnitudes, PngFilters.SumOfMagnitudes(plain));
            }
        }
    }

    [Fact]
    public void Sums_of_magnitudes_do_not_overflow_on_long_rows_of_extreme_bytes()
    {
        byte[] row = Enumerable.Repeat((byte)0x80, 20_000).ToArray();

        Assert.Equal(128L * 20_000, PngFilters.SumOfMagnitudes(row));
    }

    [Fact]
    public void The_crc_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
        byte[] long_ = RandomBytes(1000, seed: 5);
        Assert.Equal(Crc32.Compute(long_), ~Crc32.Append(Crc32.Append(~0u, long_.AsSpan(0, 333)), long_.AsSpan(333)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Files_written_by_other_tools_decode_to_the_pixels_those_tools_read(string name)
    {
        JsonElement entry = Expected.Value.GetProperty(name);
        byte[] file = File.ReadAllBytes(Path.Combine(FixtureFolder, name));

        if (entry.GetProperty("interlaced").GetBoolean())
        {
            var e = Assert.Throws<UnsupportedImageException>(() => PngDecoder.Decode(file));
            Assert.Contains("interlac", e.Message, StringComparison.OrdinalIgnoreCase);
            return;
        }

        RgbaImage image = PngDecoder.Decode(file);

        Assert.Equal(entry.GetProperty("width").GetInt32(), image.Width);
        Assert.Equal(entry.GetProperty("height").GetInt32(), image.Height);
        byte[] toolPixels = Convert.FromHexString(entry.GetProperty("rgba").GetString()!);
        if (!entry.TryGetProperty("rgba16", out JsonElement wide))
        {
            Assert.Equal(Convert.ToHexStringLower(toolPixels), Convert.ToHexStringLower(image.Pixels));
            return;
        }

        // 16-bit samples: exactly the tool's 16-bit values rounded to v / 257, and within one level
        // of the tool's own 8-bit reading (ImageMagick truncates colour and rounds alpha).
        byte[] samples = Convert.FromHexString(wide.GetString()!);
        byte[] rounded = Enumerable.Range(0, samples.Length / 2)
            .Select(i => (byte)Math.Round(BinaryPrimitives.ReadUInt16BigEndian(samples.AsSpan(2 * i)) / 257.0))
            .ToArray();
        Assert.Equal(Convert.ToHexStringLower(rounded), Convert.ToHexStringLower(image.Pixels));
        Assert.All(Enumerable.Range(0, toolPixels.Length), i => Assert.InRange(image.Pixels[i] - toolPixels[i], -1, 1));
    }

    [Fact]
    public void The_fixtures_cover_every_filter_type_and_transparency_key()
    {
        var filters = new HashSet<int>();
        foreach (JsonProperty file in Expected.Value.EnumerateObject())
        {
            if (file.Value.TryGetProperty("filters", out JsonElement used))
            {
                filters.UnionWith(used.EnumerateArray().Select(f => f.GetInt32()));
            }
        }

        Assert.Equal([0, 1, 2, 3, 4], filters.Order());

        // The gray and RGB colour keys each make exactly one pixel transparent.
        foreach (string name in new[] { "pil_gray_trns.png", "rgb_trns.png" })
        {
            RgbaImage image = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(FixtureFolder, name)));
            Assert.Equal(1, Enumerable.Range(0, image.Width * image.Height).Count(i => image.Pixels[(4 * i) + 3] == 0));
        }
    }

    [Fact]
    public void Decoding_from_a_forward_only_stream_works()
    {
        byte[] png = PngEncoder.EncodeGray8(new byte[] { 10, 20, 30, 40 }, 2, 2);

        RgbaImage image = PngDecoder.Decode(new ForwardOnly(png));

        Assert.Equal(new byte[] { 10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255, 40, 40, 40, 255 }, image.Pixels);
    }

    [Fact]
    public void Image_data_split_over_many_idat_chunks_with_other_chunks_around_them_decodes()
    {
        byte[] pixels = SmoothBytes(9, 6, 4);
        byte[] original = PngEncoder.EncodeRgba(new RgbaImage(9, 6, pixels));
        List<(string Type, byte[] Data)> chunks = Chunks(original);
        byte[] idat = chunks[1].Data;

        var rebuilt = new List<byte[]> { Chunk("IHDR", chunks[0].Data), Chunk("tEXt", "Comment\0split"u8.ToArray()) };
        for (int at = 0; at < idat.Length; at += 3)
        {
            rebuilt.Add(Chunk("IDAT", idat[at..Math.Min(idat.Length, at + 3)]));
        }

        rebuilt.Add(Chunk("zzZz", [1, 2, 3]));
        rebuilt.Add(Chunk("IEND", []));

        Assert.Equal(pixels, PngDecoder.Decode(Png(rebuilt.ToArray())).Pixels);
    }

    [Fact]
    public void Bytes_after_iend_are_ignored()
    {
        byte[] png = [.. PngEncoder.EncodeGray8(new byte[] { 7 }, 1, 1), .. "trailing"u8.ToArray()];

        Assert.Equal(7, PngDecoder.Decode(png).Pixels[0]);
    }

    [Fact]
    public void A_file_truncated_anywhere_is_reported_as_invalid()
    {
        byte[] png = PngEncoder.EncodeGray8(SmoothBytes(20, 20, 1), 20, 20);
        int idatAt = IndexOf(png, "IDAT") - 4;
        int[] cuts = [0, 1, 7, 8, 9, 15, 16, 20, 32, 33, 40, idatAt + 8, idatAt + 20, png.Length - 12, png.Length - 5, png.Length - 1];

        foreach (int cut in cuts)
        {
            var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png.AsSpan(0, cut)));
            Assert.Matches("truncated|empty|too short", e.Message);
        }
    }

    [Fact]
    public void A_truncated_chunk_says_how_many_bytes_it_claims_and_how_many_remain()
    {
        byte[] png = PngEncoder.EncodeGray8(RandomBytes(400, seed: 1), 20, 20);
        int idatAt = IndexOf(png, "IDAT") - 4;
        int claimed = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idatAt));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png.AsSpan(0, idatAt + 8 + 100)));

        Assert.Contains($"chunk IDAT at byte {idatAt} claims {claimed} bytes", e.Message);
        Assert.Contains("only 100 bytes remain", e.Message);
    }

    [Fact]
    public void A_flipped_byte_in_the_image_data_fails_the_crc_check()
    {
        byte[] png = PngEncoder.EncodeGray8(SmoothBytes(20, 20, 1), 20, 20);
        png[IndexOf(png, "IDAT") + 6] ^= 0x10;

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains("IDAT", e.Message);
        Assert.Contains("CRC", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F' }, "JPEG")]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 1, 0, 1, 0 }, "GIF")]
    [InlineData(new byte[] { (byte)'<', (byte)'s', (byte)'v', (byte)'g', (byte)' ', (byte)'x', (byte)'m', (byte)'l', (byte)'n', (byte)'s' }, "SVG")]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }, "binary mode")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "not a PNG")]
    public void A_file_without_the_png_signature_is_rejected_with_what_it_looks_like(byte[] file, string hint)
    {
        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(file));

        Assert.Contains(hint, e.Message);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5, 0)]
    public void A_header_with_a_zero_side_is_invalid(int width, int height)
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(width, height, 8, 0)), Chunk("IDAT", Zlib([0])), Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains($"{width}x{height}", e.Message);
    }

    [Theory]
    [InlineData(100_000, 100_000)]
    [InlineData(4097, 1)]
    [InlineData(1, 5000)]
    [InlineData(int.MaxValue, int.MaxValue)]
    public void A_header_claiming_a_huge_image_is_rejected_before_anything_is_allocated(int width, int height)
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(width, height, 16, 6)), Chunk("IDAT", Zlib([0])), Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains($"{width}x{height}", e.Message);
        Assert.Contains("4096", e.Message);
    }

    [Fact]
    public void A_taller_image_than_the_default_limit_decodes_when_the_caller_allows_it()
    {
        const int Height = 5000;
        byte[] rows = new byte[Height * 2];
        for (int y = 0; y < Height; y++) rows[(2 * y) + 1] = (byte)y;
        byte[] png = Png(Chunk("IHDR", Ihdr(1, Height, 8, 0)), Chunk("IDAT", Zlib(rows)), Chunk("IEND", []));

        Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));
        RgbaImage image = PngDecoder.Decode(png, new PngDecodeLimits(MaxWidth: 1, MaxHeight: Height, MaxPixels: Height));

        Assert.Equal(Height, image.Height);
        Assert.Equal(((byte)(4321 % 256), (byte)(4321 % 256), (byte)(4321 % 256), (byte)255), image.GetPixel(0, 4321));
        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png, new PngDecodeLimits(1, Height - 1, Height)));
        Assert.Contains("4999 pixels tall", e.Message);
    }

    [Fact]
    public void Image_data_that_is_not_zlib_but_has_a_valid_crc_is_invalid()
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(4, 4, 8, 0)), Chunk("IDAT", RandomBytes(60, seed: 9)), Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains("cannot be decompressed", e.Message);
    }

    [Fact]
    public void Image_data_shorter_than_the_header_implies_is_invalid()
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(10, 10, 8, 0)), Chunk("IDAT", Zlib(new byte[11 * 5])), Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains("needs 110 bytes", e.Message);
        Assert.Contains("only 55", e.Message);
    }

    [Fact]
    public void A_decompression_bomb_is_stopped_just_past_the_size_the_header_implies()
    {
        // 64 MiB of zeros deflate to about 64 KiB; a 1x1 image needs 2 bytes.
        byte[] png = Png(Chunk("IHDR", Ihdr(1, 1, 8, 0)), Chunk("IDAT", Zlib(new byte[64 << 20])), Chunk("IEND", []));
        long before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains("too long", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the decoder allocated as if it inflated the bomb");
    }

    [Fact]
    public void A_row_with_an_unknown_filter_type_is_invalid()
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(2, 2, 8, 0)), Chunk("IDAT", Zlib([0, 1, 2, 7, 3, 4])), Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(png));

        Assert.Contains("row 1 uses filter type 7", e.Message);
    }

    [Fact]
    public void Missing_or_misplaced_critical_chunks_are_invalid()
    {
        byte[] header = Chunk("IHDR", Ihdr(1, 1, 8, 0));
        byte[] data = Chunk("IDAT", Zlib([0, 9]));
        byte[] end = Chunk("IEND", []);

        Assert.Contains("must start with IHDR", Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(Png(data, header, end))).Message);
        Assert.Contains("before any IDAT", Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(Png(header, end, data))).Message);
        Assert.Contains("without the IEND", Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(Png(header, data))).Message);
        Assert.Contains("second IHDR", Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(Png(header, header, data, end))).Message);
        byte[] palette = Chunk("IHDR", Ihdr(1, 1, 8, 3));
        Assert.Contains("no palette", Assert.Throws<InvalidImageException>(() => PngDecoder.Decode(Png(palette, data, end))).Message);
    }

    [Theory]
    [InlineData(4, 2)] // 4-bit RGB
    [InlineData(16, 3)] // 16-bit palette
    [InlineData(1, 6)] // 1-bit RGBA
    [InlineData(8, 5)] // no colour type 5
    public void Bit_depth_and_colour_type_combinations_png_does_not_define_are_unsupported(int depth, int colorType)
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(1, 1, depth, colorType)), Chunk("IDAT", Zlib([0, 0])), Chunk("IEND", []));

        var e = Assert.Throws<UnsupportedImageException>(() => PngDecoder.Decode(png));

        Assert.Contains($"bit depth {depth}", e.Message);
    }

    [Fact]
    public void An_interlaced_header_is_unsupported_with_advice()
    {
        byte[] png = Png(Chunk("IHDR", Ihdr(1, 1, 8, 0, interlace: 1)), Chunk("IDAT", Zlib([0, 0])), Chunk("IEND", []));

        var e = Assert.Throws<UnsupportedImageException>(() => PngDecoder.Decode(png));

        Assert.Equal("Interlaced PNGs are not supported; save it without interlacing.", e.Message);
    }

    [Fact]
    public void An_unknown_critical_chunk_is_unsupported_and_an_unknown_ancillary_one_is_skipped()
    {
        byte[] header = Chunk("IHDR", Ihdr(1, 1, 8, 0));
        byte[] data = Chunk("IDAT", Zlib([0, 9]));
        byte[] end = Chunk("IEND", []);

        Assert.Contains("'ABCD'", Assert.Throws<UnsupportedImageException>(() => PngDecoder.Decode(Png(header, Chunk("ABCD", []), data, end))).Message);
        Assert.Equal(9, PngDecoder.Decode(Png(header, Chunk("abCD", [5]), data, end)).Pixels[0]);
    }

    [Fact]
    public void Palette_transparency_and_low_bit_depths_decode_per_pixel()
    {
        // 2-bit palette, 3 pixels in one byte: indices 1, 2, 0; index 1 is half transparent.
        byte[] png = Png(
            Chunk("IHDR", Ihdr(3, 1, 2, 3)),
            Chunk("PLTE", [10, 20, 30, 40, 50, 60, 70, 80, 90]),
            Chunk("tRNS", [255, 128]),
            Chunk("IDAT", Zlib([0, 0b01_10_00_00])),
            Chunk("IEND", []));

        Assert.Equal(new byte[] { 40, 50, 60, 128, 70, 80, 90, 255, 10, 20, 30, 255 }, PngDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Sixteen_bit_samples_round_to_the_nearest_eight_bit_value_and_match_colour_keys_exactly()
    {
        // Gray 16-bit with tRNS key 0x1234: samples 0x1234 (keyed), 0x1235 (not keyed), 0x807F and 0x8080 (round to 128).
        byte[] png = Png(
            Chunk("IHDR", Ihdr(4, 1, 16, 0)),
            Chunk("tRNS", [0x12, 0x34]),
            Chunk("IDAT", Zlib([0, 0x12, 0x34, 0x12, 0x35, 0x80, 0x7F, 0x80, 0x80])),
            Chunk("IEND", []));

        byte[] pixels = PngDecoder.Decode(png).Pixels;

        Assert.Equal(new byte[] { 18, 0, 18, 255, 128, 255, 128, 255 }, new[] { 0, 3, 4, 7, 8, 11, 12, 15 }.Select(i => pixels[i]).ToArray());
    }

    // PNGs built chunk by chunk, with correct CRCs unless a test breaks them on purpose.

    private static byte[] Png(params byte[][] chunks) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. chunks.SelectMany(c => c)];

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static byte[] Ihdr(int width, int height, int depth, int colorType, int interlace = 0)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(data, width);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), height);
        data[8] = (byte)depth;
        data[9] = (byte)colorType;
        data[12] = (byte)interlace;
        return data;
    }

    private static byte[] Zlib(byte[] raw)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }

    private static byte[] Inflate(byte[] compressed)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    private static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        var chunks = new List<(string, byte[])>();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            chunks.Add((Encoding.ASCII.GetString(png, at + 4, 4), png[(at + 8)..(at + 8 + length)]));
            at += 12 + length;
        }

        return chunks;
    }

    private static int IndexOf(byte[] png, string type) => png.AsSpan().IndexOf(Encoding.ASCII.GetBytes(type));

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] SmoothBytes(int width, int height, int channels)
    {
        var bytes = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    bytes[(((y * width) + x) * channels) + c] = (byte)((3 * x) + (5 * y) + (40 * c) + (x * y / 4));
                }
            }
        }

        return bytes;
    }

    private sealed class ForwardOnly(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
