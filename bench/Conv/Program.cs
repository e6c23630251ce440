// Milliseconds of each fused convolution kernel at the conv VAE's shapes and the ResNet's strided
// and 1x1 ones (batch 128), in both
// layouts of the column matrix: patch-major (what the engine uses where AVX-512 and the geometry
// allow) and position-major (the general path). Goes through the public backend API.
// With "winograd" instead, the ResNet's 3x3 stride-1 convolutions (Winograd F(4x4, 3x3)) at its
// three widths.
// Usage: dotnet run -c Release --project bench/Conv [threads, e.g. 1,2] [patch|position|both|winograd]
// Prints one line per measurement: "kernel NAME layout L threads T ms X gflops Y", X being the
// median over 9 timed repetitions of about 40 ms each, after a 300 ms warm-up; GFLOP/s count the
// multiply-adds of a direct convolution.
using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int[] threadCounts = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [1, 2];
string which = args.Length > 1 ? args[1].ToLowerInvariant() : "both";
if (which is not ("patch" or "position" or "both" or "winograd"))
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Conv [threads, e.g. 1,2] [patch|position|both|winograd]");
    return 2;
}
const int Images = 128;
Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs; batch {Images}");
if (which == "winograd")
{
    var backend = CpuBackend.Instance;
    foreach (var (channels, side) in new[] { (64, 32), (128, 16), (256, 8) })
    {
        var random = new Random(42);
        int count = Images * channels * side * side;
        BufferRef x = KernelTiming.Filled(backend, count, random), w = KernelTiming.Filled(backend, channels * channels * 9, random), y = KernelTiming.Filled(backend, count, random);
        BufferRef dy = KernelTiming.Filled(backend, count, random), dx = KernelTiming.Filled(backend, count, random), dw = KernelTiming.Filled(backend, channels * channels * 9, random);
        double flops = 2.0 * count * channels * 9;
        foreach (int threads in threadCounts)
        {
            double forward = Measure(() => backend.Conv3x3Forward(x, w, y, Images, channels, channels, side, side), threads);
            Console.WriteLine($"kernel \"3x3 {channels}x{side} forward\" layout winograd threads {threads} ms {forward:F3} gflops {flops / forward / 1e6:F1}");
            double backward = Measure(() => backend.Conv3x3Backward(x, w, dy, Images, channels, channels, side, side, dx, dw), threads);
            Console.WriteLine($"kernel \"3x3 {channels}x{side} backward\" layout winograd threads {threads} ms {backward:F3} gflops {2 * flops / backward / 1e6:F1}");
        }
    }
    return 0;
}
var layouts = new List<(string Name, CpuBackend Backend)>();
if (which is "both" or "patch") layouts.Add(("patch-major", CpuBackend.Instance));
if (which is "both" or "position") layouts.Add(("position-major", CpuBackend.WithPositionMajorConvolutions()));

// (input channels, side, output channels, kernel, stride, padding, with the transposed adjoint):
// the conv VAE's encoder convolutions, whose adjoints are its decoder's transposed ones (64
// channels at 7x7 back to 32 at 14x14, 32 at 14x14 back to 1 at 28x28); the ResNet's first
// stride-2 3x3 convolution and a 1x1 one of its decoder.
foreach (var (inC, side, outC, k, stride, pad, transposed) in new[]
{
    (1, 28, 32, 4, 2, 1, true), (32, 14, 64, 4, 2, 1, true), (64, 32, 128, 3, 2, 1, false), (128, 16, 64, 1, 1, 0, false),
})
{
    var g = new ConvGeometry(inC, side, side, k, k, stride, stride, pad, pad);
    double flops = 2.0 * Images * outC * g.Positions * g.Patch;
    foreach (var (name, backend) in layouts)
    {
        var random = new Random(42);
        BufferRef x = KernelTiming.Filled(backend, Images * g.ImageSize, random), w = KernelTiming.Filled(backend, outC * g.Patch, random), bias = KernelTiming.Filled(backend, outC, random);
        BufferRef y = KernelTiming.Filled(backend, Images * outC * g.Positions, random), dy = KernelTiming.Filled(backend, Images * outC * g.Positions, random);
        BufferRef dx = KernelTiming.Filled(backend, Images * g.ImageSize, random), dw = KernelTiming.Filled(backend, outC * g.Patch, random), db = KernelTiming.Filled(backend, outC, random);
        // The transposed convolution maps (outC, side/2) back to (inC, side): y and x swap roles.
        BufferRef ty = KernelTiming.Filled(backend, Images * g.ImageSize, random), tdy = KernelTiming.Filled(backend, Images * g.ImageSize, random);
        BufferRef tdx = KernelTiming.Filled(backend, Images * outC * g.Positions, random), tdb = KernelTiming.Filled(backend, inC, random);
        // Gradients as a training step's first contributions: written over what the buffers hold.
        GradientTarget Fresh(BufferRef buffer) => new(buffer, Overwrite: true);
        var kernels = new List<(string Kernel, Action Once)>
        {
            ($"conv {inC}x{side}>{outC} {k}x{k}/{stride} forward", () => backend.ConvForward(x, w, bias, y, Images, outC, g, Activation.Relu, 0f)),
            ($"conv {inC}x{side}>{outC} {k}x{k}/{stride} backward", () => backend.ConvBackward(x, w, y, dy, Images, outC, g, Activation.Relu, 0f, Fresh(dx), Fresh(dw), Fresh(db))),
        };
        if (transposed)
        {
            kernels.Add(($"transposed {outC}>{inC}x{side} forward", () => backend.ConvTransposeForward(y, w, bias, ty, Images, outC, g, Activation.Relu, 0f)));
            kernels.Add(($"transposed {outC}>{inC}x{side} backward", () => backend.ConvTransposeBackward(y, w, ty, tdy, Images, outC, g, Activation.Relu, 0f, Fresh(tdx), Fresh(dw), Fresh(tdb))));
        }
        foreach (var (kernel, once) in kernels)
            foreach (int threads in threadCounts)
            {
                double ms = Measure(once, threads);
                // A backward pass does twice a forward pass's multiply-adds (input and weight gradients).
                double work = kernel.EndsWith("backward") ? 2 * flops : flops;
                Console.WriteLine($"kernel \"{kernel}\" layout {name} threads {threads} ms {ms:F3} gflops {work / ms / 1e6:F1}");
            }
    }
}
return 0;

static double Measure(Action once, int threads)
{
    using var budget = ThreadBudget.Use(threads);
    return KernelTiming.MedianSeconds(once, 300, 20, 40) * 1e3;
}
