using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

/// <summary>
/// Image files made in the tests, written with ImageSharp directly (not through the service's codec)
/// in every format and variant the codec must read, PNGs built chunk by chunk for hostile cases,
/// and answers read back into pixels.
/// </summary>
public static class TestImages
{
    /// <summary>Gray values 0..1 as an 8-bit gray PNG.</summary>
    public static byte[] Png(GrayImage image) => Encode(ToRgba(image), new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });

    /// <summary>Colour planes 0..1 as an 8-bit RGB PNG.</summary>
    public static byte[] Png(RgbImage image) => Encode(ToRgba(image), new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });

    /// <summary>An RGBA PNG (8-bit, or 16-bit, palette or interlaced when asked).</summary>
    public static byte[] Png(RgbaImage image, PngColorType colour = PngColorType.RgbWithAlpha, PngBitDepth depth = PngBitDepth.Bit8, bool interlaced = false)
        => Encode(image, new PngEncoder
        {
            ColorType = colour,
            BitDepth = depth,
            InterlaceMethod = interlaced ? PngInterlaceMode.Adam7 : PngInterlaceMode.None,
        });

    /// <summary>Gray bytes, row-major, as an 8-bit gray PNG.</summary>
    public static byte[] Gray8Png(byte[] pixels, int width, int height)
    {
        using var image = Image.LoadPixelData<L8>(pixels, width, height);
        return Save(image, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
    }

    public static byte[] Jpeg(RgbaImage image, int quality = 95, JpegColorType colour = JpegColorType.YCbCrRatio444, ushort? orientation = null)
        => Encode(image, new JpegEncoder { Quality = quality, ColorType = colour }, orientation);

    public static byte[] Webp(RgbaImage image, bool lossless = true, ushort? orientation = null)
        => Encode(image, new WebpEncoder { FileFormat = lossless ? WebpFileFormatType.Lossless : WebpFileFormatType.Lossy, Quality = 95 }, orientation);

    public static byte[] Bmp(RgbaImage image, bool alpha = false)
        => Encode(image, new BmpEncoder { BitsPerPixel = alpha ? BmpBitsPerPixel.Pixel32 : BmpBitsPerPixel.Pixel24, SupportTransparency = alpha });

    /// <summary>A small GIF (a format the service does not read), written by ImageSharp's own encoder.</summary>
    public static byte[] Gif(RgbaImage image) => Encode(image, new SixLabors.ImageSharp.Formats.Gif.GifEncoder());

    /// <summary>A TIFF (not read either).</summary>
    public static byte[] Tiff(RgbaImage image) => Encode(image, new SixLabors.ImageSharp.Formats.Tiff.TiffEncoder());

    /// <summary>Any encoder, with an EXIF orientation tag when one is given (1 upright .. 8).</summary>
    public static byte[] Encode(RgbaImage image, IImageEncoder encoder, ushort? orientation = null)
    {
        using var img = Image.LoadPixelData<Rgba32>(image.Pixels, image.Width, image.Height);
        if (orientation is ushort o)
        {
            img.Metadata.ExifProfile = new ExifProfile();
            img.Metadata.ExifProfile.SetValue(ExifTag.Orientation, o);
        }

        return Save(img, encoder);
    }

    /// <summary>Any file ImageSharp reads, as 8-bit RGBA, exactly as stored (no EXIF rotation).</summary>
    public static RgbaImage Read(byte[] file)
    {
        using var image = Image.Load<Rgba32>(file);
        var rgba = new RgbaImage(image.Width, image.Height);
        image.CopyPixelDataTo(rgba.Pixels);
        return rgba;
    }

    /// <summary>The IHDR colour type byte of a PNG: 0 gray, 2 RGB, 3 palette, 4 gray and alpha, 6 RGBA.</summary>
    public static int PngColourType(byte[] png) => png[25];

    /// <summary>The width and height in a PNG's IHDR.</summary>
    public static (int Width, int Height) PngSize(byte[] png)
        => (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    public static RgbaImage Rgba(int width, int height, Func<int, int, (int R, int G, int B, int A)> colour)
    {
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (r, g, b, a) = colour(x, y);
                image.SetPixel(x, y, (byte)r, (byte)g, (byte)b, (byte)a);
            }
        }

        return image;
    }

    /// <summary>A smooth colourful picture, the kind of content photos have (and JPEG keeps well).</summary>
    public static RgbaImage Photo(int width, int height, int seed = 0)
        => Rgba(width, height, (x, y) => ((x * 255 / Math.Max(1, width - 1)) ^ (seed * 16), (y * 255 / Math.Max(1, height - 1)) ^ seed, (x + y + (seed * 40)) % 256, 255));

    // PNGs built chunk by chunk, with correct CRCs unless a test breaks them on purpose.

    public static byte[] PngOf(params byte[][] chunks) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. chunks.SelectMany(c => c)];

    public static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    public static byte[] Ihdr(int width, int height, int depth = 8, int colourType = 0, int interlace = 0)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(data, width);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), height);
        data[8] = (byte)depth;
        data[9] = (byte)colourType;
        data[12] = (byte)interlace;
        return data;
    }

    public static byte[] Zlib(byte[] raw)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }

    /// <summary>
    /// A gray PNG of 60000x60000 black pixels, every row there and deflated: 3.5 MB that inflate to
    /// 3.6 GB. Made once (it takes a couple of seconds) and shared.
    /// </summary>
    public static byte[] Bomb => LazyBomb.Value;

    private static readonly Lazy<byte[]> LazyBomb = new(() => BombPng(60000, 60000));

    private static byte[] BombPng(int width, int height)
    {
        const int RowsAtOnce = 64;
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var rows = new byte[(width + 1) * RowsAtOnce];
            for (int y = 0; y < height; y += RowsAtOnce) zlib.Write(rows, 0, (width + 1) * Math.Min(RowsAtOnce, height - y));
        }

        return PngOf(Chunk("IHDR", Ihdr(width, height)), Chunk("IDAT", output.ToArray()), Chunk("IEND", []));
    }

    /// <summary>A JPEG whose frame header (SOF) claims another size than it was written at; the rest of the file is unchanged.</summary>
    public static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        byte[] forged = (byte[])jpeg.Clone();
        for (int at = 2; at + 9 < forged.Length;)
        {
            if (forged[at] != 0xFF) { at++; continue; }
            byte marker = forged[at + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(forged.AsSpan(at + 2));
            if (marker is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(forged.AsSpan(at + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(forged.AsSpan(at + 7), (ushort)width);
                return forged;
            }

            at += 2 + length;
        }

        throw new InvalidOperationException("The JPEG has no frame header.");
    }

    /// <summary>Where a chunk type first occurs in a PNG (the type's bytes; its length is 4 bytes before).</summary>
    public static int IndexOf(byte[] file, string ascii) => file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii));

    public static uint Crc(ReadOnlySpan<byte> data)
    {
        // The PNG CRC (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: slow, and plenty for test files.
        uint crc = ~0u;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        return ~crc;
    }

    private static RgbaImage ToRgba(GrayImage image)
    {
        var rgba = new RgbaImage(image.Width, image.Height);
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            byte v = Byte(image.Pixels[i]);
            rgba.Pixels[4 * i] = rgba.Pixels[(4 * i) + 1] = rgba.Pixels[(4 * i) + 2] = v;
            rgba.Pixels[(4 * i) + 3] = 255;
        }

        return rgba;
    }

    private static RgbaImage ToRgba(RgbImage image)
    {
        var rgba = new RgbaImage(image.Width, image.Height);
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            for (int c = 0; c < 3; c++) rgba.Pixels[(4 * i) + c] = Byte(image.Plane(c).Pixels[i]);
            rgba.Pixels[(4 * i) + 3] = 255;
        }

        return rgba;
    }

    private static byte Byte(float v) => v > 0f ? (v < 1f ? (byte)((v * 255f) + 0.5f) : (byte)255) : (byte)0;

    private static byte[] Save(Image image, IImageEncoder encoder)
    {
        var output = new MemoryStream();
        image.Save(output, encoder);
        return output.ToArray();
    }
}
