using Vae.Engine.Data;

namespace Vae.Engine.Tests;

/// <summary>Both splits of the real Fashion-MNIST files (see <see cref="DatasetFolders"/>), read once.</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistFixture()
    {
        Directory = DatasetFolders.Ensure(FashionMnist.Name, FashionMnist.FilesPresent);
        (Train, Test) = FashionMnist.LoadSplits(Directory);
    }

    public string Directory { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
}

[CollectionDefinition(nameof(FashionMnistCollection))]
public sealed class FashionMnistCollection : ICollectionFixture<FashionMnistFixture>;
