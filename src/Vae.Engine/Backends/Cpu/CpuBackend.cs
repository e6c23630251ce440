using Vae.Engine.Tensors;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The host backend: managed SIMD kernels, OpenBLAS for matrix products when it is installed,
/// and a caller-given thread budget (<see cref="ThreadBudget"/>) for the parallel kernels.
/// </summary>
public sealed unsafe partial class CpuBackend : IBackend
{
    public static CpuBackend Instance { get; } = new();

    private readonly BufferPool _pool = new();

    private CpuBackend() { }

    public string Name => "cpu";

    /// <summary>Which matrix-product implementation runs: OpenBLAS when present, else managed SIMD.</summary>
    public static GemmPath GemmPath { get => Cpu.Gemm.DefaultPath; set => Cpu.Gemm.DefaultPath = value; }

    /// <summary>True when OpenBLAS was found and loaded.</summary>
    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;

    public Storage Allocate(int length)
    {
        var storage = _pool.TryTake(length);
        if (storage is null) return new CpuStorage(length, this);
        storage.Revive();
        return storage;
    }

    public void Recycle(Storage storage) => _pool.Return((CpuStorage)storage);

    /// <summary>Drops pooled buffers (e.g. after a large one-off job).</summary>
    public void TrimPool() => _pool.Clear();

    internal static float* Ptr(BufferRef r) => ((CpuStorage)r.Storage).Pointer + r.Offset;

    internal static Span<float> Span(BufferRef r, int count) => new(Ptr(r), count);

    public void Upload(ReadOnlySpan<float> source, BufferRef destination) => source.CopyTo(Span(destination, source.Length));

    public void Download(BufferRef source, Span<float> destination) => Span(source, destination.Length).CopyTo(destination);

    public void Fill(BufferRef destination, int count, float value) => Span(destination, count).Fill(value);

    public void Copy(BufferRef source, BufferRef destination, int count) => Span(source, count).CopyTo(Span(destination, count));

    public void Axpy(float alpha, BufferRef x, BufferRef y, int count)
    {
        var dst = Span(y, count);
        if (alpha == 1f) System.Numerics.Tensors.TensorPrimitives.Add(dst, Span(x, count), dst);
        else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(Span(x, count), alpha, dst, dst);
    }

    public void CopyBlock(BufferRef source, int sourceStride, BufferRef destination, int destinationStride, int rows, int cols, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            var src = Span(source.At(r * sourceStride), cols);
            var dst = Span(destination.At(r * destinationStride), cols);
            if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            else src.CopyTo(dst);
        }
    }

    public void FillNormal(BufferRef destination, int count, Generator generator)
    {
        var dst = Span(destination, count);
        for (int i = 0; i < dst.Length; i++) dst[i] = generator.NextNormal();
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc)
        => Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, Ptr(a), lda, Ptr(b), ldb, beta, Ptr(c), ldc, ThreadBudget.Current);
}
