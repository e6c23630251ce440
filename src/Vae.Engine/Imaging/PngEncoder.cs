using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Vae.Engine.Imaging;

/// <summary>
/// Writes 8-bit grayscale, RGB or RGBA PNGs: signature, IHDR, one IDAT, IEND. Each row gets the filter
/// whose output has the smallest sum of absolute values (read as signed bytes), the heuristic the
/// PNG spec recommends and libpng uses; it is cheap and lets deflate find long runs of zeros.
/// </summary>
public static class PngEncoder
{
    internal static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    internal const byte GrayColorType = 0;
    internal const byte RgbColorType = 2;
    internal const byte RgbaColorType = 6;

    /// <summary>Encodes pixel values 0..1 as 8-bit gray: round(clamp(v, 0, 1) * 255); NaN becomes 0.</summary>
    public static byte[] EncodeGray(GrayImage img) => EncodeGray(img, CompressionLevel.Fastest);

    public static byte[] EncodeGray(GrayImage img, CompressionLevel compression)
    {
        ArgumentNullException.ThrowIfNull(img);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(img.Pixels.Length);
        try
        {
            Span<byte> gray = bytes.AsSpan(0, img.Pixels.Length);
            ToBytes(img.Pixels, gray);
            return Encode(gray, img.Width, img.Height, GrayColorType, 1, compression);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Encodes <c>width * height</c> gray bytes, row-major.</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> pixels, int width, int height) =>
        EncodeGray8(pixels, width, height, CompressionLevel.Fastest);

    public static byte[] EncodeGray8(ReadOnlySpan<byte> pixels, int width, int height, CompressionLevel compression)
    {
        long needed = CheckSize(width, height, 1);
        if (pixels.Length != needed)
        {
            throw new ArgumentException($"A {width}x{height} gray image needs {needed} bytes, but {pixels.Length} were given.", nameof(pixels));
        }

        return Encode(pixels, width, height, GrayColorType, 1, compression);
    }

    /// <summary>Encodes planes of values 0..1 as 8-bit RGB (colour type 2), each value rounded like <see cref="EncodeGray(GrayImage)"/>.</summary>
    public static byte[] EncodeRgb(RgbImage img) => EncodeRgb(img, CompressionLevel.Fastest);

    public static byte[] EncodeRgb(RgbImage img, CompressionLevel compression)
    {
        ArgumentNullException.ThrowIfNull(img);
        int area = img.Width * img.Height;
        long length = CheckSize(img.Width, img.Height, RgbImage.Channels);
        byte[] bytes = ArrayPool<byte>.Shared.Rent((int)length);
        byte[] plane = ArrayPool<byte>.Shared.Rent(area);
        try
        {
            // The image is planar (all red, then green, then blue); PNG interleaves R, G, B per pixel.
            Span<byte> rgb = bytes.AsSpan(0, (int)length);
            for (int c = 0; c < RgbImage.Channels; c++)
            {
                ToBytes(img.Plane(c).Pixels, plane.AsSpan(0, area));
                for (int i = 0; i < area; i++)
                {
                    rgb[(RgbImage.Channels * i) + c] = plane[i];
                }
            }

            return Encode(rgb, img.Width, img.Height, RgbColorType, RgbImage.Channels, compression);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<byte>.Shared.Return(plane);
        }
    }

    public static byte[] EncodeRgba(RgbaImage img) => EncodeRgba(img, CompressionLevel.Fastest);

    public static byte[] EncodeRgba(RgbaImage img, CompressionLevel compression)
    {
        ArgumentNullException.ThrowIfNull(img);
        return Encode(img.Pixels, img.Width, img.Height, RgbaColorType, RgbaImage.Channels, compression);
    }

    internal static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];

            // Written so that NaN fails the first test and lands on 0.
            bytes[i] = v > 0f ? (v < 1f ? (byte)((v * 255f) + 0.5f) : (byte)255) : (byte)0;
        }
    }

    private static long CheckSize(int width, int height, int channels)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} is invalid; both sides must be positive.");
        }

        long filteredLength = (long)height * ((long)width * channels + 1);
        if (filteredLength > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} is too large to encode in memory.");
        }

        return (long)width * height * channels;
    }

    private static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, byte colorType, int channels, CompressionLevel compression)
    {
        CheckSize(width, height, channels);
        int stride = width * channels;
        int filteredLength = height * (stride + 1);

        byte[] filtered = ArrayPool<byte>.Shared.Rent(filteredLength);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(2 * stride);
        byte[] zeros = ArrayPool<byte>.Shared.Rent(stride);
        try
        {
            Array.Clear(zeros, 0, stride);
            FilterRows(pixels, height, stride, channels, zeros.AsSpan(0, stride), scratch.AsSpan(0, 2 * stride), filtered);

            // Only a first guess at the compressed size; the stream grows if it is short.
            using var compressed = new MemoryStream(Math.Max(256, filteredLength / 4));
            using (var zlib = new ZLibStream(compressed, compression, leaveOpen: true))
            {
                zlib.Write(filtered, 0, filteredLength);
            }

            ReadOnlySpan<byte> idat = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
            return Assemble(width, height, colorType, idat);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(filtered);
            ArrayPool<byte>.Shared.Return(scratch);
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    private static void FilterRows(ReadOnlySpan<byte> pixels, int height, int stride, int bytesPerPixel,
        ReadOnlySpan<byte> zeros, Span<byte> scratch, Span<byte> filtered)
    {
        Span<byte> candidate = scratch[..stride];
        Span<byte> best = scratch[stride..];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride, stride);
            ReadOnlySpan<byte> prior = y == 0 ? zeros : pixels.Slice((y - 1) * stride, stride);

            byte bestFilter = PngFilters.None;
            long bestScore = PngFilters.SumOfMagnitudes(row);
            row.CopyTo(best);
            for (byte filter = PngFilters.Sub; filter < PngFilters.Count && bestScore > 0; filter++)
            {
                PngFilters.Apply(filter, row, prior, bytesPerPixel, candidate);
                long score = PngFilters.SumOfMagnitudes(candidate);
                if (score < bestScore)
                {
                    bestScore = score;
                    bestFilter = filter;
                    Span<byte> swap = best;
                    best = candidate;
                    candidate = swap;
                }
            }

            Span<byte> target = filtered.Slice(y * (stride + 1), stride + 1);
            target[0] = bestFilter;
            best.CopyTo(target[1..]);
        }
    }

    private static byte[] Assemble(int width, int height, byte colorType, ReadOnlySpan<byte> idat)
    {
        const int HeaderLength = 13;
        const int ChunkOverhead = 12;
        var png = new byte[Signature.Length + ChunkOverhead + HeaderLength + ChunkOverhead + idat.Length + ChunkOverhead];
        Span<byte> output = png;
        Signature.CopyTo(output);
        int at = Signature.Length;

        Span<byte> header = stackalloc byte[HeaderLength];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bit depth
        header[9] = colorType;
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method: adaptive, five types
        header[12] = 0; // no interlacing

        at += WriteChunk(output[at..], "IHDR"u8, header);
        at += WriteChunk(output[at..], "IDAT"u8, idat);
        at += WriteChunk(output[at..], "IEND"u8, []);
        return png;
    }

    private static int WriteChunk(Span<byte> output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteInt32BigEndian(output, data.Length);
        type.CopyTo(output[4..]);
        data.CopyTo(output[8..]);
        uint crc = Crc32.Compute(output.Slice(4, 4 + data.Length));
        BinaryPrimitives.WriteUInt32BigEndian(output[(8 + data.Length)..], crc);
        return 12 + data.Length;
    }
}
