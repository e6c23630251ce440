using System.Text.Json;

namespace Vae.Api.Tests.Models;

/// <summary>The OpenAPI document tells clients the model endpoints' media types, errors, query parameters and grid headers.</summary>
public sealed class ModelsApiDocsTests : IDisposable
{
    private readonly ServiceFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private async Task<JsonElement> OperationAsync(string path, string method)
    {
        using var client = _factory.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        return document.GetProperty("paths").GetProperty(path).GetProperty(method);
    }

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    private static string[] QueryParameters(JsonElement operation)
        => operation.GetProperty("parameters").EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToArray();

    [Theory]
    [InlineData("/api/models/{id}/samples.png", "n,seed,temperature,columns,scale,label")]
    [InlineData("/api/models/{id}/manifold.png", "n,range,dims,scale,label")]
    public async Task Image_endpoints_declare_png_and_webp_their_query_parameters_their_errors_and_the_grid_headers(string path, string parameters)
    {
        var operation = await OperationAsync(path, "get");
        Assert.Equal(parameters.Split(','), QueryParameters(operation));
        var responses = operation.GetProperty("responses");
        Assert.Equal(["200", "304", "400", "404", "409", "422", "429", "503"], Names(responses).Order());
        var ok = responses.GetProperty("200");
        Assert.Equal(["image/png", "image/webp"], Names(ok.GetProperty("content")));
        Assert.All(["image/png", "image/webp"], type => Assert.Equal("binary", ok.GetProperty("content").GetProperty(type).GetProperty("schema").GetProperty("format").GetString()));
        Assert.Equal(["X-Grid-Columns", "X-Grid-Rows", "X-Grid-Tile-Width", "X-Grid-Tile-Height", "X-Grid-Padding", "X-Grid-Scale"], Names(ok.GetProperty("headers")));
        Assert.Contains("0 to classCount - 1", operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "label").GetProperty("description").GetString());
    }

    [Theory]
    [InlineData("decode", "columns,scale,label", "application/json", "image/png,image/webp,application/json")]
    [InlineData("interpolate", "invert,columns,scale,label", "application/json", "image/png,image/webp,application/json")]
    [InlineData("reconstruct", "invert,scale,label", "image/png,image/jpeg,image/webp,image/bmp", "image/png,image/webp")]
    [InlineData("encode", "invert,label", "application/json,image/png,image/jpeg,image/webp,image/bmp", "application/json")]
    [InlineData("score", "invert,k,seed,label", "application/json,image/png,image/jpeg,image/webp,image/bmp,application/zip", "application/json")]
    [InlineData("edit", "invert,columns,scale,label", "application/json", "image/png,image/webp,application/json")]
    public async Task Endpoints_with_bodies_declare_what_they_take_and_answer_and_every_error(string endpoint, string parameters, string takes, string answers)
    {
        var operation = await OperationAsync($"/api/models/{{id}}/{endpoint}", "post");
        Assert.Equal(parameters.Split(','), QueryParameters(operation));
        Assert.Equal(takes.Split(','), Names(operation.GetProperty("requestBody").GetProperty("content")));
        var responses = operation.GetProperty("responses");
        Assert.Equal(answers.Split(','), Names(responses.GetProperty("200").GetProperty("content")));
        Assert.Equal(["200", "400", "404", "409", "413", "415", "422", "429", "503"], Names(responses).Order());
        foreach (var error in Names(responses).Where(s => s != "200"))
            Assert.Equal(["application/problem+json"], Names(responses.GetProperty(error).GetProperty("content")));
    }

    [Theory]
    [InlineData("/api/models/{id}/encode")]
    [InlineData("/api/models/{id}/reconstruct")]
    [InlineData("/api/models/{id}/interpolate")]
    [InlineData("/api/models/{id}/score")]
    [InlineData("/api/models/{id}/directions")]
    [InlineData("/api/models/{id}/edit")]
    [InlineData("/api/datasets")]
    public async Task Every_operation_that_reads_images_lists_the_accepted_types(string path)
    {
        var operation = await OperationAsync(path, "post");

        Assert.Equal(["image/png", "image/jpeg", "image/webp", "image/bmp"], operation.GetProperty("x-image-types").EnumerateArray().Select(t => t.GetString()));
        string description = operation.GetProperty("description").GetString()!;
        Assert.Contains("PNG, JPEG, WebP or BMP", description);
        Assert.Contains("415", description);
    }

    [Fact]
    public async Task Directions_declare_their_writes_and_the_score_histogram_its_missing_test_set()
    {
        var create = await OperationAsync("/api/models/{id}/directions", "post");
        Assert.Equal(["201", "400", "401", "403", "404", "409", "413", "415", "422", "429", "503"], Names(create.GetProperty("responses")).Order());
        Assert.Equal("#/components/schemas/DirectionView",
            create.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        var delete = await OperationAsync("/api/models/{id}/directions/{name}", "delete");
        Assert.Equal(["204", "401", "403", "404", "409", "429", "503"], Names(delete.GetProperty("responses")).Order());
        var histogram = await OperationAsync("/api/models/{id}/scores", "get");
        Assert.Equal(["bins"], QueryParameters(histogram));
        Assert.Equal(["200", "400", "404", "409", "422", "429", "503"], Names(histogram.GetProperty("responses")).Order());
    }

    [Fact]
    public async Task The_model_list_declares_its_paging_and_filters_and_latents_its_unavailable_dataset()
    {
        var list = await OperationAsync("/api/models", "get");
        Assert.Equal(["limit", "cursor", "dataset", "name"], QueryParameters(list));
        Assert.Contains("400", Names(list.GetProperty("responses")));
        Assert.Contains("422", Names(list.GetProperty("responses")));
        var latents = await OperationAsync("/api/models/{id}/latents", "get");
        Assert.Equal(["split", "limit"], QueryParameters(latents));
        Assert.Contains("503", Names(latents.GetProperty("responses")));
    }
}
