using Vae.Api.Storage;

namespace Vae.Api.Datasets;

/// <summary>
/// Serialises the two things that race over an uploaded dataset: queuing a job on it and deleting
/// it. A job is queued under this lock after the dataset is found again, and a dataset is deleted
/// under it after no queued or running job was found in the job records; so a job is never queued
/// for a dataset that is going away. With PostgreSQL the lock spans every node (<see cref="IClusterLock"/>),
/// held until the work is done, so a job queued on one node and a delete asked of another take turns
/// too (and the delete, reading the shared job records, sees the job).
/// </summary>
public sealed class DatasetUseLock(IClusterLock cluster)
{
    /// <summary>Key of the lock ("vaedsuse" in ASCII, as a number).</summary>
    public const long ClusterLock = 0x7661656473757365;

    public Task<IAsyncDisposable> EnterAsync(CancellationToken ct) => cluster.EnterAsync(ClusterLock, ct);

    /// <summary>
    /// Runs <paramref name="use"/> (queuing a job) while <paramref name="dataset"/> cannot be
    /// deleted; null, without running it, when the dataset was deleted since it was looked up.
    /// Built-in datasets are never deleted, so they need no lock.
    /// </summary>
    public async Task<T?> UnlessDeletedAsync<T>(DatasetInfo dataset, DatasetCatalog catalog, Func<Task<T>> use, CancellationToken ct) where T : class
    {
        if (dataset.BuiltIn) return await use();
        await using (await EnterAsync(ct))
        {
            if (await catalog.FindAsync(dataset.Id, ct) is null) return null;
            return await use();
        }
    }
}
