using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends.Ilgpu;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Backends;

/// <summary>The ILGPU backend's own promises, beyond the shared op suites it runs like every backend.</summary>
public class IlgpuBackendTests
{
    [Fact]
    public void Every_kernel_of_the_cuda_backend_compiles_to_ptx_for_sm_90()
    {
        var ptx = PtxCompilation.CompileAll();

        Assert.Equal(IlgpuKernels.EntryPoints.Concat(IlgpuGroupKernels.EntryPoints).Select(k => k.Name).Order(), ptx.Keys.Order());
        Assert.True(ptx.Count >= 27, $"only {ptx.Count} kernels found");
        // The grouped kernels really use shared memory and barriers on the GPU.
        Assert.Contains(".shared", ptx["TiledGemm"]);
        Assert.Contains("bar.sync", ptx["BatchNormForward"]);
        // Asked for sm_90 with PTX ISA 8.8, ILGPU 1.5.3 writes ".target sm_80" (the newest target its
        // generator names); the driver compiles that PTX for the card it runs on, an H100 included.
        Assert.All(ptx, p =>
        {
            Assert.Contains(".version 8.8", p.Value);
            Assert.Matches(@"\.target sm_[89]0", p.Value);
            Assert.Contains($".entry Kernel_{p.Key}(", p.Value);
        });
    }

