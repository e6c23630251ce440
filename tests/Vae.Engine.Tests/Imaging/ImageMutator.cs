using System.Buffers.Binary;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

/// <summary>
/// Damages image files the ways files get damaged and the ways attackers damage them, from a fixed
/// seed so a run can be repeated: flipped bits, overwritten and extreme header values, cut, inserted,
/// deleted and repeated ranges, and for PNG, damage inside a chunk with its CRC made right again so
/// the decoder itself meets it (rather than the checksum stopping it first).
/// </summary>
public sealed class ImageMutator(int seed)
{
    private static readonly byte[] Extremes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly uint[] ExtremeInts = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

    private readonly Random _random = new(seed);

    /// <summary>Small valid files of every format and the variants the codec reads, the fuzzer's starting points.</summary>
    public static IReadOnlyList<(string Name, byte[] File)> Seeds()
    {
        RgbaImage photo = TestImages.Photo(24, 16, seed: 3);
        RgbaImage seeThrough = TestImages.Rgba(16, 12, (x, y) => (x * 15, y * 20, 128, (x + y) * 9));
        string jpegs = Path.Combine(AppContext.BaseDirectory, "Fixtures", "jpeg");
        return
        [
            ("png rgba", TestImages.Png(seeThrough)),
            ("png gray", TestImages.Png(photo, PngColorType.Grayscale)),
            ("png 16-bit", TestImages.Png(photo, PngColorType.Rgb, PngBitDepth.Bit16)),
            ("png palette", TestImages.Png(photo, PngColorType.Palette)),
            ("png interlaced", TestImages.Png(seeThrough, interlaced: true)),
            ("jpeg", TestImages.Jpeg(photo)),
            ("jpeg 4:2:0", TestImages.Jpeg(photo, colour: JpegColorType.YCbCrRatio420)),
            ("jpeg cmyk", TestImages.Jpeg(photo, colour: JpegColorType.Cmyk)),
            ("jpeg rotated", TestImages.Jpeg(photo, orientation: 6)),
            ("jpeg progressive", File.ReadAllBytes(Path.Combine(jpegs, "progressive.jpg"))),
            ("webp lossless", TestImages.Webp(seeThrough, lossless: true)),
            ("webp lossy", TestImages.Webp(photo, lossless: false)),
            ("bmp", TestImages.Bmp(photo)),
            ("bmp alpha", TestImages.Bmp(seeThrough, alpha: true)),
        ];
    }

    /// <summary>One to three damages to a copy of <paramref name="file"/>, and what they were.</summary>
    public (byte[] File, string Damage) Mutate(byte[] file)
    {
        byte[] bytes = (byte[])file.Clone();
        var done = new List<string>();
        int count = 1 + _random.Next(3);
        for (int k = 0; k < count && bytes.Length > 0; k++)
        {
            (bytes, string what) = _random.Next(9) switch
            {
                0 => FlipBits(bytes),
                1 => Overwrite(bytes),
                2 => Cut(bytes),
                3 => Insert(bytes),
                4 => Delete(bytes),
                5 => Repeat(bytes),
                6 => ExtremeInt(bytes),
                _ => IsPng(bytes) ? InsidePngChunk(bytes) : ExtremeInt(bytes),
            };
            done.Add(what);
        }

        return (bytes, string.Join("; ", done));
    }

    private (byte[], string) FlipBits(byte[] bytes)
    {
        int flips = 1 + _random.Next(16);
        for (int i = 0; i < flips; i++) bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
        return (bytes, $"{flips} bits flipped");
    }

    private (byte[], string) Overwrite(byte[] bytes)
    {
        int at = _random.Next(bytes.Length), length = Math.Min(1 + _random.Next(8), bytes.Length - at);
        for (int i = 0; i < length; i++) bytes[at + i] = _random.Next(2) == 0 ? Extremes[_random.Next(Extremes.Length)] : (byte)_random.Next(256);
        return (bytes, $"{length} bytes overwritten at {at}");
    }

    private (byte[], string) Cut(byte[] bytes)
    {
        int at = _random.Next(bytes.Length);
        return (bytes[..at], $"cut at {at}");
    }

    private (byte[], string) Insert(byte[] bytes)
    {
        int at = _random.Next(bytes.Length + 1);
        var extra = new byte[1 + _random.Next(64)];
        _random.NextBytes(extra);
        return ([.. bytes[..at], .. extra, .. bytes[at..]], $"{extra.Length} bytes inserted at {at}");
    }

    private (byte[], string) Delete(byte[] bytes)
    {
        int at = _random.Next(bytes.Length), length = Math.Min(1 + _random.Next(64), bytes.Length - at);
        return ([.. bytes[..at], .. bytes[(at + length)..]], $"{length} bytes deleted at {at}");
    }

    private (byte[], string) Repeat(byte[] bytes)
    {
        int from = _random.Next(bytes.Length), length = Math.Min(1 + _random.Next(256), bytes.Length - from);
        int at = _random.Next(bytes.Length + 1);
        return ([.. bytes[..at], .. bytes.AsSpan(from, length), .. bytes[at..]], $"{length} bytes from {from} repeated at {at}");
    }

    private (byte[], string) ExtremeInt(byte[] bytes)
    {
        // Headers are near the start: aim there most of the time.
        int span = _random.Next(2) == 0 ? Math.Min(bytes.Length, 64) : bytes.Length;
        int size = _random.Next(2) == 0 ? 2 : 4;
        if (span < size) return FlipBits(bytes);
        int at = _random.Next(span - size + 1);
        uint value = ExtremeInts[_random.Next(ExtremeInts.Length)];
        bool big = _random.Next(2) == 0;
        if (size == 2)
        {
            if (big) BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), (ushort)value);
            else BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)value);
        }
        else if (big) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
        return (bytes, $"{size}-byte {(big ? "big" : "little")}-endian 0x{value:X} at {at}");
    }

    /// <summary>Damage inside one chunk's data (IHDR's fields often), its CRC then fixed.</summary>
    private (byte[], string) InsidePngChunk(byte[] bytes)
    {
        var chunks = new List<(int At, int Length)>();
        for (int at = 8; at + 12 <= bytes.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (length < 0 || at + 12L + length > bytes.Length) break;
            chunks.Add((at, length));
            at += 12 + length;
        }

        var withData = chunks.Where(c => c.Length > 0).ToList();
        if (withData.Count == 0) return FlipBits(bytes);
        var (chunkAt, chunkLength) = _random.Next(3) == 0 ? withData[0] : withData[_random.Next(withData.Count)];
        int offset = _random.Next(chunkLength);
        int count = Math.Min(1 + _random.Next(4), chunkLength - offset);
        for (int i = 0; i < count; i++)
            bytes[chunkAt + 8 + offset + i] = _random.Next(2) == 0 ? Extremes[_random.Next(Extremes.Length)] : (byte)_random.Next(256);
        uint crc = TestImages.Crc(bytes.AsSpan(chunkAt + 4, 4 + chunkLength));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(chunkAt + 8 + chunkLength), crc);
        string type = System.Text.Encoding.ASCII.GetString(bytes, chunkAt + 4, 4);
        return (bytes, $"{count} bytes of {type} data changed at {offset}, CRC fixed");
    }

    private static bool IsPng(byte[] bytes) => bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P';
}
