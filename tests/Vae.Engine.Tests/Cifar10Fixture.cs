using Vae.Engine.Data;

namespace Vae.Engine.Tests;

/// <summary>Both splits of the real CIFAR-10 files (see <see cref="DatasetFolders"/>), read once.</summary>
public sealed class Cifar10Fixture
{
    public Cifar10Fixture()
    {
        Directory = DatasetFolders.Ensure(Cifar10.Name, Cifar10.FilesPresent);
        Train = Cifar10.Load(Directory, DatasetSplit.Train);
        Test = Cifar10.Load(Directory, DatasetSplit.Test);
    }

    public string Directory { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
}

[CollectionDefinition(nameof(Cifar10Collection))]
public sealed class Cifar10Collection : ICollectionFixture<Cifar10Fixture>;
