using System.Collections.Concurrent;

namespace Vae.Api.Storage;

/// <summary>The lock for one node (SQLite): one gate per key in this process.</summary>
public sealed class InProcessClusterLock : IClusterLock
{
    // Keys are a handful of constants, so a gate is never removed.
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _gates = new();

    public async Task<IAsyncDisposable> EnterAsync(long key, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Held(gate);
    }

    /// <summary>Releases the gate once, however often it is disposed.</summary>
    private sealed class Held(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
            return ValueTask.CompletedTask;
        }
    }
}
