using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vae.Engine.Imaging;

/// <summary>
/// Reads non-interlaced PNGs of every standard colour type and bit depth into 8-bit RGBA.
/// Only critical chunks (IHDR, PLTE, IDAT, IEND) and tRNS are interpreted; other ancillary chunks
/// are skipped after their CRC is checked. Sizes come from the header only after it has been
/// checked against the limits (by default <see cref="MaxDimension"/> and <see cref="MaxPixels"/>),
/// and decompression stops one byte past the size the header implies, so a small file cannot make
/// the decoder allocate or inflate without bound.
/// </summary>
public static class PngDecoder
{
    public const int MaxDimension = 4096;

    public const long MaxPixels = 16L * 1024 * 1024;

    /// <summary>The most bytes <see cref="Decode(Stream)"/> reads; a larger stream is rejected before it is read to the end.</summary>
    public const int MaxFileBytes = 256 * 1024 * 1024;

    public static RgbaImage Decode(Stream s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.CanSeek)
        {
            long available = s.Length - s.Position;
            if (available > MaxFileBytes)
            {
                throw new InvalidImageException($"The file is {available} bytes long, more than the {MaxFileBytes} bytes accepted for a PNG. " +
                    "Use a smaller image.");
            }
        }

        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (copy.Length + n > MaxFileBytes)
            {
                throw new InvalidImageException($"The file is more than {MaxFileBytes} bytes long, more than is accepted for a PNG. Use a smaller image.");
            }

