using System.Text.Json;
using Xunit.Abstractions;

namespace Vae.Api.Tests;

public class DatasetsApiTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mnist", 1, 28, 28, "0", "9")]
    [InlineData("fashion-mnist", 1, 28, 28, "T-shirt/top", "Ankle boot")]
    [InlineData("cifar10", 3, 32, 32, "airplane", "truck")]
    public async Task The_dataset_list_gives_each_datasets_image_shape_and_class_names(
        string name, int channels, int height, int width, string firstClass, string lastClass)
    {
        using var factory = new ServiceFactory(output);
        var json = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/api/datasets")).RootElement;
        var dataset = json.EnumerateArray().Single(d => d.GetProperty("name").GetString() == name);
        Assert.Equal(channels, dataset.GetProperty("channels").GetInt32());
        Assert.Equal(height, dataset.GetProperty("height").GetInt32());
        Assert.Equal(width, dataset.GetProperty("width").GetInt32());
        string?[] classes = [.. dataset.GetProperty("classNames").EnumerateArray().Select(c => c.GetString())];
        Assert.Equal(10, classes.Length);
        Assert.Equal(firstClass, classes[0]);
        Assert.Equal(lastClass, classes[9]);
    }
}
