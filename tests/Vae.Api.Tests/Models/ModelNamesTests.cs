using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

/// <summary>Names, versions and how a reference in /api/models/{ref} is looked up.</summary>
public class ModelNamesTests(NamedModelsFixture fx) : IClassFixture<NamedModelsFixture>
{
    [Fact]
    public async Task A_name_is_its_newest_version_and_name_at_version_a_fixed_one()
    {
        var newest = await (await fx.Client.GetAsync("/api/models/digits")).ReadJsonAsync<ModelView>();
        var first = await (await fx.Client.GetAsync("/api/models/digits@1")).ReadJsonAsync<ModelView>();
        var fixedOne = await (await fx.Client.GetAsync("/api/models/digits/versions/1")).ReadJsonAsync<ModelView>();

        Assert.Equal((fx.DigitsV2.Id, "digits", (int?)2), (newest.Id, newest.Name, newest.Version));
        Assert.Equal((fx.DigitsV1.Id, (int?)1), (first.Id, first.Version));
        Assert.Equal(fx.DigitsV1.Id, fixedOne.Id);
    }

    [Fact]
    public async Task The_versions_of_a_name_list_newest_first_from_the_name_or_any_reference_to_one_of_them()
    {
        var byName = await (await fx.Client.GetAsync("/api/models/digits/versions")).ReadJsonAsync<ModelList>();
        var byId = await (await fx.Client.GetAsync($"/api/models/{fx.DigitsV1.Id}/versions?limit=1")).ReadJsonAsync<ModelList>();
        var rest = await (await fx.Client.GetAsync($"/api/models/{fx.DigitsV1.Id}/versions?limit=1&cursor={byId.NextCursor}")).ReadJsonAsync<ModelList>();

        Assert.Equal([2, 1], byName.Models.Select(m => m.Version!.Value));
        Assert.Null(byName.NextCursor);
        Assert.Equal([fx.DigitsV2.Id], byId.Models.Select(m => m.Id));
        Assert.Equal([fx.DigitsV1.Id], rest.Models.Select(m => m.Id));
        Assert.Null(rest.NextCursor);
    }

    [Fact]
    public async Task A_version_that_does_not_exist_is_404_saying_which_do_and_one_that_is_not_a_number_is_422()
    {
        await (await fx.Client.GetAsync("/api/models/digits@3")).AssertProblemAsync(404, "no version 3", "up to 2");
        await (await fx.Client.GetAsync("/api/models/digits/versions/3")).AssertProblemAsync(404, "no version 3");
        var notNumber = await fx.Client.GetAsync("/api/models/digits/versions/latest");
        await notNumber.AssertProblemAsync(422, "version must be a whole number");
        Assert.Contains("\"version\"", await notNumber.Content.ReadAsStringAsync());
        await (await fx.Client.GetAsync($"/api/models/{fx.Unnamed.Id}/versions")).AssertProblemAsync(404, "has no name");
        await (await fx.Client.GetAsync("/api/models/nothing-here/versions")).AssertProblemAsync(404, "nothing-here");
    }

    [Theory]
    [InlineData("samples.png?n=4")]
    [InlineData("manifold.png?n=3")]
    [InlineData("weights")]
    [InlineData("latents?limit=5")]
    [InlineData("scores?bins=5")]
    public async Task Every_model_endpoint_answers_the_same_for_an_id_a_name_at_version_a_name_and_an_alias(string endpoint)
    {
        await fx.Client.PutAsync("/api/aliases/pinned-v1", Http.JsonBody("""{"model": "digits@1"}"""));
        await fx.Client.PutAsync("/api/aliases/newest-digits", Http.JsonBody("""{"model": "digits"}"""));

        byte[] byId = await BodyAsync($"/api/models/{fx.DigitsV2.Id}/{endpoint}");

        Assert.Equal(byId, await BodyAsync($"/api/models/digits@2/{endpoint}"));
        Assert.Equal(byId, await BodyAsync($"/api/models/digits/{endpoint}"));
        Assert.Equal(byId, await BodyAsync($"/api/models/newest-digits/{endpoint}"));
        Assert.NotEqual(byId, await BodyAsync($"/api/models/pinned-v1/{endpoint}"));
        Assert.Equal(await BodyAsync($"/api/models/{fx.DigitsV1.Id}/{endpoint}"), await BodyAsync($"/api/models/pinned-v1/{endpoint}"));
    }

