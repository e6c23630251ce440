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
        Assert.Equal("""{"models":[]}""", body);
    }

    [Fact]
    public async Task Default_stays_the_newest_mnist_model_when_newer_models_of_other_datasets_exist()
    {
        var view = await (await fx.Client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>();
        Assert.Equal(fx.Mlp.Id, view.Id);
        Assert.Equal("mnist", view.Dataset);
    }
}
