using Vae.Api.Datasets;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

/// <summary>
/// One service with three tiny MNIST models published straight into its store: two versions of the
/// name "digits" (latent sizes 2, then 3, so a test can tell them apart by their output) and an
/// unnamed one. Tests of names and aliases share it; each alias a test sets is its own.
/// </summary>
public sealed class NamedModelsFixture : IAsyncLifetime
{
    public ServiceFactory Factory { get; } = new();
    public HttpClient Client { get; private set; } = null!;
    public ModelRecord DigitsV1 { get; private set; } = null!;
    public ModelRecord DigitsV2 { get; private set; } = null!;
    public ModelRecord Unnamed { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        var train = Mnist.Load(mnist, DatasetSplit.Train).Take(200);
        var test = Mnist.Load(mnist, DatasetSplit.Test).Take(50);
        DigitsV1 = await ModelsFixture.PublishAsync(Factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, train, test, "digits");
        DigitsV2 = await ModelsFixture.PublishAsync(Factory, new MlpConfig { HiddenSizes = [8], LatentDim = 3 }, train, test, "digits");
        Unnamed = await ModelsFixture.PublishAsync(Factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, train, test, name: null);
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        Factory.Dispose();
        return Task.CompletedTask;
    }
}
