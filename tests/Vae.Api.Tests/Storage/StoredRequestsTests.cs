using System.Text.Json;
using System.Text.Json.Serialization;
using Vae.Api.Storage;
using Vae.Engine.Backends;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Storage;

/// <summary>Training requests stored by earlier releases are read through the one upgrade of old model settings.</summary>
public sealed class StoredRequestsTests
{
    // As the stores read and write requests.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new ModelConfigConverter() },
    };

    [Fact]
    public void A_request_stored_before_model_families_is_read_as_the_mlp_it_describes()
    {
        const string stored = """
            {"model":"ae","dataset":"mnist","architecture":"mlp","hiddenSizes":[512],"latentDim":2,"activation":"leaky_relu",
             "likelihood":"bernoulli","sigma":1,"beta":1,"epochs":5,"batchSize":128,"learningRate":0.001,"seed":3}
            """;

        var request = StoredRequests.Read(stored, Json);

        var model = Assert.IsType<MlpConfig>(request.Model);
        Assert.Equal(ModelKind.Ae, model.Kind);
        Assert.Equal([512], model.HiddenSizes);
        Assert.Equal(2, model.LatentDim);
        Assert.Equal(Activation.LeakyRelu, model.Activation);
        Assert.Equal((1, 28, 28), (model.Channels, model.Height, model.Width));
        Assert.Equal((5, 128, 3L), (request.Epochs, request.BatchSize, request.Seed));
    }

    [Fact]
    public void A_request_of_today_round_trips_unchanged()
    {
        var request = new TrainingRequest { Dataset = "cifar10", Model = ModelPresets.ConvVaeColour, Epochs = 2, Seed = 9 };

        var read = StoredRequests.Read(StoredRequests.Write(request, Json), Json);

        Assert.Equal(request.Model, read.Model);
        Assert.Equal((request.Dataset, request.Epochs, request.Seed), (read.Dataset, read.Epochs, read.Seed));
    }
}
