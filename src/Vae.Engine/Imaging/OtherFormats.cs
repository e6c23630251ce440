using System.Text;

namespace Vae.Engine.Imaging;

/// <summary>
/// Names the formats that are not read, from their first bytes, so a refusal can say what the file
/// is: GIF, TIFF, SVG and the rest are not registered with the decoder at all (fewer parsers of
/// untrusted bytes), and a person who sends one should hear which formats are read instead.
/// </summary>
internal static class OtherFormats
{
    private static readonly (string Name, byte[] Magic)[] Signatures =
    [
        ("GIF", "GIF87a"u8.ToArray()),
        ("GIF", "GIF89a"u8.ToArray()),
        ("TIFF", [(byte)'I', (byte)'I', 42, 0]),
        ("TIFF", [(byte)'M', (byte)'M', 0, 42]),
        ("ICO", [0, 0, 1, 0]),
        ("PDF", "%PDF"u8.ToArray()),
        ("Photoshop (PSD)", "8BPS"u8.ToArray()),
        ("JPEG XL", [0xFF, 0x0A]),
        ("JPEG XL", [0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']),
        ("JPEG 2000", [0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ']),
        ("QOI", "qoif"u8.ToArray()),
    ];

    // ISO base media files name their brand after "ftyp" at byte 4.
    private static readonly (string Name, string[] Brands)[] Brands =
    [
        ("HEIC", ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]),
        ("AVIF", ["avif", "avis"]),
    ];

    /// <summary>The name of a format that is not read, when the bytes are recognisably one; else null.</summary>
    public static string? Recognise(ReadOnlySpan<byte> file)
    {
        foreach (var (name, magic) in Signatures)
        {
            if (file.StartsWith(magic)) return name;
        }

        if (file.Length >= 12 && file.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            string brand = Encoding.ASCII.GetString(file.Slice(8, 4));
            foreach (var (name, brands) in Brands)
            {
                if (brands.Contains(brand)) return name;
            }
        }

        return LooksLikeSvg(file) ? "SVG" : null;
    }

    private static readonly (string Name, byte[] Start)[] Starts =
    [
        ("PNG", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        ("JPEG", [0xFF, 0xD8, 0xFF]),
        ("WebP", "RIFF"u8.ToArray()),
        ("BMP", "BM"u8.ToArray()),
    ];

    /// <summary>What to say of bytes that are no image at all, with a hint where a common mistake shows.</summary>
    public static string DescribeUnknown(ReadOnlySpan<byte> file)
    {
        // Too short for the decoders to tell the format, but the start of one: cut off in transfer.
        foreach (var (name, start) in Starts)
        {
            if (file.Length < 32 && (start.AsSpan().StartsWith(file) || file.StartsWith(start)))
            {
                return $"Its {file.Length} bytes are the start of a {name} file: the file is truncated.";
            }
        }

        // A PNG sent through something that converted line endings keeps its name but loses the signature.
        if (file.Length >= 4 && file[0] == 0x89 && file[1..4].SequenceEqual("PNG"u8))
        {
            return "It starts like a PNG, but its signature was altered: the file was probably sent or saved in text mode, which changes line endings; send it as binary.";
        }

        int shown = Math.Min(file.Length, 8);
        return $"Its first bytes ({Convert.ToHexString(file[..shown])}) match none of these formats; the file is damaged or is not an image.";
    }

    private static bool LooksLikeSvg(ReadOnlySpan<byte> file)
    {
        var start = file[..Math.Min(file.Length, 512)];
        if (start.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = start[3..];
        start = start.TrimStart(" \t\r\n"u8);
        if (start.IsEmpty || start[0] != (byte)'<') return false;
        string text = Encoding.UTF8.GetString(start);
        return text.Contains("<svg", StringComparison.OrdinalIgnoreCase);
    }
}
