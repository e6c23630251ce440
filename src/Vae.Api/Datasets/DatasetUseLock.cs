using Npgsql;

namespace Vae.Api.Datasets;

/// <summary>
/// Serialises the two things that race over an uploaded dataset: queuing a job on it and deleting
/// it. A job is queued under this lock after the dataset is found again, and a dataset is deleted
/// under it after no queued or running job was found in the job records; so a job is never queued
/// for a dataset that is going away. With PostgreSQL the lock spans every node: beside this
/// process's own gate it takes a transaction-scoped advisory lock, held until the work is done, so a
/// job queued on one node and a delete asked of another take turns too (and the delete, reading the
/// shared job records, sees the job). A node that dies holding it drops its connection, which
/// releases the lock.
/// </summary>
public sealed class DatasetUseLock(NpgsqlDataSource? cluster = null)
{
    /// <summary>Key of the advisory lock ("vaedsuse" in ASCII, as a number).</summary>
    public const long ClusterLock = 0x7661656473757365;

    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IAsyncDisposable> EnterAsync(CancellationToken ct)
    {
        // This process's callers queue here rather than each holding a connection while they wait.
        await _gate.WaitAsync(ct);
        if (cluster is null) return new Held(_gate, null);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await cluster.OpenConnectionAsync(ct);
            await connection.BeginTransactionAsync(ct);
            await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({ClusterLock});", connection))
                await command.ExecuteNonQueryAsync(ct);
            return new Held(_gate, connection);
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync();
            _gate.Release();
            throw;
        }
    }

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

    /// <summary>Closing the connection ends its transaction (rolled back: it wrote nothing), which releases the advisory lock.</summary>
    private sealed class Held(SemaphoreSlim gate, NpgsqlConnection? connection) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            try
            {
                if (connection is not null) await connection.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
