using System.Buffers;

namespace Vae.Engine.Backends;

/// <summary>
/// The primitives every device provides. Ops in <c>Ops/</c> are built from these alone, so a new
/// device is one implementation of this interface that passes the shared op tests; faster
/// composite kernels are optional (<see cref="Kernels{T}"/>).
/// Conventions: buffers hold float32; strides and counts are in elements; kernels that say
/// "accumulate" add into their destination; reductions write their result to a buffer on the
/// device, so nothing forces a copy to the host until someone asks for a value.
/// </summary>
public interface IBackend
{
    string Name { get; }

    /// <summary>Whether this backend runs on a graphics card (what a job asking for <c>"device": "gpu"</c> needs).</summary>
    bool IsGpu => false;

    /// <summary>
    /// How many training batches may pass before their losses are read back to the host. Reading a value
    /// waits for every kernel queued before it, so a device reads rarely and keeps its queue full; on
    /// the host a read costs nothing.
    /// </summary>
    int LossReadbackInterval => 1;

    /// <summary>
    /// The composite kernels of one kind (an interface of <c>Backends/Kernels</c>) this backend runs
    /// faster than the composed ops; null when it has none of that kind.
    /// </summary>
    T? Kernels<T>() where T : class => this as T;

    // ---- memory and transfer ----

    /// <summary>A storage of at least <paramref name="length"/> elements; contents unspecified.</summary>
    Storage Allocate(int length);
    /// <summary>Takes back a storage nobody refers to any more (a backend may keep it for the next request of its size).</summary>
    void Recycle(Storage storage);
    /// <summary>Gives memory kept for reuse back to the system, as after a training run (torch's empty_cache).</summary>
    void ReleaseCachedMemory();
    void Upload(ReadOnlySpan<float> source, BufferRef destination);

    /// <summary>
    /// Fills <paramref name="count"/> elements at <paramref name="destination"/> with what
    /// <paramref name="write"/> writes into the span it is given: host memory that is then uploaded,
    /// or, on a backend whose buffers are host memory, the buffer itself (one pass over the values
    /// instead of two, for data converted as it is loaded).
    /// </summary>
    void Upload<TState>(BufferRef destination, int count, TState state, SpanAction<float, TState> write)
    {
        float[] host = ArrayPool<float>.Shared.Rent(count);
        try
        {
            write(host.AsSpan(0, count), state);
            Upload(host.AsSpan(0, count), destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(host);
        }
    }
    void Download(BufferRef source, Span<float> destination);
    void Fill(BufferRef destination, int count, float value);

    /// <summary>
    /// For every index of <paramref name="shape"/>: destination[index] = (or +=, when
    /// <paramref name="accumulate"/>) source[index], each side addressed through its own strides.
    /// A source stride of 0 repeats (broadcast); a destination stride of 0 with accumulate sums
    /// into one element (the backward pass of a broadcast).
    /// </summary>
    void Copy(BufferRef source, ReadOnlySpan<int> sourceStrides, BufferRef destination, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape, bool accumulate);

    // ---- maps ----

    void Unary(UnaryKind kind, float alpha, BufferRef x, BufferRef y, int count);
    /// <summary>dx += dy * f'(x), where y = f(x) is given too because some derivatives are cheaper from it.</summary>
    void UnaryBackward(UnaryKind kind, float alpha, BufferRef x, BufferRef y, BufferRef dy, BufferRef dx, int count);

    void Binary(BinaryKind kind, BufferRef a, BufferRef b, BufferRef y, BroadcastShape shape);
    /// <summary>Adds the gradients of y = a op b into da and db (either may be absent), summing over broadcast dimensions.</summary>
    void BinaryBackward(BinaryKind kind, BufferRef a, BufferRef b, BufferRef dy, BufferRef? da, BufferRef? db, BroadcastShape shape);

    // ---- reductions ----

    /// <summary>y[o, i] = reduction over d of x[o, d, i], for x viewed as (outer, size, inner).</summary>
    void Reduce(ReduceKind kind, BufferRef x, BufferRef y, int outer, int size, int inner);

    // ---- matrix products ----

    /// <summary>
    /// For each of <paramref name="batch"/> problems: C = alpha * op(A) * op(B) + beta * C, row-major,
    /// op(A) m x k and op(B) k x n; problem p reads A at p * strideA, B at p * strideB and writes C at
    /// p * strideC (a stride of 0 shares one matrix). beta = 0 overwrites C whatever it holds.
    /// </summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc,
        int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0);

    // ---- convolution layout ----

    /// <summary>
    /// Unfolds <paramref name="count"/> images (C, H, W) into one (count * outH * outW, C * kh * kw)
    /// matrix, one row per output position (image by image, row-major) holding its window channel
    /// by channel and kernel row by kernel row, <paramref name="padValue"/> where the window hangs
    /// over the border. One matrix for all the images lets a convolution be one GEMM, and a window
    /// row is kw neighbouring pixels, so it is a short block copy.
    /// </summary>
    void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f);
    /// <summary>The adjoint of <see cref="Im2Col"/>: adds every matrix entry back into the image pixel it came from.</summary>
    void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images);

    // ---- random numbers ----

    /// <summary>
    /// Fills <paramref name="count"/> values of the counter-based stream (key, counter): element i
    /// from Philox block counter + i / 4, lane i % 4, exactly as <see cref="Philox.Fill"/>.
    /// </summary>
    void FillRandom(BufferRef destination, int count, RandomDistribution distribution, ulong key, ulong counter);
}
