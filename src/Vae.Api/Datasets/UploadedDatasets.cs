using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vae.Api.Storage;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>
/// Uploaded datasets, one folder each under <c>&lt;Storage:Directory&gt;/datasets/&lt;id&gt;</c>:
/// <c>dataset.json</c> (what GET /api/datasets shows) and the images and labels as IDX files
/// (<c>train-images.idx</c>, (count, channels, height, width) bytes; <c>train-labels.idx</c>, (count)
/// bytes; the same for test). A dataset is written in a hidden work folder
/// beside the others, each file flushed to disk, and renamed into place whole; deleting renames
/// it away before removing it. So every process sharing the state folder sees a dataset complete or
/// not at all, and what a crash leaves behind is a hidden folder that the next start removes. The
/// disk is the truth: a listing reads the folder, and only the immutable descriptions are cached.
/// </summary>
public sealed partial class UploadedDatasets(StorageLocation storage, TimeProvider clock, ILogger<UploadedDatasets> log) : IDatasetUploads
{
    public const string DescriptionFile = "dataset.json";
    private const string WorkPrefix = ".upload-";
    private const string DeletedPrefix = ".deleted-";

    /// <summary>A work folder untouched this long belongs to no running upload (uploads take minutes at most).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<string, DatasetInfo> _described = new(StringComparer.Ordinal);

    public string Folder { get; } = Path.Combine(storage.Directory, "datasets");

    /// <summary>An upload id: "d" and 12 hex digits. Anything else names no upload (and never a path).</summary>
    public static bool IsId(string? id) => id is not null && IdPattern().IsMatch(id);

