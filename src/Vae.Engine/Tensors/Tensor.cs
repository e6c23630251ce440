using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tensors;

/// <summary>
/// A dense float32 tensor of any rank, row-major and contiguous, whose memory lives in a backend
/// storage. Reshapes and row slices are views that share the storage. Operations record what
/// autograd needs when an input requires a gradient and no <see cref="Autograd.NoGrad"/> scope is open.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private bool _disposed;

    /// <summary>Sizes of each dimension. Do not modify.</summary>
    public int[] Shape { get; }
    /// <summary>Number of elements.</summary>
    public int Count { get; }
    public int Rank => Shape.Length;
    internal Storage Storage { get; }
    internal int Offset { get; }
    internal BufferRef Buffer => new(Storage, Offset);
    public IBackend Backend => Storage.Backend;

    /// <summary>Whether gradients flow to this tensor. Set it on leaves (parameters); ops set it on their outputs.</summary>
    public bool RequiresGrad { get; set; }
    /// <summary>The accumulated gradient after <see cref="Backward"/>, same shape as this tensor.</summary>
    public Tensor? Grad { get; internal set; }
    /// <summary>The op that produced this tensor, while the graph is alive.</summary>
    internal GradNode? Node { get; set; }
    /// <summary>Mark used by the topological sort, so backward needs no visited set.</summary>
    internal int VisitMark { get; set; }

    internal Tensor(Storage storage, int offset, int[] shape, bool tracked = true)
    {
        Storage = storage;
        Offset = offset;
        Shape = shape;
        Count = ShapeOf.Count(shape);
        if (offset + Count > storage.Length)
            throw new ArgumentException($"A tensor of shape {ShapeOf.Format(shape)} at offset {offset} does not fit a storage of {storage.Length} elements.");
        if (tracked) TensorScope.Track(this);
    }

    public bool IsLeaf => Node is null;

    public override string ToString() => $"Tensor{ShapeOf.Format(Shape)}{(RequiresGrad ? " requires_grad" : "")}";

    // ---- creation ----

    public static IBackend DefaultBackend { get; set; } = CpuBackend.Instance;

    /// <summary>A tensor whose contents are unspecified; write it before reading it.</summary>
    public static Tensor Empty(int[] shape, IBackend? backend = null)
    {
        ShapeOf.Validate(shape);
        var b = backend ?? DefaultBackend;
        return new Tensor(b.Allocate(ShapeOf.Count(shape)), 0, (int[])shape.Clone());
    }

    internal static Tensor EmptyUntracked(int[] shape, IBackend backend)
        => new(backend.Allocate(ShapeOf.Count(shape)), 0, (int[])shape.Clone(), tracked: false);

    public static Tensor Full(int[] shape, float value, IBackend? backend = null)
    {
        var t = Empty(shape, backend);
        t.Backend.Fill(t.Buffer, t.Count, value);
        return t;
    }

    public static Tensor Zeros(params int[] shape) => Full(shape, 0f);
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);
    public static Tensor Scalar(float value, IBackend? backend = null) => Full([], value, backend);

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, int[] shape, IBackend? backend = null)
    {
        ShapeOf.Validate(shape);
        if (data.Length != ShapeOf.Count(shape))
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {ShapeOf.Format(shape)} ({ShapeOf.Count(shape)} elements).");
        var t = Empty(shape, backend);
        t.Backend.Upload(data, t.Buffer);
        return t;
    }

    public static Tensor FromArray(float[] data, params int[] shape) => FromArray(data.AsSpan(), shape);

    /// <summary>Standard normal samples from <paramref name="generator"/>.</summary>
    public static Tensor RandN(Generator generator, int[] shape, IBackend? backend = null)
    {
        var t = Empty(shape, backend);
        t.Backend.FillNormal(t.Buffer, t.Count, generator);
        return t;
    }

    public static Tensor ZerosLike(Tensor t) => Full(t.Shape, 0f, t.Backend);

    // ---- reading back ----

    public float[] ToArray()
    {
        ThrowIfDisposed();
        var result = new float[Count];
        Backend.Download(Buffer, result);
        return result;
    }

    public void CopyTo(Span<float> destination)
    {
        ThrowIfDisposed();
        if (destination.Length < Count) throw new ArgumentException($"Destination holds {destination.Length} values; the tensor has {Count}.");
        Backend.Download(Buffer, destination[..Count]);
    }

    /// <summary>Overwrites the contents from host memory (used to load weights and batches).</summary>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        ThrowIfDisposed();
        if (source.Length != Count) throw new ArgumentException($"{source.Length} values cannot fill a tensor of {Count} elements {ShapeOf.Format(Shape)}.");
        Backend.Upload(source, Buffer);
    }

    /// <summary>Copies another tensor's values into this one (same element count).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Count != Count) throw new ArgumentException($"Cannot copy {ShapeOf.Format(source.Shape)} into {ShapeOf.Format(Shape)}.");
        Backend.Copy(source.Buffer, Buffer, Count);
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item() needs a one-element tensor; this one has shape {ShapeOf.Format(Shape)}.");
        Span<float> one = stackalloc float[1];
        Backend.Download(Buffer, one);
        return one[0];
    }

    /// <summary>A tensor sharing this one's values with no autograd history.</summary>
    public Tensor Detach()
    {
        Storage.AddReference();
        return new Tensor(Storage, Offset, Shape);
    }

    public void FillInPlace(float value) => Backend.Fill(Buffer, Count, value);

    /// <summary>Clears the gradient (kept allocated, so steady-state training allocates nothing).</summary>
    public void ZeroGrad()
    {
        if (Grad is not null) Grad.FillInPlace(0f);
    }

    /// <summary>The gradient buffer, created as zeros on first use. A leaf owns its gradient across scopes.</summary>
    internal Tensor GradForAccumulation()
    {
        if (Grad is null)
        {
            Grad = IsLeaf ? EmptyUntracked(Shape, Backend) : Empty(Shape, Backend);
            Grad.FillInPlace(0f);
        }
        return Grad;
    }

    public bool IsDisposed => _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Node = null;
        if (IsLeaf && RequiresGrad) Grad?.Dispose();
        Storage.Release();
    }

    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(Tensor), $"A tensor of shape {ShapeOf.Format(Shape)} was used after it was disposed (did it leave its TensorScope?).");
    }
}
