using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Families;
using Vae.Engine.Models;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Families;

/// <summary>GET /api/families describes what a training request's "model" can hold, from the engine's registry.</summary>
public sealed class FamiliesApiTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    private async Task<FamiliesApi.FamilyList> ListAsync()
        => (await _factory.CreateClient().GetFromJsonAsync<FamiliesApi.FamilyList>("/api/families", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    [Fact]
    public async Task Every_registered_family_is_listed_with_its_defaults_and_recipe()
    {
        var list = await ListAsync();

        Assert.Equal(ModelRegistry.Names, list.Families.Select(f => f.Name));
        foreach (var family in list.Families)
        {
            var registered = ModelRegistry.Find(family.Name);
            Assert.Equal(registered.DefaultConfig, ModelRegistry.Deserialize(family.Defaults.ToJsonString()));
            Assert.Equal(registered.Recipe.BatchSize, family.Recipe.BatchSize);
            Assert.Equal(registered.Recipe.LearningRate, family.Recipe.LearningRate);
            Assert.Equal(registered.Examples.Keys, family.Examples.Keys);
            foreach (var (name, example) in family.Examples)
                Assert.Equal(registered.Examples[name], ModelRegistry.Deserialize(example.ToJsonString()));
        }
    }

    [Fact]
    public async Task The_default_family_and_each_familys_starting_point_come_from_the_registry()
    {
        var list = await ListAsync();

        Assert.Equal(ModelRegistry.DefaultFamily.Name, list.Default);
        foreach (var family in list.Families)
            Assert.Equal(ModelRegistry.Find(family.Name).Starter, ModelRegistry.Deserialize(family.Starter.ToJsonString()));
        // The MLP starts a form on a 2-d code, which the page draws as a plane.
        Assert.Equal(2, list.Families.Single(f => f.Name == "mlp").Starter["latentDim"]!.GetValue<int>());
    }

    [Fact]
    public async Task Fields_carry_their_type_default_allowed_values_and_meaning()
    {
        var conv = (await ListAsync()).Families.Single(f => f.Name == "conv");

        var channels = conv.Fields.Single(f => f.Name == "convChannels");
        Assert.Equal("integer[]", channels.Type);
        Assert.Equal("[32,64]", channels.Default!.ToJsonString());
        Assert.Contains("stride-2", channels.Description);
        var likelihood = conv.Fields.Single(f => f.Name == "likelihood");
        Assert.Equal(["bernoulli", "gaussian", "gaussianLearnedScale"], likelihood.Values);
        Assert.Contains("learns how blurry its Gaussian is", likelihood.Description);
        Assert.Equal("integer", conv.Fields.Single(f => f.Name == "latentDim").Type);
        Assert.Equal("boolean", conv.Fields.Single(f => f.Name == "conditional").Type);
        Assert.Equal(["channels", "classCount", "height", "width"], conv.Fields.Where(f => f.FromDataset).Select(f => f.Name).Order());
        Assert.All(conv.Fields, f => Assert.False(string.IsNullOrWhiteSpace(f.Description), $"{f.Name} has no description"));
    }

    [Fact]
    public async Task One_family_can_be_asked_for_and_an_unknown_one_is_404()
    {
        var client = _factory.CreateClient();

        var resnet = await client.GetFromJsonAsync<FamiliesApi.FamilyView>("/api/families/ResNet", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var missing = await client.GetAsync("/api/families/gan");

        Assert.Equal("resnet", resnet!.Name);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("mlp, conv, resnet", await missing.Content.ReadAsStringAsync());
    }
}
