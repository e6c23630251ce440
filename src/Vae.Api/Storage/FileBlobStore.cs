namespace Vae.Api.Storage;

/// <summary>
/// Blobs as files under the state folder, each key a relative path (models/&lt;id&gt;.safetensors, ...).
/// A blob is written to a temporary name in its folder, flushed to disk and renamed over the old
/// one, so a crash leaves the old file or the new one and a reader never sees half of either.
/// </summary>
public sealed class FileBlobStore(string root) : IBlobStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public string? LocalPathOf(string key) => PathOf(key);

    private string PathOf(string key) => Path.Combine(Root, BlobKeys.Check(key));

    public async Task PutAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, ct);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken ct) => Task.FromResult(OpenRead(key));

    public Stream? OpenRead(string key)
    {
        try
        {
            return new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        string path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult(false);
        try
        {
            File.Delete(path);
            return Task.FromResult(true);
        }
        catch (IOException)
        {
            // A reader holds it (Windows); the record that named it is gone, so the file is orphaned harmlessly.
            return Task.FromResult(false);
        }
    }
}
