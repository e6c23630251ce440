using Vae.Engine.Data;

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
}

[CollectionDefinition(nameof(MnistCollection))]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>, ICollectionFixture<DigitClassifier>;
