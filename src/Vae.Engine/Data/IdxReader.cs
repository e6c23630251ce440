using System.Buffers.Binary;
using System.IO.Compression;

namespace Vae.Engine.Data;

/// <summary>An IDX array: its dimensions (outermost first) and its elements, row-major.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    public int Rank => Dimensions.Length;
}

/// <summary>
/// Reads IDX files, the format MNIST is distributed in: two zero bytes, a type code, the number
/// of dimensions, each dimension as a big-endian int32, then the elements. The file may be
/// gzip-compressed; that is recognised by its content, not its name.
/// </summary>
public static class IdxReader
{
    public const byte UnsignedByteType = 0x08;

    // More than enough for any real IDX file; a larger count means the header is garbage.
    private const int MaxRank = 16;

    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path, e);
        }

        using (file)
        {
            return Read(file, path);
        }
    }

    /// <summary>Reads an IDX array from a stream; <paramref name="nameForErrors"/> names it in error messages.</summary>
    public static IdxArray Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(nameForErrors);

        if (!stream.CanSeek)
        {
            // Sniffing the gzip magic needs to rewind.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int sniffed = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        bool gzip = sniffed == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

        if (!gzip)
        {
            return Parse(stream, nameForErrors, compressed: false);
        }

        using var inflater = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        return Parse(inflater, nameForErrors, compressed: true);
    }

    private static IdxArray Parse(Stream stream, string name, bool compressed)
    {
        string what = compressed ? "after gzip decompression the content" : "the file";
        string decompressed = compressed ? " (after gzip decompression)" : "";

        Span<byte> head = stackalloc byte[4];
        int got = ReadUpTo(stream, head, name, compressed);
        if (got < 4)
        {
            throw Fail(name, $"{what} is only {got} byte(s) long, too short for the 4-byte IDX header (magic number). " +
                "The file is empty or truncated.");
        }

        if (head[0] != 0 || head[1] != 0)
        {
            throw Fail(name, $"bad magic number: an IDX file starts with bytes 0x00 0x00, but {what} starts with " +
                $"0x{head[0]:x2} 0x{head[1]:x2}. This is not an IDX file (or it is compressed in a format other than gzip).");
        }

        byte type = head[2];
        if (type != UnsignedByteType)
        {
            throw Fail(name, $"element type code 0x{type:x2} ({DescribeType(type)}) is not supported; " +
                "only 0x08 (unsigned byte) IDX files can be read.");
        }

        int rank = head[3];
        if (rank == 0)
        {
            throw Fail(name, "the header declares 0 dimensions; an IDX array needs at least one.");
        }

        if (rank > MaxRank)
        {
            throw Fail(name, $"the header declares {rank} dimensions, more than the {MaxRank} this reader accepts; the header is probably corrupt.");
        }

        int headerLength = 4 + 4 * rank;
        Span<byte> dimBytes = stackalloc byte[4 * rank];
        got = ReadUpTo(stream, dimBytes, name, compressed);
        if (got < dimBytes.Length)
        {
            throw Fail(name, $"{what} is too short for the header: {rank} dimension(s) need a {headerLength}-byte header, " +
                $"but only {4 + got} byte(s) are present. The file is truncated.");
        }

        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.Slice(4 * i, 4));
            if (dims[i] <= 0)
            {
                throw Fail(name, $"dimension {i} is {dims[i]}; every dimension must be positive. The header is corrupt.");
            }

            total *= dims[i];
            if (total > Array.MaxLength)
            {
                throw Fail(name, $"the dimensions [{string.Join(", ", dims[..(i + 1)])}{(i + 1 < rank ? ", ..." : "")}] describe more than " +
                    $"{Array.MaxLength} elements, more than this reader can hold in memory. The header is probably corrupt.");
            }
        }

        var data = new byte[total];
        int read = ReadUpTo(stream, data, name, compressed);
        if (read < data.Length)
        {
            throw Fail(name, $"the data{decompressed} is shorter than the dimensions [{string.Join(", ", dims)}] say: expected {total} bytes " +
                $"after the {headerLength}-byte header, found {read}. The file is truncated; fetch it again.");
        }

        long extra = CountRemaining(stream, name, compressed);
        if (extra > 0)
        {
            throw Fail(name, $"the data{decompressed} is longer than the dimensions [{string.Join(", ", dims)}] say: expected {total} bytes " +
                $"after the {headerLength}-byte header, found {total + extra} ({extra} extra). The header and the data disagree.");
        }

        return new IdxArray(dims, data);
    }

    private static long CountRemaining(Stream stream, string name, bool compressed)
    {
        if (stream.CanSeek)
        {
            return stream.Length - stream.Position;
        }

        var scratch = new byte[8192];
        long count = 0;
        int n;
        while ((n = ReadUpTo(stream, scratch, name, compressed)) > 0)
        {
            count += n;
        }

        return count;
    }

    /// <summary>Fills <paramref name="buffer"/> unless the stream ends first; returns the bytes read.</summary>
    private static int ReadUpTo(Stream stream, Span<byte> buffer, string name, bool compressed)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e) when (compressed)
        {
            throw new InvalidDataException(
                $"IDX file '{name}' starts like a gzip file but its compressed data is corrupt ({e.Message}). " +
                "Fetch the file again, or run gunzip -t on it to see what is wrong.", e);
        }
    }

    private static string DescribeType(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not a type code defined by the IDX format",
    };

    private static InvalidDataException Fail(string name, string problem) => new($"IDX file '{name}': {problem}");
}
