using Vae.Engine.Backends.Cpu;
using System.Net;
using Vae.Api.Models;
using Vae.Engine.Tensors;

namespace Vae.Api.Tests.Models;

/// <summary>Conditional models draw and read the class they are given; unconditional ones refuse classes.</summary>
[Collection(FamiliesCollection.Name)]
public class ConditionalTests(FamiliesFixture fx)
{
    private TrainedModel Cifar => fx.ResNet;
    private TrainedModel Fashion => fx.Conv;

    [Fact]
    public async Task Samples_with_a_label_are_the_seeds_codes_decoded_under_that_label()
    {
        // The service draws z ~ N(0, I) from a generator seeded with the seed: the same codes, decoded with labels [7, 7].
        var z = Tensor.RandN(new Generator(5), [2, Cifar.Config.LatentDim], CpuBackend.Instance).ToArray();
        string latents = $"[{Http.Floats(z[..4])},{Http.Floats(z[4..])}]";

        var samples = await fx.Client.GetByteArrayAsync($"/api/models/{Cifar.Id}/samples.png?n=2&seed=5&label=7");
        var sevens = await (await fx.Client.PostAsync($"/api/models/{Cifar.Id}/decode", Http.JsonBody($$"""{"latents":{{latents}},"labels":[7,7]}"""))).Content.ReadAsByteArrayAsync();
        var threes = await (await fx.Client.PostAsync($"/api/models/{Cifar.Id}/decode", Http.JsonBody($$"""{"latents":{{latents}},"labels":[3,3]}"""))).Content.ReadAsByteArrayAsync();

        Assert.Equal(sevens, samples);
        Assert.NotEqual(threes, samples);
    }

