namespace Vae.Api.Datasets;

/// <summary>
/// A folder of datasets, one sub-folder each named by its id, that only ever changes by renames:
/// a dataset is written in a hidden work folder beside the others and renamed into place whole, and
/// removed by renaming it out of sight before deleting it. So every reader of the folder sees a
/// dataset complete or not at all, and what a crash leaves behind is a hidden folder that
/// <see cref="RemoveStale"/> removes later. Used for the uploads themselves (SQLite mode) and for a
/// node's local copies of the uploads kept in the database (PostgreSQL mode).
/// </summary>
public sealed class DatasetFolders(string root, TimeProvider clock, ILogger log)
{
    /// <summary>Hidden folders start with this; no id does.</summary>
    private const string HiddenPrefix = ".";
    private const string DeletedPrefix = ".deleted-";

    /// <summary>A work folder untouched this long belongs to no running upload or copy (those take minutes at most).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    public string Root { get; } = root;

    public string PathOf(string id) => Path.Combine(Root, id);

    /// <summary>Whether the dataset's folder is in place (and so complete).</summary>
    public bool Exists(string id) => DatasetFiles.IsId(id) && Directory.Exists(PathOf(id));

    /// <summary>The ids of the datasets in place.</summary>
    public IEnumerable<string> Ids => Directory.Exists(Root)
        ? Directory.EnumerateDirectories(Root).Select(f => Path.GetFileName(f)).Where(DatasetFiles.IsId)
        : [];

    /// <summary>A new hidden work folder; <paramref name="purpose"/> ("upload", "copy") says in its name what it is for.</summary>
    public string CreateWorkFolder(string purpose)
    {
        Directory.CreateDirectory(Root);
        return Directory.CreateDirectory(Path.Combine(Root, $"{HiddenPrefix}{purpose}-{Guid.NewGuid():N}")).FullName;
    }

    /// <summary>Renames a complete work folder into place as <paramref name="id"/>; false when a folder of that id is there already.</summary>
    public bool TryPlace(string workFolder, string id)
    {
        try
        {
            Directory.Move(workFolder, PathOf(id));
            return true;
        }
        catch (IOException) when (Directory.Exists(PathOf(id)))
        {
            return false;
        }
    }

    /// <summary>Takes the dataset out of sight in one step, then deletes its files; false when it was not there.</summary>
    public bool Remove(string id)
    {
        if (!DatasetFiles.IsId(id)) return false;
        string hidden = Path.Combine(Root, DeletedPrefix + id + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // No reader sees a dataset with some files gone.
            Directory.Move(PathOf(id), hidden);
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        TryDelete(hidden);
        return true;
    }

    /// <summary>Removes a work folder and all in it.</summary>
    public void TryDelete(string folder)
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

    /// <summary>
    /// Removes the work folders of uploads and copies that died with their process, and removals cut
    /// short. Young work folders are left alone: they may belong to work running now in another
    /// process sharing the folder.
    /// </summary>
    public void RemoveStale()
    {
        if (!Directory.Exists(Root)) return;
        var cutoff = clock.GetUtcNow().UtcDateTime - StaleAfter;
        foreach (string folder in Directory.EnumerateDirectories(Root))
        {
            string name = Path.GetFileName(folder);
            bool stale = name.StartsWith(DeletedPrefix, StringComparison.Ordinal)
                || (name.StartsWith(HiddenPrefix, StringComparison.Ordinal) && LastTouched(folder) < cutoff);
            if (stale)
            {
                log.LogInformation("Removing {Folder}, left behind by work on a dataset that did not finish", folder);
                TryDelete(folder);
            }
        }
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
}
