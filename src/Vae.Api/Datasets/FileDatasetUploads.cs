using System.Collections.Concurrent;
using System.Text.Json;
using Vae.Api.Storage;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>
/// Uploaded datasets as folders under <c>&lt;Storage:Directory&gt;/datasets/&lt;id&gt;</c> (SQLite mode,
/// one node): <c>dataset.json</c> (what GET /api/datasets shows) and the <see cref="DatasetFiles"/>.
/// A dataset is written in a hidden work folder, each file flushed to disk, and renamed into place
/// whole (see <see cref="DatasetFolders"/>); so every process sharing the state folder sees a
/// dataset complete or not at all. The disk is the truth: a listing reads the folder, and only the
/// immutable descriptions are remembered.
/// </summary>
public sealed class FileDatasetUploads(StorageLocation storage, TimeProvider clock, ILogger<FileDatasetUploads> log) : IDatasetUploads
{
    public const string DescriptionFile = "dataset.json";

    private readonly ConcurrentDictionary<string, DatasetInfo> _described = new(StringComparer.Ordinal);

    private readonly DatasetFolders _folders = new(Path.Combine(storage.Directory, "datasets"), clock, log);

    public Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct)
    {
        var all = new List<DatasetInfo>();
        foreach (string id in _folders.Ids)
        {
            ct.ThrowIfCancellationRequested();
            if (Describe(id) is { } info) all.Add(info);
        }
        IReadOnlyList<DatasetInfo> newestFirst = [.. all.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Id, StringComparer.Ordinal)];
        return Task.FromResult(newestFirst);
    }

    public Task<DatasetInfo?> FindAsync(string id, CancellationToken ct) => Task.FromResult(Describe(id));

    public Task<(ImageDataset Train, ImageDataset Test)> OpenAsync(string id, CancellationToken ct)
    {
        var info = Describe(id) ?? throw DatasetUnavailableException.Deleted(id);
        // Reading a few hundred megabytes is worth a thread of its own rather than the caller's.
        return Task.Run(() =>
        {
            try
            {
                return DatasetFiles.ReadSplits(_folders.PathOf(id), info);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                if (Describe(id) is null) throw DatasetUnavailableException.Deleted(id);
                throw new DatasetUnavailableException(id, $"The files of uploaded dataset '{id}' cannot be read ({e.Message}); delete it and upload it again.", e);
            }
        }, ct);
    }

    public string CreateWorkFolder()
    {
        _folders.RemoveStale();
        return _folders.CreateWorkFolder("upload");
    }

    Task<DatasetInfo> IDatasetUploads.PublishAsync(string workFolder, UploadContent content, string name, string description, CancellationToken ct)
        => Task.FromResult(Publish(workFolder, content, name, description));

    private DatasetInfo Publish(string workFolder, UploadContent content, string name, string description)
    {
        long bytes = DatasetFiles.WriteSplits(workFolder, content);
        for (int attempt = 0; ; attempt++)
        {
            string id = DatasetFiles.NewId();
            var info = new DatasetInfo(id, name, description, content.Channels, content.Height, content.Width, content.ClassNames,
                content.Train.Count, content.Test.Count, BuiltIn: false, Fetched: true, clock.GetUtcNow(), bytes);
            WriteAllBytesDurably(Path.Combine(workFolder, DescriptionFile), DatasetFiles.Describe(info));
            // The rename is what makes the dataset exist, for this process and every other.
            if (!_folders.TryPlace(workFolder, id))
            {
                if (attempt < 3) continue; // an id taken already: astronomically unlikely, but cheap to survive
                throw new IOException($"No free id for the uploaded dataset after {attempt + 1} tries.");
            }
            _described[id] = info;
            log.LogInformation("Dataset {Dataset} uploaded: '{Name}', {Train} training and {Test} test images of {Channels}x{Height}x{Width}",
                id, name, info.TrainImages, info.TestImages, info.Channels, info.Height, info.Width);
            return info;
        }
    }

    public void Discard(string workFolder) => _folders.TryDelete(workFolder);

    public Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        if (!_folders.Remove(id)) return Task.FromResult(false);
        _described.TryRemove(id, out _);
        log.LogInformation("Dataset {Dataset} deleted", id);
        return Task.FromResult(true);
    }

    /// <summary>The folder is the store itself, so only the remembered description goes.</summary>
    public void ForgetLocalCopy(string id) => _described.TryRemove(id, out _);

    public Task CleanUpAsync(CancellationToken ct)
    {
        _folders.RemoveStale();
        return Task.CompletedTask;
    }

    private DatasetInfo? Describe(string id)
    {
        if (!DatasetFiles.IsId(id)) return null;
        string file = Path.Combine(_folders.PathOf(id), DescriptionFile);
        if (!File.Exists(file))
        {
            _described.TryRemove(id, out _);
            return null;
        }
        if (_described.TryGetValue(id, out var known)) return known;
        try
        {
            return _described[id] = DatasetFiles.Parse(File.ReadAllBytes(file), id);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or UnauthorizedAccessException)
        {
            if (File.Exists(file)) log.LogWarning(e, "Dataset folder {Folder} has an unreadable {File}; it is left out", _folders.PathOf(id), DescriptionFile);
            return null;
        }
    }

    private static void WriteAllBytesDurably(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }
}
