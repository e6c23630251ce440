using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Ops;

namespace Vae.Engine.Tensors;

/// <summary>
/// A float32 tensor of any rank: a storage on one backend, an offset into it, a shape and a stride
/// per dimension. Ops make dense row-major tensors; views (reshape, narrow, transpose, permute,
/// expand) share their source's storage with other strides. Kernels read dense memory, so an op
/// given a strided view first makes it <see cref="F.Contiguous"/>. Operations record what
/// autograd needs when an input requires a gradient and no <see cref="Autograd.NoGrad"/> scope is open.
/// </summary>
/// <remarks>
/// There is no process-wide default backend: a tensor lives where it was made, an op's result
/// lives where its inputs live, and a model moves with <c>Module.To(backend)</c>. Factories
/// take a backend from their caller; only the shorthands named for the host (<c>params</c> shapes)
/// make tensors on <see cref="CpuBackend.Instance"/>, and say so.
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    private bool _disposed;

    /// <summary>Sizes of each dimension. Do not modify.</summary>
    public int[] Shape { get; }
    /// <summary>Elements to step in storage per step along each dimension (0 along expanded ones). Do not modify.</summary>
    public int[] Strides { get; }
    /// <summary>Number of elements.</summary>
    public int Count { get; }
    public int Rank => Shape.Length;
    /// <summary>True when the elements lie dense and row-major from <see cref="Offset"/>.</summary>
    public bool IsContiguous { get; }
    internal Storage Storage { get; private set; }
    internal int Offset { get; }
    public IBackend Backend => Storage.Backend;

    /// <summary>Where kernels read and write this tensor; only dense tensors have one.</summary>
    internal BufferRef Buffer
    {
        get
        {
            if (!IsContiguous) throw new InvalidOperationException($"A strided view {ShapeOf.Format(Shape)} with strides {ShapeOf.Format(Strides)} was passed to a kernel that needs dense memory; call Contiguous() first.");
            return new(Storage, Offset);
        }
    }

    /// <summary>Where the view starts, for strided kernels.</summary>
    internal BufferRef Origin => new(Storage, Offset);

    /// <summary>Whether gradients flow to this tensor. Set it on leaves (parameters); ops set it on their outputs.</summary>
    public bool RequiresGrad { get; set; }
    /// <summary>The accumulated gradient after <see cref="Backward"/>: dense, same shape as this tensor.</summary>
    public Tensor? Grad
    {
        get
        {
            // ZeroGrad left the buffer as it was; whoever reads it before a kernel wrote it sees zeros.
            if (_gradCleared)
            {
                _gradCleared = false;
                _grad!.FillInPlace(0f);
            }
            return _grad;
        }
        internal set
        {
            _grad = value;
            _gradCleared = false;
        }
    }

    private Tensor? _grad;
    /// <summary>ZeroGrad was called and the gradient's buffer not written since: its contents count as zeros.</summary>
    private bool _gradCleared;
    /// <summary>The op that produced this tensor, while the graph is alive.</summary>
    internal GradNode? Node { get; set; }
    /// <summary>Mark used by the topological sort, so backward needs no visited set.</summary>
    internal int VisitMark { get; set; }

    /// <summary>A dense tensor over <paramref name="storage"/> from <paramref name="offset"/>.</summary>
    internal Tensor(Storage storage, int offset, int[] shape, bool tracked = true)
        : this(storage, offset, shape, ShapeOf.DenseStrides(shape), tracked)
    {
    }

    /// <summary>A view with explicit strides; every element it reaches must lie inside the storage.</summary>
    internal Tensor(Storage storage, int offset, int[] shape, int[] strides, bool tracked = true)
    {
        if (strides.Length != shape.Length) throw new ArgumentException($"Shape {ShapeOf.Format(shape)} and strides {ShapeOf.Format(strides)} differ in rank.");
        Storage = storage;
        Offset = offset;
        Shape = shape;
        Strides = strides;
        Count = ShapeOf.Count(shape);
        IsContiguous = ShapeOf.IsDense(shape, strides);
        long last = offset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (strides[i] < 0) throw new ArgumentException($"Negative strides {ShapeOf.Format(strides)} are not supported.");
            if (shape[i] > 0) last += (long)(shape[i] - 1) * strides[i];
        }
        if (offset < 0 || (Count > 0 && last >= storage.Length))
            throw new ArgumentException($"A tensor of shape {ShapeOf.Format(shape)} and strides {ShapeOf.Format(strides)} at offset {offset} does not fit a storage of {storage.Length} elements.");
        if (tracked) TensorScope.Track(this);
    }

    public bool IsLeaf => Node is null;

    public override string ToString() => $"Tensor{ShapeOf.Format(Shape)}{(RequiresGrad ? " requires_grad" : "")}{(IsContiguous ? "" : " strided")} on {Backend.Name}";

    // ---- creation ----

    /// <summary>A tensor whose contents are unspecified; write it before reading it.</summary>
    public static Tensor Empty(int[] shape, IBackend backend)
    {
        ShapeOf.Validate(shape);
        ArgumentNullException.ThrowIfNull(backend);
        return new Tensor(backend.Allocate(ShapeOf.Count(shape)), 0, (int[])shape.Clone());
    }

    internal static Tensor EmptyUntracked(int[] shape, IBackend backend)
        => new(backend.Allocate(ShapeOf.Count(shape)), 0, (int[])shape.Clone(), tracked: false);

    public static Tensor Full(int[] shape, float value, IBackend backend)
    {
        var t = Empty(shape, backend);
        t.Backend.Fill(t.Buffer, t.Count, value);
        return t;
    }

    /// <summary>Zeros on the host.</summary>
    public static Tensor Zeros(params int[] shape) => Full(shape, 0f, CpuBackend.Instance);
    public static Tensor Zeros(int[] shape, IBackend backend) => Full(shape, 0f, backend);
    /// <summary>Ones on the host.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f, CpuBackend.Instance);
    public static Tensor Ones(int[] shape, IBackend backend) => Full(shape, 1f, backend);
    public static Tensor Scalar(float value, IBackend backend) => Full([], value, backend);

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, int[] shape, IBackend backend)
    {
        ShapeOf.Validate(shape);
        if (data.Length != ShapeOf.Count(shape))
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {ShapeOf.Format(shape)} ({ShapeOf.Count(shape)} elements).");
        var t = Empty(shape, backend);
        t.Backend.Upload(data, t.Buffer);
        return t;
    }

    /// <summary>A host tensor holding <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data, params int[] shape) => FromArray(data.AsSpan(), shape, CpuBackend.Instance);

    /// <summary>Standard normal samples from <paramref name="generator"/>'s counter-based stream.</summary>
    public static Tensor RandN(Generator generator, int[] shape, IBackend backend)
    {
        var t = Empty(shape, backend);
        var (key, counter) = generator.Reserve(t.Count);
        t.Backend.FillRandom(t.Buffer, t.Count, RandomDistribution.Normal, key, counter);
        return t;
    }

    /// <summary>Samples uniform in [0, 1) from <paramref name="generator"/>'s counter-based stream.</summary>
    public static Tensor Rand(Generator generator, int[] shape, IBackend backend)
    {
        var t = Empty(shape, backend);
        var (key, counter) = generator.Reserve(t.Count);
        t.Backend.FillRandom(t.Buffer, t.Count, RandomDistribution.Uniform, key, counter);
        return t;
    }

    public static Tensor ZerosLike(Tensor t) => Full(t.Shape, 0f, t.Backend);

    // ---- reading back ----

    public float[] ToArray()
    {
        var result = new float[Count];
        CopyTo(result);
        return result;
    }

    public void CopyTo(Span<float> destination)
    {
        ThrowIfDisposed();
        if (destination.Length < Count) throw new ArgumentException($"Destination holds {destination.Length} values; the tensor has {Count}.");
        if (IsContiguous)
        {
            Backend.Download(Buffer, destination[..Count]);
            return;
        }
        using var dense = EmptyUntracked(Shape, Backend);
        Backend.Copy(Origin, Strides, dense.Buffer, dense.Strides, Shape, accumulate: false);
        Backend.Download(dense.Buffer, destination[..Count]);
    }

    /// <summary>Overwrites the contents from host memory (used to load weights and batches).</summary>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        ThrowIfDisposed();
        if (source.Length != Count) throw new ArgumentException($"{source.Length} values cannot fill a tensor of {Count} elements {ShapeOf.Format(Shape)}.");
        Backend.Upload(source, Buffer);
    }

    /// <summary>Copies another tensor's values into this one (same element count; row-major order).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Count != Count) throw new ArgumentException($"Cannot copy {ShapeOf.Format(source.Shape)} into {ShapeOf.Format(Shape)}.");
        if (!ReferenceEquals(source.Backend, Backend))
        {
            CopyFrom(source.ToArray());
            return;
        }
        var shape = source.IsContiguous ? [Count] : source.Shape;
        var from = source.IsContiguous ? [1] : source.Strides;
        Backend.Copy(source.Origin, from, Buffer, ShapeOf.DenseStrides(shape), shape, accumulate: false);
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item() needs a one-element tensor; this one has shape {ShapeOf.Format(Shape)}.");
        Span<float> one = stackalloc float[1];
        Backend.Download(Origin, one);
        return one[0];
    }

    /// <summary>A tensor sharing this one's values with no autograd history.</summary>
    public Tensor Detach()
    {
        Storage.AddReference();
        return new Tensor(Storage, Offset, Shape, Strides);
    }

    public void FillInPlace(float value) => Backend.Fill(Buffer, Count, value);

    /// <summary>
    /// Clears the gradient (kept allocated, so steady-state training allocates nothing). The buffer
    /// is not filled: the backward pass's first contribution overwrites it, and reading
    /// <see cref="Grad"/> before that fills it with zeros.
    /// </summary>
    public void ZeroGrad()
    {
        if (_grad is not null) _gradCleared = true;
    }

    /// <summary>
    /// Where a backward pass adds <paramref name="tensor"/>'s gradient: its gradient buffer when it
    /// takes one, else null (a kernel then skips that gradient).
    /// </summary>
    internal static BufferRef? GradTarget(Tensor? tensor) => tensor is { RequiresGrad: true } ? tensor.GradForAccumulation().Buffer : null;

    /// <summary>
    /// As <see cref="GradTarget"/> for a kernel that can write its contribution in place of adding it:
    /// the first contribution to a gradient in a step overwrites (see <see cref="GradientTarget"/>),
    /// so the buffer is not filled with zeros first. Null when the tensor takes no gradient.
    /// </summary>
    internal static GradientTarget? GradWriteTarget(Tensor? tensor)
    {
        if (tensor is not { RequiresGrad: true }) return null;
        if (tensor._grad is null)
        {
            tensor.Grad = tensor.IsLeaf ? EmptyUntracked(tensor.Shape, tensor.Backend) : Empty(tensor.Shape, tensor.Backend);
            return new GradientTarget(tensor._grad!.Buffer, Overwrite: true);
        }
        bool overwrite = tensor._gradCleared;
        tensor._gradCleared = false;
        return new GradientTarget(tensor._grad.Buffer, overwrite);
    }

    /// <summary>
    /// Makes <paramref name="gradient"/>'s memory this tensor's gradient, in place of a copy, when it is
    /// the first contribution: this tensor was made by an op (a leaf's gradient outlives the step's
    /// tensors) and holds no gradient yet. False, and nothing changes, otherwise. The two then share
    /// memory, so the caller must not use <paramref name="gradient"/> afterwards except to finish
    /// writing this contribution.
    /// </summary>
    internal bool TryAdoptGradient(Tensor gradient)
    {
        if (IsLeaf || _grad is not null || !gradient.IsContiguous || gradient.Count != Count || !ReferenceEquals(gradient.Backend, Backend)) return false;
        gradient.Storage.AddReference();
        Grad = new Tensor(gradient.Storage, gradient.Offset, (int[])Shape.Clone());
        return true;
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

    /// <summary>
    /// Moves a leaf's values to another backend in place, so every holder of this tensor (a
    /// module, an optimizer) sees the move. Its gradient is dropped.
    /// </summary>
    internal void MoveTo(IBackend backend)
    {
        ThrowIfDisposed();
        if (ReferenceEquals(backend, Backend)) return;
        if (!IsLeaf || !IsContiguous || Offset != 0) throw new InvalidOperationException("Only dense leaf tensors (parameters and buffers) can move between backends.");
        var values = ToArray();
        var storage = backend.Allocate(Count);
        backend.Upload(values, new BufferRef(storage, 0));
        _grad?.Dispose();
        Grad = null;
        var old = Storage;
        Storage = storage;
        old.Release();
    }

    public bool IsDisposed => _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Node = null;
        if (IsLeaf && RequiresGrad) _grad?.Dispose();
        Storage.Release();
    }

    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(Tensor), $"A tensor of shape {ShapeOf.Format(Shape)} was used after it was disposed (did it leave its TensorScope?).");
    }
}