    [Fact]
    public async Task Posting_to_a_model_endpoint_by_name_works_as_by_id()
    {
        var byName = await fx.Client.PostAsync("/api/models/digits/decode", Http.JsonBody("""{"latents":[[0.5,-1,0]]}"""), "application/json");
        var byId = await fx.Client.PostAsync($"/api/models/{fx.DigitsV2.Id}/decode", Http.JsonBody("""{"latents":[[0.5,-1,0]]}"""), "application/json");
        var wrongSize = await fx.Client.PostAsync("/api/models/digits@1/decode", Http.JsonBody("""{"latents":[[0.5,-1,0]]}"""));

        Assert.Equal(await byId.Content.ReadAsStringAsync(), await byName.Content.ReadAsStringAsync());
        await wrongSize.AssertProblemAsync(422, "2");
    }

    [Fact]
    public async Task Images_by_id_or_name_at_version_are_immutable_and_by_a_name_or_an_alias_revalidate()
    {
        var byId = await fx.Client.GetAsync($"/api/models/{fx.DigitsV2.Id}/samples.png?n=1");
        var byVersion = await fx.Client.GetAsync("/api/models/digits@2/samples.png?n=1");
        var byName = await fx.Client.GetAsync("/api/models/digits/samples.png?n=1");

        Assert.False(byId.Headers.CacheControl!.NoCache);
        Assert.False(byVersion.Headers.CacheControl!.NoCache);
        Assert.True(byName.Headers.CacheControl!.NoCache);
        Assert.Equal(byId.Headers.ETag, byName.Headers.ETag);
    }

    [Fact]
    public async Task An_id_is_looked_up_before_an_alias_and_an_alias_before_a_name()
    {
        // Records from before names were checked can collide; the order decides. The store lets a test make them.
        var store = fx.Factory.Services.GetRequiredService<IVaeStore>();
        var config = new MlpConfig { HiddenSizes = [8], LatentDim = 2 };
        await store.InsertModelAsync(new ModelRecord { Id = "mshadow000001", Name = fx.DigitsV1.Id, Dataset = "mnist", Config = config, Metrics = [], CreatedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        await store.InsertModelAsync(new ModelRecord { Id = "mshadow000002", Name = "shadowed", Dataset = "mnist", Config = config, Metrics = [], CreatedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        await store.SetAliasAsync(new AliasRecord("shadowed", fx.Unnamed.Id, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(fx.DigitsV1.Id, (await (await fx.Client.GetAsync($"/api/models/{fx.DigitsV1.Id}")).ReadJsonAsync<ModelView>()).Id);
        Assert.Equal(fx.Unnamed.Id, (await (await fx.Client.GetAsync("/api/models/shadowed")).ReadJsonAsync<ModelView>()).Id);
        Assert.Equal("mshadow000002", (await (await fx.Client.GetAsync("/api/models/shadowed@1")).ReadJsonAsync<ModelView>()).Id);
    }

    [Theory]
    [InlineData("has space", "letters, digits")]
    [InlineData("-leading", "starting with a letter or a digit")]
    [InlineData("m0123456789ab", "looks like an id")]
    [InlineData("slash/name", "letters, digits")]
    [InlineData("at@sign", "letters, digits")]
    public async Task A_training_request_whose_name_is_not_a_valid_model_name_is_422_naming_name(string name, string fragment)
    {
        var response = await fx.Client.PostJsonAsync(System.Text.Json.JsonSerializer.Serialize(new { name, epochs = 1 }));
        await response.AssertProblemAsync(422, fragment);
        Assert.Equal(["name"], (await response.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task A_training_request_named_like_an_existing_alias_is_422_naming_name()
    {
        await fx.Client.PutAsync("/api/aliases/taken-alias", Http.JsonBody("""{"model": "digits"}"""));

        var response = await fx.Client.PostJsonAsync("""{"name": "taken-alias", "epochs": 1}""");

        await response.AssertProblemAsync(422, "is an alias");
        Assert.Equal(["name"], (await response.ProblemAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    private async Task<byte[]> BodyAsync(string url)
    {
        var response = await fx.Client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }
}
