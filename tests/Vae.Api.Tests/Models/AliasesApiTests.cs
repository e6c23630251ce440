using System.Net;
using Vae.Api.Models;

namespace Vae.Api.Tests.Models;

/// <summary>/api/aliases: set, move, read, list and delete aliases, and every way a request can be refused.</summary>
public class AliasesApiTests(NamedModelsFixture fx) : IClassFixture<NamedModelsFixture>
{
    [Fact]
    public async Task Putting_an_alias_creates_it_with_201_and_pins_the_id_its_model_has_now()
    {
        var created = await fx.Client.PutAsync("/api/aliases/first-digits", Http.JsonBody("""{"model": "digits@1"}"""));
        var view = await created.ReadJsonAsync<AliasView>();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/aliases/first-digits", created.Headers.Location?.OriginalString);
        Assert.Equal(("first-digits", fx.DigitsV1.Id, "digits", (int?)1, true), (view.Alias, view.ModelId, view.Name, view.Version, view.Exists));
        Assert.Equal(fx.DigitsV1.Id, (await (await fx.Client.GetAsync("/api/models/first-digits")).ReadJsonAsync<ModelView>()).Id);
        Assert.Contains("first-digits", (await (await fx.Client.GetAsync($"/api/models/{fx.DigitsV1.Id}")).ReadJsonAsync<ModelView>()).Aliases);
    }

    [Fact]
    public async Task An_alias_to_a_name_keeps_the_version_it_named_and_moves_only_when_put_again()
    {
        await fx.Client.PutAsync("/api/aliases/stable", Http.JsonBody("""{"model": "digits"}"""));
        Assert.Equal(fx.DigitsV2.Id, (await (await fx.Client.GetAsync("/api/aliases/stable")).ReadJsonAsync<AliasView>()).ModelId);

        var moved = await fx.Client.PutAsync("/api/aliases/stable", Http.JsonBody($$"""{"model": "{{fx.Unnamed.Id}}"}"""));

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(fx.Unnamed.Id, (await moved.ReadJsonAsync<AliasView>()).ModelId);
        Assert.Equal(fx.Unnamed.Id, (await (await fx.Client.GetAsync("/api/models/stable")).ReadJsonAsync<ModelView>()).Id);
    }

    [Fact]
    public async Task An_alias_may_be_set_from_another_alias_and_the_list_shows_each_with_its_model_in_order()
    {
        await fx.Client.PutAsync("/api/aliases/zz-last", Http.JsonBody("""{"model": "digits@2"}"""));
        await fx.Client.PutAsync("/api/aliases/aa-first", Http.JsonBody("""{"model": "zz-last"}"""));

        var list = await (await fx.Client.GetAsync("/api/aliases")).ReadJsonAsync<AliasList>();

        var names = list.Aliases.Select(a => a.Alias).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(fx.DigitsV2.Id, list.Aliases.Single(a => a.Alias == "aa-first").ModelId);
        Assert.Equal(fx.DigitsV2.Id, list.Aliases.Single(a => a.Alias == "zz-last").ModelId);
    }

    [Fact]
    public async Task Deleting_an_alias_answers_204_keeps_its_model_and_a_second_delete_is_404()
    {
        await fx.Client.PutAsync("/api/aliases/short-lived", Http.JsonBody("""{"model": "digits@1"}"""));

        var deleted = await fx.Client.DeleteAsync("/api/aliases/short-lived");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await fx.Client.GetAsync("/api/aliases/short-lived")).AssertProblemAsync(404, "short-lived", "GET /api/aliases");
        await (await fx.Client.GetAsync("/api/models/short-lived")).AssertProblemAsync(404, "short-lived");
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.GetAsync("/api/models/digits@1")).StatusCode);
        await (await fx.Client.DeleteAsync("/api/aliases/short-lived")).AssertProblemAsync(404, "short-lived");
    }

    [Theory]
    [InlineData("has%20space", "alias", "letters, digits")]
    [InlineData("m0123456789ab", "alias", "looks like an id")]
    [InlineData("name@2", "alias", "letters, digits")]
    public async Task An_alias_that_is_not_a_valid_name_is_422_naming_alias(string alias, string field, string fragment)
    {
        var response = await fx.Client.PutAsync($"/api/aliases/{alias}", Http.JsonBody("""{"model": "digits"}"""));
        await response.AssertProblemAsync(422, fragment);
        Assert.Equal([field], ErrorKeys(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("""{"model": "no-such-model"}""", "no-such-model")]
    [InlineData("""{"model": "digits@9"}""", "no version 9")]
    [InlineData("""{"model": ""}""", "model is required")]
    [InlineData("""{}""", "model is required")]
    public async Task A_model_that_does_not_exist_or_is_missing_is_422_naming_model(string body, string fragment)
    {
        var response = await fx.Client.PutAsync("/api/aliases/pointing-nowhere", Http.JsonBody(body));
        await response.AssertProblemAsync(422, fragment);
        Assert.Equal(["model"], ErrorKeys(await response.Content.ReadAsStringAsync()));
        await (await fx.Client.GetAsync("/api/aliases/pointing-nowhere")).AssertProblemAsync(404);
    }

    [Fact]
    public async Task An_alias_may_not_be_a_models_name()
    {
        await (await fx.Client.PutAsync("/api/aliases/digits", Http.JsonBody("""{"model": "digits@1"}"""))).AssertProblemAsync(409, "name of a model", "digits@VERSION");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_400_and_one_of_another_type_415()
    {
        await (await fx.Client.PutAsync("/api/aliases/broken", Http.JsonBody("{\"model\":"))).AssertProblemAsync(400, "{\"model\": \"digits-2d@1\"}");
        await (await fx.Client.PutAsync("/api/aliases/broken", Http.Body("model=digits"u8.ToArray(), "application/x-www-form-urlencoded"))).AssertProblemAsync(415, "application/json");
        await (await fx.Client.PutAsync("/api/aliases/broken", Http.JsonBody("\"digits\""))).AssertProblemAsync(400);
    }

    [Fact]
    public async Task The_alias_list_takes_no_query_parameters()
    {
        var response = await fx.Client.GetAsync("/api/aliases?model=digits");
        await response.AssertProblemAsync(400, "'model' is not a query parameter");
        Assert.Equal(["model"], ErrorKeys(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task From_another_machine_without_a_key_aliases_can_be_read_but_not_set_or_deleted()
    {
        using var factory = new ServiceFactory(remoteAddress: IPAddress.Parse("203.0.113.9"));
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync("/api/aliases/remote", Http.JsonBody("""{"model": "x"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/api/aliases/remote")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/aliases")).StatusCode);
    }

    private static IEnumerable<string> ErrorKeys(string problem)
        => System.Text.Json.JsonDocument.Parse(problem).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name);
}
