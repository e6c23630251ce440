namespace Vae.Api.Datasets;

/// <summary>
/// Serialises the two things that race over an uploaded dataset: queuing a job on it and deleting
/// it. A job is queued under this lock after the dataset is found again, and a dataset is deleted
/// under it after no queued or running job was found; so in one process a job is never queued for a
/// dataset that is going away. Across processes sharing the state folder, a job queued for a
/// dataset deleted by another process fails when it starts, saying the dataset is gone.
/// </summary>
public sealed class DatasetUseLock
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        return new Held(_gate);
    }

    /// <summary>
    /// Runs <paramref name="use"/> (queuing a job) while <paramref name="dataset"/> cannot be
    /// deleted; null, without running it, when the dataset was deleted since it was looked up.
    /// Built-in datasets are never deleted, so they need no lock.
    /// </summary>
    public async Task<T?> UnlessDeletedAsync<T>(DatasetInfo dataset, DatasetCatalog catalog, Func<Task<T>> use, CancellationToken ct) where T : class
    {
        if (dataset.BuiltIn) return await use();
        using (await EnterAsync(ct))
        {
            if (await catalog.FindAsync(dataset.Id, ct) is null) return null;
            return await use();
        }
    }

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
