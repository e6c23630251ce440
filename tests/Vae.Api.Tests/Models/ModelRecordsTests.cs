using Vae.Engine.Backends.Cpu;
using System.Net;
using Vae.Api.Models;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class ModelRecordsTests(ModelsFixture fx)
{
    [Fact]
    public async Task Listing_models_shows_both_newest_first_with_their_sizes_and_metrics()
    {
        var list = await (await fx.Client.GetAsync("/api/models")).ReadJsonAsync<ModelList>();
        var ids = list.Models.Select(m => m.Id).ToList();
        Assert.True(ids.IndexOf(fx.Vae.Id) < ids.IndexOf(fx.Autoencoder.Id), "the VAE was published last, so it comes first");
        var vae = list.Models.Single(m => m.Id == fx.Vae.Id);
        Assert.Equal("tiny vae", vae.Name);
        Assert.Equal("mnist", vae.Dataset);
        Assert.Equal(2, vae.LatentDim);
        Assert.Equal(ModelRegistry.Create(vae.Config, 0, CpuBackend.Instance).ParameterCount(), vae.ParameterCount);
        Assert.Single(vae.Epochs);
        Assert.True(vae.Epochs[0].Test.Loss > 0);
    }

    [Fact]
    public async Task Getting_a_model_by_id_answers_its_configuration_dataset_metrics_and_creation_time()
    {
        var view = await (await fx.Client.GetAsync($"/api/models/{fx.Autoencoder.Id}")).ReadJsonAsync<ModelView>();
        Assert.Equal(fx.Autoencoder.Id, view.Id);
        Assert.Equal(ModelKind.Ae, view.Config.Kind);
        Assert.Equal([32], Assert.IsType<MlpConfig>(view.Config).HiddenSizes);
        Assert.Equal(fx.Autoencoder.CreatedAt, view.CreatedAt);
        Assert.Null(view.JobId);
        Assert.Equal(ModelRegistry.Create(view.Config, 0, CpuBackend.Instance).ParameterCount(), view.ParameterCount);
    }

    [Fact]
    public async Task Default_names_the_model_its_alias_was_set_to()
    {
        var view = await (await fx.Client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>();
        Assert.Equal(fx.Vae.Id, view.Id);
    }

    [Fact]
    public async Task An_unknown_model_is_404_pointing_at_the_list()
    {
        await (await fx.Client.GetAsync("/api/models/m000000000000")).AssertProblemAsync(404, "m000000000000", "GET /api/models");
    }

    [Fact]
    public async Task The_weights_download_as_a_safetensors_file_the_engine_loads()
    {
        var response = await fx.Client.GetAsync($"/api/models/{fx.Vae.Id}/weights");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{fx.Vae.Id}.safetensors", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        string path = Path.Combine(Path.GetTempPath(), $"weights-{Guid.NewGuid():N}.safetensors");
        try
        {
            await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
            var loaded = ModelCheckpoint.Load(path, CpuBackend.Instance);
            Assert.Equal(2, loaded.Model.LatentDim);
            Assert.Equal("mnist", loaded.Metadata["dataset"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_weights_of_default_are_those_of_the_model_it_names()
    {
        var response = await fx.Client.GetAsync("/api/models/default/weights");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{fx.Vae.Id}.safetensors", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    [Fact]
    public async Task The_weights_of_an_unknown_model_are_404()
    {
        await (await fx.Client.GetAsync("/api/models/nope/weights")).AssertProblemAsync(404, "nope");
    }

    [Theory]
    [InlineData(ModelKind.Vae, new[] { 400 }, 20)]
    [InlineData(ModelKind.Vae, new[] { 512, 256 }, 2)]
    [InlineData(ModelKind.Ae, new[] { 64, 32, 16 }, 3)]
    public void The_parameter_count_of_a_configuration_is_that_of_the_model_it_builds(ModelKind kind, int[] hidden, int latent)
    {
        var config = new MlpConfig { Kind = kind, HiddenSizes = hidden, LatentDim = latent };
        Assert.Equal(ModelRegistry.Create(config, 0, CpuBackend.Instance).ParameterCount(), ModelViewExtensions.ParameterCount(config));
    }

    [Fact]
    public async Task The_openapi_document_describes_bodies_images_and_problems_of_the_model_endpoints()
    {
        var doc = System.Text.Json.JsonDocument.Parse(await fx.Client.GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var paths = doc.GetProperty("paths");
        var decode = paths.GetProperty("/api/models/{id}/decode").GetProperty("post");
        Assert.True(decode.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var responses = decode.GetProperty("responses");
        Assert.True(responses.GetProperty("200").GetProperty("content").TryGetProperty("image/png", out _));
        foreach (var status in new[] { "400", "404", "413", "415", "422" }) Assert.True(responses.TryGetProperty(status, out _), status);
        var encode = paths.GetProperty("/api/models/{id}/encode").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(encode.TryGetProperty("image/png", out _));
        Assert.True(paths.GetProperty("/api/models/{id}/samples.png").GetProperty("get").GetProperty("responses").TryGetProperty("422", out _));
        Assert.True(paths.GetProperty("/api/models/{id}").GetProperty("delete").GetProperty("responses").TryGetProperty("404", out _));
    }
}
