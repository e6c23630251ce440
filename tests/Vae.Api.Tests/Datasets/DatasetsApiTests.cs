using System.Text.Json;
using Xunit.Abstractions;

namespace Vae.Api.Tests;

public class DatasetsApiTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mnist", 1, 28, 28, "0", "9", 60_000, 10_000)]
    [InlineData("fashion-mnist", 1, 28, 28, "T-shirt/top", "Ankle boot", 60_000, 10_000)]
    [InlineData("cifar10", 3, 32, 32, "airplane", "truck", 50_000, 10_000)]
    public async Task The_dataset_list_gives_each_built_in_datasets_shape_class_names_and_sizes(
        string id, int channels, int height, int width, string firstClass, string lastClass, int train, int test)
    {
        using var factory = new ServiceFactory(output);
        var json = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/api/datasets")).RootElement;
        var dataset = json.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);
        Assert.Equal(channels, dataset.GetProperty("channels").GetInt32());
        Assert.Equal(height, dataset.GetProperty("height").GetInt32());
        Assert.Equal(width, dataset.GetProperty("width").GetInt32());
        string?[] classes = [.. dataset.GetProperty("classNames").EnumerateArray().Select(c => c.GetString())];
        Assert.Equal(10, classes.Length);
        Assert.Equal(firstClass, classes[0]);
        Assert.Equal(lastClass, classes[9]);
        Assert.Equal(train, dataset.GetProperty("trainImages").GetInt32());
        Assert.Equal(test, dataset.GetProperty("testImages").GetInt32());
        Assert.True(dataset.GetProperty("builtIn").GetBoolean());
        // test.sh fetches every built-in dataset before the tests run.
        Assert.True(dataset.GetProperty("fetched").GetBoolean(), $"{id} should be fetched already");
    }
}
