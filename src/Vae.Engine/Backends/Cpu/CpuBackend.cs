using System.Buffers;
using Vae.Engine.Diagnostics;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The host backend: managed SIMD kernels, OpenBLAS for matrix products when it is installed,
/// and a caller-given thread budget (<see cref="ThreadBudget"/>) for the parallel kernels.
/// </summary>
/// <remarks>
/// Two instances share the same primitives: <see cref="Instance"/> also offers the fused
/// kernels, <see cref="Composed"/> does not, so ops on it run their composed fallbacks. The
/// op tests run on both, which holds each fused kernel to its composed oracle.
/// </remarks>
public sealed unsafe partial class CpuBackend : IBackend,
    IDenseKernels, ILossKernels, ILatentKernels, IBatchNormKernels, IConv3x3Kernels, IConvKernels, IUpsampleKernels, IOptimizerKernels
{
    /// <summary>The host backend with every fused kernel: what models use.</summary>
    public static CpuBackend Instance { get; } = new("cpu", fused: true, Cpu.Gemm.PathFromEnvironment());

    /// <summary>The host backend reduced to the primitives of <see cref="IBackend"/>, as a device with no fused kernels would be.</summary>
    public static CpuBackend Composed { get; } = new("cpu-composed", fused: false, Cpu.Gemm.PathFromEnvironment());

    private readonly BufferPool _pool = new();
    private readonly bool _fused;

    private CpuBackend(string name, bool fused, GemmPath gemmPath)
    {
        Name = name;
        _fused = fused;
        GemmPath = Enum.IsDefined(gemmPath) ? gemmPath : throw new ArgumentOutOfRangeException(nameof(gemmPath));
    }

    /// <summary>
    /// A host backend with every fused kernel whose matrix products take <paramref name="gemmPath"/>
    /// (to compare the paths side by side). Its tensors are its own: an op does not mix them with the shared instance's.
    /// </summary>
    public static CpuBackend WithGemm(GemmPath gemmPath) => new("cpu", fused: true, gemmPath);

    /// <summary>
    /// Whether convolutions whose geometry fits (<see cref="PatchMajorColumns.Fits"/>) lay their column
    /// matrix out patch-major; false keeps every convolution position-major, for the tests that hold
    /// one layout to the other.
    /// </summary>
    internal bool PatchMajorConvolutions { get; private init; } = true;

    /// <summary>
    /// A host backend with every fused kernel whose convolutions all take the position-major layout
    /// (to compare the layouts side by side, as <c>bench/Conv</c> does). Its tensors are its own.
    /// </summary>
    public static CpuBackend WithPositionMajorConvolutions() => new("cpu", fused: true, Cpu.Gemm.PathFromEnvironment()) { PatchMajorConvolutions = false };

    public string Name { get; }

    /// <summary>Every kind of composite kernel, except on <c>cpu-composed</c>, which runs the composed ops they are tested against.</summary>
    public T? Kernels<T>() where T : class => _fused ? this as T : null;

    /// <summary>The matrix-product implementation asked for: <see cref="GemmPath.Auto"/> is the managed SIMD kernels; OpenBLAS only by name (VAE_GEMM sets the shared instances').</summary>
    public GemmPath GemmPath { get; }

    /// <summary>The matrix-product implementation that runs.</summary>
    public GemmPath GemmPathInUse => Cpu.Gemm.Resolve(GemmPath);

    /// <summary>True when OpenBLAS was found and loaded.</summary>
    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;

    public Storage Allocate(int length)
    {
        long started = StepProfiler.Start();
        var storage = _pool.TryTake(length);
        if (storage is null) storage = new CpuStorage(length, this);
        else storage.Revive();
        StepProfiler.End(started, ProfiledPrimitive.Allocation);
        return storage;
    }

    public void Recycle(Storage storage)
    {
        long started = StepProfiler.Start();
        _pool.Return((CpuStorage)storage);
        StepProfiler.End(started, ProfiledPrimitive.Allocation);
    }

    /// <summary>Frees the pooled buffers (e.g. after a large one-off job).</summary>
    public void ReleaseCachedMemory() => _pool.Clear();

    internal static float* Ptr(BufferRef r) => ((CpuStorage)r.Storage).Pointer + r.Offset;

    internal static Span<float> Span(BufferRef r, int count) => new(Ptr(r), count);

    public void Upload(ReadOnlySpan<float> source, BufferRef destination) => source.CopyTo(Span(destination, source.Length));

    public void Upload<TState>(BufferRef destination, int count, TState state, SpanAction<float, TState> write) => write(Span(destination, count), state);

    public void Download(BufferRef source, Span<float> destination) => Span(source, destination.Length).CopyTo(destination);

    // Span<float>.Fill runs at about 20 GB/s here, Clear (memset) at about 100: gradients are zeroed
    // every step (20 MB a step for the conv VAE), so a zero fill is a clear. Only +0 is all zero bits.
    public void Fill(BufferRef destination, int count, float value)
    {
        const int Chunk = 64 * 1024;
        if (count < 4 * Chunk)
        {
            FillSpan(Span(destination, count), value);
            return;
        }
        // Gradients are cleared every step: large ones on every thread of the budget.
        var state = new FillChunks(Ptr(destination), count, value);
        CpuParallel.For((count + Chunk - 1) / Chunk, ThreadBudget.Current, state, &FillChunks.Run);
    }

    private readonly struct FillChunks(float* destination, int count, float value)
    {
        private readonly float* _destination = destination;
        private readonly int _count = count;
        private readonly float _value = value;

        public static void Run(int chunk, ref FillChunks s)
        {
            const int Chunk = 64 * 1024;
            int start = chunk * Chunk;
            FillSpan(new Span<float>(s._destination + start, Math.Min(Chunk, s._count - start)), s._value);
        }
    }

    private static void FillSpan(Span<float> span, float value)
    {
        if (BitConverter.SingleToInt32Bits(value) == 0) span.Clear();
        else span.Fill(value);
    }

    public void Copy(BufferRef source, ReadOnlySpan<int> sourceStrides, BufferRef destination, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape, bool accumulate)
    {
        long started = StepProfiler.Start();
        StridedCopy.Run(Ptr(source), sourceStrides, Ptr(destination), destinationStrides, shape, accumulate, ThreadBudget.Current);
        StepProfiler.End(started, ProfiledPrimitive.Copy);
    }

    public void FillRandom(BufferRef destination, int count, RandomDistribution distribution, ulong key, ulong counter)
    {
        // Chunks of whole blocks, so each chunk starts on lane 0; any split gives the same values. A
        // normal value costs a logarithm and a sine or cosine in double precision, so a training
        // batch's noise (128 x 20) is already worth both threads; uniform values go in larger chunks.
        int chunk = distribution == RandomDistribution.Normal ? 512 : 16 * 1024;
        var state = new RandomChunks(Ptr(destination), count, chunk, distribution, key, counter);
        CpuParallel.For((count + chunk - 1) / chunk, count >= 4 * chunk ? ThreadBudget.Current : 1, state, &RandomChunks.Run);
    }

    private readonly struct RandomChunks(float* destination, int count, int chunk, RandomDistribution distribution, ulong key, ulong counter)
    {
        private readonly float* _destination = destination;
        private readonly int _count = count, _chunk = chunk;
        private readonly RandomDistribution _distribution = distribution;
        private readonly ulong _key = key, _counter = counter;

        public static void Run(int chunk, ref RandomChunks s)
        {
            int start = chunk * s._chunk, n = Math.Min(s._chunk, s._count - start);
            Philox.Fill(new Span<float>(s._destination + start, n), start, s._distribution, s._key, s._counter);
        }
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc,
        int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 0);
        if (batch == 1) Cpu.Gemm.Sgemm(transA, transB, m, n, k, alpha, Ptr(a), lda, Ptr(b), ldb, beta, Ptr(c), ldc, ThreadBudget.Current, GemmPath);
        else Cpu.Gemm.Batched(transA, transB, m, n, k, Ptr(a), lda, strideA, Ptr(b), ldb, strideB, beta, Ptr(c), ldc, strideC, batch, ThreadBudget.Current, alpha, GemmPath);
    }
}
