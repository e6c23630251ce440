using System.Net;
using Vae.Api.Models;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class ManifoldAndLatentsTests(ModelsFixture fx)
{
    private string Manifold => $"/api/models/{fx.Vae.Id}/manifold.png";
    private string Latents => $"/api/models/{fx.Vae.Id}/latents";

    [Fact]
    public async Task The_default_manifold_is_20_by_20_tiles_without_padding()
    {
        await (await fx.Client.GetAsync(Manifold)).AssertPngAsync(20 * 28, 20 * 28);
    }

    [Fact]
    public async Task Manifold_rows_run_from_plus_range_at_the_top_and_columns_from_minus_range_at_the_left()
    {
        var grid = await (await fx.Client.GetAsync(Manifold + "?n=3&range=2")).AssertPngAsync(84, 84);
        var corners = new (int Column, int Row, string Latent)[] { (0, 0, "[-2,2]"), (2, 0, "[2,2]"), (0, 2, "[-2,-2]"), (1, 1, "[0,0]") };
        foreach (var (column, row, latent) in corners)
        {
            var tile = await (await fx.Client.PostAsync($"/api/models/{fx.Vae.Id}/decode", Http.JsonBody($$"""{"latent":{{latent}}}"""))).AssertPngAsync(28, 28);
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    // One tile of a batch may differ from a lone decode in the last bits, so by one grey level at most.
                    Assert.InRange(grid.GetPixel((column * 28) + x, (row * 28) + y).R - tile.GetPixel(x, y).R, -1, 1);
        }
    }

    [Fact]
    public async Task Swapping_dims_transposes_the_manifold_and_the_image_is_cacheable()
    {
        var response = await fx.Client.GetAsync(Manifold + "?n=4&dims=1,0&scale=2");
        await response.AssertPngAsync(4 * 28 * 2, 4 * 28 * 2);
        Assert.NotNull(response.Headers.ETag);
        Assert.NotEqual(await fx.Client.GetByteArrayAsync(Manifold + "?n=4"), await fx.Client.GetByteArrayAsync(Manifold + "?n=4&dims=1,0"));
    }

    [Theory]
    [InlineData("?n=0", "n")]
    [InlineData("?n=41", "n")]
    [InlineData("?range=0", "range")]
    [InlineData("?range=-3", "range")]
    [InlineData("?range=NaN", "range")]
    [InlineData("?range=1000", "range")]
    [InlineData("?dims=0,0", "different")]
    [InlineData("?dims=0,2", "below the latent size 2")]
    [InlineData("?dims=0", "dims")]
    [InlineData("?dims=a,b", "dims")]
    [InlineData("?dims=-1,0", "dims")]
    [InlineData("?scale=9", "scale")]
    [InlineData("?n=40&scale=8", "pixels")]
    public async Task Manifold_values_out_of_range_are_422(string query, string fragment)
    {
        await (await fx.Client.GetAsync(Manifold + query)).AssertProblemAsync(422, fragment);
    }

    [Fact]
    public async Task A_manifold_of_an_unknown_model_is_404()
    {
        await (await fx.Client.GetAsync("/api/models/zzz/manifold.png")).AssertProblemAsync(404, "zzz");
    }

    [Fact]
    public async Task Latents_of_the_test_split_carry_the_mnist_labels_in_order()
    {
        var latents = await (await fx.Client.GetAsync(Latents + "?split=test&limit=50")).ReadJsonAsync<LatentsResponse>();
        Assert.Equal(2, latents.LatentDim);
        Assert.Equal(50, latents.Points.Count);
        for (int i = 0; i < 50; i++) Assert.Equal(fx.TestImages.GetLabel(i), latents.Points[i].Label);
        Assert.All(latents.Points, p => Assert.Equal(2, p.Mu.Length));

        var mu = Assert.Single((await (await fx.Client.PostAsync($"/api/models/{fx.Vae.Id}/encode", Http.JsonBody($$"""{"pixels":{{Http.Floats(fx.Pixels(7))}}}"""))).ReadJsonAsync<EncodeResponse>()).Results).Mu;
        for (int d = 0; d < 2; d++) Assert.Equal(mu[d], latents.Points[7].Mu[d], 4);
    }

    [Fact]
    public async Task Latents_default_to_the_test_split_and_stop_at_the_images_there_are()
    {
        // The test service keeps 200 test images (Datasets:TestLimit).
        var latents = await (await fx.Client.GetAsync(Latents)).ReadJsonAsync<LatentsResponse>();
        Assert.Equal(200, latents.Points.Count);
        var train = await (await fx.Client.GetAsync($"/api/models/{fx.Autoencoder.Id}/latents?split=train&limit=5")).ReadJsonAsync<LatentsResponse>();
        Assert.Equal(5, train.Points.Count);
    }

    [Theory]
    [InlineData("?split=validation", "split")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=10001", "limit")]
    public async Task Latents_values_out_of_range_are_422(string query, string fragment)
    {
        await (await fx.Client.GetAsync(Latents + query)).AssertProblemAsync(422, fragment);
    }

    [Fact]
    public async Task Latents_of_an_unknown_model_are_404_and_of_a_dataset_without_images_422()
    {
        await (await fx.Client.GetAsync("/api/models/missing/latents")).AssertProblemAsync(404, "missing");

        using var factory = new ServiceFactory();
        var record = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, fx.TestImages, fx.TestImages, "elsewhere", dataset: "somewhere");
        var client = factory.CreateClient();
        await (await client.GetAsync($"/api/models/{record.Id}/latents")).AssertProblemAsync(422, "somewhere");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{record.Id}/samples.png?n=1")).StatusCode);
    }
}
