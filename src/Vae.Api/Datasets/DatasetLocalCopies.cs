using System.Collections.Concurrent;

namespace Vae.Api.Datasets;

/// <summary>
/// This node's copies of uploads kept elsewhere (the database), under
/// <c>&lt;Storage:Directory&gt;/dataset-cache/&lt;id&gt;</c>, so a dataset's files cross the network once per
/// node rather than once per job. A copy is written into a hidden folder and renamed into place
/// only once every file is on disk (see <see cref="DatasetFolders"/>): a crash midway leaves a hidden
/// folder that the next start removes, never a copy with files missing. Jobs on this node that
/// open the same dataset at once wait for one copy rather than making one each.
/// </summary>
public sealed class DatasetLocalCopies(string root, TimeProvider clock, ILogger log)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _copying = new(StringComparer.Ordinal);

    public DatasetFolders Folders { get; } = new(root, clock, log);

    /// <summary>
    /// The folder of the dataset's copy, made first when there is none: each of
    /// <see cref="DatasetFiles.Names"/> is written from what <paramref name="open"/> gives for it.
    /// </summary>
    /// <param name="open">The named file's bytes from the store; null when the store has no such file (the dataset went away).</param>
    /// <exception cref="FileNotFoundException"><paramref name="open"/> had no file of that name; no copy was made.</exception>
    public async Task<string> EnsureAsync(string id, Func<string, CancellationToken, Task<Stream?>> open, CancellationToken ct)
    {
        if (!DatasetFiles.IsId(id)) throw new ArgumentException($"'{id}' is not an upload id.", nameof(id));
        if (Folders.Exists(id)) return Folders.PathOf(id);
        var gate = _copying.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (Folders.Exists(id)) return Folders.PathOf(id);
            string work = Folders.CreateWorkFolder("copy");
            try
            {
                foreach (string name in DatasetFiles.Names)
                {
                    await using var source = await open(name, ct)
                        ?? throw new FileNotFoundException($"The store holds no file '{name}' of dataset '{id}'.", name);
                    await using var file = new FileStream(Path.Combine(work, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    await source.CopyToAsync(file, ct);
                    file.Flush(flushToDisk: true);
                }
                // Another process on this state folder may have placed a copy meanwhile: the same bytes, so either will do.
                if (!Folders.TryPlace(work, id)) Folders.TryDelete(work);
                log.LogInformation("Dataset {Dataset} copied to this node's {Folder}", id, Folders.PathOf(id));
                return Folders.PathOf(id);
            }
            catch
            {
                Folders.TryDelete(work);
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Places the work folder of an upload made on this node as its copy; false (and the folder removed) when that fails.</summary>
    public bool Adopt(string workFolder, string id)
    {
        try
        {
            if (Folders.TryPlace(workFolder, id)) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "The files of dataset {Dataset} could not be kept as this node's copy; they are copied from the database when first used", id);
        }
        Folders.TryDelete(workFolder);
        return false;
    }

    /// <summary>Removes the copy, if any; a job reading it now keeps the files it opened.</summary>
    public bool Drop(string id) => Folders.Remove(id);
}
