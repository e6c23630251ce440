using Npgsql;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// The lock across every node on one PostgreSQL database: beside this process's own gate it takes a
/// transaction-scoped advisory lock on the key, held until the handle is disposed. A node that dies
/// holding it drops its connection, which releases the lock.
/// </summary>
public sealed class PostgresClusterLock(NpgsqlDataSource source) : IClusterLock
{
    private readonly InProcessClusterLock _process = new();

    public async Task<IAsyncDisposable> EnterAsync(long key, CancellationToken ct)
    {
        // This process's callers queue here rather than each holding a connection while they wait.
        var gate = await _process.EnterAsync(key, ct);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await source.OpenConnectionAsync(ct);
            await connection.BeginTransactionAsync(ct);
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1);", connection))
            {
                command.Parameters.AddWithValue(key);
                await command.ExecuteNonQueryAsync(ct);
            }
            return new Held(gate, connection);
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync();
            await gate.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closing the connection ends its transaction (rolled back: it wrote nothing), which releases the advisory lock.</summary>
    private sealed class Held(IAsyncDisposable gate, NpgsqlConnection connection) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            try
            {
                await connection.DisposeAsync();
            }
            finally
            {
                await gate.DisposeAsync();
            }
        }
    }
}
