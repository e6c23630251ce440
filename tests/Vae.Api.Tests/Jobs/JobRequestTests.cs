using System.Net;
using System.Net.Http.Json;
using System.Text;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Models.Conv;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Models.ResNet;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>What POST /api/jobs accepts and refuses, and the lookups that find nothing.</summary>
public sealed class JobRequestTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_empty_object_queues_the_compact_mnist_vae_with_every_default_filled_in()
    {
        var client = _factory.CreateClient();
        var response = await client.PostJsonAsync("{}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        Assert.Equal($"/api/jobs/{job.Id}", response.Headers.Location?.OriginalString);
        Assert.Contains(job.Status, new[] { JobStatus.Queued, JobStatus.Running });
        Assert.Equal("mnist", job.Dataset);
        Assert.Equal("mlp", job.Family);
        var model = Assert.IsType<MlpConfig>(job.Request.Model);
        Assert.Equal(ModelKind.Vae, model.Kind);
        Assert.Equal([400], model.HiddenSizes);
        Assert.Equal(20, model.LatentDim);
        Assert.Equal(Likelihood.Bernoulli, model.Likelihood);
        Assert.Equal((1, 28, 28), (model.Channels, model.Height, model.Width));
        Assert.Equal(10, job.TotalEpochs);
        Assert.Equal(128, job.Request.BatchSize);
        Assert.Equal(1e-3f, job.Request.LearningRate);
        Assert.Equal(TrainingRequestValidation.DefaultImportanceSamples, job.Request.Evaluation!.ImportanceSamples);
        Assert.True(job.Request.Evaluation.Images is > 0 and <= TrainingRequestValidation.MaxDefaultEvaluationImages);
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

    [Fact]
    public async Task A_resnet_on_cifar10_with_nothing_else_said_is_the_tutorials_model_and_recipe()
    {
        var client = _factory.CreateClient();
        var response = await client.PostJsonAsync("""{"model": {"family": "resnet"}, "dataset": "cifar10", "epochs": 1}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        await client.CancelQuietlyAsync(job.Id);
        Assert.Equal("resnet", job.Family);
        var model = Assert.IsType<ResNetConfig>(job.Request.Model);
        Assert.Equal(new ResNetConfig(), model);
        Assert.Equal((3, 32, 32), (model.Channels, model.Height, model.Width));
        Assert.Equal(Likelihood.GaussianLearnedScale, model.Likelihood);
        Assert.Equal(KlEstimator.MonteCarlo, model.Kl);
        var recipe = model.Owner.Recipe;
        Assert.Equal((recipe.BatchSize, recipe.LearningRate), (job.Request.BatchSize, job.Request.LearningRate));
    }

    [Fact]
    public async Task A_conditional_conv_model_on_fashion_mnist_takes_its_shape_and_classes_from_the_dataset()
    {
        var client = _factory.CreateClient();
        var response = await client.PostJsonAsync("""
            {"dataset": "fashion-mnist", "model": {"family": "conv", "kind": "vae", "conditional": true, "latentDim": 16}, "epochs": 10}
            """);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<JobView>(JobsClient.Json))!;
        await client.CancelQuietlyAsync(job.Id);
        var model = Assert.IsType<ConvConfig>(job.Request.Model);
        Assert.True(model.Conditional);
        Assert.Equal(10, model.ClassCount);
        Assert.Equal(16, model.LatentDim);
        Assert.Equal((1, 28, 28), (model.Channels, model.Height, model.Width));
        Assert.Equal("fashion-mnist", job.Dataset);
    }

    [Theory]
    [InlineData("""{"dataset":"svhn"}""", "dataset", "'mnist', 'fashion-mnist' or 'cifar10'")]
    [InlineData("""{"model":{"family":"gan"}}""", "model.family", "'mlp', 'conv' or 'resnet'")]
    [InlineData("""{"model":"vae"}""", "model", "JSON object")]
    [InlineData("""{"model":{"kind":"gan"}}""", "model.kind", "'vae' or 'ae'")]
    [InlineData("""{"model":{"family":"mlp","hiddenSizes":[]}}""", "model.hiddenSizes", "1 to 8 layer widths")]
    [InlineData("""{"model":{"latentDim":0}}""", "model.latentDim", "between 1 and 4096")]
    [InlineData("""{"model":{"likelihood":"poisson"}}""", "model.likelihood", "'gaussianLearnedScale'")]
    [InlineData("""{"model":{"likelihood":"gaussian","sigma":0}}""", "model.sigma", "positive")]
    [InlineData("""{"model":{"beta":-1}}""", "model.beta", "at least 0")]
    [InlineData("""{"model":{"family":"conv","denseSize":0}}""", "model.denseSize", "between 1 and 8192")]
    [InlineData("""{"model":{"family":"conv","hiddenSizes":[32]}}""", "model.hiddenSizes", "not a field of the conv family")]
    [InlineData("""{"model":{"channels":3}}""", "model.channels", "leave it out")]
    [InlineData("""{"model":{"family":"resnet"}}""", "dataset", "cifar10")]
    [InlineData("""{"model":{"family":"resnet","widths":[64,128,256,512]}}""", "model.widths", "the mnist images are 28x28")]
    [InlineData("""{"dataset":"cifar10","model":{"family":"conv","convChannels":[8,8,8,8,8,8]}}""", "model.convChannels", "1 to 5")]
    [InlineData("""{"dataset":"cifar10","model":{"conditional":true,"classCount":3}}""", "model.classCount", "has 10 classes")]
    [InlineData("""{"hiddenSizes":[400]}""", "hiddenSizes", "belongs in the \"model\" object")]
    [InlineData("""{"epoch":3}""", "epoch", "not a field of a training request")]
    [InlineData("""{"epochs":"three"}""", "epochs", "a whole number")]
    [InlineData("""{"epochs":0}""", "epochs", "between 1 and 200")]
    [InlineData("""{"epochs":201}""", "epochs", "between 1 and 200")]
    [InlineData("""{"batchSize":5000}""", "batchSize", "between 1 and 4096")]
    [InlineData("""{"learningRate":0}""", "learningRate", "greater than 0 and at most 1")]
    [InlineData("""{"learningRate":1.5}""", "learningRate", "greater than 0 and at most 1")]
    [InlineData("""{"seed":-1}""", "seed", "between 0 and")]
    [InlineData("""{"maxTrainImages":0}""", "maxTrainImages", "at least 1")]
    [InlineData("""{"maxTestImages":-5}""", "maxTestImages", "at least 1")]
    [InlineData("""{"evaluation":{"importanceSamples":0}}""", "evaluation.importanceSamples", "between 1 and 5000")]
    [InlineData("""{"evaluation":{"images":0}}""", "evaluation.images", "at least 1")]
    public async Task An_invalid_value_is_refused_with_422_naming_the_field_and_what_is_allowed(string body, string field, string allowed)
    {
        var response = await _factory.CreateClient().PostJsonAsync(body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(field, detail);
        Assert.Contains(allowed, detail);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
    }

    [Fact]
    public async Task An_unknown_family_is_quoted_once_and_the_families_are_named()
    {
        var response = await _factory.CreateClient().PostJsonAsync("""{"model":{"family":"transformer"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        string detail = (await response.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("(got 'transformer')", detail);
        Assert.DoesNotContain("\"transformer\"", detail);
        Assert.Contains("'mlp', 'conv' or 'resnet'", detail);
    }

    [Fact]
    public async Task A_resnet_on_mnist_is_refused_by_naming_the_dataset_with_a_dataset_and_a_family_that_fit()
    {
        var response = await _factory.CreateClient().PostJsonAsync("""{"dataset":"mnist","model":{"family":"resnet"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("dataset is mnist, whose 28x28 gray images the resnet family's default model cannot take", detail);
        Assert.Contains("Train the resnet on 'cifar10'", detail);
        Assert.Contains("'conv'", detail);
        // The example made for 28x28 gray images is offered as the third way.
        Assert.Contains("'28x28 gray'", detail);
        // Only the field the client chose is named as wrong; the family's defaults are not the client's doing.
        Assert.Equal(["dataset"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
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
        var response = await _factory.CreateClient().PostJsonAsync("""{"model":{"latentDim":0,"beta":-1},"epochs":0,"batchSize":0}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ProblemAsync()).GetProperty("errors");
        foreach (var field in new[] { "model.latentDim", "model.beta" })
            Assert.True(errors.TryGetProperty(field, out _), $"missing {field} in {errors}");

        // The request's own fields are checked once the model is valid, and named together too.
        response = await _factory.CreateClient().PostJsonAsync("""{"epochs":0,"batchSize":0,"seed":-1}""");
        errors = (await response.ProblemAsync()).GetProperty("errors");
        foreach (var field in new[] { "epochs", "batchSize", "seed" })
            Assert.True(errors.TryGetProperty(field, out _), $"missing {field} in {errors}");
    }

    [Theory]
    [InlineData("""{"epochs":""")]
    [InlineData("""{"beta":NaN}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""42""")]
    public async Task A_body_that_is_not_a_json_object_is_refused_with_400(string body)
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
    public async Task Json_sent_as_a_form_as_curl_d_sends_it_is_refused_with_415_saying_which_header_to_send()
    {
        var response = await _factory.CreateClient().PostAsync("/api/jobs", new StringContent("""{"epochs":3}""", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        string detail = (await response.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("not application/x-www-form-urlencoded", detail);
        Assert.Contains("(what curl -d sends unless told otherwise)", detail);
        Assert.Contains("Send the body with Content-Type: application/json (with curl: -H 'Content-Type: application/json')", detail);
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
