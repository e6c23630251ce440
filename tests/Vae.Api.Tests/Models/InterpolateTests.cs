using Vae.Api.Models;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class InterpolateTests(ModelsFixture fx)
{
    private string Url => $"/api/models/{fx.Vae.Id}/interpolate";

    [Fact]
    public async Task Interpolating_between_latents_answers_a_strip_of_steps_images()
    {
        var body = """{"from":{"latent":[-2,0]},"to":{"latent":[2,1]},"steps":5}""";
        await (await fx.Client.PostAsync(Url, Http.JsonBody(body))).AssertPngAsync(5 * 30 + 2, 32);
        await (await fx.Client.PostAsync(Url + "?scale=2", Http.JsonBody(body))).AssertPngAsync(2 * (5 * 30 + 2), 64);
    }

    [Fact]
    public async Task Ten_linear_steps_by_default_from_one_end_to_the_other()
    {
        var path = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"from":{"latent":[-2,0]},"to":{"latent":[2,1]}}"""), "application/json"))
            .ReadJsonAsync<InterpolationResponse>();
        Assert.Equal(10, path.Latents.Count);
        Assert.Equal(10, path.Images.Count);
        Assert.Equal([-2f, 0f], path.Latents[0]);
        Assert.Equal([2f, 1f], path.Latents[^1]);
        Assert.Equal(-2f + (4f / 9f), path.Latents[1][0], 5);
        Assert.All(path.Images, image => Assert.Equal(784, image.Length));
    }

    [Fact]
    public async Task Slerp_follows_the_arc_between_codes_of_equal_norm()
    {
        var path = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"from":{"latent":[2,0]},"to":{"latent":[0,2]},"steps":3,"method":"slerp"}"""), "application/json"))
            .ReadJsonAsync<InterpolationResponse>();
        Assert.Equal(MathF.Sqrt(2), path.Latents[1][0], 4);
        Assert.Equal(MathF.Sqrt(2), path.Latents[1][1], 4);
    }

    [Fact]
    public async Task Slerp_between_parallel_codes_falls_back_to_a_straight_line()
    {
        var path = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"from":{"latent":[1,1]},"to":{"latent":[3,3]},"steps":3,"method":"SLERP"}"""), "application/json"))
            .ReadJsonAsync<InterpolationResponse>();
        Assert.Equal([2f, 2f], path.Latents[1]);
        var zero = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"from":{"latent":[0,0]},"to":{"latent":[3,3]},"steps":4,"method":"slerp"}"""), "application/json"))
            .ReadJsonAsync<InterpolationResponse>();
        Assert.Equal([1f, 1f], zero.Latents[1]);
    }

    [Fact]
    public async Task Png_ends_are_encoded_to_their_mean_codes()
    {
        var mu = Assert.Single((await (await fx.Client.PostAsync($"/api/models/{fx.Vae.Id}/encode", Http.PngBody(fx.Png(0)))).ReadJsonAsync<EncodeResponse>()).Results).Mu;
        string body = $$"""{"from":{"png":"{{Convert.ToBase64String(fx.Png(0))}}"},"to":{"png":"{{Convert.ToBase64String(Http.Fixture("seven-40x40-rgb.png"))}}"},"steps":4}""";
        var path = await (await fx.Client.PostAsync(Url, Http.JsonBody(body), "application/json")).ReadJsonAsync<InterpolationResponse>();
        Assert.Equal(mu, path.Latents[0]);
        await (await fx.Client.PostAsync(Url, Http.JsonBody(body))).AssertPngAsync(4 * 30 + 2, 32);
    }

    [Theory]
    [InlineData("""{"from":{"latent":[0,0]},"to":{"latent":[1,1]},"steps":1}""", "steps")]
    [InlineData("""{"from":{"latent":[0,0]},"to":{"latent":[1,1]},"steps":65}""", "steps")]
    [InlineData("""{"from":{"latent":[0,0]},"to":{"latent":[1,1]},"method":"cubic"}""", "method")]
    [InlineData("""{"from":{"latent":[0,0,0]},"to":{"latent":[1,1]}}""", "from.latent")]
    [InlineData("""{"from":{"latent":[0,0]},"to":{"latent":[1,1e40]}}""", "to.latent[1]")]
    public async Task Values_out_of_range_are_422(string json, string fragment)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(422, fragment);
    }

    [Theory]
    [InlineData("""{"to":{"latent":[1,1]}}""", "from")]
    [InlineData("""{"from":{"latent":[0,0],"png":"AAAA"},"to":{"latent":[1,1]}}""", "from")]
    [InlineData("""{"from":{},"to":{"latent":[1,1]}}""", "from")]
    [InlineData("""{"from":{"png":"%%%"},"to":{"latent":[1,1]}}""", "base64")]
    [InlineData("""{"from":{"png":"AAAAAAAA"},"to":{"latent":[1,1]}}""", "not a PNG, JPEG, WebP or BMP image")]
    [InlineData("""{"from":{"latent":[0,0]},"to":{"latent":[1,1]},"steps":"many"}""", "steps must be a whole number (got a string)")]
    public async Task Malformed_ends_and_bodies_are_400(string json, string fragment)
    {
        await (await fx.Client.PostAsync(Url, Http.JsonBody(json))).AssertProblemAsync(400, fragment);
    }

    [Fact]
    public async Task Interpolate_takes_json_only_within_the_size_limit()
    {
        await (await fx.Client.PostAsync(Url, Http.PngBody(fx.Png(0)))).AssertProblemAsync(415, "application/json");
        await (await fx.Client.PostAsync(Url, Http.Body(new byte[(16 * 1024 * 1024) + 1], "application/json"))).AssertProblemAsync(413);
    }

    [Fact]
    public async Task Interpolating_with_an_unknown_model_is_404()
    {
        await (await fx.Client.PostAsync("/api/models/m0/interpolate", Http.JsonBody("""{"from":{"latent":[0,0]},"to":{"latent":[1,1]}}"""))).AssertProblemAsync(404, "m0");
    }

    [Fact]
    public async Task Ends_sent_as_bare_arrays_are_refused_with_the_shape_of_an_end_and_no_type_name()
    {
        string detail = await (await fx.Client.PostAsync(Url, Http.JsonBody("""{"from":[0,0],"to":[1,1]}""")))
            .AssertProblemAsync(400, "from must be an object (got an array)", "{\"latent\": [...]}");
        Assert.DoesNotContain("Vae.", detail);
        Assert.DoesNotContain("InterpolationPoint", detail);
    }
}