            copy.Write(buffer, 0, n);
        }

        return Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    public static RgbaImage Decode(ReadOnlySpan<byte> png) => Decode(png, PngDecodeLimits.Default);

    /// <summary>Decodes within other size limits than the defaults, for trusted files such as datasets packed into one tall image.</summary>
    public static RgbaImage Decode(ReadOnlySpan<byte> png, PngDecodeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        CheckSignature(png);

        PngHeader? header = null;
        byte[]? palette = null; // 256 RGBA entries once PLTE is seen
        int paletteCount = 0;
        int[]? transparentColor = null; // gray or RGB sample values that tRNS makes fully transparent
        var idat = new List<Range>();
        bool ended = false;

        int at = PngEncoder.Signature.Length;
        while (!ended)
        {
            int remaining = png.Length - at;
            if (remaining == 0)
            {
                string what = header is null ? "right after the signature" : idat.Count == 0 ? "before any image data" : "after its image data";
                throw new InvalidImageException($"The PNG is truncated: it ends {what} (at byte {at}) without the IEND chunk that closes every PNG.");
            }

            if (remaining < 8)
            {
                throw new InvalidImageException($"The PNG is truncated: {remaining} byte(s) remain at byte {at}, too few for the 8-byte header of the next chunk.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
            ReadOnlySpan<byte> typeBytes = png.Slice(at + 4, 4);
            if (!IsChunkType(typeBytes))
            {
                throw new InvalidImageException($"The PNG is corrupt: the bytes at {at + 4} ({Hex(typeBytes)}) are not a chunk name. " +
                    "The file is damaged, or a chunk length before it is wrong.");
            }

            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue)
            {
                throw new InvalidImageException($"The PNG is corrupt: chunk {type} at byte {at} claims {length} bytes of data, " +
                    "more than the 2^31-1 a PNG chunk may hold.");
            }

            if (length + 12L > remaining)
            {
                throw new InvalidImageException($"The PNG is truncated: chunk {type} at byte {at} claims {length} bytes of data " +
                    $"(plus a 4-byte CRC) but only {remaining - 8} bytes remain after its header.");
            }

            int dataLength = (int)length;
            ReadOnlySpan<byte> data = png.Slice(at + 8, dataLength);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(at + 8 + dataLength)..]);
            uint computed = Crc32.Compute(png.Slice(at + 4, 4 + dataLength));
            if (stored != computed)
            {
                throw new InvalidImageException($"The PNG is corrupt: chunk {type} at byte {at} fails its CRC check " +
                    $"(stored 0x{stored:X8}, computed 0x{computed:X8}). The file was damaged in storage or transfer.");
            }

            if (header is null)
            {
                if (type == "CgBI")
                {
                    throw new UnsupportedImageException("This is an Apple-optimised PNG (it has a CgBI chunk), which is not a standard PNG. " +
                        "Re-save it as a standard PNG with an image editor.");
                }

                if (type != "IHDR")
                {
                    throw new InvalidImageException($"The PNG is invalid: its first chunk is {type}, but a PNG must start with IHDR.");
                }

                header = ReadHeader(data, limits);
            }
            else
            {
                switch (type)
                {
                    case "IHDR":
                        throw new InvalidImageException($"The PNG is invalid: it has a second IHDR chunk at byte {at}.");
                    case "PLTE":
                        if (idat.Count > 0)
                        {
                            throw new InvalidImageException("The PNG is invalid: its palette (PLTE) comes after the image data; it must come before.");
                        }

                        if (header.ColorType == PngColorType.Palette)
                        {
                            (palette, paletteCount) = ReadPalette(data, header);
                        }

                        // Gray images must not have one and for RGB it is only a hint for limited displays.
                        break;
                    case "tRNS":
                        // Like libpng, a malformed tRNS is dropped rather than failing the image.
                        if (idat.Count == 0)
                        {
                            ApplyTransparency(data, header, palette, paletteCount, ref transparentColor);
                        }

                        break;
                    case "IDAT":
                        if (header.ColorType == PngColorType.Palette && palette is null)
                        {
                            throw new InvalidImageException("The PNG is invalid: it is a palette image but has no palette (PLTE chunk) before its image data.");
                        }

                        idat.Add(new Range(at + 8, at + 8 + dataLength));
                        break;
                    case "IEND":
                        if (idat.Count == 0)
                        {
                            throw new InvalidImageException("The PNG has no image data: its IEND chunk comes before any IDAT chunk.");
                        }

                        ended = true;
                        break;
                    default:
                        if (char.IsAsciiLetterUpper(type[0]))
                        {
                            throw new UnsupportedImageException($"The PNG contains a '{type}' chunk, which is essential to display it but " +
                                "is not part of standard PNG. Re-save it as a standard PNG.");
                        }

                        break;
                }
            }

            at += 12 + dataLength;
        }

        // The loop only ends at IEND, which requires a header and image data.
        return Inflate(png, idat, header!, palette, transparentColor);
    }

    /// <summary>The bytes <see cref="ReadSize"/> needs: the signature and the IHDR chunk.</summary>
    public const int SizePrefixLength = 8 + 8 + 13 + 4;

    /// <summary>
    /// The image size from the first <see cref="SizePrefixLength"/> bytes of a PNG, checked as
    /// <see cref="Decode(ReadOnlySpan{byte}, PngDecodeLimits)"/> checks it, without reading the rest:
    /// enough to lay out memory for several files before decoding any.
    /// </summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> start, PngDecodeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        CheckSignature(start);
        if (start.Length < SizePrefixLength)
        {
            throw new InvalidImageException($"The PNG is truncated: it is {start.Length} bytes long, too short for its signature and header chunk ({SizePrefixLength} bytes).");
        }

        ReadOnlySpan<byte> chunk = start[PngEncoder.Signature.Length..SizePrefixLength];
        if (!chunk.Slice(4, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidImageException($"The PNG is invalid: its first chunk is not IHDR (found {Hex(chunk.Slice(4, 4))}), but a PNG must start with IHDR.");
        }

        uint stored = BinaryPrimitives.ReadUInt32BigEndian(chunk[21..]);
        uint computed = Crc32.Compute(chunk.Slice(4, 4 + 13));
        if (BinaryPrimitives.ReadUInt32BigEndian(chunk) != 13 || stored != computed)
        {
            throw new InvalidImageException("The PNG is corrupt: its IHDR chunk has the wrong length or fails its CRC check.");
        }

        PngHeader header = ReadHeader(chunk.Slice(8, 13), limits);
        return (header.Width, header.Height);
    }

    private static void CheckSignature(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> signature = PngEncoder.Signature;
        if (png.Length < signature.Length)
        {
            if (png.Length == 0)
            {
                throw new InvalidImageException("The file is empty; expected a PNG.");
            }

            throw new InvalidImageException($"The file is only {png.Length} byte(s) long, too short to be a PNG (the signature alone is {signature.Length} bytes).");
        }

        if (png.StartsWith(signature))
        {
            return;
        }

        string? format = png switch
        {
            [0xFF, 0xD8, 0xFF, ..] => "a JPEG",
            [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "a GIF",
            [(byte)'B', (byte)'M', ..] => "a BMP",
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "a WebP",
            [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => "a TIFF",
            [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', ..] => "a HEIC/AVIF",
            _ => null,
        };
        if (format is not null)
        {
            throw new InvalidImageException($"The file is {format} image, not a PNG. Convert it to PNG first.");
        }

        if (png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G')
        {
            throw new InvalidImageException($"The file starts like a PNG but its signature is damaged ({Hex(png[..8])} instead of {Hex(signature)}); " +
                "this typically happens when it is transferred as text, which rewrites line endings. Transfer it in binary mode.");
        }

        if (png[0] == (byte)'<')
        {
            throw new InvalidImageException("The file starts with '<': it is text (HTML, XML or SVG), not a PNG.");
        }

        throw new InvalidImageException($"The file is not a PNG: it starts with {Hex(png[..8])}, but a PNG starts with {Hex(signature)}.");
    }

    private static PngHeader ReadHeader(ReadOnlySpan<byte> data, PngDecodeLimits limits)
    {
        if (data.Length != 13)
        {
            throw new InvalidImageException($"The PNG is invalid: its IHDR chunk is {data.Length} bytes long instead of 13.");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int depth = data[8];
        byte colorType = data[9];
        if (width == 0 || height == 0)
        {
            throw new InvalidImageException($"The PNG is invalid: its header gives a size of {width}x{height}; both sides must be at least 1 pixel.");
        }

        if (width > limits.MaxWidth || height > limits.MaxHeight || (long)width * height > limits.MaxPixels)
        {
            throw new InvalidImageException($"The PNG is {width}x{height} pixels, larger than this decoder accepts " +
                $"(at most {limits.Describe()}). Scale the image down first.");
        }

        bool valid = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            string kind = colorType is 0 or 2 or 3 or 4 or 6 ? PngHeader.Name((PngColorType)colorType) : $"unknown colour type {colorType}";
            throw new UnsupportedImageException($"The PNG's header combines {kind} with bit depth {depth}, which is not a PNG format " +
                "this decoder can read. Re-save it as an ordinary 8-bit PNG.");
        }

        if (data[10] != 0)
        {
            throw new UnsupportedImageException($"The PNG uses compression method {data[10]}; only method 0 (deflate) is standard. Re-save it as a standard PNG.");
        }

        if (data[11] != 0)
        {
            throw new UnsupportedImageException($"The PNG uses filter method {data[11]}; only method 0 is standard. Re-save it as a standard PNG.");
        }

        switch (data[12])
        {
            case 0:
                break;
            case 1:
                throw new UnsupportedImageException("Interlaced PNGs are not supported; save it without interlacing.");
            default:
                throw new InvalidImageException($"The PNG is invalid: its header gives interlace method {data[12]}; only 0 and 1 exist.");
        }

        return new PngHeader((int)width, (int)height, depth, (PngColorType)colorType);
    }

    private static (byte[] Palette, int Count) ReadPalette(ReadOnlySpan<byte> data, PngHeader header)
    {
        if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 256 * 3)
        {
            throw new InvalidImageException($"The PNG is invalid: its palette (PLTE) is {data.Length} bytes long; " +
                "it must hold 1 to 256 entries of 3 bytes each.");
        }

        // Indices past the palette's end are an encoder error; like browsers, show them as opaque black.
        var rgba = new byte[256 * 4];
        for (int i = 0; i < 256; i++)
        {
            rgba[(4 * i) + 3] = 255;
        }

        int count = Math.Min(data.Length / 3, 1 << header.BitDepth);
        for (int i = 0; i < count; i++)
        {
            rgba[4 * i] = data[3 * i];
            rgba[(4 * i) + 1] = data[(3 * i) + 1];
            rgba[(4 * i) + 2] = data[(3 * i) + 2];
        }

        return (rgba, count);
    }

    private static void ApplyTransparency(ReadOnlySpan<byte> data, PngHeader header, byte[]? palette, int paletteCount, ref int[]? transparentColor)
    {
        switch (header.ColorType)
        {
            case PngColorType.Palette when palette is not null && data.Length <= paletteCount:
                for (int i = 0; i < data.Length; i++)
                {
                    palette[(4 * i) + 3] = data[i];
                }

                break;
            case PngColorType.Gray when data.Length == 2:
                transparentColor = [BinaryPrimitives.ReadUInt16BigEndian(data)];
                break;
            case PngColorType.Rgb when data.Length == 6:
                transparentColor =
                [
                    BinaryPrimitives.ReadUInt16BigEndian(data),
                    BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
                ];
                break;
        }
    }

    private static RgbaImage Inflate(ReadOnlySpan<byte> png, List<Range> idat, PngHeader header, byte[]? palette, int[]? transparentColor)
    {
        int compressedLength = 0;
        foreach (Range r in idat)
        {
            compressedLength += r.End.Value - r.Start.Value;
        }

        var compressed = new byte[compressedLength];
        int filled = 0;
        foreach (Range r in idat)
        {
            png[r].CopyTo(compressed.AsSpan(filled));
            filled += r.End.Value - r.Start.Value;
        }

        int rowBytes = header.RowBytes;
        long expected = (long)header.Height * (rowBytes + 1);
        int filterStep = Math.Max(1, header.BitsPerPixel / 8);
        var image = new RgbaImage(header.Width, header.Height);
        var current = new byte[rowBytes + 1];
        var previous = new byte[rowBytes + 1];

        using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        for (int y = 0; y < header.Height; y++)
        {
            int got = ReadInflated(zlib, current);
            if (got < current.Length)
            {
                long total = (long)y * current.Length + got;
                throw new InvalidImageException($"The PNG's image data is too short: a {header.Describe()} image needs {expected} bytes " +
                    $"once decompressed, but its IDAT chunks hold only {total}. The file is truncated or damaged.");
            }

            byte filter = current[0];
            if (filter > PngFilters.Paeth)
            {
                throw new InvalidImageException($"The PNG's image data is corrupt: row {y} uses filter type {filter}, but only types 0 to 4 exist.");
            }

            Span<byte> row = current.AsSpan(1);
            PngFilters.Undo(filter, row, previous.AsSpan(1), filterStep);
            header.ExpandRow(row, image.Pixels.AsSpan(y * header.Width * RgbaImage.Channels, header.Width * RgbaImage.Channels), palette, transparentColor);
            (current, previous) = (previous, current);
        }

        // One more byte is enough to tell that the data is too long without inflating the rest of it.
        if (ReadInflated(zlib, current.AsSpan(0, 1)) > 0)
        {
            throw new InvalidImageException($"The PNG's image data is too long: a {header.Describe()} image needs {expected} bytes " +
                "once decompressed, but its IDAT chunks hold more. The header and the image data disagree.");
        }

        return image;
    }

    private static int ReadInflated(ZLibStream zlib, Span<byte> buffer)
    {
        try
        {
            return zlib.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidImageException($"The PNG's image data is corrupt: the compressed stream in its IDAT chunks cannot be decompressed ({e.Message}).", e);
        }
    }

    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                return false;
            }
        }

        return true;
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(3 * bytes.Length);
        foreach (byte b in bytes)
        {
            text.Append(text.Length == 0 ? "" : " ").Append(b.ToString("x2"));
        }

        return text.ToString();
    }
}
