using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Sweeps;

/// <summary>The OpenAPI document describes sweeps with examples the service takes.</summary>
public sealed class SweepDocsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_sweep_example_in_the_document_is_accepted_and_the_tag_is_described()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var root = document.RootElement;

        var tag = root.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Sweeps");
        Assert.Contains("same seed", tag.GetProperty("description").GetString());
        var examples = root.GetProperty("paths").GetProperty("/api/sweeps").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");
        Assert.NotEmpty(examples.EnumerateObject());
        foreach (var example in examples.EnumerateObject())
        {
            string body = example.Value.GetProperty("value").GetRawText();
            var response = await client.PostAsync("/api/sweeps", new StringContent(body, Encoding.UTF8, "application/json"));
            string answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Example {example.Name} was refused: {answer}");
            using var sweep = JsonDocument.Parse(answer);
            int points = example.Value.GetProperty("value").GetProperty("grid").EnumerateObject().Aggregate(1, (n, key) => n * key.Value.GetArrayLength());
            Assert.Equal(points, sweep.RootElement.GetProperty("points").GetArrayLength());
            using var _ = await client.DeleteAsync($"/api/sweeps/{sweep.RootElement.GetProperty("id").GetString()}");
        }
    }
}