    [Fact]
    public void Random_fills_match_the_cpu_stream_value_for_value()
    {
        var gpu = BackendRegistry.Find(IlgpuBackend.CpuName);
        foreach (var distribution in new[] { RandomDistribution.Uniform, RandomDistribution.Normal })
        {
            var expected = new float[1001];
            Philox.Fill(expected, 0, distribution, key: 0x1234_5678_9abc, counter: 77);
            var storage = gpu.Allocate(expected.Length);
            gpu.FillRandom(new BufferRef(storage, 0), expected.Length, distribution, 0x1234_5678_9abc, 77);
            var actual = new float[expected.Length];
            gpu.Download(new BufferRef(storage, 0), actual);
            gpu.Recycle(storage);

            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1, Math.Abs(expected[i])), $"{distribution} value {i}: {actual[i]} against {expected[i]}");
        }
    }

    [Fact]
    public void Device_memory_is_reused_after_warm_up()
    {
        var gpu = BackendRegistry.Find(IlgpuBackend.CpuName);
        var first = gpu.Allocate(1000);
        var buffer = ((IlgpuStorage)first).Buffer;
        gpu.Recycle(first);

        var second = gpu.Allocate(700); // the same size class (1024)
        Assert.Same(buffer, ((IlgpuStorage)second).Buffer);
        Assert.Equal(700, second.Length);
        gpu.Recycle(second);
    }

    [Fact]
    public void Cuda_is_listed_as_unavailable_with_the_reason_when_no_device_answers()
    {
        if (BackendRegistry.TryFind(IlgpuBackend.CudaName) is not null) return; // a machine with a card: nothing to say
        Assert.Contains(IlgpuBackend.CudaName, BackendRegistry.Unavailable.Keys);
        var e = Assert.Throws<ArgumentException>(() => BackendRegistry.Find("cuda"));
        Assert.Contains("cannot run here", e.Message);
    }

    [Fact]
    public void It_offers_the_fused_kernels_that_pay_off_on_a_gpu_and_leaves_3x3_convolutions_to_im2col()
    {
        var gpu = BackendRegistry.Find(IlgpuBackend.CpuName);
        Assert.NotNull(gpu.Kernels<IDenseKernels>());
        Assert.NotNull(gpu.Kernels<ILossKernels>());
        Assert.NotNull(gpu.Kernels<ILatentKernels>());
        Assert.NotNull(gpu.Kernels<IBatchNormKernels>());
        Assert.NotNull(gpu.Kernels<IUpsampleKernels>());
        Assert.NotNull(gpu.Kernels<IOptimizerKernels>());
        Assert.Null(gpu.Kernels<IConv3x3Kernels>());
        Assert.Contains("gemm tiled", BackendRegistry.Describe(gpu)); // no cuBLAS on a CPU accelerator
    }

    /// <summary>Shapes around the tile edges (16 on the CPU accelerator), with every transpose, batches, and a shared C.</summary>
    [Theory]
    [InlineData(false, false, 1, 1, 1, 1, 0L, 0f)]
    [InlineData(false, true, 17, 33, 20, 1, 0L, 0f)]
    [InlineData(true, false, 16, 16, 16, 1, 0L, 0.5f)]
    [InlineData(true, true, 31, 5, 47, 1, 0L, 1f)]
    [InlineData(false, false, 9, 18, 40, 3, -1L, 0f)]  // batched: each problem its own C
    [InlineData(true, false, 12, 7, 30, 4, 0L, 1f)]    // every problem adds into one C (a weight gradient over images)
    public void The_tiled_matrix_product_matches_the_cpu(bool transA, bool transB, int m, int n, int k, int batch, long strideC, float beta)
        => TiledProductMatches(BackendRegistry.Find(IlgpuBackend.CpuName), transA, transB, m, n, k, batch, strideC, beta);

    /// <summary>The same kernels with a GPU's group sizes: 64 x 64 tiles, so these shapes straddle their edges.</summary>
    [Theory]
    [InlineData(false, true, 65, 70, 33, 1, 0L, 0f)]
    [InlineData(true, false, 64, 64, 17, 2, -1L, 0.5f)]
    [InlineData(true, true, 3, 130, 20, 2, 0L, 1f)]
    public void The_tiled_matrix_product_with_gpu_group_sizes_matches_the_cpu(bool transA, bool transB, int m, int n, int k, int batch, long strideC, float beta)
        => TiledProductMatches(GpuGroups.Value, transA, transB, m, n, k, batch, strideC, beta);

    [Fact]
    public void Losses_and_batch_norm_with_gpu_group_sizes_match_the_cpu()
    {
        var gpu = GpuGroups.Value;
        var rng = new Random(9);
        float[] x = Values(rng, 3 * 5 * 70), t = [.. Values(rng, 3 * 5 * 70).Select(v => (v + 1) / 2)];
        float[] Run(IBackend backend, out float[] gradient)
        {
            var xs = Init.Parameter([3, 5, 7, 10], x, backend);
            var norm = new BatchNorm(5, backend, activation: Activation.Relu);
            var loss = F.BinaryCrossEntropyWithLogits(norm.Forward(xs), Tensor.FromArray(t, [3, 5, 7, 10], backend), Reduction.Sum);
            loss.Backward();
            gradient = xs.Grad!.ToArray();
            return [loss.Item(), .. norm.NamedState().SelectMany(s => s.Tensor.ToArray())];
        }
        float[] expected = Run(CpuBackend.Instance, out var expectedGradient), actual = Run(gpu, out var actualGradient);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"value {i}: {actual[i]} against {expected[i]}");
        for (int i = 0; i < expectedGradient.Length; i++)
            Assert.True(Math.Abs(expectedGradient[i] - actualGradient[i]) <= 1e-4f * (1 + Math.Abs(expectedGradient[i])), $"gradient {i}: {actualGradient[i]} against {expectedGradient[i]}");
    }

    private static readonly Lazy<IlgpuBackend> GpuGroups = new(IlgpuBackend.CreateCpuWithGpuGroups);

    private static void TiledProductMatches(IBackend gpu, bool transA, bool transB, int m, int n, int k, int batch, long strideC, float beta)
    {
        var cpu = CpuBackend.WithGemm(GemmPath.Managed);
        var rng = new Random(5);
        long strideA = (long)m * k, strideB = (long)k * n;
        if (strideC < 0) strideC = (long)m * n;
        float[] a = Values(rng, (int)strideA * batch), b = Values(rng, (int)strideB * batch), c = Values(rng, (int)Math.Max(strideC * batch, m * n));
        int lda = transA ? m : k, ldb = transB ? k : n;

        float[] Run(IBackend backend)
        {
            var buffers = new[] { a, b, c }.Select(v =>
            {
                var r = new BufferRef(backend.Allocate(v.Length), 0);
                backend.Upload(v, r);
                return r;
            }).ToArray();
            backend.Gemm(transA, transB, m, n, k, 0.75f, buffers[0], lda, buffers[1], ldb, beta, buffers[2], n, batch, strideA, strideB, strideC);
            var result = new float[c.Length];
            backend.Download(buffers[2], result);
            foreach (var r in buffers) backend.Recycle(r.Storage);
            return result;
        }

        float[] expected = Run(cpu), actual = Run(gpu);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: {actual[i]} against {expected[i]}");
    }

    private static float[] Values(Random rng, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1))];

    [Fact]
    public void Uploads_are_queued_without_waiting_and_the_staging_ring_never_overwrites_one_in_flight()
    {
        var gpu = (IlgpuBackend)BackendRegistry.Find(IlgpuBackend.CpuName);
        gpu.Download(new BufferRef(gpu.Allocate(1), 0), new float[1]); // start from a waited-for stream
        var targets = Enumerable.Range(0, 150).Select(_ => new BufferRef(gpu.Allocate(300), 0)).ToArray();
        int most = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var values = Enumerable.Range(0, 300).Select(j => (float)(i * 1000 + j)).ToArray();
            gpu.Upload(values, targets[i]);
            Array.Clear(values); // the caller's array may change at once: the queued copy must not see it
            most = Math.Max(most, gpu.PendingUploads);
        }
        Assert.True(most > 1, "every upload waited for the stream");
        for (int i = 0; i < targets.Length; i++)
        {
            var back = new float[300];
            gpu.Download(targets[i], back);
            Assert.Equal(Enumerable.Range(0, 300).Select(j => (float)(i * 1000 + j)), back);
            gpu.Recycle(targets[i].Storage);
        }
    }
}
