// GFLOP/s of the managed and OpenBLAS GEMM paths at the shapes of the 784-400-20 VAE, batch 128:
// forward Y = X W^T (NT, beta 0), weight gradient dW += dY^T X (TN), input gradient dX += dY W (NN).
// Goes through the public backend API, as the engine's ops do.
// Usage: dotnet run -c Release --project bench/Gemm [threads, e.g. 1,2] [managed|openblas|both]
//        dotnet run -c Release --project bench/Gemm [threads] digits MNIST_DIR
// Prints one line per measurement: "shape MxNxK trans path threads gflops X", X being the median
// over 9 timed repetitions of about 20 ms each, after a 200 ms warm-up.
// "digits" times the first dense layer's two products on real MNIST batches instead of random
// values: the forward x W^T and the weight gradient dz^T x with a third of the units dead, where
// the managed path skips zero steps and rows; X counts the dense FLOPs, so it is the effective
// rate. VAE_GEMM_ZERO_STEPS=0 gives the same run without skipping.
using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Data;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int[] threadCounts = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [1, 2];
string which = args.Length > 1 ? args[1].ToLowerInvariant() : "both";

if (which == "digits")
{
    if (args.Length < 3)
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Gemm THREADS digits MNIST_DIR");
        return 2;
    }
    var digits = Mnist.Load(args[2], DatasetSplit.Train);
    Console.WriteLine($"# real digits; VAE_GEMM_ZERO_STEPS={Environment.GetEnvironmentVariable("VAE_GEMM_ZERO_STEPS") ?? "(unset: skipping)"}");
    foreach (int threads in threadCounts)
    {
        Console.WriteLine($"shape 128x400x784 NT digits {threads} gflops {MeasureDigits(digits, threads, weightGradient: false):F1}");
        Console.WriteLine($"shape 400x784x128 TN digits {threads} gflops {MeasureDigits(digits, threads, weightGradient: true):F1}");
    }
    return 0;
}

var paths = new List<GemmPath>();
if (which is "both" or "managed") paths.Add(GemmPath.Managed);
if (which is "both" or "openblas")
{
    if (CpuBackend.OpenBlasAvailable) paths.Add(GemmPath.OpenBlas);
    else Console.WriteLine("# OpenBLAS not available: only the managed path is measured");
}

(int M, int N, int K, string Trans)[] shapes =
[
    (128, 400, 784, "NT"), (128, 784, 400, "NT"), (128, 20, 400, "NT"), (128, 400, 20, "NT"),
    (400, 784, 128, "TN"), (784, 400, 128, "TN"), (20, 400, 128, "TN"), (400, 20, 128, "TN"),
    (128, 784, 400, "NN"), (128, 400, 20, "NN"), (128, 20, 400, "NN"),
    // Serving a grid of 64 samples: the decoder's output layer with its weight as stored (NT) and transposed (NN).
    (64, 784, 400, "NT"), (64, 784, 400, "NN"), (64, 400, 20, "NT"), (64, 400, 20, "NN"),
    // Serving one code or a few: dot products against the weight as stored, row sums of it transposed.
    (1, 784, 400, "NT"), (1, 784, 400, "NN"), (3, 784, 400, "NT"), (3, 784, 400, "NN"),
    (7, 784, 400, "NT"), (7, 784, 400, "NN"), (1, 400, 20, "NT"), (1, 400, 20, "NN"),
    // A weight gradient of a convolution to 3 channels (the ResNet's last): few rows, a long k.
    (3, 576, 4096, "NN"),
];

Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs; OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}");
foreach (var (m, n, k, trans) in shapes)
{
    foreach (GemmPath path in paths)
    {
        foreach (int threads in threadCounts)
        {
            double gflops = Measure(m, n, k, trans[0] == 'T', trans[1] == 'T', path, threads);
            Console.WriteLine($"shape {m}x{n}x{k} {trans} {path.ToString().ToLowerInvariant()} {threads} gflops {gflops:F1}");
        }
    }
}
return 0;

static double Measure(int m, int n, int k, bool transA, bool transB, GemmPath path, int threads)
{
    IBackend backend = CpuBackend.WithGemm(path);
    var random = new Random(42);
    BufferRef a = KernelTiming.Filled(backend, m * k, random), b = KernelTiming.Filled(backend, k * n, random), c = KernelTiming.Filled(backend, m * n, random);
    int lda = transA ? m : k, ldb = transB ? k : n;
    float beta = transA || !transB ? 1f : 0f; // gradients accumulate, the forward pass overwrites

    using var budget = ThreadBudget.Use(threads);
    // With beta = 1 the sums grow by about one unit per call: far from overflow in this run.
    double seconds = KernelTiming.MedianSeconds(() => backend.Gemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, n), 200, 5, 20);
    foreach (BufferRef buffer in new[] { a, b, c }) backend.Recycle(buffer.Storage);
    return 2.0 * m * n * k / seconds / 1e9;
}

// The first dense layer of the 784-400-20 VAE on eight batches of 128 digits in turn: y = x W^T, or
// dW = dz^T x with dz zero for a third of the 400 units (dead ReLUs) and half the rest (inactive ones).
static double MeasureDigits(ImageDataset digits, int threads, bool weightGradient)
{
    IBackend backend = CpuBackend.WithGemm(GemmPath.Managed);
    var random = new Random(42);
    const int Rows = 128, Units = 400, Pixels = 784, Batches = 8;
    var batches = new BufferRef[Batches];
    var x = new float[Rows * Pixels];
    for (int i = 0; i < Batches; i++)
    {
        digits.CopyBatch(Enumerable.Range(0, Rows).Select(_ => random.Next(digits.Count)).ToArray(), x);
        batches[i] = new BufferRef(backend.Allocate(x.Length), 0);
        backend.Upload(x, batches[i]);
    }
    var dz = new float[Rows * Units];
    for (int r = 0; r < Rows; r++)
    for (int u = 0; u < Units; u++)
        dz[r * Units + u] = u % 3 == 0 || random.Next(2) == 0 ? 0f : (float)random.NextDouble() - 0.5f;
    var gradient = new BufferRef(backend.Allocate(dz.Length), 0);
    backend.Upload(dz, gradient);
    BufferRef weight = KernelTiming.Filled(backend, Units * Pixels, random), output = KernelTiming.Filled(backend, Units * Pixels, random);

    using var budget = ThreadBudget.Use(threads);
    int next = 0;
    double seconds = KernelTiming.MedianSeconds(() =>
    {
        BufferRef batch = batches[next++ % Batches];
        if (weightGradient) backend.Gemm(true, false, Units, Pixels, Rows, 1f, gradient, Units, batch, Pixels, 0f, output, Pixels);
        else backend.Gemm(false, true, Rows, Units, Pixels, 1f, batch, Pixels, weight, Pixels, 0f, output, Units);
    }, 200, 5, 20);
    foreach (BufferRef buffer in batches.Append(gradient).Append(weight).Append(output)) backend.Recycle(buffer.Storage);
    return 2.0 * Rows * Units * Pixels / seconds / 1e9;
}
