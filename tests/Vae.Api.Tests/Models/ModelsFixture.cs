using Vae.Engine.Backends.Cpu;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Vae.Api.Datasets;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;

namespace Vae.Api.Tests.Models;

/// <summary>
/// One service with two tiny trained models published straight into its store, no job needed:
/// a VAE (which the alias "default" names) and a plain autoencoder, both 784-32-2.
/// </summary>
public sealed class ModelsFixture : IAsyncLifetime
{
    public ServiceFactory Factory { get; } = new();
    public HttpClient Client { get; private set; } = null!;
    public ModelRecord Vae { get; private set; } = null!;
    public ModelRecord Autoencoder { get; private set; } = null!;
    public ImageDataset TestImages { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        string mnist = await DatasetProvisioner.WithNpm().EnsureAsync(Mnist.Name);
        var train = Mnist.Load(mnist, DatasetSplit.Train).Take(600);
        TestImages = Mnist.Load(mnist, DatasetSplit.Test).Take(100);
        Autoencoder = await PublishAsync(Factory, new MlpConfig { Kind = ModelKind.Ae, HiddenSizes = [32], LatentDim = 2 }, train, TestImages, "tiny autoencoder");
        Vae = await PublishAsync(Factory, new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, train, TestImages, "tiny vae");
        await SetDefaultAsync(Factory, Vae);
    }

    /// <summary>Points the alias "default" at <paramref name="model"/>, as the first start does at the first job's model.</summary>
    public static Task SetDefaultAsync(ServiceFactory factory, ModelRecord model)
        => factory.Services.GetRequiredService<ModelStore>().SetAliasAsync("default", model.Id, CancellationToken.None);

    /// <summary>Trains a model for one short epoch and publishes it through the app's own store.</summary>
    public static async Task<ModelRecord> PublishAsync(
        ServiceFactory factory, ModelConfig config, ImageDataset train, ImageDataset test, string? name, string dataset = "mnist", int batchSize = 100)
    {
        var model = ModelRegistry.Create(config, seed: 7, CpuBackend.Instance);
        var trainer = new Trainer(model, new TrainingOptions { Epochs = 1, BatchSize = batchSize, Threads = 1, Seed = 7 });
        var history = trainer.Fit(train, test);
        var store = factory.Services.GetRequiredService<ModelStore>();
        return await store.PublishAsync(model, name, dataset, jobId: null, history, details: null, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>MNIST test image <paramref name="index"/> as pixel values in [0, 1].</summary>
    public float[] Pixels(int index)
    {
        var pixels = new float[TestImages.FeatureCount];
        TestImages.CopyBatch([index], pixels);
        return pixels;
    }

    /// <summary>MNIST test image <paramref name="index"/> as a 28x28 gray PNG, white on black.</summary>
    public byte[] Png(int index) => global::Vae.Engine.Tests.Imaging.TestImages.Png(new GrayImage(28, 28, Pixels(index)));
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ModelsFixture>
{
    public const string Name = "trained models";
}

/// <summary>Requests and checks the model endpoint tests share.</summary>
internal static class Http
{
    public static ByteArrayContent PngBody(byte[] png) => Body(png, "image/png");

    public static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string url, HttpContent content, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Accept.ParseAdd(accept);
        return await client.SendAsync(request);
    }

    /// <summary>Asserts a ProblemDetails answer with this status whose detail mentions every fragment; returns the detail.</summary>
    public static async Task<string> AssertProblemAsync(this HttpResponseMessage response, int status, params string[] fragments)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        string detail = problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        foreach (var fragment in fragments)
        {
            Assert.False(string.IsNullOrWhiteSpace(fragment), "an empty fragment checks nothing: name what the message must say");
            Assert.Contains(fragment, detail, StringComparison.OrdinalIgnoreCase);
        }
        return detail;
    }

    public static async Task<RgbaImage> AssertPngAsync(this HttpResponseMessage response, int width, int height)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"expected success, got {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var image = global::Vae.Engine.Tests.Imaging.TestImages.Read(bytes);
        Assert.Equal((width, height), (image.Width, image.Height));
        return image;
    }

    public static async Task<T> ReadJsonAsync<T>(this HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"expected success, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Wire))!;
    }

    /// <summary>The service's JSON conventions: camelCase, enums as camelCase strings.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Wire = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
        AllowOutOfOrderMetadataProperties = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver { Modifiers = { ModelRegistry.DescribeConfigs } },
    };

    public static string Floats(IEnumerable<float> values) => "[" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";

    public static byte[] Fixture(string name, [CallerFilePath] string source = "")
        => File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(source)!, "Fixtures", name));
}
