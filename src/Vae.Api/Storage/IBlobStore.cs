namespace Vae.Api.Storage;

/// <summary>
/// Named byte strings too big for a record: model weights and training checkpoints. Keys are
/// relative paths ("models/m123.safetensors", "checkpoints/j456/checkpoint.safetensors"). A write
/// replaces a blob whole: a reader sees the old bytes or the new ones, never a part. Implementations:
/// a folder (the embedded default, <see cref="FileBlobStore"/>) and a PostgreSQL table, so that every
/// node of a cluster reads what any node wrote.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores what <paramref name="write"/> writes under <paramref name="key"/>, replacing any blob there once it is complete.</summary>
    Task PutAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct);

    /// <summary>
    /// The blob's bytes from the start, or null when there is none; the caller disposes the stream.
    /// Its Length is the blob's size even when it cannot seek (a row streamed from the database), so
    /// a download can send a Content-Length.
    /// </summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>As <see cref="OpenReadAsync"/>, for callers on a thread of their own (loading a model inside a lazy slot).</summary>
    Stream? OpenRead(string key);

    /// <summary>Removes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken ct);

    /// <summary>
    /// The file that holds the blob, for a store that keeps blobs as files on this machine; null for
    /// one that does not. Lets the trainer write its checkpoints in place rather than through a copy.
    /// </summary>
    string? LocalPathOf(string key);
}

/// <summary>Checks blob keys, which become file paths in one store and row keys in another.</summary>
public static class BlobKeys
{
    /// <exception cref="ArgumentException">The key is empty, absolute, climbs out with "..", or has characters other than letters, digits, '.', '_', '-' and '/'.</exception>
    public static string Check(string key)
    {
        bool valid = !string.IsNullOrEmpty(key) && key.Length <= 512 && key[0] != '/' && key[^1] != '/'
            && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/')
            && key.Split('/').All(part => part is not ("" or "." or ".."));
        return valid ? key : throw new ArgumentException($"'{key}' is not a blob key: use relative paths of letters, digits, '.', '_', '-' and '/'.", nameof(key));
    }
}
