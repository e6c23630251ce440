using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vae.Engine.Imaging;

/// <summary>
/// A walk over a file's container before it is decoded, reading only lengths and markers, so that a
/// truncated or mangled file is refused with what is wrong and where. The decoders are lenient where
/// browsers are (a JPEG cut short decodes with a gray bottom, a WebP or BMP cut short with black
/// rows, a PNG without IEND decodes): a file a person sends cut short should be told so rather
/// than be read as half a picture.
/// </summary>
internal static class ImageStructure
{
    /// <exception cref="InvalidImageException">The file is truncated or its structure is broken.</exception>
    public static void Check(ImageFormat format, ReadOnlySpan<byte> file)
    {
        switch (format)
        {
            case ImageFormat.Png: CheckPng(file); break;
            case ImageFormat.Jpeg: CheckJpeg(file); break;
            case ImageFormat.Webp: CheckWebp(file); break;
            case ImageFormat.Bmp: CheckBmp(file); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    // Signature, then chunks: length (4, big-endian), type (4 letters), data, CRC (4); IHDR first, IEND last.
    // Every chunk's CRC is checked: the decoder checks some, and stops reading image data once it has its rows.
    private static void CheckPng(ReadOnlySpan<byte> png)
    {
        const int SignatureLength = 8;
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!png.StartsWith(signature))
        {
            throw Invalid($"The PNG is corrupt: it must start with the signature {Convert.ToHexString(signature)}, but starts with {Convert.ToHexString(png[..Math.Min(8, png.Length)])}.");
        }

        bool sawHeader = false, sawData = false;
        int at = SignatureLength;
        while (true)
        {
            int remaining = png.Length - at;
            if (remaining == 0)
            {
                string where = !sawHeader ? "right after the signature" : !sawData ? "before any image data" : "after its image data";
                throw Invalid($"The PNG is truncated: it ends {where} (at byte {at}) without the IEND chunk that closes every PNG.");
            }

            if (remaining < 8)
            {
                throw Invalid($"The PNG is truncated: {remaining} byte(s) remain at byte {at}, too few for the 8-byte header of the next chunk.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
            ReadOnlySpan<byte> typeBytes = png.Slice(at + 4, 4);
            if (!IsLetters(typeBytes))
            {
                throw Invalid($"The PNG is corrupt: the bytes at {at + 4} ({Convert.ToHexString(typeBytes)}) are not a chunk name. " +
                    "The file is damaged, or a chunk length before it is wrong.");
            }

            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue)
            {
                throw Invalid($"The PNG is corrupt: chunk {type} at byte {at} claims {length} bytes of data, more than the 2^31-1 a PNG chunk may hold.");
            }

            if (length + 12L > remaining)
            {
                throw Invalid($"The PNG is truncated: chunk {type} at byte {at} claims {length} bytes of data (plus a 4-byte CRC) " +
                    $"but only {remaining - 8} bytes remain after its header.");
            }

            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(at + 8 + (int)length)..]);
            uint computed = System.IO.Hashing.Crc32.HashToUInt32(png.Slice(at + 4, 4 + (int)length));
            if (stored != computed)
            {
                throw Invalid($"The PNG is corrupt: chunk {type} at byte {at} fails its CRC check (stored 0x{stored:X8}, computed 0x{computed:X8}). " +
                    "The file was damaged in storage or transfer.");
            }

            if (!sawHeader && type != "IHDR")
            {
                throw Invalid($"The PNG is corrupt: it must start with IHDR, the header chunk, but its first chunk is {type}.");
            }

            sawHeader = true;
            sawData |= type == "IDAT";
            if (type == "IEND")
            {
                if (!sawData) throw Invalid("The PNG is corrupt: it ends (IEND) before any IDAT chunk, so it holds no image data.");
                return; // whatever follows IEND is not part of the image
            }

            at += (int)length + 12;
        }
    }

