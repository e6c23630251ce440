namespace Vae.Engine.Backends;

/// <summary>
/// A block of float32 memory owned by a backend. Tensors refer to a storage plus an offset;
/// reshapes and row slices share one storage, so it is reference counted and handed back to
/// its backend's pool when the last tensor using it is disposed.
/// </summary>
public abstract class Storage
{
    private int _references = 1;

    /// <summary>Number of float32 elements.</summary>
    public abstract int Length { get; }

    public abstract IBackend Backend { get; }

    internal void AddReference() => Interlocked.Increment(ref _references);

    internal void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0) Backend.Recycle(this);
    }

    /// <summary>Makes a recycled storage usable again.</summary>
    internal void Revive() => _references = 1;
}

/// <summary>A position inside a storage: what kernels take instead of raw arrays.</summary>
public readonly record struct BufferRef(Storage Storage, int Offset)
{
    public BufferRef At(int elements) => new(Storage, Offset + elements);
}