    [Fact]
    public async Task The_label_is_part_of_the_etag_of_samples_and_of_the_manifold()
    {
        async Task<string> Etag(string url) => (await fx.Client.GetAsync(url)).Headers.ETag!.Tag;

        string samples = $"/api/models/{Cifar.Id}/samples.png?n=4&seed=9";
        Assert.NotEqual(await Etag(samples + "&label=1"), await Etag(samples + "&label=2"));
        Assert.Equal(await Etag(samples + "&label=1"), await Etag(samples + "&label=1"));
        string manifold = $"/api/models/{Fashion.Id}/manifold.png?n=2";
        Assert.NotEqual(await Etag(manifold + "&label=1"), await Etag(manifold + "&label=2"));

        // A client holding the image of label 1 gets the image of label 2 in full, not a 304.
        using var other = new HttpRequestMessage(HttpMethod.Get, samples + "&label=2");
        other.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(await Etag(samples + "&label=1")));
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.SendAsync(other)).StatusCode);
    }

    [Theory]
    [InlineData("samples.png?n=1")]
    [InlineData("manifold.png?n=2")]
    public async Task A_conditional_model_without_a_label_is_422_listing_the_classes(string endpoint)
    {
        var detail = await (await fx.Client.GetAsync($"/api/models/{Cifar.Id}/{endpoint}")).AssertProblemAsync(422, "label", "0 to 9", "0 = airplane", "9 = truck");
        Assert.Contains("required", detail);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("10")]
    public async Task A_label_out_of_range_is_422_naming_label_and_the_classes(string label)
    {
        var response = await fx.Client.GetAsync($"/api/models/{Fashion.Id}/samples.png?n=1&label={label}");
        await response.AssertProblemAsync(422, "label", "0 to 9", "0 = T-shirt/top", "9 = Ankle boot");
        Assert.Contains("\"label\"", await response.Content.ReadAsStringAsync()); // under "errors"
    }

    [Fact]
    public async Task Decode_takes_one_label_per_code_and_each_label_draws_its_own_class()
    {
        var images = await (await fx.Client.PostAsync($"/api/models/{Fashion.Id}/decode",
            Http.JsonBody("""{"latents":[[0,0],[0,0]],"labels":[0,9]}"""), "application/json")).ReadJsonAsync<ImagesResponse>();
        Assert.True(MaxDifference(images.Images[0], images.Images[1]) > 1e-3, "labels 0 and 9 decode the same code alike");

        var one = await (await fx.Client.PostAsync($"/api/models/{Fashion.Id}/decode?label=9",
            Http.JsonBody("""{"latent":[0,0]}"""), "application/json")).ReadJsonAsync<ImagesResponse>();
        Assert.True(MaxDifference(images.Images[1], one.Images[0]) < 1e-5, "the query's label 9 decodes unlike labels [9]");
    }

    private static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => MathF.Abs(x - y)).Max();
    }

    [Theory]
    [InlineData("", """{"latents":[[0,0],[0,0]]}""", "label", "required")]
    [InlineData("", """{"latents":[[0,0],[0,0]],"labels":[1]}""", "labels", "one label per")]
    [InlineData("", """{"latents":[[0,0],[0,0]],"labels":[1,10]}""", "labels[1]", "0 to 9")]
    [InlineData("", """{"latents":[[0,0],[0,0]],"labels":[1,2],"label":3}""", "label", "not both")]
    [InlineData("?label=4", """{"latent":[0,0],"label":3}""", "label", "give it once")]
    public async Task Decode_labels_that_are_missing_miscounted_out_of_range_or_contradictory_are_422(string query, string body, string name, string fragment)
    {
        await (await fx.Client.PostAsync($"/api/models/{Fashion.Id}/decode{query}", Http.JsonBody(body))).AssertProblemAsync(422, name, fragment);
    }

    [Fact]
    public async Task Encode_reads_a_png_or_json_under_the_given_label()
    {
        string url = $"/api/models/{Fashion.Id}/encode";
        async Task<float[]> Mu(string query, HttpContent body) => (await (await fx.Client.PostAsync(url + query, body)).ReadJsonAsync<EncodeResponse>()).Results[0].Mu;

        var png = await Mu("?invert=false&label=2", Http.PngBody(Fashion.Png(0)));
        var json = await Mu("", Http.JsonBody($$"""{"pixels":{{Http.Floats(Fashion.Pixels(0))}},"label":2}"""));
        var perImage = await Mu("", Http.JsonBody($$"""{"batch":[{{Http.Floats(Fashion.Pixels(0))}}],"labels":[2]}"""));
        var other = await Mu("?invert=false&label=5", Http.PngBody(Fashion.Png(0)));

        for (int d = 0; d < png.Length; d++)
        {
            Assert.Equal(json[d], png[d], 4);
            Assert.Equal(json[d], perImage[d], 4);
        }
        Assert.NotEqual(png, other);
        await (await fx.Client.PostAsync(url, Http.PngBody(Fashion.Png(0)))).AssertProblemAsync(422, "label", "required");
    }

    [Fact]
    public async Task Reconstruct_and_interpolate_need_the_label_of_a_conditional_model()
    {
        await (await fx.Client.PostAsync($"/api/models/{Fashion.Id}/reconstruct", Http.PngBody(Fashion.Png(0)))).AssertProblemAsync(422, "label");
        var reconstruction = await fx.Client.PostAsync($"/api/models/{Fashion.Id}/reconstruct?label=4", Http.PngBody(Fashion.Png(0)));
        Assert.Equal(HttpStatusCode.OK, reconstruction.StatusCode);

        string url = $"/api/models/{Fashion.Id}/interpolate";
        string path = """{"from":{"latent":[0,0]},"to":{"latent":[1,1]},"steps":3""";
        await (await fx.Client.PostAsync(url, Http.JsonBody(path + "}"))).AssertProblemAsync(422, "label");
        var byQuery = await (await fx.Client.PostAsync(url + "?label=8", Http.JsonBody(path + "}"), "application/json")).ReadJsonAsync<InterpolationResponse>();
        var byBody = await (await fx.Client.PostAsync(url, Http.JsonBody(path + ""","label":8}"""), "application/json")).ReadJsonAsync<InterpolationResponse>();
        var other = await (await fx.Client.PostAsync(url + "?label=0", Http.JsonBody(path + "}"), "application/json")).ReadJsonAsync<InterpolationResponse>();
        Assert.True(MaxDifference(byQuery.Images[1], byBody.Images[1]) < 1e-5, "the body's label decodes unlike the query's");
        Assert.True(MaxDifference(byQuery.Images[1], other.Images[1]) > 1e-3, "labels 8 and 0 decode the path alike");
    }

    [Theory]
    [InlineData("GET", "samples.png?n=1&label=1", null)]
    [InlineData("GET", "manifold.png?n=2&label=1", null)]
    [InlineData("POST", "decode?label=1", """{"latent":[0,0]}""")]
    [InlineData("POST", "decode", """{"latents":[[0,0]],"labels":[1]}""")]
    [InlineData("POST", "encode?label=1", "png")]
    [InlineData("POST", "reconstruct?label=1", "png")]
    [InlineData("POST", "interpolate?label=1", """{"from":{"latent":[0,0]},"to":{"latent":[1,1]}}""")]
    public async Task A_label_given_to_an_unconditional_model_is_422(string method, string endpoint, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/models/{fx.Mlp.Id}/{endpoint}");
        if (body == "png") request.Content = Http.PngBody(fx.Mlp.Png(0));
        else if (body is not null) request.Content = Http.JsonBody(body);
        var detail = await (await fx.Client.SendAsync(request)).AssertProblemAsync(422, "not conditional");
        Assert.Contains(endpoint.Contains("labels") || (body?.Contains("labels") ?? false) ? "labels" : "label", detail);
    }
}
