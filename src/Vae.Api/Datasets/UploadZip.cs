using System.Buffers.Binary;
using System.IO.Compression;

namespace Vae.Api.Datasets;

/// <summary>A file in an uploaded zip, with its path split at '/' (folders first, the file name last).</summary>
internal sealed record ZipItem(ZipArchiveEntry Entry, string Path, IReadOnlyList<string> Segments)
{
    public string FileName => Segments[^1];
}

/// <summary>
/// An uploaded zip opened without trusting it. Before anything is inflated, every entry is checked:
/// the count against Datasets:Uploads:MaxZipEntries (read from the end record, before the directory is
/// loaded), names for absolute paths, drive letters, backslashes, '.' and '..' segments and control
/// characters, and the Unix mode for symbolic links; any of these refuses the whole upload, even
/// in a folder that would be ignored. Entries that operating systems add on their own
/// (__MACOSX/, dotfiles such as .DS_Store, Thumbs.db, desktop.ini) are skipped; folders are implied
/// by the files. Entries are inflated only through <see cref="ExpansionBudget"/>. Nothing in a zip
/// is ever written to disk under its own name.
/// </summary>
internal sealed class UploadZip : IDisposable
{
    private const uint EndOfDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixSymbolicLink = 0xA000;

    private static readonly string[] IgnoredFileNames = ["Thumbs.db", "desktop.ini"];

    private readonly ZipArchive _archive;

    private UploadZip(ZipArchive archive, IReadOnlyList<ZipItem> files)
    {
        _archive = archive;
        Files = files;
    }

    /// <summary>The files that count, in the archive's order.</summary>
    public IReadOnlyList<ZipItem> Files { get; }

    /// <exception cref="UploadRejectedException">The zip cannot be read, has too many entries, or an entry is not allowed.</exception>
    public static UploadZip Open(Stream file, UploadOptions options)
    {
        long declaredEntries = ReadEntryCount(file);
        if (declaredEntries > options.MaxZipEntries)
            throw TooManyEntries(declaredEntries, options);

        file.Position = 0;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.Malformed($"The body is not a readable zip archive ({e.Message}).");
        }

        try
        {
            var entries = archive.Entries;
            if (entries.Count > options.MaxZipEntries) throw TooManyEntries(entries.Count, options);
            var files = new List<ZipItem>();
            foreach (var entry in entries)
            {
                var segments = CheckName(entry.FullName);
                if (((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymbolicLink)
                    throw UploadRejectedException.Unprocessable($"Zip entry '{entry.FullName}' is a symbolic link; a dataset zip holds plain files only.");
                if (entry.FullName.EndsWith('/'))
                {
                    if (entry.Length > 0)
                        throw UploadRejectedException.Unprocessable($"Zip entry '{entry.FullName}' is named like a folder but holds {entry.Length} bytes; the archive is corrupt.");
                    continue;
                }
                if (IsIgnored(segments)) continue;
                files.Add(new ZipItem(entry, entry.FullName, segments));
            }
            return new UploadZip(archive, files);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    /// <summary>The whole content of one file, inflated within the budget and at most <paramref name="max"/> bytes.</summary>
    public static byte[] Read(ZipItem file, ExpansionBudget budget, long max, Func<long, UploadRejectedException> tooLong)
    {
        Stream stream;
        try
        {
            stream = file.Entry.Open();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw UploadRejectedException.Unprocessable($"Zip entry '{file.Path}' cannot be read ({e.Message}); store it uncompressed or deflated, without encryption.");
        }
        using (stream)
        {
            return budget.ReadAll(stream, file.Path, file.Entry.CompressedLength, file.Entry.Length, max, tooLong);
        }
    }

    public void Dispose() => _archive.Dispose();

    /// <summary>The entry's path segments, or a rejection naming what is wrong with the name.</summary>
    internal static string[] CheckName(string name)
    {
        string Refuse(string why) => throw UploadRejectedException.Unprocessable(
            $"Zip entry '{Printable(name)}' {why}; entries must be relative paths with '/' between folders and no '.' or '..' segments.");

        if (name.Length == 0) Refuse("has an empty name");
        if (name.Any(char.IsControl)) Refuse("has control characters in its name");
        if (name.Contains('\\')) Refuse("uses backslashes in its path");
        if (name.StartsWith('/')) Refuse("is an absolute path");
        if (name.Contains(':')) Refuse("has a ':' in its path (a drive letter or a stream name)");
        string[] segments = name.TrimEnd('/').Split('/');
        foreach (string segment in segments)
        {
            if (segment.Length == 0) Refuse("has an empty folder name ('//') in its path");
            if (segment is "." or "..") Refuse($"has a '{segment}' segment in its path, which could point outside the archive");
        }
        return segments;
    }

    /// <summary>Files operating systems add on their own: resource forks, dotfiles, thumbnail caches.</summary>
    internal static bool IsIgnored(IReadOnlyList<string> segments)
        => segments.Any(s => s.StartsWith('.') || string.Equals(s, "__MACOSX", StringComparison.OrdinalIgnoreCase))
            || IgnoredFileNames.Contains(segments[^1], StringComparer.OrdinalIgnoreCase);

    private static string Printable(string name) => new([.. name.Select(c => char.IsControl(c) ? '?' : c)]);

    private static UploadRejectedException TooManyEntries(long count, UploadOptions options) => UploadRejectedException.TooLarge(
        $"The zip has {count} entries, more than the {options.MaxZipEntries} allowed (Datasets:Uploads:MaxZipEntries). Upload fewer images.");

    /// <summary>
    /// The entry count from the end-of-central-directory record (or its zip64 form), read before
    /// the archive's directory is loaded, so a zip that lists millions of entries costs nothing.
    /// </summary>
    private static long ReadEntryCount(Stream file)
    {
        const int RecordLength = 22;
        long length = file.Length;
        if (length < RecordLength) throw NotAZip();
        int tailLength = (int)Math.Min(length, RecordLength + ushort.MaxValue);
        var tail = new byte[tailLength];
        file.Position = length - tailLength;
        file.ReadExactly(tail);
        for (int at = tailLength - RecordLength; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndOfDirectorySignature) continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
            if (count != ushort.MaxValue || at < 20) return count;
            // Zip64: the locator just before the record points at the zip64 end record with the real count.
            var locator = tail.AsSpan(at - 20, 20);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature) return count;
            ulong endOffset = BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]);
            if (endOffset > (ulong)(length - 56)) throw NotAZip();
            var end = new byte[56];
            file.Position = (long)endOffset;
            file.ReadExactly(end);
            if (BinaryPrimitives.ReadUInt32LittleEndian(end) != Zip64EndSignature) throw NotAZip();
            ulong count64 = BinaryPrimitives.ReadUInt64LittleEndian(end.AsSpan(32));
            return count64 > long.MaxValue ? long.MaxValue : (long)count64;
        }
        throw NotAZip();
    }

    private static UploadRejectedException NotAZip()
        => UploadRejectedException.Malformed("The body is not a zip archive: it has no end-of-central-directory record. Send a .zip file made by a zip tool.");
}
