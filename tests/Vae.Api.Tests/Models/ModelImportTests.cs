using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Vae.Api.Models;
using Vae.Engine.Checkpoints;
using Vae.Engine.Imaging;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

/// <summary>One service (the default SQLite store and folder) that the import tests share; each import is a model of its own.</summary>
public sealed class ImportFixture : IDisposable
{
    public ServiceFactory Factory { get; } = new();
    public HttpClient Client { get; }

    public ImportFixture() => Client = Factory.CreateClient();

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }
}

/// <summary>POST /api/models: weights saved by PyTorch become a model every endpoint serves; every wrong tensor is named.</summary>
public sealed class ModelImportTests(ImportFixture fx, ITestOutputHelper output) : IClassFixture<ImportFixture>
{
    /// <summary>PyTorch computes in float64 from the float32 weights; the engine in float32.</summary>
    private const float Tolerance = 1e-5f;

    [SkippableFact]
    public async Task Weights_saved_by_pytorch_from_seed_003_import_and_decode_to_the_pixels_pytorch_computes()
    {
        Seed003.SkipIfMissing();
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Weights));
        var model = await AssertCreatedAsync(response);
        Assert.Equal(("mlp", "vae", 20, "mnist", "seed 003 from pytorch"), (model.Family, model.Kind, model.LatentDim, model.Dataset, model.Name));
        Assert.Equal((784 * 400) + 400 + (2 * ((400 * 20) + 20)) + (20 * 400) + 400 + (400 * 784) + 784, model.ParameterCount);

        var decoded = await fx.Client.PostAsync($"/api/models/{model.Id}/decode",
            JsonContent.Create(new { latents = Seed003.Expected.Latents }), "application/json");
        var images = await decoded.ReadJsonAsync<ImagesResponse>();
        output.WriteLine($"decoded pixels: largest difference from PyTorch {AssertClose(Seed003.Expected.Decoded, images.Images, "decoded pixels"):E2}");

        var encoded = await fx.Client.PostAsync($"/api/models/{model.Id}/encode", JsonContent.Create(new { batch = Seed003.Expected.Images }));
        var codes = await encoded.ReadJsonAsync<EncodeResponse>();
        output.WriteLine($"mu: {AssertClose(Seed003.Expected.Mu, codes.Results.Select(r => r.Mu).ToList(), "mu"):E2}, "
            + $"logvar: {AssertClose(Seed003.Expected.Logvar, codes.Results.Select(r => r.LogVar!).ToList(), "logvar"):E2}");
    }

    [SkippableFact]
    public async Task An_imported_model_is_listed_and_served_by_every_model_endpoint()
    {
        Seed003.SkipIfMissing();
        var model = await AssertCreatedAsync(await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Weights)));
        string url = $"/api/models/{model.Id}";
        var png = Vae.Engine.Tests.Imaging.TestImages.Png(new GrayImage(28, 28, Seed003.Expected.Images[0]));
        string zeros = "[" + string.Join(",", Enumerable.Repeat("0", 20)) + "]";

        var list = await (await fx.Client.GetAsync("/api/models")).ReadJsonAsync<ModelList>();
        Assert.Contains(list.Models, m => m.Id == model.Id);
        var view = await (await fx.Client.GetAsync(url)).ReadJsonAsync<ModelView>();
        Assert.Null(view.JobId);
        Assert.Empty(view.Epochs);
        Assert.Equal(10, view.ClassNames!.Count);
        await (await fx.Client.GetAsync(url + "/samples.png?n=4")).AssertPngAsync(2 * 30 + 2, 2 * 30 + 2);
        await (await fx.Client.GetAsync(url + "/manifold.png?n=3")).AssertPngAsync(3 * 28, 3 * 28);
        await (await fx.Client.PostAsync(url + "/reconstruct", Http.PngBody(png))).AssertPngAsync(28, 28);
        await AssertOkAsync(await fx.Client.PostAsync(url + "/interpolate", Http.JsonBody($$"""{"from":{"latent":{{zeros}}},"to":{"png":"{{Convert.ToBase64String(png)}}"},"steps":3}""")));
        var latents = await (await fx.Client.GetAsync(url + "/latents?limit=5")).ReadJsonAsync<LatentsResponse>();
        Assert.Equal(5, latents.Points.Count);
        var score = await (await fx.Client.PostAsync(url + "/score?k=2", Http.PngBody(png))).ReadJsonAsync<JsonElement>();
        Assert.True(score.GetProperty("scores")[0].GetProperty("negativeIwae").GetDouble() > 0);
        await AssertOkAsync(await fx.Client.PostAsync(url + "/directions", Http.JsonBody("""{"name":"one-to-seven","from":{"label":1},"to":{"label":7},"limit":20}""")), HttpStatusCode.Created);
        Assert.True((await fx.Client.GetAsync(url + "/encoder.onnx")).IsSuccessStatusCode);
        Assert.True((await fx.Client.GetAsync(url + "/decoder.onnx")).IsSuccessStatusCode);

        // The stored file is the engine's own: its configuration in the metadata, the tensors under the engine's names.
        var weights = SafeTensors.Read(await (await fx.Client.GetAsync(url + "/weights")).Content.ReadAsStreamAsync(), "download");
        Assert.Contains("\"hiddenSizes\":[400]", weights.Metadata["config"]);
        Assert.True(weights.Contains("encoder.0.weight") && weights.Contains("mu.bias") && weights.Contains("logvar.weight") && weights.Contains("output.bias"));

        Assert.Equal(HttpStatusCode.NoContent, (await fx.Client.DeleteAsync(url)).StatusCode);
        await (await fx.Client.GetAsync(url)).AssertProblemAsync(404, model.Id);
    }

    [SkippableFact]
    public async Task The_engines_own_names_import_too_so_a_downloaded_model_imports_again_and_decodes_the_same()
    {
        Seed003.SkipIfMissing();
        var first = await AssertCreatedAsync(await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Weights)));
        var downloaded = await (await fx.Client.GetAsync($"/api/models/{first.Id}/weights")).Content.ReadAsByteArrayAsync();
        var second = await AssertCreatedAsync(await fx.Client.PostAsync("/api/models", Seed003.Form(downloaded, fileName: "again.safetensors")));
        Assert.NotEqual(first.Id, second.Id);

        string body = """{"latent":[0.5,-1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2]}""";
        var a = await (await fx.Client.PostAsync($"/api/models/{first.Id}/decode", Http.JsonBody(body), "application/json")).ReadJsonAsync<ImagesResponse>();
        var b = await (await fx.Client.PostAsync($"/api/models/{second.Id}/decode", Http.JsonBody(body), "application/json")).ReadJsonAsync<ImagesResponse>();
        Assert.Equal(a.Images[0], b.Images[0]);
    }

    [SkippableFact]
    public async Task A_missing_tensor_is_a_422_that_names_it_the_name_pytorch_gives_it_and_its_shape()
    {
        Seed003.SkipIfMissing();
        var tensors = Seed003.Tensors();
        tensors.RemoveAll(t => t.Name == "fc4.bias");
        var detail = await (await ImportAsync(tensors)).AssertProblemAsync(422, "'output.bias'", "'fc4.bias'", "(784)", "missing");
        output.WriteLine(detail);
    }

    [SkippableFact]
    public async Task An_unexpected_tensor_is_a_422_that_names_it()
    {
        Seed003.SkipIfMissing();
        var tensors = Seed003.Tensors();
        tensors.Add(new SafeTensorsEntry("fc5.weight", [2, 2], [1f, 2f, 3f, 4f]));
        var response = await ImportAsync(tensors);
        await response.AssertProblemAsync(422, "'fc5.weight'", "not a tensor of this mlp model");
    }

    [SkippableFact]
    public async Task A_tensor_of_the_wrong_shape_is_a_422_with_the_expected_and_the_given_shape()
    {
        Seed003.SkipIfMissing();
        var tensors = Seed003.Tensors();
        int i = tensors.FindIndex(t => t.Name == "fc1.weight");
        tensors[i] = tensors[i] with { Shape = [784, 400] }; // transposed: same values, other shape
        await (await ImportAsync(tensors)).AssertProblemAsync(422, "'fc1.weight'", "(784, 400)", "expects (400, 784)");
    }

    [SkippableTheory]
    [InlineData(float.NaN, "1 NaN and 0 infinite")]
    [InlineData(float.PositiveInfinity, "0 NaN and 1 infinite")]
    [InlineData(float.NegativeInfinity, "0 NaN and 1 infinite")]
    public async Task A_tensor_holding_nan_or_infinity_is_a_422_that_names_it_and_where(float bad, string counted)
    {
        Seed003.SkipIfMissing();
        var tensors = Seed003.Tensors();
        int i = tensors.FindIndex(t => t.Name == "fc3.bias");
        var data = (float[])tensors[i].Data.Clone();
        data[7] = bad;
        tensors[i] = tensors[i] with { Data = data };
        await (await ImportAsync(tensors)).AssertProblemAsync(422, "'fc3.bias'", counted, "index 7", "finite");
    }

    [SkippableFact]
    public async Task A_tensor_of_another_dtype_is_a_422_that_names_it_and_the_dtype()
    {
        Seed003.SkipIfMissing();
        // A float64 tensor, as torch.save of a .double() model gives: written by hand, as the engine writes only F32.
        string header = """{"fc1.bias":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""";
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(BitConverter.GetBytes(1.0));
        bytes.AddRange(BitConverter.GetBytes(2.0));
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form([.. bytes]));
        await response.AssertProblemAsync(422, "'fc1.bias'", "F64", "F32");
    }

    [SkippableFact]
    public async Task Every_wrong_tensor_is_named_in_one_answer_and_nothing_is_stored()
    {
        Seed003.SkipIfMissing();
        int before = (await (await fx.Client.GetAsync("/api/models")).ReadJsonAsync<ModelList>()).Models.Count;
        var tensors = Seed003.Tensors();
        tensors.RemoveAll(t => t.Name == "fc22.weight");
        tensors.Add(new SafeTensorsEntry("decoder.extra", [1], [0f]));
        int i = tensors.FindIndex(t => t.Name == "fc21.bias");
        tensors[i] = tensors[i] with { Shape = [2, 10] };

        var response = await ImportAsync(tensors);
        await response.AssertProblemAsync(422, "3 tensors", "'logvar.weight'", "'decoder.extra'", "'fc21.bias'");
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["decoder.extra", "fc21.bias", "logvar.weight"], errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(before, (await (await fx.Client.GetAsync("/api/models")).ReadJsonAsync<ModelList>()).Models.Count);
    }

    [SkippableFact]
    public async Task Weights_that_are_not_a_safetensors_file_are_a_422_that_says_so()
    {
        Seed003.SkipIfMissing();
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form(Encoding.ASCII.GetBytes("PK\u0003\u0004 not safetensors at all"), fileName: "model.pt"));
        await response.AssertProblemAsync(422, "model.pt", "safetensors");
    }

    [SkippableTheory]
    [InlineData("""{"model":{"family":"transformer"}}""", "model.family", "mlp")]
    [InlineData("""{"dataset":"imagenet","model":{"family":"mlp"}}""", "dataset", "mnist")]
    [InlineData("""{"model":{"family":"mlp","latentDim":0}}""", "model.latentDim", "between 1")]
    [InlineData("""{"model":{"family":"mlp"},"epochs":3}""", "epochs", "dataset', 'model' and 'name'")]
    [InlineData("""{"model":{"family":"mlp"},"name":7}""", "name", "string")]
    public async Task A_configuration_a_training_request_would_refuse_is_a_422_naming_the_field(string config, string field, string hint)
    {
        Seed003.SkipIfMissing();
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Weights, config));
        await response.AssertProblemAsync(422, field, hint);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors names {field}");
    }

    [SkippableFact]
    public async Task A_configuration_of_another_shape_than_the_weights_names_each_tensor_that_differs()
    {
        Seed003.SkipIfMissing();
        string config = """{"model":{"family":"mlp","hiddenSizes":[400],"latentDim":16}}""";
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Weights, config));
        await response.AssertProblemAsync(422, "'fc21.weight'", "(20, 400)", "expects (16, 400)", "'fc3.weight'");
    }

    [SkippableTheory]
    [InlineData(false, true, "'weights'")]
    [InlineData(true, false, "'config'")]
    public async Task A_form_without_its_weights_or_its_configuration_is_a_400_naming_the_part(bool weights, bool config, string missing)
    {
        Seed003.SkipIfMissing();
        var response = await fx.Client.PostAsync("/api/models", Seed003.Form(weights ? Seed003.Weights : null, config ? Seed003.Config : null));
        await response.AssertProblemAsync(400, missing);
    }

    [SkippableFact]
    public async Task A_form_with_a_part_of_another_name_is_a_400_naming_the_parts_it_takes()
    {
        Seed003.SkipIfMissing();
        var form = Seed003.Form(Seed003.Weights);
        form.Add(new StringContent("x"), "labels");
        await (await fx.Client.PostAsync("/api/models", form)).AssertProblemAsync(400, "'labels'", "'weights'", "'config'");
    }

    [SkippableFact]
    public async Task A_body_that_is_not_a_multipart_form_is_a_415_that_says_what_to_send()
    {
        Seed003.SkipIfMissing();
        var response = await fx.Client.PostAsync("/api/models", Http.Body(Seed003.Weights, "application/octet-stream"));
        await response.AssertProblemAsync(415, "multipart/form-data", "'weights'", "'config'");
    }

    [SkippableFact]
    public async Task An_import_larger_than_the_limit_is_a_413_naming_the_setting()
    {
        Seed003.SkipIfMissing();
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Models:Import:MaxBytes"] = "100000" });
        using var client = factory.CreateClient();
        await (await client.PostAsync("/api/models", Seed003.Form(Seed003.Weights))).AssertProblemAsync(413, "Models:Import:MaxBytes");
    }

    [SkippableFact]
    public async Task Importing_needs_write_access_like_every_other_change()
    {
        Seed003.SkipIfMissing();
        using (var remote = new ServiceFactory(output, remoteAddress: IPAddress.Parse("203.0.113.9")))
        using (var client = remote.CreateClient())
            await (await client.PostAsync("/api/models", Seed003.Form(Seed003.Weights))).AssertProblemAsync(403, "loopback");

        using var keyed = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Security:ApiKey"] = "sesame" });
        using var keyedClient = keyed.CreateClient();
        await (await keyedClient.PostAsync("/api/models", Seed003.Form(Seed003.Weights))).AssertProblemAsync(401, "X-Api-Key");
        keyedClient.DefaultRequestHeaders.Add("X-Api-Key", "sesame");
        await AssertCreatedAsync(await keyedClient.PostAsync("/api/models", Seed003.Form(Seed003.Weights)));
    }

    // ---- helpers ----

    private async Task<HttpResponseMessage> ImportAsync(IReadOnlyList<SafeTensorsEntry> tensors)
        => await fx.Client.PostAsync("/api/models", Seed003.Form(Seed003.Write(tensors)));

    internal static async Task<ModelView> AssertCreatedAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {body}");
        var model = JsonSerializer.Deserialize<ModelView>(body, Http.Wire)!;
        Assert.Equal($"/api/models/{model.Id}", response.Headers.Location?.OriginalString);
        return model;
    }

    private static async Task AssertOkAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
        => Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

    /// <summary>Asserts every value within the tolerance; returns the largest difference.</summary>
    internal static float AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        float worst = 0;
        for (int r = 0; r < expected.Count; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (int i = 0; i < expected[r].Length; i++) worst = Math.Max(worst, Math.Abs(expected[r][i] - actual[r][i]));
        }
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst}, more than {tolerance}");
        return worst;
    }
}
