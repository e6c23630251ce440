// Trains one of the engine's model families the way its PyTorch peer in shared/peers does, and
// prints what the peers print, one line per epoch: "epoch N train X test Y seconds S images M"
// (mean loss per image in nats; S = training seconds of the epoch, M = images trained on), then
// "seconds_per_batch B", "total_train_seconds T" and "peak_rss_mb R".
//
// usage: model-training conv MNIST_DIR [EPOCHS] [MAX_BATCHES] [BATCH] [THREADS]
//        model-training resnet CIFAR_DIR [EPOCHS] [MAX_BATCHES] [BATCH] [THREADS]
using System.Diagnostics;
using System.Globalization;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Data;
using Vae.Engine.Diagnostics;
using Vae.Engine.Models;
using Vae.Engine.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 2 || args[0] is not ("conv" or "resnet"))
{
    Console.Error.WriteLine("usage: model-training conv|resnet DATA_DIR [EPOCHS] [MAX_BATCHES] [BATCH] [THREADS]");
    return 2;
}
string family = args[0], dir = args[1];
int Arg(int i, int fallback) => args.Length > i && args[i] != "-" ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
int epochs = Arg(2, family == "conv" ? 3 : 1);
int maxBatches = Arg(3, int.MaxValue);
int batch = Arg(4, 128);
int threads = Arg(5, Environment.ProcessorCount);

ImageDataset train, test;
try
{
    (train, test) = family == "conv"
        ? (Mnist.Load(dir, DatasetSplit.Train), Mnist.Load(dir, DatasetSplit.Test))
        : (Cifar10.Load(dir, DatasetSplit.Train), Cifar10.Load(dir, DatasetSplit.Test));
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"model-training: cannot read the {family} dataset from {dir}: {e.Message}");
    return 1;
}

// As the peers, each epoch trains on the first MAX_BATCHES batches of that epoch's shuffle of the
// whole training set. The ResNet peer then evaluates on 1000 test images, the conv peer on all.
bool limited = maxBatches != int.MaxValue;
if (limited && family == "resnet") test = test.Take(1000);

// BENCH_SEED picks another seed (weights, shuffling and noise), to see run-to-run spread.
ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("BENCH_SEED"), out var s) ? s : 0;
ModelConfig config = family == "conv" ? ModelPresets.ConvVae : ModelPresets.ResNetVae;
// VAE_BACKEND (cpu, cuda, ilgpu-cpu, auto) picks the device; a seed gives the same weights on every one.
var backend = BackendRegistry.FromEnvironment();
var model = ModelRegistry.Create(config, seed, backend);
var options = TrainingOptions.For(config) with
{
    Epochs = epochs, BatchSize = batch, Seed = seed, Threads = threads, EvaluationBatchSize = family == "conv" ? 1000 : 500,
    MaxBatchesPerEpoch = limited ? maxBatches : 0,
};
var trainer = new Trainer(model, options);
Console.WriteLine($"# engine {BackendRegistry.Describe(backend)} threads {threads} " +
                  $"family {family} params {model.ParameterCount()} batch {batch}");

double total = 0;
int batches = 0;
trainer.EpochCompleted = m =>
{
    total += m.Seconds;
    int epochBatches = Math.Min(maxBatches, (train.Count + batch - 1) / batch);
    batches += epochBatches;
    int images = Math.Min(train.Count, epochBatches * batch);
    Console.WriteLine($"epoch {m.Epoch} train {m.Train.Loss:F4} test {m.Test.Loss:F4} seconds {m.Seconds:F3} images {images}");
};
var watch = Stopwatch.StartNew();
// VAE_PROFILE=1: a per-op profile of the training steps after the first two (warm-up: JIT, first allocations).
int profiledFrom = Math.Min(2, Math.Min(maxBatches, (train.Count + batch - 1) / batch));
// Processor time of the training batches (every thread), beside the wall clock: on a busy machine it
// moves far less than the seconds do, so single-threaded runs can be compared even then.
var cpuTotal = TimeSpan.Zero;
var cpuAtStart = TimeSpan.Zero;
trainer.BatchStarting = (epoch, b) =>
{
    if (b == 1) cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
};
trainer.BatchCompleted = b =>
{
    if (b.Batch == b.BatchCount) cpuTotal += Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
    if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
        Console.WriteLine($"# batch {b.Batch}/{b.BatchCount} loss {b.Losses.Loss:F2} at {watch.Elapsed.TotalSeconds:F2} s, peak so far {PeakRssMb():F0} MB");
    if (b.Epoch == 1 && b.Batch == profiledFrom) StepProfiler.Begin();
};
trainer.Fit(train, test);
Console.Write(StepProfiler.Report());
Console.WriteLine($"seconds_per_batch {total / Math.Max(1, batches):F4}");
Console.WriteLine($"total_train_seconds {total:F3}");
Console.WriteLine($"total_train_cpu_seconds {cpuTotal.TotalSeconds:F3}");
Console.WriteLine($"peak_rss_mb {PeakRssMb():F1}");
return 0;

static double PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return double.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    return double.NaN;
}
