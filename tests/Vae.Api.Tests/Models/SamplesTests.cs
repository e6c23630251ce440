using System.Net;

namespace Vae.Api.Tests.Models;

[Collection(ModelsCollection.Name)]
public class SamplesTests(ModelsFixture fx)
{
    private string Url => $"/api/models/{fx.Vae.Id}/samples.png";

    [Fact]
    public async Task Sixty_four_samples_by_default_in_an_8x8_grid()
    {
        await (await fx.Client.GetAsync(Url)).AssertPngAsync(8 * 30 + 2, 8 * 30 + 2);
    }

    [Fact]
    public async Task The_same_seed_gives_byte_identical_pngs_and_another_seed_other_images()
    {
        var a = await fx.Client.GetByteArrayAsync(Url + "?n=16&seed=42");
        var b = await fx.Client.GetByteArrayAsync(Url + "?n=16&seed=42");
        var c = await fx.Client.GetByteArrayAsync(Url + "?n=16&seed=43");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Temperature_changes_the_samples_and_columns_and_scale_the_layout()
    {
        var cold = await fx.Client.GetByteArrayAsync(Url + "?n=4&temperature=0.1");
        var warm = await fx.Client.GetByteArrayAsync(Url + "?n=4&temperature=2");
        Assert.NotEqual(cold, warm);
        await (await fx.Client.GetAsync(Url + "?n=6&columns=3&scale=2")).AssertPngAsync(2 * (3 * 30 + 2), 2 * (2 * 30 + 2));
        await (await fx.Client.GetAsync($"/api/models/{fx.Autoencoder.Id}/samples.png?n=1")).AssertPngAsync(32, 32);
    }

    [Fact]
    public async Task Samples_of_a_model_id_are_cacheable_forever_and_revalidate_with_their_etag()
    {
        var response = await fx.Client.GetAsync(Url + "?n=9&seed=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl.MaxAge);

        using var again = new HttpRequestMessage(HttpMethod.Get, Url + "?n=9&seed=5");
        again.Headers.IfNoneMatch.Add(etag!);
        var notModified = await fx.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        var other = await fx.Client.GetAsync(Url + "?n=9&seed=6");
        Assert.NotEqual(etag, other.Headers.ETag);
    }

    [Fact]
    public async Task Samples_of_default_revalidate_because_default_may_name_another_model_later()
    {
        var byDefault = await fx.Client.GetAsync("/api/models/default/samples.png?n=4");
        var byId = await fx.Client.GetAsync(Url + "?n=4");
        Assert.True(byDefault.Headers.CacheControl!.NoCache);
        Assert.Equal(byId.Headers.ETag, byDefault.Headers.ETag);
        Assert.Equal(await byId.Content.ReadAsByteArrayAsync(), await byDefault.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("?n=0", "n")]
    [InlineData("?n=257", "n")]
    [InlineData("?temperature=0", "temperature")]
    [InlineData("?temperature=-1", "temperature")]
    [InlineData("?temperature=10.5", "temperature")]
    [InlineData("?temperature=NaN", "temperature")]
    [InlineData("?temperature=Infinity", "temperature")]
    [InlineData("?columns=0", "columns")]
    [InlineData("?scale=9", "scale")]
    public async Task Values_out_of_range_are_422_naming_the_parameter(string query, string name)
    {
        var response = await fx.Client.GetAsync(Url + query);
        await response.AssertProblemAsync(422, name);
        var errors = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal([name], errors.EnumerateObject().Select(e => e.Name));
    }

    [Theory]
    [InlineData("?n=lots", "n must be a whole number, got \"lots\"")]
    [InlineData("?seed=x", "seed must be a whole number")]
    [InlineData("?temperature=warm", "temperature must be a number")]
    [InlineData("?label=seven", "label must be a whole number")]
    public async Task Values_that_are_not_numbers_are_422_naming_the_parameter(string query, string detail)
    {
        var response = await fx.Client.GetAsync(Url + query);
        await response.AssertProblemAsync(422, detail);
        var errors = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal([query[1..query.IndexOf('=')]], errors.EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Outside_development_a_value_that_is_not_a_number_is_422_too_not_checked_as_if_it_were_0()
    {
        using var production = new ServiceFactory(settings: new Dictionary<string, string?> { ["environment"] = "Production" });
        using var client = production.CreateClient();
        await (await client.GetAsync($"/api/models/{fx.Vae.Id}/samples.png?n=lots")).AssertProblemAsync(422, "n must be a whole number");
    }

    [Fact]
    public async Task Samples_of_an_unknown_model_are_404()
    {
        await (await fx.Client.GetAsync("/api/models/nothing/samples.png")).AssertProblemAsync(404, "nothing");
    }
}
