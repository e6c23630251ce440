using Vae.Engine.Backends;

namespace Vae.Api.Tests.Infrastructure;

/// <summary>
/// A backend that says it runs on a graphics card, for tests of what a node with a GPU does on a
/// machine without one: every kernel is the CPU backend's. It counts what is allocated through it,
/// so a test can tell whether a job trained on it or beside it.
/// </summary>
public sealed class StandInGpuBackend(IBackend cpu, string name = "test-gpu") : IBackend
{
    private int _allocations;

    /// <summary>Storages allocated through this backend so far.</summary>
    public int Allocations => Volatile.Read(ref _allocations);

    public string Name => name;
    public bool IsGpu => true;
    public T? Kernels<T>() where T : class => cpu.Kernels<T>();

    public Vae.Engine.Backends.Storage Allocate(int length)
    {
        Interlocked.Increment(ref _allocations);
        return cpu.Allocate(length);
    }

    public void Recycle(Vae.Engine.Backends.Storage storage) => cpu.Recycle(storage);
    public void ReleaseCachedMemory() => cpu.ReleaseCachedMemory();
    public void Upload(ReadOnlySpan<float> source, BufferRef destination) => cpu.Upload(source, destination);
    public void Download(BufferRef source, Span<float> destination) => cpu.Download(source, destination);
    public void Fill(BufferRef destination, int count, float value) => cpu.Fill(destination, count, value);

    public void Copy(BufferRef source, ReadOnlySpan<int> sourceStrides, BufferRef destination, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape, bool accumulate)
        => cpu.Copy(source, sourceStrides, destination, destinationStrides, shape, accumulate);

    public void Unary(UnaryKind kind, float alpha, BufferRef x, BufferRef y, int count) => cpu.Unary(kind, alpha, x, y, count);

    public void UnaryBackward(UnaryKind kind, float alpha, BufferRef x, BufferRef y, BufferRef dy, BufferRef dx, int count)
        => cpu.UnaryBackward(kind, alpha, x, y, dy, dx, count);

    public void Binary(BinaryKind kind, BufferRef a, BufferRef b, BufferRef y, BroadcastShape shape) => cpu.Binary(kind, a, b, y, shape);

    public void BinaryBackward(BinaryKind kind, BufferRef a, BufferRef b, BufferRef dy, BufferRef? da, BufferRef? db, BroadcastShape shape)
        => cpu.BinaryBackward(kind, a, b, dy, da, db, shape);

    public void Reduce(ReduceKind kind, BufferRef x, BufferRef y, int outer, int size, int inner) => cpu.Reduce(kind, x, y, outer, size, inner);

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc,
        int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0)
        => cpu.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, batch, strideA, strideB, strideC);

    public void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f) => cpu.Im2Col(images, count, g, columns, padValue);
    public void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images) => cpu.Col2Im(columns, count, g, images);

    public void FillRandom(BufferRef destination, int count, RandomDistribution distribution, ulong key, ulong counter)
        => cpu.FillRandom(destination, count, distribution, key, counter);
}