    public Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct)
    {
        if (!Directory.Exists(Folder)) return Task.FromResult<IReadOnlyList<DatasetInfo>>([]);
        var all = new List<DatasetInfo>();
        foreach (string folder in Directory.EnumerateDirectories(Folder))
        {
            ct.ThrowIfCancellationRequested();
            if (Describe(Path.GetFileName(folder)) is { } info) all.Add(info);
        }
        IReadOnlyList<DatasetInfo> newestFirst = [.. all.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Id, StringComparer.Ordinal)];
        return Task.FromResult(newestFirst);
    }

    public Task<DatasetInfo?> FindAsync(string id, CancellationToken ct) => Task.FromResult(Describe(id));

    public Task<(ImageDataset Train, ImageDataset Test)> OpenAsync(string id, CancellationToken ct)
    {
        var info = Describe(id) ?? throw Gone(id);
        // Reading a few hundred megabytes is worth a thread of its own rather than the caller's.
        return Task.Run(() =>
        {
            try
            {
                string folder = FolderOf(id);
                return (Read(folder, "train", info, info.TrainImages), Read(folder, "test", info, info.TestImages));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                if (Describe(id) is null) throw Gone(id);
                throw new DatasetUnavailableException(id, $"The files of uploaded dataset '{id}' cannot be read ({e.Message}); delete it and upload it again.", e);
            }
        }, ct);
    }

    /// <summary>A new hidden folder for one upload's work: its body, then its files. <see cref="Publish"/> or <see cref="Discard"/> ends it.</summary>
    public string CreateWorkFolder()
    {
        Directory.CreateDirectory(Folder);
        RemoveStaleFolders();
        return Directory.CreateDirectory(Path.Combine(Folder, WorkPrefix + Guid.NewGuid().ToString("N"))).FullName;
    }

    /// <summary>Writes the dataset into the work folder (which must hold nothing else by then) and moves it into place under a new id.</summary>
    internal DatasetInfo Publish(string workFolder, UploadContent content, string name, string description)
    {
        long bytes = WriteSplit(workFolder, "train", content, content.Train) + WriteSplit(workFolder, "test", content, content.Test);
        for (int attempt = 0; ; attempt++)
        {
            string id = NewId();
            var info = new DatasetInfo(id, name, description, content.Channels, content.Height, content.Width, content.ClassNames,
                content.Train.Count, content.Test.Count, BuiltIn: false, Fetched: true, clock.GetUtcNow(), bytes);
            WriteAllBytesDurably(Path.Combine(workFolder, DescriptionFile), JsonSerializer.SerializeToUtf8Bytes(Stored.From(info), Json));
            try
            {
                // The rename is what makes the dataset exist, for this process and every other.
                Directory.Move(workFolder, FolderOf(id));
            }
            catch (IOException) when (attempt < 3 && Directory.Exists(FolderOf(id)))
            {
                continue; // an id taken already: astronomically unlikely, but cheap to survive
            }
            _described[id] = info;
            log.LogInformation("Dataset {Dataset} uploaded: '{Name}', {Train} training and {Test} test images of {Channels}x{Height}x{Width}",
                id, name, info.TrainImages, info.TestImages, info.Channels, info.Height, info.Width);
            return info;
        }
    }

    /// <summary>Removes a work folder and all in it; nothing is left of a refused or failed upload.</summary>
    public void Discard(string workFolder) => TryDeleteFolder(workFolder);

    /// <summary>Removes an upload; false when there is none by that id.</summary>
    public bool Delete(string id)
    {
        if (!IsId(id)) return false;
        string hidden = Path.Combine(Folder, DeletedPrefix + id + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // First out of sight, in one step: no reader sees a dataset with some files gone.
            Directory.Move(FolderOf(id), hidden);
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        _described.TryRemove(id, out _);
        TryDeleteFolder(hidden);
        log.LogInformation("Dataset {Dataset} deleted", id);
        return true;
    }

    /// <summary>
    /// Removes the work folders of uploads that died with their process, and deleted datasets whose
    /// removal was cut short. Young work folders are left alone: they may belong to an upload
    /// running now in another process sharing the state folder.
    /// </summary>
    public void RemoveStaleFolders()
    {
        if (!Directory.Exists(Folder)) return;
        var cutoff = clock.GetUtcNow().UtcDateTime - StaleAfter;
        foreach (string folder in Directory.EnumerateDirectories(Folder))
        {
            string name = Path.GetFileName(folder);
            bool stale = name.StartsWith(DeletedPrefix, StringComparison.Ordinal)
                || (name.StartsWith(WorkPrefix, StringComparison.Ordinal) && LastTouched(folder) < cutoff);
            if (stale)
            {
                log.LogInformation("Removing {Folder}, left behind by an upload or a delete that did not finish", folder);
                TryDeleteFolder(folder);
            }
        }
    }

    private string FolderOf(string id) => Path.Combine(Folder, id);

    private DatasetInfo? Describe(string id)
    {
        if (!IsId(id)) return null;
        string file = Path.Combine(FolderOf(id), DescriptionFile);
        if (!File.Exists(file))
        {
            _described.TryRemove(id, out _);
            return null;
        }
        if (_described.TryGetValue(id, out var known)) return known;
        try
        {
            var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(file), Json);
            if (stored is null || stored.Id != id) throw new InvalidDataException($"it describes '{stored?.Id}'");
            if (stored.ClassNames is not { Count: > 0 }) throw new InvalidDataException("it names no classes");
            return _described[id] = stored.ToInfo();
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or UnauthorizedAccessException)
        {
            if (File.Exists(file)) log.LogWarning(e, "Dataset folder {Folder} has an unreadable {File}; it is left out", FolderOf(id), DescriptionFile);
            return null;
        }
    }

    private static ImageDataset Read(string folder, string split, DatasetInfo info, int count)
    {
        var images = IdxReader.Read(Path.Combine(folder, split + "-images.idx"));
        int[] expected = [count, info.Channels, info.Height, info.Width];
        if (!images.Dimensions.SequenceEqual(expected))
            throw new InvalidDataException($"{split}-images.idx is [{string.Join(", ", images.Dimensions)}], but {DescriptionFile} says [{string.Join(", ", expected)}]");
        byte[] labels = IdxReader.Read(Path.Combine(folder, split + "-labels.idx")).Data;
        if (labels.Length != count) throw new InvalidDataException($"{split}-labels.idx holds {labels.Length} labels for {count} images");
        return new ImageDataset($"{info.Id}-{split}", count, info.Channels, info.Height, info.Width, images.Data, labels, info.ClassNames!.Count);
    }

    /// <summary>Writes one split's IDX files; returns their size in bytes.</summary>
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

    private static void WriteAllBytesDurably(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    /// <summary>The latest write to the folder or a file in it: a body still arriving keeps its folder young.</summary>
    private static DateTime LastTouched(string folder)
    {
        try
        {
            var latest = Directory.GetLastWriteTimeUtc(folder);
            foreach (string file in Directory.EnumerateFiles(folder))
            {
                var written = File.GetLastWriteTimeUtc(file);
                if (written > latest) latest = written;
            }
            return latest;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DateTime.MaxValue; // vanished or unreadable: not ours to remove now
        }
    }

    private void TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "Folder {Folder} could not be removed; the next start tries again", folder);
        }
    }

    private static DatasetUnavailableException Gone(string id) => new(id,
        $"Dataset '{id}' no longer exists: it was deleted. Upload the images again (POST /api/datasets) and train on the new dataset.");

    private static string NewId() => "d" + Guid.NewGuid().ToString("N")[..12];

    [GeneratedRegex("^d[0-9a-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    /// <summary>dataset.json: the description as stored, apart from the wire view so either can change.</summary>
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
