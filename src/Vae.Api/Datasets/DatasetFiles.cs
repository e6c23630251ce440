using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>
/// How an uploaded dataset is laid out, wherever it is kept: its id, its four IDX files
/// (<c>train-images.idx</c>, (count, channels, height, width) bytes; <c>train-labels.idx</c>, (count)
/// bytes; the same for test) and its description as JSON. Both upload stores write and read these
/// alike, so a dataset's files mean the same in a folder, in the database, and in a node's local copy.
/// </summary>
public static partial class DatasetFiles
{
    /// <summary>The data files of one upload, in the order they are written.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train-images.idx", "train-labels.idx", "test-images.idx", "test-labels.idx"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>An upload id: "d" and 12 hex digits. Anything else names no upload (and never a path or a blob key).</summary>
    public static bool IsId(string? id) => id is not null && IdPattern().IsMatch(id);

    public static string NewId() => "d" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Writes both splits' IDX files into <paramref name="folder"/>, each flushed to disk; returns their size in bytes.</summary>
    internal static long WriteSplits(string folder, UploadContent content)
        => WriteSplit(folder, "train", content, content.Train) + WriteSplit(folder, "test", content, content.Test);

    /// <summary>Reads both splits from a folder holding <see cref="Names"/>, checking them against the description.</summary>
    /// <exception cref="InvalidDataException">A file disagrees with the description.</exception>
    /// <exception cref="IOException">A file is missing or unreadable.</exception>
    public static (ImageDataset Train, ImageDataset Test) ReadSplits(string folder, DatasetInfo info)
        => (Read(folder, "train", info, info.TrainImages), Read(folder, "test", info, info.TestImages));

    /// <summary>The description as stored (dataset.json, or a database row), apart from the wire view so either can change.</summary>
    public static byte[] Describe(DatasetInfo info) => JsonSerializer.SerializeToUtf8Bytes(Stored.From(info), Json);

    /// <summary>A stored description read back.</summary>
    /// <exception cref="InvalidDataException">It is not a description of <paramref name="id"/>.</exception>
    /// <exception cref="JsonException">It is not JSON of that shape.</exception>
    public static DatasetInfo Parse(ReadOnlySpan<byte> json, string id)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json, Json);
        if (stored is null || stored.Id != id) throw new InvalidDataException($"it describes '{stored?.Id}', not '{id}'");
        if (stored.ClassNames is not { Count: > 0 }) throw new InvalidDataException("it names no classes");
        return stored.ToInfo();
    }

    private static ImageDataset Read(string folder, string split, DatasetInfo info, int count)
    {
        var images = IdxReader.Read(Path.Combine(folder, split + "-images.idx"));
        int[] expected = [count, info.Channels, info.Height, info.Width];
        if (!images.Dimensions.SequenceEqual(expected))
            throw new InvalidDataException($"{split}-images.idx is [{string.Join(", ", images.Dimensions)}], but the dataset's description says [{string.Join(", ", expected)}]");
        byte[] labels = IdxReader.Read(Path.Combine(folder, split + "-labels.idx")).Data;
        if (labels.Length != count) throw new InvalidDataException($"{split}-labels.idx holds {labels.Length} labels for {count} images");
        return new ImageDataset($"{info.Id}-{split}", count, info.Channels, info.Height, info.Width, images.Data, labels, info.ClassNames!.Count);
    }

    private static long WriteSplit(string folder, string split, UploadContent content, UploadSplit data)
    {
        long bytes = WriteIdx(Path.Combine(folder, split + "-images.idx"), [data.Count, content.Channels, content.Height, content.Width], data.Pixels);
        bytes += WriteIdx(Path.Combine(folder, split + "-labels.idx"), [data.Count], data.Labels);
        return bytes;
    }

    private static long WriteIdx(string path, int[] dimensions, byte[] data)
    {
        var header = new byte[4 + (4 * dimensions.Length)];
        header[2] = IdxReader.UnsignedByteType;
        header[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * i)), dimensions[i]);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            file.Write(header);
            file.Write(data);
            file.Flush(flushToDisk: true);
        }
        return header.Length + data.LongLength;
    }

    [GeneratedRegex("^d[0-9a-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    private sealed record Stored(
        int Version, string Id, string Name, string Description, int Channels, int Height, int Width, IReadOnlyList<string> ClassNames,
        int TrainImages, int TestImages, DateTimeOffset CreatedAt, long Bytes)
    {
        public static Stored From(DatasetInfo d) => new(1, d.Id, d.Name, d.Description, d.Channels, d.Height, d.Width, d.ClassNames ?? [],
            d.TrainImages, d.TestImages, d.CreatedAt ?? DateTimeOffset.UnixEpoch, d.Bytes ?? 0);

        public DatasetInfo ToInfo() => new(Id, Name, Description, Channels, Height, Width, ClassNames, TrainImages, TestImages,
            BuiltIn: false, Fetched: true, CreatedAt, Bytes);
    }
}
