using System.Net;
using System.Net.Http.Json;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

public class DefaultModelNotReadyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Asking_for_the_default_model_while_the_first_one_trains_is_a_409_naming_the_job()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();
        // Held at its start, the first job cannot have made a model when the request arrives.
        var held = factory.Gate.HoldAtStart();
        var job = await client.SubmitAsync(JobsClient.Tiny(epochs: 1, name: "first"));
        await held.ReachedAsync();

        var response = await client.GetAsync("/api/models/default/samples.png?n=4");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>();
        Assert.Contains(job.Id, problem!.Detail);

        Assert.True((await client.DeleteAsync($"/api/jobs/{job.Id}")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Asking_for_the_default_model_with_no_model_and_no_job_is_a_404_that_says_how_to_train()
    {
        using var factory = new ServiceFactory(output);
        var response = await factory.CreateClient().GetAsync("/api/models/default");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("POST /api/jobs", await response.Content.ReadAsStringAsync());
    }
}