    /// <summary>
    /// A PNG's image data must inflate to at least the bytes its header implies. The decoder fills
    /// the rows of a short PNG with black, and on an interlaced one whose header claims more than its
    /// data holds it never returns; so the data is inflated here first, into a small buffer and
    /// stopping where the header's size ends (a decompression bomb is not inflated past it). Called
    /// once the header's size is within the limits, on a file <see cref="Check"/> has walked.
    /// </summary>
    public static void CheckPngData(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> header = default;
        var data = new List<Range>();
        for (int at = 8; at + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
            ReadOnlySpan<byte> type = png.Slice(at + 4, 4);
            if (type.SequenceEqual("IHDR"u8)) header = png.Slice(at + 8, length);
            else if (type.SequenceEqual("IDAT"u8)) data.Add(new Range(at + 8, at + 8 + length));
            else if (type.SequenceEqual("IEND"u8)) break;
            at += length + 12;
        }

        if (header.Length < 13) throw Invalid($"The PNG is corrupt: its IHDR chunk holds {header.Length} bytes; it must hold 13.");
        long width = BinaryPrimitives.ReadUInt32BigEndian(header), height = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        int depth = header[8], colourType = header[9];
        bool interlaced = header[12] == 1;
        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || depth is not (1 or 2 or 4 or 8 or 16) || width == 0 || height == 0) return; // the decoder says what is wrong with those
        long needed = interlaced ? Adam7Bytes(width, height, channels * depth) : height * (1 + RowBytes(width, channels * depth));

        var compressed = new byte[data.Sum(r => r.End.Value - r.Start.Value)];
        int filled = 0;
        foreach (var range in data)
        {
            png[range].CopyTo(compressed.AsSpan(filled));
            filled += range.End.Value - range.Start.Value;
        }

        long inflated = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            int read;
            while (inflated < needed && (read = zlib.Read(buffer, 0, (int)Math.Min(buffer.Length, needed - inflated))) > 0) inflated += read;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Invalid($"The PNG is corrupt: its compressed image data is damaged and does not inflate ({e.GetType().Name}).");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (inflated < needed)
        {
            throw Invalid($"The PNG is truncated: its image data inflates to {inflated} bytes, but a {width}x{height} image of its kind{(interlaced ? " (interlaced)" : "")} needs {needed}.");
        }

        static long RowBytes(long columns, int bitsPerPixel) => ((columns * bitsPerPixel) + 7) / 8;

