namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Recycled storages. Training asks for the same sizes every step, so after the first step every
/// request is a hit and no page is faulted in again. A request takes the smallest free storage
/// of at least its size and at most a third larger, so near sizes (the last, smaller batch) share
/// buffers instead of each pinning its own. The pool keeps at most <see cref="MaxPooledFloats"/>
/// floats: a burst of one-off tensors does not pin memory forever.
/// </summary>
internal sealed class BufferPool
{
    private readonly SortedDictionary<int, Stack<CpuStorage>> _free = new();
    private readonly Lock _lock = new();
    private long _pooledFloats;

    /// <summary>
    /// 3 GB by default, or VAE_POOL_MB: the working set of a training step of the largest model here
    /// (seed 001's ResNet at batch 128 takes about 2.5 GB), so a step faults in no new pages.
    /// </summary>
    public long MaxPooledFloats { get; set; } = DefaultLimit();

    private static long DefaultLimit()
        => (long.TryParse(Environment.GetEnvironmentVariable("VAE_POOL_MB"), out long mb) && mb >= 0 ? mb : 3072) * 1024 * 1024 / sizeof(float);

    public CpuStorage? TryTake(int length)
    {
        long limit = length + length / 3L;
        lock (_lock)
        {
            // Steady-state training asks for sizes it freed before: an exact hit needs no search.
            if (_free.TryGetValue(length, out var exact) && exact.Count > 0)
            {
                _pooledFloats -= length;
                return exact.Pop();
            }
            foreach (var (size, stack) in _free)
            {
                if (size < length) continue;
                if (size > limit) break;
                if (stack.Count == 0) continue;
                _pooledFloats -= size;
                return stack.Pop();
            }
        }
        return null;
    }

    public void Return(CpuStorage storage)
    {
        lock (_lock)
        {
            if (_pooledFloats + storage.Length > MaxPooledFloats)
            {
                storage.Free(); // native memory goes back now; an array is left to the GC
                return;
            }
            if (!_free.TryGetValue(storage.Length, out var stack)) _free[storage.Length] = stack = new Stack<CpuStorage>();
            stack.Push(storage);
            _pooledFloats += storage.Length;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            foreach (var stack in _free.Values)
                foreach (var storage in stack) storage.Free();
            _free.Clear();
            _pooledFloats = 0;
        }
    }
}
