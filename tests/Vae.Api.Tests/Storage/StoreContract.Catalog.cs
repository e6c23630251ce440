using System.Text.Json.Nodes;
using Vae.Api.Storage;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Storage;

/// <summary>Model names and versions, aliases, and paged, filtered lists: the same on every store.</summary>
public abstract partial class StoreContract
{
    private static ModelRecord Model(string id, string? name, DateTimeOffset created, string dataset = "mnist") => new()
    {
        Id = id, Name = name, Dataset = dataset, CreatedAt = created, Config = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Metrics = [],
    };

    [SkippableFact]
    public async Task Each_model_of_a_name_is_its_next_version_and_unnamed_models_have_none()
    {
        var store = await OpenStoreAsync();

        var first = await store.InsertModelAsync(Model("mver01", "digits", T0), CancellationToken.None);
        var other = await store.InsertModelAsync(Model("mver02", "letters", T0.AddSeconds(1)), CancellationToken.None);
        var second = await store.InsertModelAsync(Model("mver03", "digits", T0.AddSeconds(2)) with { Version = 7 }, CancellationToken.None);
        var unnamed = await store.InsertModelAsync(Model("mver04", null, T0.AddSeconds(3)), CancellationToken.None);

        Assert.Equal((1, 1, 2, (int?)null), (first.Version, other.Version, second.Version, unnamed.Version));
        Assert.Equal("mver03", (await store.GetModelByNameAsync("digits", null, CancellationToken.None))?.Id);
        Assert.Equal("mver01", (await store.GetModelByNameAsync("digits", 1, CancellationToken.None))?.Id);
        Assert.Equal(2, (await store.GetModelAsync("mver03", CancellationToken.None))?.Version);
        Assert.Null(await store.GetModelByNameAsync("digits", 3, CancellationToken.None));
        Assert.Null(await store.GetModelByNameAsync("Digits", null, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Models_of_one_name_stored_at_the_same_moment_get_different_versions()
    {
        var store = await OpenStoreAsync();

        var stored = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(()
            => store.InsertModelAsync(Model($"mrace0{i}", "raced", T0.AddSeconds(i)), CancellationToken.None))));

        Assert.Equal(Enumerable.Range(1, 8), stored.Select(m => m.Version!.Value).Order());
    }

    [SkippableFact]
    public async Task An_alias_is_created_moved_listed_in_order_and_deleted_once()
    {
        var store = await OpenStoreAsync();

        bool created = await store.SetAliasAsync(new AliasRecord("prod", "ma", T0), CancellationToken.None);
        bool createdToo = await store.SetAliasAsync(new AliasRecord("beta", "mb", T0), CancellationToken.None);
        bool movedCreated = await store.SetAliasAsync(new AliasRecord("prod", "mc", T0.AddSeconds(5)), CancellationToken.None);

        Assert.True(created);
        Assert.True(createdToo);
        Assert.False(movedCreated);
        Assert.Equal(new AliasRecord("prod", "mc", T0.AddSeconds(5)), await store.GetAliasAsync("prod", CancellationToken.None));
        Assert.Equal(["beta", "prod"], (await store.ListAliasesAsync(CancellationToken.None)).Select(a => a.Alias));
        Assert.True(await store.DeleteAliasAsync("prod", CancellationToken.None));
        Assert.False(await store.DeleteAliasAsync("prod", CancellationToken.None));
        Assert.Null(await store.GetAliasAsync("prod", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Jobs_are_filtered_by_status_dataset_and_name_and_paged_without_repeats_or_gaps_while_new_ones_arrive()
    {
        var store = await OpenStoreAsync();
        // Two share a creation time: the insertion order breaks the tie, and a page may end between them.
        for (int i = 0; i < 6; i++)
        {
            var job = Job($"jpage0{i}", T0.AddSeconds(i == 3 ? 2 : i)) with
            {
                Name = i % 2 == 0 ? "even" : "odd",
                Status = i < 4 ? JobStatus.Succeeded : JobStatus.Queued,
            };
            await store.InsertJobAsync(i == 5 ? job with { Request = job.Request with { Dataset = "cifar10" } } : job, CancellationToken.None);
        }

        var first = await store.ListJobsAsync(JobFilter.Any, new PageRequest(2), CancellationToken.None);
        // A job added after the first page was read is newer than every page: it never shows up in the later ones.
        await store.InsertJobAsync(Job("jpage09", T0.AddSeconds(9)), CancellationToken.None);
        var second = await store.ListJobsAsync(JobFilter.Any, new PageRequest(2, first.Next), CancellationToken.None);
        var third = await store.ListJobsAsync(JobFilter.Any, new PageRequest(2, second.Next), CancellationToken.None);

        Assert.Equal(["jpage05", "jpage04"], first.Items.Select(j => j.Id));
        Assert.Equal(["jpage03", "jpage02"], second.Items.Select(j => j.Id));
        Assert.Equal(["jpage01", "jpage00"], third.Items.Select(j => j.Id));
        Assert.NotNull(second.Next);
        Assert.Null(third.Next);
        Assert.Equal(["jpage03", "jpage01"], (await store.ListJobsAsync(new JobFilter(JobStatus.Succeeded, Name: "odd"), PageRequest.All, CancellationToken.None)).Items.Select(j => j.Id));
        Assert.Equal(["jpage09", "jpage04"], (await store.ListJobsAsync(new JobFilter(JobStatus.Queued, "mnist"), PageRequest.All, CancellationToken.None)).Items.Select(j => j.Id));
        Assert.Empty((await store.ListJobsAsync(new JobFilter(Name: "none"), PageRequest.All, CancellationToken.None)).Items);
    }

    [SkippableFact]
    public async Task Models_are_filtered_by_dataset_ignoring_case_and_by_name_and_paged()
    {
        var store = await OpenStoreAsync();
        await store.InsertModelAsync(Model("mlist01", "digits", T0), CancellationToken.None);
        await store.InsertModelAsync(Model("mlist02", "pets", T0.AddSeconds(1), dataset: "Pets01"), CancellationToken.None);
        await store.InsertModelAsync(Model("mlist03", "digits", T0.AddSeconds(2)), CancellationToken.None);
        await store.InsertModelAsync(Model("mlist04", null, T0.AddSeconds(3)), CancellationToken.None);

        var first = await store.ListModelsAsync(new ModelFilter(Dataset: "MNIST"), new PageRequest(2), CancellationToken.None);
        var second = await store.ListModelsAsync(new ModelFilter(Dataset: "MNIST"), new PageRequest(2, first.Next), CancellationToken.None);

        Assert.Equal(["mlist04", "mlist03"], first.Items.Select(m => m.Id));
        Assert.Equal(["mlist01"], second.Items.Select(m => m.Id));
        Assert.Null(second.Next);
        Assert.Equal(["mlist02"], (await store.ListModelsAsync(new ModelFilter(Dataset: "pets01"), PageRequest.All, CancellationToken.None)).Items.Select(m => m.Id));
        Assert.Equal([2, 1], (await store.ListModelsAsync(new ModelFilter(Name: "digits"), PageRequest.All, CancellationToken.None)).Items.Select(m => m.Version!.Value));
    }

    [SkippableFact]
    public async Task Sweeps_are_filtered_by_name_and_paged()
    {
        var store = await OpenStoreAsync();
        for (int i = 0; i < 3; i++)
        {
            await store.InsertSweepAsync(new SweepRecord
            {
                Id = $"spage0{i}", Name = i == 1 ? "other" : "betas", CreatedAt = T0.AddSeconds(i), Base = new JsonObject(),
                Grid = [new SweepAxis("epochs", [JsonValue.Create(1)])], Points = [new SweepPointRecord([0], $"jspage0{i}")],
            }, CancellationToken.None);
        }

        var first = await store.ListSweepsAsync(new SweepFilter("betas"), new PageRequest(1), CancellationToken.None);
        var second = await store.ListSweepsAsync(new SweepFilter("betas"), new PageRequest(1, first.Next), CancellationToken.None);

        Assert.Equal(["spage02"], first.Items.Select(s => s.Id));
        Assert.Equal(["spage00"], second.Items.Select(s => s.Id));
        Assert.Null(second.Next);
        Assert.Equal(["spage02", "spage01", "spage00"], (await store.ListSweepsAsync(SweepFilter.Any, PageRequest.All, CancellationToken.None)).Items.Select(s => s.Id));
    }
}