        // Adam7: seven passes over a grid of 8x8 cells, each a filter byte a row plus its own row width.
        static long Adam7Bytes(long width, long height, int bitsPerPixel)
        {
            ReadOnlySpan<int> startX = [0, 4, 0, 2, 0, 1, 0], startY = [0, 0, 4, 0, 2, 0, 1], stepX = [8, 8, 4, 4, 2, 2, 1], stepY = [8, 8, 8, 4, 4, 2, 2];
            long total = 0;
            for (int pass = 0; pass < 7; pass++)
            {
                long columns = (width - startX[pass] + stepX[pass] - 1) / stepX[pass];
                long rows = (height - startY[pass] + stepY[pass] - 1) / stepY[pass];
                if (columns > 0 && rows > 0) total += rows * (1 + RowBytes(columns, bitsPerPixel));
            }

            return total;
        }
    }

    // SOI, then segments (FF xx, a 2-byte length that counts itself, data) until EOI; after each SOS
    // the compressed data runs to the next marker that is not a stuffed FF 00 or a restart FF D0..D7.
    private static void CheckJpeg(ReadOnlySpan<byte> jpeg)
    {
        const byte Marker = 0xFF, EndOfImage = 0xD9, StartOfScan = 0xDA;
        // The decoder also takes a file that merely says "JFIF" or "Exif" where JPEGs do; a JPEG starts with its start-of-image marker.
        if (jpeg.Length < 3 || jpeg[0] != Marker || jpeg[1] != 0xD8 || jpeg[2] != Marker)
        {
            throw Invalid($"The JPEG is corrupt: it must start with the start-of-image marker FFD8FF, but starts with {Convert.ToHexString(jpeg[..Math.Min(4, jpeg.Length)])}. " +
                "The file is damaged, or is not a JPEG.");
        }

        int at = 2;
        bool sawScan = false;
        while (true)
        {
            // Fill bytes (FF FF ...) may pad before a marker; anything else here is damage that decoders step over.
            int next = jpeg[at..].IndexOf(Marker);
            if (next < 0) throw TruncatedJpeg(jpeg.Length, sawScan);
            at += next;
            while (at < jpeg.Length && jpeg[at] == Marker) at++;
            if (at >= jpeg.Length) throw TruncatedJpeg(jpeg.Length, sawScan);
            byte code = jpeg[at++];
            if (code == EndOfImage)
            {
                if (!sawScan) throw Invalid("The JPEG is corrupt: it ends (FFD9) before any image data (no start-of-scan segment).");
                return; // trailing bytes (thumbnails, phone makers' extras) are not part of the image
            }

            if (code is 0x00 or 0x01 or (>= 0xD0 and <= 0xD7)) continue; // stuffed byte, TEM, restart: no length
            if (at + 2 > jpeg.Length) throw TruncatedJpeg(jpeg.Length, sawScan);
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[at..]);
            if (length < 2)
            {
                throw Invalid($"The JPEG is corrupt: the segment FF{code:X2} at byte {at - 2} claims a length of {length}, less than its own 2 length bytes.");
            }

            if (at + length > jpeg.Length)
            {
                throw Invalid($"The JPEG is truncated: the segment FF{code:X2} at byte {at - 2} claims {length} bytes but only {jpeg.Length - at} remain.");
            }

            at += length;
            if (code != StartOfScan) continue;

            sawScan = true;
            at = EndOfScan(jpeg, at);
            if (at < 0) throw TruncatedJpeg(jpeg.Length, sawScan);
        }

        static int EndOfScan(ReadOnlySpan<byte> jpeg, int at)
        {
            while (true)
            {
                int next = jpeg[at..].IndexOf(Marker);
                if (next < 0 || at + next + 1 >= jpeg.Length) return -1;
                at += next;
                byte code = jpeg[at + 1];
                if (code == 0x00 || code == Marker || code is >= 0xD0 and <= 0xD7)
                {
                    at += code == Marker ? 1 : 2;
                    continue;
                }

                return at;
            }
        }
    }

    private static InvalidImageException TruncatedJpeg(int length, bool inScan) => Invalid(inScan
        ? $"The JPEG is truncated: it ends at byte {length}, inside its compressed image data, without the end-of-image marker (FFD9) that closes every JPEG."
        : $"The JPEG is truncated: it ends at byte {length}, before its image data, without the end-of-image marker (FFD9) that closes every JPEG.");

    // "RIFF", the size of what follows (little-endian), "WEBP", then chunks: type, size, data padded to even.
    private static void CheckWebp(ReadOnlySpan<byte> webp)
    {
        if (webp.Length < 20) throw Invalid($"The WebP is truncated: it is {webp.Length} bytes, too few for its header and first chunk.");
        if (!webp.StartsWith("RIFF"u8) || !webp[8..12].SequenceEqual("WEBP"u8))
        {
            throw Invalid($"The WebP is corrupt: it must start with RIFF and WEBP, but starts with {Convert.ToHexString(webp[..12])}.");
        }

        long end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]);
        if (end > webp.Length)
        {
            throw Invalid($"The WebP is truncated: its header says it is {end} bytes long but it is {webp.Length}.");
        }

        int at = 12;
        bool sawImage = false;
        while (at + 8 <= end)
        {
            string type = Encoding.ASCII.GetString(webp.Slice(at, 4));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(webp[(at + 4)..]);
            if (at + 8 + size > end)
            {
                throw Invalid($"The WebP is truncated: chunk '{type}' at byte {at} claims {size} bytes but only {end - at - 8} remain in the file.");
            }

            sawImage |= type is "VP8 " or "VP8L" or "ANMF";
            at += 8 + (int)size + (int)(size & 1);
        }

        if (!sawImage) throw Invalid("The WebP is corrupt: it has no image data (no VP8 or VP8L chunk).");
    }

    // "BM", file header (14 bytes), an info header whose first field is its own size, then (after any
    // palette and masks) the pixel rows at the offset the file header gives.
    private static void CheckBmp(ReadOnlySpan<byte> bmp)
    {
        const int FileHeader = 14;
        if (bmp.Length < FileHeader + 16) throw Invalid($"The BMP is truncated: it is {bmp.Length} bytes, too few for its headers.");
        if (bmp[0] != (byte)'B' || bmp[1] != (byte)'M') throw Invalid($"The BMP is corrupt: it must start with BM, but starts with {Convert.ToHexString(bmp[..2])}.");
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        int infoSize = BinaryPrimitives.ReadInt32LittleEndian(bmp[14..]);
        if (infoSize < 12 || FileHeader + (long)infoSize > bmp.Length)
        {
            throw Invalid($"The BMP is {(infoSize < 12 ? "corrupt" : "truncated")}: its info header claims {infoSize} bytes and the file is {bmp.Length}.");
        }

        if (offset > bmp.Length) throw Invalid($"The BMP is truncated: its pixels start at byte {offset} but the file ends at byte {bmp.Length}.");

        long width, height;
        int bits, compression = 0;
        long stated = 0;
        if (infoSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(bmp[24..]);
        }
        else
        {
            if (infoSize < 40 && bmp.Length < FileHeader + 40) throw Invalid($"The BMP is truncated: it is {bmp.Length} bytes, too few for its headers.");
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bmp[22..]));
            bits = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
            if (infoSize >= 40)
            {
                compression = BinaryPrimitives.ReadInt32LittleEndian(bmp[30..]);
                stated = BinaryPrimitives.ReadUInt32LittleEndian(bmp[34..]);
            }
        }

        // Uncompressed rows (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) are padded to 4 bytes; compressed data has the stated size.
        long needed = compression is 0 or 3 or 6
            ? (((width * bits) + 31) / 32) * 4 * height
            : stated;
        if (offset + needed > bmp.Length)
        {
            throw Invalid($"The BMP is truncated: its {width}x{height} pixels need {needed} bytes from byte {offset}, but the file ends at byte {bmp.Length}.");
        }
    }

    /// <summary>
    /// Whether a WebP holds lossy (VP8) data. The lossy decoder cannot be stopped once it starts and
    /// turns even a few hundred bytes into all the pixels their header claims, so such a file is also
    /// checked for how many pixels each of its bytes would make (see <see cref="MaxLossyWebpPixelsPerByte"/>).
    /// </summary>
    public static bool IsLossyWebp(ReadOnlySpan<byte> webp)
    {
        long end = Math.Min(webp.Length, 8L + BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]));
        for (long at = 12; at + 8 <= end;)
        {
            if (webp.Slice((int)at, 4).SequenceEqual("VP8 "u8)) return true;
            long size = BinaryPrimitives.ReadUInt32LittleEndian(webp[(int)(at + 4)..]);
            at += 8 + size + (size & 1);
        }

        return false;
    }

    /// <summary>
    /// The most pixels a lossy WebP may claim per byte of file. libwebp writes a 16-megapixel picture
    /// of one flat colour, the best case, in 29 KB (about 550 pixels a byte); past fifteen times that,
    /// the header claims pixels its data cannot hold.
    /// </summary>
    public const int MaxLossyWebpPixelsPerByte = 8192;

    private static bool IsLetters(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z'))) return false;
        }

        return true;
    }

    private static InvalidImageException Invalid(string message) => new(message);
}
