using Vae.Api.Datasets;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Data;

namespace Vae.Api.Tests.Models;

/// <summary>
/// A small MLP VAE trained through the API on MNIST's digits only, with more training digits than
/// the other API tests use (a model that has seen 1000 digits has not learnt what digits are), and
/// MNIST test digits and Fashion-MNIST test images it has never seen. The service's own test split
/// is its first 200 test digits; the held-out digits here come after them.
/// </summary>
public sealed class DigitsModelFixture : IAsyncLifetime
{
    public const int HeldOutStart = 200;

    public ServiceFactory Service { get; } = new(settings: new Dictionary<string, string?>
    {
        ["Datasets:TrainLimit"] = "8000",
        ["Jobs:TrainingThreads"] = "2",
    });

    public HttpClient Client { get; private set; } = null!;
    public string ModelId { get; private set; } = "";
    public double TrainingSeconds { get; private set; }

    /// <summary>MNIST test digits from <see cref="HeldOutStart"/> on: in neither the training images nor the service's test split.</summary>
    public ImageDataset HeldOutDigits { get; private set; } = null!;

    /// <summary>Fashion-MNIST test images: clothes, which the model never saw anything like.</summary>
    public ImageDataset Fashion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = Service.CreateClient();
        var provisioner = DatasetProvisioner.WithNpm();
        var mnist = Mnist.Load(await provisioner.EnsureAsync(Mnist.Name), DatasetSplit.Test);
        HeldOutDigits = mnist.Subset(HeldOutStart, 2000);
        Fashion = FashionMnist.Load(await provisioner.EnsureAsync(FashionMnist.Name), DatasetSplit.Test);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var job = await Client.SubmitAsync(new
        {
            name = "digits-only",
            model = new { family = "mlp", hiddenSizes = new[] { 256 }, latentDim = 8 },
            epochs = 4,
            evaluation = new { enabled = false },
        });
        var done = await Client.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);
        Assert.True(done.ModelId is not null, $"The digits job ended {done.Status}: {done.Error}");
        ModelId = done.ModelId!;
        TrainingSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Images <paramref name="indices"/> of <paramref name="data"/> as rows of pixel values in [0, 1].</summary>
    public static float[][] Rows(ImageDataset data, IEnumerable<int> indices) => indices.Select(i =>
    {
        var row = new float[data.FeatureCount];
        data.CopyBatch([i], row);
        return row;
    }).ToArray();

    public Task DisposeAsync()
    {
        Client.Dispose();
        Service.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class DigitsModelCollection : ICollectionFixture<DigitsModelFixture>
{
    public const string Name = "a digits model trained through the API";
}
