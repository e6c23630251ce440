using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

/// <summary>
/// Files the codec refuses, each with what is wrong: other formats, unknown bytes, truncation and
/// corruption in every format, and images over the size, memory or time limits, refused before the
/// decoder allocates for them.
/// </summary>
public sealed class ImageRefusalTests
{
    private readonly IImageCodec _codec = new ImageSharpCodec(ImageLimits.Default);

    private static readonly RgbaImage Photo = TestImages.Photo(20, 20);

    [Fact]
    public void An_empty_file_is_invalid()
    {
        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(Array.Empty<byte>()));

        Assert.Contains("empty", e.Message);
        Assert.Contains("PNG, JPEG, WebP or BMP", e.Message);
    }

    public static TheoryData<string, byte[]> OtherFormats() => new()
    {
        { "GIF", TestImages.Gif(Photo) },
        { "TIFF", TestImages.Tiff(Photo) },
        { "SVG", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>"u8.ToArray() },
        { "HEIC", [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', 0, 0, 0, 0] },
        { "AVIF", [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'a', (byte)'v', (byte)'i', (byte)'f', 0, 0, 0, 0] },
        { "ICO", [0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0] },
        { "PDF", "%PDF-1.7\n"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(OtherFormats))]
    public void Another_image_format_is_unsupported_naming_it_and_the_formats_that_are_read(string format, byte[] file)
    {
        var e = Assert.Throws<UnsupportedImageException>(() => _codec.Decode(file));

        Assert.Contains($"This is a {format} image", e.Message);
        Assert.Contains("PNG, JPEG, WebP or BMP", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "010203040506")]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }, "text mode")]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, "truncated")]
    public void Bytes_of_no_image_format_are_invalid_with_what_they_look_like(byte[] file, string hint)
    {
        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(file));

        Assert.Contains("PNG, JPEG, WebP or BMP", e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void A_png_truncated_anywhere_is_invalid_and_says_so()
    {
        byte[] png = TestImages.Png(Photo);
        int dataAt = TestImages.IndexOf(png, "IDAT") - 4;
        int[] cuts = [8, 9, 15, 16, 20, 32, 33, 40, dataAt + 8, dataAt + 20, png.Length - 12, png.Length - 5, png.Length - 1];

        foreach (int cut in cuts)
        {
            var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(png[..cut]));
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void A_truncated_chunk_says_how_many_bytes_it_claims_and_how_many_remain()
    {
        byte[] png = TestImages.Png(TestImages.Rgba(40, 40, (x, y) => ((x * 7919) % 256, (y * 104729) % 256, (x * y) % 256, 255)));
        int dataAt = TestImages.IndexOf(png, "IDAT") - 4;
        int claimed = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(dataAt));

        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(png[..(dataAt + 8 + 100)]));

        Assert.Contains($"chunk IDAT at byte {dataAt} claims {claimed} bytes", e.Message);
        Assert.Contains("only 100 bytes remain", e.Message);
    }

    [Fact]
    public void A_flipped_byte_in_the_image_data_fails_the_crc_check()
    {
        byte[] png = TestImages.Png(Photo);
        png[TestImages.IndexOf(png, "IDAT") + 6] ^= 0x10;

        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(png));

        Assert.Contains("CRC", e.Message);
        Assert.Contains("damaged", e.Message);
    }

    [Fact]
    public void Missing_or_misplaced_critical_chunks_are_invalid()
    {
        byte[] header = TestImages.Chunk("IHDR", TestImages.Ihdr(1, 1));
        byte[] data = TestImages.Chunk("IDAT", TestImages.Zlib([0, 9]));
        byte[] end = TestImages.Chunk("IEND", []);

        Assert.Contains("must start with IHDR", Assert.Throws<InvalidImageException>(() => _codec.Decode(TestImages.PngOf(data, header, end))).Message);
        Assert.Contains("before any IDAT", Assert.Throws<InvalidImageException>(() => _codec.Decode(TestImages.PngOf(header, end, data))).Message);
        Assert.Contains("without the IEND", Assert.Throws<InvalidImageException>(() => _codec.Decode(TestImages.PngOf(header, data))).Message);
        Assert.Equal(9, _codec.Decode(TestImages.PngOf(header, data, end)).Pixels[0]);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5, 0)]
    public void A_header_with_a_zero_side_is_invalid(int width, int height)
    {
        byte[] png = TestImages.PngOf(TestImages.Chunk("IHDR", TestImages.Ihdr(width, height)), TestImages.Chunk("IDAT", TestImages.Zlib([0])), TestImages.Chunk("IEND", []));

        Assert.Throws<InvalidImageException>(() => _codec.Decode(png));
    }

    [Theory]
    [InlineData(4, 2)] // 4-bit RGB
    [InlineData(16, 3)] // 16-bit palette
    [InlineData(1, 6)] // 1-bit RGBA
    [InlineData(8, 5)] // no colour type 5
    public void Bit_depth_and_colour_type_combinations_png_does_not_define_are_refused(int depth, int colourType)
    {
        byte[] png = TestImages.PngOf(TestImages.Chunk("IHDR", TestImages.Ihdr(1, 1, depth, colourType)), TestImages.Chunk("IDAT", TestImages.Zlib([0, 0, 0, 0, 0, 0, 0, 0, 0])), TestImages.Chunk("IEND", []));

        var e = Assert.ThrowsAny<ImageException>(() => _codec.Decode(png));

        Assert.True(e is InvalidImageException or UnsupportedImageException, $"{e.GetType().Name}: {e.Message}");
        Assert.Contains("PNG", e.Message);
    }

    [Fact]
    public void Image_data_that_is_not_zlib_but_has_a_valid_crc_is_invalid()
    {
        var noise = new byte[60];
        new Random(9).NextBytes(noise);
        byte[] png = TestImages.PngOf(TestImages.Chunk("IHDR", TestImages.Ihdr(4, 4)), TestImages.Chunk("IDAT", noise), TestImages.Chunk("IEND", []));

        Assert.Throws<InvalidImageException>(() => _codec.Decode(png));
    }

    [Fact]
    public void An_interlaced_png_whose_header_claims_more_than_its_data_holds_is_truncated_not_a_hang()
    {
        // The decoder never returns on this file (its Adam7 passes wait for rows that are not there).
        byte[] png = TestImages.Png(TestImages.Rgba(16, 12, (x, y) => (x * 16, y * 20, 90, 255)), interlaced: true);
        int headerAt = TestImages.IndexOf(png, "IHDR") - 4;
        byte[] header = png[(headerAt + 8)..(headerAt + 8 + 13)];
        BinaryPrimitives.WriteInt32BigEndian(header, 12304);
        byte[] forged = [.. png[..headerAt], .. TestImages.Chunk("IHDR", header), .. png[(headerAt + 25)..]];

        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(forged));

        Assert.Contains("truncated", e.Message);
        Assert.Contains("12304x12 image of its kind (interlaced) needs", e.Message);
    }

    [Fact]
    public void Image_data_shorter_than_the_header_implies_is_truncated()
    {
        byte[] png = TestImages.PngOf(TestImages.Chunk("IHDR", TestImages.Ihdr(10, 10)), TestImages.Chunk("IDAT", TestImages.Zlib(new byte[11 * 5])), TestImages.Chunk("IEND", []));

        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(png));

        Assert.Contains("inflates to 55 bytes", e.Message);
        Assert.Contains("needs 110", e.Message);
    }

    [Fact]
    public void A_decompression_bomb_behind_a_small_header_is_not_inflated_past_what_the_header_needs()
    {
        // 64 MiB of zeros deflate to about 64 KiB; a 1x1 gray image needs 2 bytes of them.
        byte[] png = TestImages.PngOf(TestImages.Chunk("IHDR", TestImages.Ihdr(1, 1)), TestImages.Chunk("IDAT", TestImages.Zlib(new byte[64 << 20])), TestImages.Chunk("IEND", []));
        long before = GC.GetAllocatedBytesForCurrentThread();

        RgbaImage image = _codec.Decode(png);

        Assert.Equal((1, 1), (image.Width, image.Height));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the codec allocated as if it inflated the bomb");
    }

    [Fact]
    public void An_exif_block_that_does_not_read_is_ignored_as_browsers_do()
    {
        byte[] jpeg = TestImages.Jpeg(TestImages.Photo(24, 16, seed: 3), orientation: 6);
        BinaryPrimitives.WriteInt32LittleEndian(jpeg.AsSpan(44), int.MaxValue); // an EXIF offset pointing nowhere

        RgbaImage image = _codec.Decode(jpeg);

        Assert.Equal(24 * 16, image.Width * image.Height);
    }

    [Fact]
    public void A_jpeg_truncated_anywhere_is_invalid_and_says_so()
    {
        byte[] jpeg = TestImages.Jpeg(TestImages.Photo(64, 48));

        foreach (int cut in new[] { 3, 20, jpeg.Length / 4, jpeg.Length / 2, jpeg.Length - 10, jpeg.Length - 1 })
        {
            var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(jpeg[..cut]));
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void A_progressive_jpeg_cut_between_its_scans_is_truncated_too()
    {
        byte[] jpeg = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "jpeg", "progressive.jpg"));

        var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(jpeg[..(jpeg.Length * 2 / 3)]));

        Assert.Contains("end-of-image marker (FFD9)", e.Message);
    }

    [Fact]
    public void A_webp_or_bmp_truncated_is_invalid_and_says_how_long_it_should_be()
    {
        foreach (byte[] file in new[] { TestImages.Webp(Photo, lossless: true), TestImages.Webp(Photo, lossless: false), TestImages.Bmp(Photo) })
        {
            foreach (int cut in new[] { file.Length / 3, file.Length - 1 })
            {
                var e = Assert.Throws<InvalidImageException>(() => _codec.Decode(file[..cut]));
                Assert.Contains("truncated", e.Message);
                Assert.Contains($"{cut}", e.Message);
            }
        }
    }

    [Fact]
    public void A_png_that_inflates_to_60000x60000_is_refused_from_its_header_before_anything_is_allocated()
    {
        byte[] bomb = TestImages.Bomb;
        Assert.True(bomb.Length < 4 << 20, $"the bomb is {bomb.Length} bytes");
        long before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<ImageOverLimitException>(() => _codec.Decode(bomb));

        Assert.Contains("60000x60000", e.Message);
        Assert.Contains("16384 pixels wide", e.Message);
        Assert.Contains("32 megapixels", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the codec allocated as if it decoded the bomb");
    }

    [Fact]
    public void A_jpeg_declaring_huge_dimensions_is_refused_from_its_header()
    {
        byte[] jpeg = TestImages.JpegClaiming(TestImages.Jpeg(TestImages.Photo(16, 16)), 65000, 65000);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<ImageOverLimitException>(() => _codec.Decode(jpeg));

        Assert.Contains("65000x65000", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the codec allocated for the claimed size");
    }

    [Fact]
    public void A_jpeg_claiming_a_size_its_data_does_not_fill_is_read_as_the_decoder_can_or_refused_but_never_throws_anything_else()
    {
        byte[] jpeg = TestImages.JpegClaiming(TestImages.Jpeg(TestImages.Photo(16, 16)), 4000, 3000);

        try
        {
            RgbaImage image = _codec.Decode(jpeg);
            Assert.Equal((4000, 3000), (image.Width, image.Height));
        }
        catch (ImageException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Fact]
    public void An_image_over_a_configured_limit_names_its_size_and_the_limit()
    {
        var small = new ImageSharpCodec(new ImageLimits(MaxWidth: 100, MaxHeight: 50, MaxPixels: 4000, MaxDecoderMegabytes: 1, TimeSpan.FromSeconds(4)));

        Assert.Contains("at most 100 pixels wide, 50 pixels tall and 4000 pixels in all",
            Assert.Throws<ImageOverLimitException>(() => small.Identify(TestImages.Png(TestImages.Photo(101, 10)))).Message);
        Assert.Contains("40x51", Assert.Throws<ImageOverLimitException>(() => small.Decode(TestImages.Jpeg(TestImages.Photo(40, 51)))).Message);
        Assert.Contains("4050 in all", Assert.Throws<ImageOverLimitException>(() => small.Decode(TestImages.Webp(TestImages.Photo(90, 45)))).Message);
        RgbaImage fits = small.Decode(TestImages.Bmp(TestImages.Photo(40, 50)));
        Assert.Equal((40, 50), (fits.Width, fits.Height));
    }

    [Fact]
    public void The_decoders_memory_is_bounded_by_the_limit_on_one_buffer()
    {
        // 1024x1024 pixels take 4 MiB decoded; a decoder allowed 1 MiB a buffer refuses them rather than allocating.
        var tight = new ImageSharpCodec(new ImageLimits(MaxWidth: 4096, MaxHeight: 4096, MaxPixels: 16L << 20, MaxDecoderMegabytes: 1, TimeSpan.FromSeconds(4)));
        byte[] png = TestImages.Gray8Png(new byte[1024 * 1024], 1024, 1024);

        var e = Assert.Throws<ImageOverLimitException>(() => tight.Decode(png));

        Assert.Contains("1 MiB", e.Message);
        Assert.Contains("memory", e.Message);
        Assert.Equal(1024, _codec.Decode(png).Width);
        Assert.NotNull((ImageLimits.Default with { MaxDecoderMegabytes = 1 }).MemoryProblem());
        Assert.Null(ImageLimits.Default.MemoryProblem());
    }

    [Fact]
    public void A_decode_that_outlasts_its_time_limit_is_stopped_and_refused_naming_the_limit()
    {
        // A clock on which every timer is already due: the limit has passed by the time the decoder reads.
        var expired = new ImageSharpCodec(ImageLimits.Default with { DecodeTimeLimit = TimeSpan.FromSeconds(2) }, new ExpiredClock());

        foreach (byte[] file in new[] { TestImages.Png(Photo), TestImages.Jpeg(Photo), TestImages.Webp(Photo), TestImages.Bmp(Photo) })
        {
            var e = Assert.Throws<ImageOverLimitException>(() => expired.Decode(file));
            Assert.Contains("longer than 2 s", e.Message);
        }

        // On a clock that does not move, the same files decode.
        var still = new ImageSharpCodec(ImageLimits.Default with { DecodeTimeLimit = TimeSpan.FromSeconds(2) }, new FakeTimeProvider());
        Assert.Equal(20, still.Decode(TestImages.Jpeg(Photo)).Width);
    }

    [Fact]
    public void A_cancelled_caller_gets_a_cancellation_not_a_refusal()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => _codec.Decode(TestImages.Png(Photo), ct: cancelled.Token));
    }
}
