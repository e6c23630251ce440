using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Api.Sweeps;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Sweeps;

/// <summary>Sweeps through the API: queuing a grid of tiny jobs, following them, refusing bad grids, cancelling.</summary>
public sealed class SweepsApiTests(ITestOutputHelper output) : IDisposable
{
    // One job trains at a time, so a sweep's later points wait in the queue.
    private readonly ServiceFactory _factory = new(output, settings: new Dictionary<string, string?> { ["Jobs:MaxConcurrentJobs"] = "1" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_three_by_two_grid_queues_six_jobs_with_the_swept_values_and_the_same_seed()
    {
        var client = _factory.CreateClient();
        // The first point is held at its start: none can have finished while the sweep is read.
        var held = _factory.Gate.HoldAtStart();

        var sweep = await client.StartSweepAsync(new
        {
            name = "beta-by-size",
            @base = SweepsClient.TinyBase(epochs: 2, seed: 7),
            grid = new Dictionary<string, object[]> { ["model.beta"] = [0.5, 1, 4], ["model.latentDim"] = [2, 3] },
        });

        Assert.StartsWith("s", sweep.Id);
        Assert.Equal("beta-by-size", sweep.Name);
        Assert.Equal(["model.beta", "model.latentDim"], sweep.Grid.Keys);
        Assert.Equal(6, sweep.Points.Count);
        Assert.Equal(6, sweep.Points.Select(p => p.JobId).Distinct().Count());
        Assert.Contains(sweep.Status, new[] { SweepStatus.Queued, SweepStatus.Running });
        double[] betas = [0.5, 0.5, 1, 1, 4, 4];
        int[] sizes = [2, 3, 2, 3, 2, 3];
        for (int i = 0; i < 6; i++)
        {
            var point = sweep.Points[i];
            Assert.Equal(betas[i], point.Values["model.beta"]!.GetValue<double>());
            Assert.Equal(sizes[i], point.Values["model.latentDim"]!.GetValue<int>());
            var job = await client.GetJobAsync(point.JobId);
            Assert.Equal(betas[i], job.Request.Model!.Beta);
            Assert.Equal(sizes[i], job.Request.Model.LatentDim);
            // Everything else is the base's: the seed above all, so the weights start alike and the data come in the same order.
            Assert.Equal(7, job.Request.Seed);
            Assert.Equal(100, job.Request.BatchSize);
            Assert.Equal(300, job.Request.MaxTrainImages);
            Assert.Equal([32], ((Vae.Engine.Models.Mlp.MlpConfig)job.Request.Model).HiddenSizes);
            // Each point's model is registered under a name of its own: the sweep's and the point's values.
            Assert.Equal($"beta-by-size.beta-{betas[i]}.latentDim-{sizes[i]}", job.Name);
        }
        var queued = (await client.GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs;
        Assert.Equal(6, queued.Count);

        await client.DeleteAsync($"/api/sweeps/{sweep.Id}");
        held.Release();
        Assert.Equal(SweepStatus.Cancelled, (await client.WaitForSweepAsync(sweep.Id, s => s.IsFinished())).Status);
    }

    [Fact]
    public async Task A_finished_sweep_shows_every_point_succeeded_with_its_losses_and_evaluation()
    {
        var client = _factory.CreateClient();
        var started = await client.StartSweepAsync(new
        {
            @base = SweepsClient.TinyBase(epochs: 1),
            grid = new Dictionary<string, object[]> { ["model.beta"] = [1, 4] },
        });

        var sweep = await client.WaitForSweepAsync(started.Id, s => s.IsFinished());

        Assert.Equal(SweepStatus.Succeeded, sweep.Status);
        Assert.Equal(new SweepCounts(0, 0, 2, 0, 0), sweep.Counts);
        Assert.Equal(1, sweep.Progress);
        foreach (var point in sweep.Points)
        {
            Assert.Equal(JobStatus.Succeeded, point.Status);
            Assert.Equal(1, point.Progress);
            var job = await client.GetJobAsync(point.JobId);
            Assert.Equal(job.ModelId, point.ModelId);
            var metrics = point.Metrics!;
            Assert.Equal(1, metrics.Epoch);
            // The losses are the job's last epoch's, the bounds the model's evaluation.
            Assert.Equal(job.Epochs[^1].Test, metrics.Test);
            Assert.Equal(job.Epochs[^1].Train, metrics.Train);
            Assert.True(metrics.Test.Loss > 0 && metrics.Test.Kl >= 0, $"test losses {metrics.Test}");
            var model = JsonDocument.Parse(await client.GetStringAsync($"/api/models/{point.ModelId}")).RootElement;
            Assert.Equal(model.GetProperty("evaluation").GetProperty("elbo").GetDouble(), metrics.Elbo);
            Assert.Equal(model.GetProperty("evaluation").GetProperty("iwae").GetDouble(), metrics.Iwae);
            Assert.True(metrics.Iwae >= metrics.Elbo - 1e-6, $"IWAE {metrics.Iwae} below the ELBO {metrics.Elbo}");
            Assert.Null(metrics.BitsPerDim);
        }
        // Unnamed, the jobs are named "sweep" and their values, and so are their models.
        Assert.Equal("sweep.beta-4", (await client.GetJobAsync(sweep.Points[1].JobId)).Name);
        var named = await client.GetFromJsonAsync<JsonElement>($"/api/models/{sweep.Points[1].ModelId}");
        Assert.Equal(("sweep.beta-4", 1), (named.GetProperty("name").GetString(), named.GetProperty("version").GetInt32()));

        var list = (await client.GetFromJsonAsync<SweepList>("/api/sweeps", JobsClient.Json))!.Sweeps;
        Assert.Equal(SweepStatus.Succeeded, Assert.Single(list).Status);

        // Cancelling a finished sweep changes nothing.
        var cancel = await client.DeleteAsync($"/api/sweeps/{sweep.Id}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(SweepStatus.Succeeded, (await cancel.Content.ReadFromJsonAsync<SweepView>(JobsClient.Json))!.Status);
    }

    [Fact]
    public async Task A_point_the_job_validation_refuses_is_a_422_naming_its_key_and_value_and_nothing_is_queued()
    {
        var client = _factory.CreateClient();

        var response = await client.PostSweepAsync(new
        {
            @base = SweepsClient.TinyBase(),
            grid = new Dictionary<string, object[]> { ["model.latentDim"] = [2, 0], ["epochs"] = [1, 2] },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        var errors = problem.GetProperty("errors");
        var message = Assert.Single(errors.GetProperty("grid.model.latentDim").EnumerateArray()).GetString();
        Assert.StartsWith("value 0 is not accepted:", message);
        Assert.Contains("grid.model.latentDim value 0", problem.GetProperty("detail").GetString());
        Assert.Single(errors.EnumerateObject());
        await AssertNothingQueuedAsync(client);
    }

    [Fact]
    public async Task A_problem_of_the_base_is_named_by_its_field_and_by_the_points_where_it_arises()
    {
        var client = _factory.CreateClient();

        // Wrong at every point: said once, as the base's.
        var everywhere = await client.PostSweepAsync(new
        {
            @base = new { model = new { family = "mlp", hiddenSizes = new[] { 32 } }, epochs = 0 },
            grid = new Dictionary<string, object[]> { ["model.beta"] = [1, 4] },
        });
        // Wrong only where the grid makes it so: a conv has no hiddenSizes; and no family has a depth.
        var somewhere = await client.PostSweepAsync(new
        {
            @base = new { model = new { family = "mlp", hiddenSizes = new[] { 32 } } },
            grid = new Dictionary<string, object[]> { ["model.family"] = ["mlp", "conv"], ["model.depth"] = [2] },
        });
        var extra = await client.PostSweepAsync(new { grid = new Dictionary<string, object[]> { ["model.beta"] = [1] }, epochs = 3 });

        var errors = (await everywhere.ProblemAsync()).GetProperty("errors");
        Assert.Equal("must be between 1 and 200 (got 0).", Assert.Single(errors.GetProperty("base.epochs").EnumerateArray()).GetString());
        Assert.Single(errors.EnumerateObject());

        errors = (await somewhere.ProblemAsync()).GetProperty("errors");
        string hidden = Assert.Single(errors.GetProperty("base.model.hiddenSizes").EnumerateArray()).GetString()!;
        Assert.Contains("not a field of the conv family", hidden);
        Assert.EndsWith("(at family=conv, depth=2)", hidden);
        var depth = errors.GetProperty("grid.model.depth").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Equal(2, depth.Count);
        Assert.All(depth, m => Assert.StartsWith("value 2 is not accepted: is not a field of the", m));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, extra.StatusCode);
        Assert.Contains("not a field of a sweep", (await extra.ProblemAsync()).GetProperty("errors").GetProperty("epochs")[0].GetString());
        await AssertNothingQueuedAsync(client);
    }

    [Fact]
    public async Task A_grid_with_more_points_than_configured_is_refused()
    {
        using var factory = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Sweeps:MaxPoints"] = "4" });
        var client = factory.CreateClient();

        var response = await client.PostSweepAsync(new
        {
            @base = SweepsClient.TinyBase(),
            grid = new Dictionary<string, object[]> { ["model.beta"] = [0.5, 1, 4], ["model.latentDim"] = [2, 3] },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        string detail = (await response.ProblemAsync()).GetProperty("detail").GetString()!;
        Assert.Contains("6 points (3 x 2)", detail);
        Assert.Contains("at most 4", detail);
        await AssertNothingQueuedAsync(client);
    }

    [Fact]
    public async Task Cancelling_a_sweep_cancels_its_queued_jobs_and_stops_its_running_one()
    {
        var client = _factory.CreateClient();
        // One job trains at a time: whichever point starts first is held in its first batch, the others wait in the queue.
        var held = _factory.Gate.HoldAtBatch(epoch: 1, batch: 1);
        var sweep = await client.StartSweepAsync(new
        {
            @base = SweepsClient.TinyBase(epochs: 2),
            grid = new Dictionary<string, object[]> { ["model.beta"] = [0.5, 1, 4] },
        });
        string running = (await held.ReachedAsync()).JobId;

        var response = await client.DeleteAsync($"/api/sweeps/{sweep.Id}");
        held.Release();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var cancelling = (await response.Content.ReadFromJsonAsync<SweepView>(JobsClient.Json))!;
        var waiting = cancelling.Points.Where(p => p.JobId != running).ToList();
        Assert.Equal(2, waiting.Count);
        Assert.All(waiting, p => Assert.Equal(JobStatus.Cancelled, p.Status));
        Assert.True((await client.GetJobAsync(running)).CancelRequested);
        var ended = await client.WaitForSweepAsync(sweep.Id, s => s.IsFinished());
        Assert.Equal(SweepStatus.Cancelled, ended.Status);
        Assert.Equal(new SweepCounts(0, 0, 0, 0, 3), ended.Counts);
        Assert.All(ended.Points, p => Assert.Null(p.Metrics));
        foreach (var point in waiting)
            Assert.Null((await client.GetJobAsync(point.JobId)).StartedAt);
        // The running point stopped in the batch it was held in; the others never started.
        Assert.Equal(1, _factory.Gate.PassedCount(running, TrainingStep.Batch));
        Assert.All(waiting, p => Assert.Equal(0, _factory.Gate.PassedCount(p.JobId)));

        var again = await client.DeleteAsync($"/api/sweeps/{sweep.Id}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Without_a_key_a_remote_client_may_read_sweeps_but_not_start_or_cancel_them()
    {
        using var remote = new ServiceFactory(output, remoteAddress: IPAddress.Parse("203.0.113.7"));
        var client = remote.CreateClient();

        var post = await client.PostSweepAsync(new { grid = new Dictionary<string, object[]> { ["model.beta"] = [1, 4] } });
        var delete = await client.DeleteAsync("/api/sweeps/anything");
        var list = await client.GetAsync("/api/sweeps");

        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("X-Api-Key", (await post.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        await AssertNothingQueuedAsync(client);
    }

    [Fact]
    public async Task A_sweep_is_kept_across_a_restart_with_its_grid_and_its_jobs()
    {
        SweepView sweep;
        using (var first = new ServiceFactory(output, _factory.StateDirectory))
        {
            var client = first.CreateClient();
            // Held at its start, the first point is still running when the sweep is cancelled.
            var held = first.Gate.HoldAtStart();
            sweep = await client.StartSweepAsync(new
            {
                name = "kept",
                @base = SweepsClient.TinyBase(epochs: 20),
                grid = new Dictionary<string, object[]> { ["model.kind"] = ["vae", "ae"] },
            });
            await held.ReachedAsync();
            await client.DeleteAsync($"/api/sweeps/{sweep.Id}");
            await client.WaitForSweepAsync(sweep.Id, s => s.IsFinished());
        } // the host stops here

        using var second = new ServiceFactory(output, _factory.StateDirectory);
        var again = await second.CreateClient().GetSweepAsync(sweep.Id);

        Assert.Equal("kept", again.Name);
        Assert.Equal(["vae", "ae"], again.Grid["model.kind"].Select(v => v!.GetValue<string>()));
        Assert.Equal(sweep.Points.Select(p => p.JobId), again.Points.Select(p => p.JobId));
        Assert.Equal("ae", again.Points[1].Values["model.kind"]!.GetValue<string>());
        Assert.Equal(20, again.Base["epochs"]!.GetValue<int>());
        Assert.Equal(SweepStatus.Cancelled, again.Status);
    }

    [Fact]
    public async Task An_unknown_sweep_is_not_found()
    {
        var client = _factory.CreateClient();

        var get = await client.GetAsync("/api/sweeps/snothing");
        var delete = await client.DeleteAsync("/api/sweeps/snothing");

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Contains("GET /api/sweeps", (await get.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    private static async Task AssertNothingQueuedAsync(HttpClient client)
    {
        Assert.Empty((await client.GetFromJsonAsync<JobList>("/api/jobs", JobsClient.Json))!.Jobs);
        Assert.Empty((await client.GetFromJsonAsync<SweepList>("/api/sweeps", JobsClient.Json))!.Sweeps);
    }
}
