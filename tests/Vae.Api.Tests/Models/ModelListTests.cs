using Vae.Api.Models;

namespace Vae.Api.Tests.Models;

[Collection(FamiliesCollection.Name)]
public class ModelListTests(FamiliesFixture fx)
{
    [Fact]
    public async Task Listing_by_dataset_answers_only_that_datasets_models_newest_first()
    {
        var cifar = await (await fx.Client.GetAsync("/api/models?dataset=cifar10")).ReadJsonAsync<ModelList>();
        Assert.Equal([fx.ResNet.Id, fx.ConvColour.Id], cifar.Models.Select(m => m.Id));
        Assert.All(cifar.Models, m => Assert.Equal((3, 32, 32), (m.Channels, m.Height, m.Width)));

        var fashion = await (await fx.Client.GetAsync("/api/models?dataset=Fashion-MNIST")).ReadJsonAsync<ModelList>();
        Assert.Equal([fx.Conv.Id], fashion.Models.Select(m => m.Id));
        var all = await (await fx.Client.GetAsync("/api/models")).ReadJsonAsync<ModelList>();
        Assert.Equal(4, all.Models.Count);
    }

    [Fact]
    public async Task Listing_a_dataset_without_models_answers_an_empty_list()
    {
        var body = await (await fx.Client.GetAsync("/api/models?dataset=nothing")).Content.ReadAsStringAsync();
        Assert.Equal("""{"models":[],"nextCursor":null}""", body);
    }

    [Fact]
    public async Task Default_stays_the_model_it_was_set_to_when_newer_models_exist()
    {
        var view = await (await fx.Client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>();
        Assert.Equal(fx.Mlp.Id, view.Id);
        Assert.Equal(["default"], view.Aliases);
    }

    [Fact]
    public async Task Models_come_a_page_at_a_time_and_the_cursor_of_the_last_page_is_null()
    {
        var first = await (await fx.Client.GetAsync("/api/models?limit=3")).ReadJsonAsync<ModelList>();
        var second = await (await fx.Client.GetAsync($"/api/models?limit=3&cursor={first.NextCursor}")).ReadJsonAsync<ModelList>();

        Assert.Equal([fx.ResNet.Id, fx.ConvColour.Id, fx.Conv.Id], first.Models.Select(m => m.Id));
        Assert.NotNull(first.NextCursor);
        Assert.Equal([fx.Mlp.Id], second.Models.Select(m => m.Id));
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task Models_are_filtered_by_name()
    {
        var named = await (await fx.Client.GetAsync("/api/models?name=tiny%20conv")).ReadJsonAsync<ModelList>();
        Assert.Equal([fx.Conv.Id], named.Models.Select(m => m.Id));
        Assert.Equal([1], named.Models.Select(m => m.Version!.Value));
    }

    [Theory]
    [InlineData("?limit=abc", "limit", 422, "limit must be a whole number")]
    [InlineData("?limit=0", "limit", 422, "between 1 and 500")]
    [InlineData("?limit=501", "limit", 422, "between 1 and 500")]
    [InlineData("?cursor=not-a-cursor", "cursor", 422, "nextCursor")]
    [InlineData("?datset=mnist", "datset", 400, "takes limit, cursor, dataset, name")]
    public async Task A_bad_or_unknown_query_parameter_is_refused_naming_it(string query, string parameter, int status, string fragment)
    {
        var response = await fx.Client.GetAsync("/api/models" + query);
        await response.AssertProblemAsync(status, fragment);
        var errors = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal([parameter], errors.EnumerateObject().Select(e => e.Name));
    }
}
