using System.Buffers;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// The engine on an ILGPU accelerator: <c>cuda</c> on an NVIDIA card, or <c>ilgpu-cpu</c>, ILGPU's CPU
/// accelerator, which runs the very same kernels with the GPU's execution model and is how they are
/// tested on machines without a card. Kernels run in order on the accelerator's default stream,
/// asynchronously: only <see cref="Download"/> (and an upload, whose source may go away) waits for
/// them, so a training step that reads nothing back runs without a pause for the host. Device
/// memory is pooled by size, so after warm-up a training step allocates nothing on the device.
/// Matrix products run on cuBLAS where libcublas loads, else on the tiled kernel (<see cref="GemmPath"/>).
/// </summary>
public sealed partial class IlgpuBackend : IBackend, IDisposable,
    IDenseKernels, ILossKernels, ILatentKernels, IBatchNormKernels, IUpsampleKernels, IOptimizerKernels
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<float, Stride1D.Dense>>> _pool = [];
    // ILGPU streams are not meant to be fed from several threads at once; requests and training may be.
    private readonly Lock _launch = new();
    // Page-locked copies of uploads in flight: a training step uploads a batch (and its labels), and the
    // losses are read back every 16 steps, so 64 slots never make a step wait.
    private readonly PageLockedArray1D<float>?[] _staging = new PageLockedArray1D<float>?[64];
    private int _staged;

    private readonly Action<Index1D, ArrayView<float>, float> _fill;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, float> _unary;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _unaryBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _binarySame;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastPlan> _binaryBroadcast;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _binaryBackwardSame;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastPlan, int> _binaryGradient;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, CopyPlan> _copy;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> _reduce;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, int> _tiledGemm;
    private readonly CuBlas? _cuBlas;
    // Threads per side of a GEMM group: 16 x 16 on a GPU; as many as the CPU accelerator's groups hold there.
    private readonly int _gemmSide;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ConvArgs> _im2col;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ConvArgs> _col2im;
    private readonly Action<Index1D, ArrayView<float>, int, int, ulong, ulong> _random;

    private IlgpuBackend(string name, Context context, Accelerator accelerator, CuBlas? cuBlas = null)
    {
        Name = name;
        _cuBlas = cuBlas;
        _context = context;
        _accelerator = accelerator;
        _stream = accelerator.DefaultStream;
        _fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(IlgpuKernels.Fill);
        _unary = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float>(IlgpuKernels.Unary);
        _unaryBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(IlgpuKernels.UnaryBackward);
        _binarySame = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(IlgpuKernels.BinarySame);
        _binaryBroadcast = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastPlan>(IlgpuKernels.BinaryBroadcast);
        _binaryBackwardSame = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(IlgpuKernels.BinaryBackwardSame);
        _binaryGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastPlan, int>(IlgpuKernels.BinaryGradient);
        _copy = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, CopyPlan>(IlgpuKernels.Copy);
        _reduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(IlgpuKernels.Reduce);
        _tiledGemm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, int>(IlgpuGroupKernels.TiledGemm);
        _gemmSide = accelerator.MaxNumThreadsPerGroup >= 256 ? 16 : (int)Math.Sqrt(accelerator.MaxNumThreadsPerGroup);
        _im2col = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvArgs>(IlgpuKernels.Im2Col);
        _col2im = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvArgs>(IlgpuKernels.Col2Im);
        _random = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, int, ulong, ulong>(IlgpuKernels.Random);
        LoadFusedKernels();
        if (_cuBlas is not null) _cuBlas.Stream = (CudaStream)_stream;
    }

    public const string CpuName = "ilgpu-cpu";
    public const string CudaName = "cuda";

    /// <summary>
    /// ILGPU's CPU accelerator: the GPU kernels run on this machine, one group at a time. Each thread of
    /// a group is a thread of the machine meeting the others at every barrier, so groups of two (the
    /// smallest it allows) run several times faster than its default of sixteen. One multiprocessor:
    /// with one per core, groups ran side by side and a gradient check now and then read a stale
    /// value, which one at a time has not shown. The GPU's group sizes are tested separately
    /// (<see cref="CreateCpuWithGpuGroups"/>).
    /// </summary>
    public static IlgpuBackend CreateCpu()
    {
        var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 2, numWarpsPerMultiprocessor: 1, numMultiprocessors: 1)).EnableAlgorithms());
        return new IlgpuBackend(CpuName, context, context.CreateCPUAccelerator(0));
    }

    /// <summary>
    /// ILGPU's CPU accelerator with groups of up to 256 threads, as on a GPU, so the kernels run with
    /// the GPU's group sizes (16 x 16 GEMM tiles of 64 x 64, 256-thread reductions). Each group is that
    /// many threads meeting at every barrier, which is slow on a CPU: for tests of small problems.
    /// </summary>
    internal static IlgpuBackend CreateCpuWithGpuGroups()
    {
        var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1)).EnableAlgorithms());
        return new IlgpuBackend(CpuName, context, context.CreateCPUAccelerator(0));
    }

    /// <summary>The first CUDA device; null when there is none (no card, or no NVIDIA driver), with the reason.</summary>
    public static IlgpuBackend? TryCreateCuda(out string? whyNot)
    {
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().EnableAlgorithms());
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                whyNot = "no CUDA device answers (no NVIDIA card or driver here)";
                context.Dispose();
                return null;
            }
            whyNot = null;
            var accelerator = context.CreateCudaAccelerator(0);
            return new IlgpuBackend(CudaName, context, accelerator, TryCuBlas(accelerator));
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException or CudaException)
        {
            whyNot = $"CUDA could not be started: {e.Message}";
            context?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// cuBLAS on this device, unless VAE_DEVICE_GEMM=tiled asks for the tiled kernel; null when libcublas
    /// does not load (it comes with the CUDA toolkit or the cuBLAS runtime package, not with the driver).
    /// </summary>
    private static CuBlas? TryCuBlas(CudaAccelerator accelerator)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("VAE_DEVICE_GEMM")?.Trim(), "tiled", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            return new CuBlas(accelerator);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or CudaException or InvalidOperationException)
        {
            return null;
        }
    }

    public string Name { get; }

    /// <summary>Which matrix products run: <c>cublas</c> or <c>tiled</c> (the shared-memory kernel).</summary>
    public string GemmPath => _cuBlas is null ? "tiled" : "cublas";

    public bool IsGpu => Name == CudaName;

    /// <summary>Losses come back every 16 batches: the host waits for the device once per 16 steps, not once per step.</summary>
    public int LossReadbackInterval => 16;

    /// <summary>The device in words, as ILGPU names it.</summary>
    public string Device => _accelerator.Name;

    // ---- memory ----

    private static long Bucket(int length) => length <= 256 ? 256 : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length);

    public Storage Allocate(int length)
    {
        long size = Bucket(length);
        lock (_pool)
        {
            if (_pool.TryGetValue(size, out var free) && free.Count > 0) return new IlgpuStorage(length, free.Pop(), this);
        }
        return new IlgpuStorage(length, _accelerator.Allocate1D<float>(size), this);
    }

    public void Recycle(Storage storage)
    {
        var buffer = ((IlgpuStorage)storage).Buffer;
        lock (_pool)
        {
            if (!_pool.TryGetValue(buffer.Length, out var free)) _pool[buffer.Length] = free = new();
            free.Push(buffer);
        }
    }

    public void ReleaseCachedMemory()
    {
        lock (_pool)
        {
            foreach (var free in _pool.Values)
                while (free.Count > 0) free.Pop().Dispose();
            _pool.Clear();
        }
    }

    private static ArrayView<float> View(BufferRef r)
    {
        var buffer = ((IlgpuStorage)r.Storage).Buffer;
        return buffer.View.SubView(r.Offset, buffer.Length - r.Offset);
    }

    /// <summary>
    /// Copies the values into a page-locked staging buffer of a ring and queues the transfer from it,
    /// without waiting: the caller's span may go away, the staging copy stays until the stream has
    /// passed it. Every wait for the stream frees the whole ring; a ring used up before one waits first.
    /// </summary>
    public unsafe void Upload(ReadOnlySpan<float> source, BufferRef destination)
    {
        fixed (float* values = source)
        {
            Upload(destination, source.Length, (nint)values, static (staged, from) => new ReadOnlySpan<float>((float*)from, staged.Length).CopyTo(staged));
        }
    }

    /// <summary>
    /// As <see cref="Upload(ReadOnlySpan{float}, BufferRef)"/>, <paramref name="write"/> writing the values
    /// straight into the staging buffer: data converted as it is loaded crosses host memory once.
    /// </summary>
    public void Upload<TState>(BufferRef destination, int count, TState state, SpanAction<float, TState> write)
    {
        if (count == 0) return;
        lock (_launch)
        {
            if (_staged == _staging.Length) Synchronize();
            // The CPU accelerator copies at once rather than in the stream's order: a buffer taken back
            // from the pool may still be read by a kernel in flight, so that kernel must end first.
            if (!IsGpu) _stream.Synchronize();
            ref var slot = ref _staging[_staged++];
            if (slot is null || slot.Length < count)
            {
                slot?.Dispose();
                slot = _accelerator.AllocatePageLocked1D<float>(Math.Max(count, 1024));
            }
            write(slot.Span[..count], state);
            View(destination).SubView(0, count).CopyFromCPUUnsafeAsync(_stream, ref MemoryMarshal.GetReference(slot.Span), count);
            // Nor does it order a kernel launched next after this copy: it ends here.
            if (!IsGpu) _stream.Synchronize();
        }
    }

    public unsafe void Download(BufferRef source, Span<float> destination)
    {
        if (destination.IsEmpty) return;
        lock (_launch)
        {
            // Everything queued before ends first, so the copy reads what those kernels wrote (the CPU
            // accelerator copies at once rather than in the stream's order).
            Synchronize();
            // The copy writes through a bare reference: a managed array must not move while it does
            // (a garbage collection that compacted it mid-copy left the values in its old place).
            fixed (float* pinned = destination)
            {
                View(source).SubView(0, destination.Length).CopyToCPU(_stream, ref *pinned, destination.Length);
                _stream.Synchronize();
            }
        }
    }

    /// <summary>Waits for everything queued; the staging ring is free again after it.</summary>
    private void Synchronize()
    {
        _stream.Synchronize();
        _staged = 0;
    }

    /// <summary>How many uploads have been queued since the stream was last waited for (the staging ring's next slot).</summary>
    internal int PendingUploads => _staged;

    public void Fill(BufferRef destination, int count, float value)
    {
        if (count == 0) return;
        lock (_launch) _fill(count, View(destination), value);
    }

    public void Copy(BufferRef source, ReadOnlySpan<int> sourceStrides, BufferRef destination, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape, bool accumulate)
    {
        Span<int> keptShape = stackalloc int[shape.Length], keptSource = stackalloc int[shape.Length], keptDestination = stackalloc int[shape.Length];
        Span<int> foldedShape = stackalloc int[shape.Length], foldedSource = stackalloc int[shape.Length];
        int kept = 0, folded = 0, threads = 1, foldedCount = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return;
            if (shape[d] == 1) continue;
            if (destinationStrides[d] == 0)
            {
                foldedShape[folded] = shape[d];
                foldedSource[folded++] = sourceStrides[d];
                foldedCount *= shape[d];
            }
            else
            {
                keptShape[kept] = shape[d];
                keptSource[kept] = sourceStrides[d];
                keptDestination[kept++] = destinationStrides[d];
                threads *= shape[d];
            }
        }
        var plan = new CopyPlan
        {
            KeptShape = Dims.Of(keptShape[..kept]), KeptSource = Dims.Of(keptSource[..kept]), KeptDestination = Dims.Of(keptDestination[..kept]),
            FoldedShape = Dims.Of(foldedShape[..folded]), FoldedSource = Dims.Of(foldedSource[..folded]),
            KeptRank = kept, FoldedRank = folded, FoldedCount = foldedCount, Accumulate = accumulate ? 1 : 0,
        };
        lock (_launch) _copy(threads, View(source), View(destination), plan);
    }

    // ---- maps ----

    public void Unary(UnaryKind kind, float alpha, BufferRef x, BufferRef y, int count)
    {
        if (count == 0) return;
        lock (_launch) _unary(count, View(x), View(y), (int)kind, alpha);
    }

    public void UnaryBackward(UnaryKind kind, float alpha, BufferRef x, BufferRef y, BufferRef dy, BufferRef dx, int count)
    {
        if (count == 0 || kind == UnaryKind.Step) return;
        lock (_launch) _unaryBackward(count, View(x), View(y), View(dy), View(dx), (int)kind, alpha);
    }

    private static BroadcastPlan PlanOf(BinaryKind kind, BroadcastShape shape) => new()
    {
        Shape = Dims.Of(shape.Shape), StridesA = Dims.Of(shape.StridesA), StridesB = Dims.Of(shape.StridesB), Rank = shape.Shape.Length, Kind = (int)kind,
    };

    public void Binary(BinaryKind kind, BufferRef a, BufferRef b, BufferRef y, BroadcastShape shape)
    {
        if (shape.Count == 0) return;
        lock (_launch)
        {
            if (shape.SameShape) _binarySame(shape.Count, View(a), View(b), View(y), (int)kind);
            else _binaryBroadcast(shape.Count, View(a), View(b), View(y), PlanOf(kind, shape));
        }
    }

    public void BinaryBackward(BinaryKind kind, BufferRef a, BufferRef b, BufferRef dy, BufferRef? da, BufferRef? db, BroadcastShape shape)
    {
        if (kind == BinaryKind.Equal || shape.Count == 0 || (da is null && db is null)) return;
        if (shape.SameShape)
        {
            int which = (da is null ? 0 : 1) | (db is null ? 0 : 2);
            lock (_launch) _binaryBackwardSame(shape.Count, View(a), View(b), View(dy), View(da ?? dy), View(db ?? dy), (int)kind, which);
            return;
        }
        // Each side's gradient per output element, then folded into the operand along its broadcast dimensions.
        var plan = PlanOf(kind, shape);
        var gradient = Allocate(shape.Count);
        try
        {
            var contiguous = ContiguousStrides(shape.Shape);
            foreach (var (target, strides, right) in new[] { (da, shape.StridesA, 0), (db, shape.StridesB, 1) })
            {
                if (target is not { } t) continue;
                lock (_launch) _binaryGradient(shape.Count, View(a), View(b), View(dy), View(new BufferRef(gradient, 0)), plan, right);
                Copy(new BufferRef(gradient, 0), contiguous, t, strides, shape.Shape, accumulate: true);
            }
        }
        finally
        {
            Recycle(gradient);
        }
    }

    private static int[] ContiguousStrides(int[] shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= shape[i];
        }
        return strides;
    }

    // ---- reductions, products, convolution layout, random numbers ----

    public void Reduce(ReduceKind kind, BufferRef x, BufferRef y, int outer, int size, int inner)
    {
        if (size == 0)
        {
            if (kind != ReduceKind.Sum) throw new ArgumentException($"{kind} over an empty dimension has no value.");
            Fill(y, outer * inner, 0f);
            return;
        }
        if (outer * inner == 0) return;
        lock (_launch) _reduce(outer * inner, View(x), View(y), (int)kind, size, inner);
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, BufferRef a, int lda, BufferRef b, int ldb, float beta, BufferRef c, int ldc,
        int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0)
    {
        if (m == 0 || n == 0 || batch == 0) return;
        var args = new GemmArgs
        {
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            Alpha = alpha, Beta = beta, StrideA = strideA, StrideB = strideB, StrideC = strideC,
        };
        lock (_launch)
        {
            if (_cuBlas is not null)
            {
                CuBlasGemm(args, View(a), View(b), View(c), batch);
                return;
            }
            int tile = 4 * _gemmSide, tiles = ((m + tile - 1) / tile) * ((n + tile - 1) / tile);
            if (strideC == 0 && batch > 1)
            {
                // Every product adds into one C: one launch each, in order, so no two groups write an element at once.
                for (int p = 0; p < batch; p++)
                    _tiledGemm(new KernelConfig(tiles, _gemmSide * _gemmSide), View(a).SubView(p * strideA), View(b).SubView(p * strideB), View(c), args with { StrideA = 0, StrideB = 0 }, _gemmSide);
                return;
            }
            _tiledGemm(new KernelConfig(batch * tiles, _gemmSide * _gemmSide), View(a), View(b), View(c), args, _gemmSide);
        }
    }

    /// <summary>
    /// The row-major product through column-major cuBLAS: C^T = op(B)^T op(A)^T, so B goes first, with
    /// m and n swapped and the same transposes. One call per problem of a batch, in order.
    /// </summary>
    private void CuBlasGemm(GemmArgs g, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batch)
    {
        var opA = g.TransA != 0 ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        var opB = g.TransB != 0 ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        for (int p = 0; p < batch; p++)
            _cuBlas!.Gemm(opB, opA, g.N, g.M, g.K, g.Alpha, b.SubView(p * g.StrideB), g.Ldb, a.SubView(p * g.StrideA), g.Lda, g.Beta, c.SubView(p * g.StrideC), g.Ldc);
    }

    public void Im2Col(BufferRef images, int count, in ConvGeometry g, BufferRef columns, float padValue = 0f)
    {
        int total = count * g.ColumnSize;
        if (total == 0) return;
        lock (_launch) _im2col(total, View(images), View(columns), ConvArgs.Of(g, padValue));
    }

    public void Col2Im(BufferRef columns, int count, in ConvGeometry g, BufferRef images)
    {
        int total = count * g.ImageSize;
        if (total == 0) return;
        lock (_launch) _col2im(total, View(columns), View(images), ConvArgs.Of(g, 0f));
    }

    public void FillRandom(BufferRef destination, int count, RandomDistribution distribution, ulong key, ulong counter)
    {
        if (count == 0) return;
        lock (_launch) _random((count + 3) / 4, View(destination), count, distribution == RandomDistribution.Normal ? 1 : 0, key, counter);
    }

    public void Dispose()
    {
        ReleaseCachedMemory();
        _cuBlas?.Dispose();
        _partials.Dispose();
        foreach (var slot in _staging) slot?.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }
}
