// Trains the compact MNIST VAE (784-400-20, batch 128, Adam 1e-3, seed 0) with the engine and
// prints one line per epoch: "epoch N train X test Y seconds S" (mean loss per image in nats;
// S = training seconds of that epoch), then "total_train_seconds T" and "peak_rss_mb M".
using System.Diagnostics;
using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Data;
using Vae.Engine.Diagnostics;
using Vae.Engine.Models;
using Vae.Engine.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: mlp-vae MNIST_DIR [EPOCHS] [THREADS]");
    return 2;
}
string dir = args[0];
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;

ImageDataset train, test;
try
{
    train = Mnist.Load(dir, DatasetSplit.Train);
    test = Mnist.Load(dir, DatasetSplit.Test);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"mlp-vae: cannot read MNIST from {dir}: {e.Message}");
    return 1;
}

// VAE_BACKEND (cpu, cuda, ilgpu-cpu, auto) picks the device; a seed gives the same weights on every one.
var backend = BackendRegistry.FromEnvironment();
var model = ModelRegistry.Create(ModelPresets.CompactVae, seed: 0, backend);
var trainer = new Trainer(model, new TrainingOptions { Epochs = epochs, BatchSize = 128, LearningRate = 1e-3f, Seed = 0, Threads = threads });
Console.WriteLine($"# engine {BackendRegistry.Describe(backend)} threads {threads}");

double total = 0;
long allocatedBefore = 0;
trainer.EpochCompleted = m =>
{
    total += m.Seconds;
    Console.WriteLine($"epoch {m.Epoch} train {m.Train.Loss:F4} test {m.Test.Loss:F4} seconds {m.Seconds:F3}");
    if (m.Epoch == 1) allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
};
// VAE_PROFILE=1: a per-op profile of the training steps after the first two (warm-up: JIT, first allocations).
trainer.BatchCompleted = b =>
{
    if (b.Epoch == 1 && b.Batch == 2) StepProfiler.Begin();
};
trainer.Fit(train, test);
Console.Write(StepProfiler.Report());
long allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
Console.WriteLine($"total_train_seconds {total:F3}");
Console.WriteLine($"peak_rss_mb {PeakRssMb():F1}");
if (epochs > 1)
{
    long steps = (long)(epochs - 1) * ((train.Count + 127) / 128);
    Console.WriteLine($"# managed bytes allocated per training step after epoch 1: {(allocatedAfter - allocatedBefore) / (double)steps:F0} (includes evaluation)");
}
return 0;

static double PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    return double.NaN;
}
