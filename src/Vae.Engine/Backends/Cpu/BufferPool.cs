namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// Recycled storages by exact length. Training asks for the same sizes every step, so after the
/// first step every request is a hit. The pool keeps at most <see cref="MaxPooledFloats"/> floats
/// so a burst of large tensors does not pin memory forever.
/// </summary>
internal sealed class BufferPool
{
    private readonly Dictionary<int, Stack<CpuStorage>> _free = new();
    private readonly Lock _lock = new();
    private long _pooledFloats;

    public long MaxPooledFloats { get; set; } = 64L * 1024 * 1024; // 256 MB

    public CpuStorage? TryTake(int length)
    {
        lock (_lock)
        {
            if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                _pooledFloats -= length;
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
