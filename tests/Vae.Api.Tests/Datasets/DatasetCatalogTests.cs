using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Datasets;

/// <summary>The catalog on the real files (test.sh fetches them; otherwise the first open does).</summary>
public class DatasetCatalogTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mnist")]
    [InlineData("fashion-mnist")]
    [InlineData("cifar10")]
    public async Task Opening_a_dataset_gives_both_splits_in_its_shape_within_the_limits(string name)
    {
        using var factory = new ServiceFactory(output);
        var catalog = factory.Services.GetRequiredService<DatasetCatalog>();
        DatasetInfo source = DatasetCatalog.FindBuiltIn(name)!.Info;

        DatasetSplits splits = await catalog.OpenAsync(name, CancellationToken.None);

        Assert.Equal(name, splits.Name);
        Assert.Equal(1000, splits.Train.Count);
        Assert.Equal(200, splits.Test.Count);
        Assert.Equal((source.Channels, source.Height, source.Width), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(source.ClassNames!.Count, splits.Test.ClassCount);
        Assert.Same(splits, await catalog.OpenAsync(name, CancellationToken.None));
    }
}
