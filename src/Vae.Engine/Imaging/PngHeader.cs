using System.Buffers.Binary;

namespace Vae.Engine.Imaging;

internal enum PngColorType : byte
{
    Gray = 0,
    Rgb = 2,
    Palette = 3,
    GrayAlpha = 4,
    Rgba = 6,
}

/// <summary>
/// What a PNG's IHDR says about its pixels (already validated by the decoder), and the conversion
/// of one unfiltered row in that layout to 8-bit RGBA.
/// </summary>
internal sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType)
{
    public int Channels => ColorType switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>Bytes per row, excluding the filter-type byte; pixels under 8 bits are packed, high bits first.</summary>
    public int RowBytes => (int)((((long)Width * BitsPerPixel) + 7) / 8);

    public string Describe() => $"{Width}x{Height} {BitDepth}-bit {Name(ColorType)}";

    public static string Name(PngColorType type) => type switch
    {
        PngColorType.Gray => "grayscale",
        PngColorType.Rgb => "RGB",
        PngColorType.Palette => "palette",
        PngColorType.GrayAlpha => "grayscale+alpha",
        _ => "RGBA",
    };

    /// <summary>
    /// Converts one unfiltered row to 8-bit RGBA. <paramref name="palette"/> holds 256 RGBA entries
    /// (palette images only); <paramref name="transparent"/> is the tRNS colour key of a gray or RGB
    /// image, compared with the samples at their original depth.
    /// </summary>
    public void ExpandRow(ReadOnlySpan<byte> row, Span<byte> rgba, byte[]? palette, int[]? transparent)
    {
        int width = Width;
        int depth = BitDepth;
        switch (ColorType)
        {
            case PngColorType.Gray when depth < 8:
            {
                int mask = (1 << depth) - 1;
                int scale = 255 / mask; // exact for 1, 2 and 4 bits: 255, 85, 17
                int key = transparent?[0] ?? -1;
                for (int x = 0; x < width; x++)
                {
                    int sample = Packed(row, x, depth);
                    byte v = (byte)(sample * scale);
                    Put(rgba, x, v, v, v, sample == key ? (byte)0 : (byte)255);
                }

                break;
            }

            case PngColorType.Gray:
            {
                int key = transparent?[0] ?? -1;
                for (int x = 0; x < width; x++)
                {
                    int sample = Sample(row, x, depth);
                    byte v = To8(sample, depth);
                    Put(rgba, x, v, v, v, sample == key ? (byte)0 : (byte)255);
                }

                break;
            }

            case PngColorType.Rgb when depth == 8 && transparent is null:
            {
                // The common case, and the layout of dataset files tens of megapixels large: worth its own loop.
                for (int x = 0; x < width; x++)
                {
                    int i = 3 * x, o = 4 * x;
                    rgba[o] = row[i];
                    rgba[o + 1] = row[i + 1];
                    rgba[o + 2] = row[i + 2];
                    rgba[o + 3] = 255;
                }

                break;
            }

            case PngColorType.Rgb:
            {
                for (int x = 0; x < width; x++)
                {
                    int r = Sample(row, 3 * x, depth);
                    int g = Sample(row, (3 * x) + 1, depth);
                    int b = Sample(row, (3 * x) + 2, depth);
                    bool clear = transparent is not null && r == transparent[0] && g == transparent[1] && b == transparent[2];
                    Put(rgba, x, To8(r, depth), To8(g, depth), To8(b, depth), clear ? (byte)0 : (byte)255);
                }

                break;
            }

            case PngColorType.Palette:
            {
                ArgumentNullException.ThrowIfNull(palette);
                for (int x = 0; x < width; x++)
                {
                    int index = depth == 8 ? row[x] : Packed(row, x, depth);
                    palette.AsSpan(4 * index, 4).CopyTo(rgba[(4 * x)..]);
                }

                break;
            }

            case PngColorType.GrayAlpha:
            {
                for (int x = 0; x < width; x++)
                {
                    byte v = To8(Sample(row, 2 * x, depth), depth);
                    Put(rgba, x, v, v, v, To8(Sample(row, (2 * x) + 1, depth), depth));
                }

                break;
            }

            case PngColorType.Rgba when depth == 8:
                row[..(4 * width)].CopyTo(rgba);
                break;

            case PngColorType.Rgba:
            {
                for (int i = 0; i < 4 * width; i++)
                {
                    rgba[i] = To8(Sample(row, i, 16), 16);
                }

                break;
            }
        }
    }

    /// <summary>Sample <paramref name="x"/> of a row packed at 1, 2 or 4 bits, leftmost pixel in the high bits.</summary>
    private static int Packed(ReadOnlySpan<byte> row, int x, int depth)
    {
        int bit = x * depth;
        return (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }

    private static int Sample(ReadOnlySpan<byte> row, int index, int depth) =>
        depth == 8 ? row[index] : BinaryPrimitives.ReadUInt16BigEndian(row[(2 * index)..]);

    // 16-bit samples are rounded to the nearest 8-bit value (v / 257), not truncated to the high byte.
    private static byte To8(int sample, int depth) => depth == 8 ? (byte)sample : (byte)(((sample * 255) + 32767) / 65535);

    private static void Put(Span<byte> rgba, int x, byte r, byte g, byte b, byte a)
    {
        int i = 4 * x;
        rgba[i] = r;
        rgba[i + 1] = g;
        rgba[i + 2] = b;
        rgba[i + 3] = a;
    }
}
