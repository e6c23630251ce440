using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Ilgpu;
using Vae.Engine.Models;
using Vae.Engine.Tensors;
using Vae.Engine.Training;

namespace Vae.Engine.Tests.Training;

/// <summary>
/// The same model, seed and images trained on the CPU backend and on ILGPU's CPU accelerator (the
/// GPU kernels), and on CUDA where a device answers (skipped with the reason elsewhere): every
/// batch's loss agrees to 1e-3 relative, and so does the epoch's.
/// </summary>
[Collection(nameof(MnistCollection))]
public sealed class BackendParityTests(MnistFixture mnist)
{
    public static TheoryData<string> Families() => ["mlp", "conv"];

    [Theory]
    [MemberData(nameof(Families))]
    public void A_few_batches_on_ilgpu_cpu_give_the_losses_they_give_on_the_cpu(string family)
        => A_few_batches_give_the_losses_they_give_on_the_cpu(family, IlgpuBackend.CpuName);

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public void A_few_batches_on_cuda_give_the_losses_they_give_on_the_cpu(string family)
    {
        Skip.If(BackendRegistry.TryFind(IlgpuBackend.CudaName) is null,
            $"Backend 'cuda' cannot run here: {BackendRegistry.Unavailable.GetValueOrDefault(IlgpuBackend.CudaName)}");
        A_few_batches_give_the_losses_they_give_on_the_cpu(family, IlgpuBackend.CudaName);
    }

    private void A_few_batches_give_the_losses_they_give_on_the_cpu(string family, string backend)
    {
        // The families' own layers at a width ILGPU's CPU accelerator (one managed thread per GPU thread) trains in seconds.
        ModelConfig config = family == "mlp"
            ? new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [64], LatentDim = 8 }
            : new Vae.Engine.Models.Conv.ConvConfig { ConvChannels = [4, 8], DenseSize = 32, LatentDim = 4 };
        var images = mnist.Train2000.Take(128);

        var (cpuBatches, cpuEpoch) = Train(config, images, BackendRegistry.Find("cpu"));
        var (gpuBatches, gpuEpoch) = Train(config, images, BackendRegistry.Find(backend));

        Assert.Equal(cpuBatches.Count, gpuBatches.Count);
        for (int i = 0; i < cpuBatches.Count; i++)
            Assert.True(Relative(cpuBatches[i], gpuBatches[i]) <= 1e-3, $"batch {i + 1}: {gpuBatches[i]} on {backend} against {cpuBatches[i]} on cpu");
        Assert.True(Relative(cpuEpoch, gpuEpoch) <= 1e-3, $"epoch: {gpuEpoch} on {backend} against {cpuEpoch} on cpu");
    }

    [Fact]
    public void Samples_drawn_with_the_same_seed_match_across_backends()
    {
        var model = ModelRegistry.Create(new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [64], LatentDim = 8 }, 3, CpuBackend.Instance);
        var onCpu = model.Sample(16, Generator.ForStream(5, 1)).ToArray();
        model.To(BackendRegistry.Find(IlgpuBackend.CpuName));
        var onGpu = model.Sample(16, Generator.ForStream(5, 1)).ToArray();

        Assert.Equal(onCpu.Length, onGpu.Length);
        for (int i = 0; i < onCpu.Length; i++) Assert.True(Math.Abs(onCpu[i] - onGpu[i]) <= 1e-4f, $"pixel {i}: {onGpu[i]} against {onCpu[i]}");
    }

    private static (List<double> Batches, double Epoch) Train(ModelConfig config, Vae.Engine.Data.ImageDataset images, IBackend backend)
    {
        var model = ModelRegistry.Create(config, 11, CpuBackend.Instance);
        model.To(backend);
        var batches = new List<double>();
        var trainer = new Trainer(model, new TrainingOptions { Epochs = 1, Seed = 11, BatchSize = 32, Threads = 1 })
        {
            BatchCompleted = b => batches.Add(b.Losses.Loss),
        };
        var loss = trainer.TrainEpoch(new Vae.Engine.Data.BatchLoader(images, 32), 1);
        return (batches, loss.Loss);
    }

    private static double Relative(double expected, double actual) => Math.Abs(actual - expected) / Math.Max(1e-12, Math.Abs(expected));
}
