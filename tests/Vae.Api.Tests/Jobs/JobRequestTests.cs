using System.Net;
using System.Net.Http.Json;
using System.Text;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>What POST /api/jobs accepts and refuses, and the lookups that find nothing.</summary>
public sealed class JobRequestTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_empty_object_queues_a_job_with_every_default()
    {
        var client = _factory.CreateClient();
        var response = await client.PostJsonAsync("{}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal($"/api/jobs/{job.Id}", response.Headers.Location?.OriginalString);
        Assert.Contains(job.Status, new[] { JobStatus.Queued, JobStatus.Running });
        Assert.Equal("mnist", job.Dataset);
        Assert.Equal("vae", job.Model);
        Assert.Equal([400], job.Configuration.HiddenSizes);
        Assert.Equal(20, job.Configuration.LatentDim);
        Assert.Equal("bernoulli", job.Configuration.Likelihood);
        Assert.Equal(10, job.TotalEpochs);
        Assert.Equal(128, job.Configuration.BatchSize);
        Assert.Equal(1e-3f, job.Configuration.LearningRate);
        Assert.Equal(0, job.CurrentEpoch);
        Assert.Null(job.ModelId);

        await client.CancelQuietlyAsync(job.Id);
    }

    [Fact]
    public async Task An_empty_body_means_all_defaults_too()
    {
        var client = _factory.CreateClient();
        var response = await client.PostAsync("/api/jobs", content: null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal(10, job.TotalEpochs);
        await client.CancelQuietlyAsync(job.Id);
    }

    [Theory]
    [InlineData("""{"dataset":"svhn"}""", "dataset", "mnist")]
    [InlineData("""{"model":"gan"}""", "model", "'vae' or 'ae'")]
    [InlineData("""{"architecture":"conv"}""", "architecture", "not available yet")]
    [InlineData("""{"hiddenSizes":[]}""", "hiddenSizes", "1 to 4 layer widths")]
    [InlineData("""{"hiddenSizes":[64,64,64,64,64]}""", "hiddenSizes", "1 to 4 layer widths")]
    [InlineData("""{"hiddenSizes":[5000]}""", "hiddenSizes", "between 1 and 4096")]
    [InlineData("""{"latentDim":0}""", "latentDim", "between 1 and 512")]
    [InlineData("""{"activation":"gelu"}""", "activation", "'relu', 'leaky_relu' or 'tanh'")]
    [InlineData("""{"likelihood":"poisson"}""", "likelihood", "'bernoulli' or 'gaussian'")]
    [InlineData("""{"sigma":0}""", "sigma", "greater than 0")]
    [InlineData("""{"beta":-1}""", "beta", "at least 0")]
    [InlineData("""{"epochs":0}""", "epochs", "between 1 and 200")]
    [InlineData("""{"epochs":201}""", "epochs", "between 1 and 200")]
    [InlineData("""{"batchSize":5000}""", "batchSize", "between 1 and 4096")]
    [InlineData("""{"learningRate":0}""", "learningRate", "greater than 0 and at most 1")]
    [InlineData("""{"learningRate":1.5}""", "learningRate", "greater than 0 and at most 1")]
    [InlineData("""{"seed":-1}""", "seed", "between 0 and")]
    [InlineData("""{"sigma":1e39}""", "sigma", "finite")]
    public async Task A_value_out_of_range_is_refused_with_422_naming_the_field_and_its_range(string body, string field, string range)
    {
        var response = await _factory.CreateClient().PostJsonAsync(body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(field, detail);
        Assert.Contains(range, detail);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
    }

    [Fact]
    public async Task A_name_longer_than_100_characters_is_refused()
    {
        var response = await _factory.CreateClient().PostJsonAsync($$"""{"name":"{{new string('x', 101)}}"}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("at most 100 characters", (await response.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Every_bad_field_is_named_in_one_answer()
    {
        var response = await _factory.CreateClient().PostJsonAsync("""{"latentDim":0,"epochs":0,"batchSize":0,"model":"x"}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ProblemAsync()).GetProperty("errors");
        foreach (var field in new[] { "latentDim", "epochs", "batchSize", "model" })
            Assert.True(errors.TryGetProperty(field, out _), $"missing {field} in {errors}");
    }

    [Theory]
    [InlineData("""{"epochs":""")]
    [InlineData("""{"epochs":"three"}""")]
    [InlineData("""{"beta":NaN}""")]
    [InlineData("""{"beta":"Infinity"}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"epoch":3}""")]
    public async Task Malformed_json_or_an_unknown_field_is_refused_with_400(string body)
    {
        var response = await _factory.CreateClient().PostJsonAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("JSON", (await response.ProblemAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_far_larger_than_any_request_is_refused_with_413()
    {
        var response = await _factory.CreateClient().PostJsonAsync($$"""{"name":"{{new string('x', 70_000)}}"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var response = await _factory.CreateClient().PostAsync("/api/jobs", new StringContent("epochs=3", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_job_is_404_for_reading_cancelling_and_following()
    {
        var client = _factory.CreateClient();

        foreach (var response in new[]
        {
            await client.GetAsync("/api/jobs/nope"),
            await client.DeleteAsync("/api/jobs/nope"),
            await client.GetAsync("/api/jobs/nope/events"),
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("nope", (await response.ProblemAsync()).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_list_limit_out_of_range_is_refused()
    {
        var response = await _factory.CreateClient().GetAsync("/api/jobs?limit=0");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }
}
