namespace Vae.Api.Storage;

/// <summary>
/// A lock for work that must not overlap anywhere: with PostgreSQL it spans every node on the
/// database, with SQLite (one node) this process. Locks are named by number; callers agree on one.
/// </summary>
public interface IClusterLock
{
    /// <summary>Waits for the lock <paramref name="key"/> and holds it until the returned handle is disposed.</summary>
    Task<IAsyncDisposable> EnterAsync(long key, CancellationToken ct);
}
