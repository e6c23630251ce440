using System.Text.Json;
using Xunit.Abstractions;

namespace Vae.Api.Tests;

public class DatasetsApiTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_dataset_list_names_mnist_with_its_image_shape()
    {
        using var factory = new ServiceFactory(output);
        var json = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/api/datasets")).RootElement;
        var mnist = json.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "mnist");
        Assert.Equal(28, mnist.GetProperty("height").GetInt32());
        Assert.Equal(1, mnist.GetProperty("channels").GetInt32());
    }
}
