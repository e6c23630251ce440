using Vae.Engine.Backends.Cpu;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Engine.Tests;

/// <summary>The real MNIST files (see <see cref="DatasetFolders"/>), with small subsets for quick training tests.</summary>
public sealed class MnistFixture
{
    public MnistFixture()
    {
        string dir = DatasetFolders.Ensure(Mnist.Name, Mnist.FilesPresent);
        var train = Mnist.Load(dir, DatasetSplit.Train);
        var test = Mnist.Load(dir, DatasetSplit.Test);
        Train2000 = train.Take(2000);
        Test500 = test.Take(500);
        Train = train;
        Test = test;
        Directory = dir;
    }

    public string Directory { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
    public ImageDataset Train2000 { get; }
    public ImageDataset Test500 { get; }

    /// <summary>A model of <paramref name="config"/> trained on <see cref="Train2000"/> for a few epochs (2 threads), for tests of what a trained model does.</summary>
    public AutoencoderModel TrainSmall(ModelConfig config, int epochs, ulong seed)
    {
        var model = ModelRegistry.Create(config, seed, CpuBackend.Instance);
        new Trainer(model, new TrainingOptions { Epochs = epochs, Seed = seed, Threads = 2, EvaluationBatchSize = 500 }).Fit(Train2000, Test500);
        return model;
    }
}

[CollectionDefinition(nameof(MnistCollection))]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>, ICollectionFixture<DigitClassifier>;
