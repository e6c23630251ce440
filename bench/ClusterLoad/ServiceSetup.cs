using System.Diagnostics;

namespace ClusterLoad;

/// <summary>The model served during the run: its training job, id and latent size; or why there is none.</summary>
public sealed record ServedModel(string? JobId, string? ModelId, int LatentDim, string? Problem);

/// <summary>Before the timed part: the nodes answer, the model to serve is trained, each node has it loaded.</summary>
public sealed class ServiceSetup(Requests requests)
{
    /// <summary>A small MLP VAE on MNIST: trains in seconds, decodes in well under a millisecond.</summary>
    public const string ModelRequest =
        """{"name":"cluster-load-model","dataset":"mnist","model":{"family":"mlp","hiddenSizes":[64],"latentDim":2},"epochs":1,"maxTrainImages":2000}""";

    /// <summary>Null once GET /health answers 200 (the node is then named as it names itself); else why not.</summary>
    public async Task<string?> WaitHealthyAsync(int node, TimeSpan limit)
    {
        var start = Stopwatch.GetTimestamp();
        Answer answer;
        do
        {
            answer = await requests.GetAsync(node, "/health", CancellationToken.None);
            if (answer.Status == 200)
            {
                if (answer.Json()?["node"]?.GetValue<string>() is { } name) requests.Rename(node, name);
                return null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }
        while (Stopwatch.GetElapsedTime(start) < limit);
        return $"{requests.Address(node)} is not healthy after {limit.TotalSeconds:0} s: " +
            (answer.Status == 0 ? answer.Failure : $"{answer.Status} {System.Text.Encoding.UTF8.GetString(answer.Body)}");
    }

    /// <summary>Submits the model's job to the first node and follows it on the second until it ends.</summary>
    public async Task<ServedModel> TrainModelAsync(TimeSpan limit)
    {
        Console.WriteLine($"# training the model to serve on {requests.Name(0)}: {ModelRequest}");
        var submitted = await requests.PostJsonAsync(0, "/api/jobs", ModelRequest, null, CancellationToken.None);
        if (submitted.Status != 202 || submitted.Json()?["id"]?.GetValue<string>() is not { } jobId)
            return Failed($"POST /api/jobs on {requests.Name(0)} answered {Describe(submitted)}");

        int follower = 1 % requests.NodeCount;
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            var answer = await requests.GetAsync(follower, $"/api/jobs/{jobId}", CancellationToken.None);
            var job = answer.Status == 200 ? answer.Json() : null;
            string? status = job?["status"]?.GetValue<string>();
            if (status == "succeeded" && job?["modelId"]?.GetValue<string>() is { } modelId)
            {
                Console.WriteLine($"# trained on {job["node"]?.GetValue<string>()} in {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s (seen from {requests.Name(follower)}): model {modelId}");
                var model = await requests.GetAsync(follower, $"/api/models/{modelId}", CancellationToken.None);
                int latentDim = model.Status == 200 ? model.Json()?["latentDim"]?.GetValue<int>() ?? 0 : 0;
                return latentDim > 0 ? new(jobId, modelId, latentDim, null)
                    : Failed($"GET /api/models/{modelId} on {requests.Name(follower)} answered {Describe(model)}");
            }
            if (status is "failed" or "cancelled" or "succeeded")
                return Failed($"the model's job {jobId} ended {status}: {job?["error"]?.GetValue<string>()}");
            if (Stopwatch.GetElapsedTime(start) > limit)
                return Failed($"the model's job {jobId} did not end within {limit.TotalSeconds:0} s (last seen: {status ?? Describe(answer)})");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>One decode and one sample grid per node, untimed: each node loads the model before the clock starts.</summary>
    public async Task WarmUpAsync(string modelId, int latentDim)
    {
        string body = $"{{\"latents\":[[{string.Join(',', Enumerable.Repeat("0", latentDim))}]]}}";
        for (int node = 0; node < requests.NodeCount; node++)
        {
            await requests.PostJsonAsync(node, $"/api/models/{modelId}/decode", body, "image/png", CancellationToken.None);
            await requests.GetAsync(node, $"/api/models/{modelId}/samples.png?n=16", CancellationToken.None);
        }
    }

    private static ServedModel Failed(string problem) => new(null, null, 0, problem);

    private static string Describe(Answer answer)
        => answer.Status == 0 ? $"nothing ({answer.Failure})" : $"{answer.Status}: {System.Text.Encoding.UTF8.GetString(answer.Body[..Math.Min(answer.Body.Length, 300)])}";
}
