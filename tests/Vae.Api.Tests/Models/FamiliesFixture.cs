using System.Buffers.Binary;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using Vae.Engine.Models.Conv;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Models.ResNet;
using Vae.Engine.Training;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>
/// One service with a tiny model of every family, each trained for one short epoch and published
/// straight into its store: an MLP on MNIST (gray, unconditional), a conditional conv model on
/// Fashion-MNIST (gray), a conv model on CIFAR-10 (colour, unconditional) and a conditional ResNet
/// on CIFAR-10 (colour). The alias "default" names the MNIST model, which is published first:
/// newer models do not move it.
/// </summary>
public sealed class FamiliesFixture : IAsyncLifetime
{
    public ServiceFactory Factory { get; } = new();
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The models by the names the tests use: "mlp", "conv", "conv-cifar10", "resnet".</summary>
    public IReadOnlyDictionary<string, TrainedModel> Models { get; private set; } = null!;

    public TrainedModel Mlp => Models["mlp"];
    public TrainedModel Conv => Models["conv"];
    public TrainedModel ConvColour => Models["conv-cifar10"];
    public TrainedModel ResNet => Models["resnet"];

    /// <summary>The names of the models, for theories that run every endpoint on every family.</summary>
    public static TheoryData<string> Names => new() { "mlp", "conv", "conv-cifar10", "resnet" };

    public async Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        var provisioner = DatasetProvisioner.WithNpm();
        var mnist = Mnist.Load(await provisioner.EnsureAsync(Mnist.Name), DatasetSplit.Test).Take(200);
        var fashion = FashionMnist.Load(await provisioner.EnsureAsync(FashionMnist.Name), DatasetSplit.Test);
        var cifar = Cifar10.Load(await provisioner.EnsureAsync(Cifar10.Name), DatasetSplit.Test).Take(64);
        // Fashion-MNIST's test split is ordered by class; a stride gives the tiny model every class.
        fashion = Every(fashion, fashion.Count / 200);

        var models = new Dictionary<string, TrainedModel>();
        async Task Add(string key, ModelConfig config, ImageDataset data, string dataset, int batchSize = 50)
        {
            var record = await ModelsFixture.PublishAsync(Factory, config, data, data, $"tiny {key}", dataset, batchSize);
            models[key] = new TrainedModel(key, record, data);
        }

        await Add("mlp", new MlpConfig { HiddenSizes = [16], LatentDim = 2 }, mnist, Mnist.Name);
        await ModelsFixture.SetDefaultAsync(Factory, models["mlp"].Record);
        await Add("conv", new ConvConfig { ConvChannels = [4, 8], DenseSize = 16, LatentDim = 2, Conditional = true }, fashion, FashionMnist.Name);
        await Add("conv-cifar10", new ConvConfig
        {
            Channels = 3, Height = 32, Width = 32, ConvChannels = [4, 8], DenseSize = 16, LatentDim = 3,
            Likelihood = Likelihood.Gaussian, Sigma = 0.3f,
        }, cifar, Cifar10.Name, batchSize: 16);
        await Add("resnet", new ResNetConfig { Widths = [4, 8], BlocksPerStage = 1, LatentDim = 4, Conditional = true }, cifar, Cifar10.Name, batchSize: 16);
        Models = models;
    }

    private static ImageDataset Every(ImageDataset data, int stride)
    {
        int count = data.Count / stride, features = data.FeatureCount;
        var pixels = new byte[count * features];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            data.GetImage(i * stride).CopyTo(pixels.AsSpan(i * features, features));
            labels[i] = data.GetLabel(i * stride);
        }
        return new ImageDataset(data.Name, count, data.Channels, data.Height, data.Width, pixels, labels, data.ClassCount);
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A published model with the images it was trained on (which are its dataset's first test images).</summary>
public sealed record TrainedModel(string Key, ModelRecord Record, ImageDataset Images)
{
    public string Id => Record.Id;
    public ModelConfig Config => Record.Config;
    public bool IsColour => Config.Channels == 3;

    /// <summary>"?label=1" for a conditional model, else "": what every drawing request of this model needs.</summary>
    public string LabelQuery(char separator = '?') => Config.Conditional ? $"{separator}label=1" : "";

    /// <summary>Image <paramref name="index"/> as channel-major values in [0, 1], the model's input.</summary>
    public float[] Pixels(int index)
    {
        var pixels = new float[Images.FeatureCount];
        Images.CopyBatch([index], pixels);
        return pixels;
    }

    /// <summary>Image <paramref name="index"/> as a PNG of the model's own size: RGB for a colour model, else gray.</summary>
    public byte[] Png(int index) => IsColour
        ? TestImages.Png(RgbImage.FromPlanar(Pixels(index), Config.Width, Config.Height))
        : TestImages.Png(new GrayImage(Config.Width, Config.Height, Pixels(index)));

    public override string ToString() => Key;
}

[CollectionDefinition(Name)]
public sealed class FamiliesCollection : ICollectionFixture<FamiliesFixture>
{
    public const string Name = "a model of every family";
}

/// <summary>What the tests read from PNG answers.</summary>
internal static class PngFacts
{
    /// <summary>The colour type of a PNG's IHDR: 0 gray, 2 RGB, 6 RGBA.</summary>
    public static byte ColourType(byte[] png) => png[25];

    public static (int Width, int Height) Size(byte[] png)
        => ((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16)), (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20)));

    /// <summary>The X-Grid-* headers of a grid answer.</summary>
    public static (int Columns, int Rows, int TileWidth, int TileHeight, int Padding, int Scale) Grid(HttpResponseMessage response)
    {
        int Header(string name) => int.Parse(Assert.Single(response.Headers.GetValues("X-Grid-" + name)), System.Globalization.CultureInfo.InvariantCulture);
        return (Header("Columns"), Header("Rows"), Header("Tile-Width"), Header("Tile-Height"), Header("Padding"), Header("Scale"));
    }
}
