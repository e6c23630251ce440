using System.Globalization;

namespace ClusterLoad;

/// <summary>
/// The write traffic of the timed part: a tiny training job every few seconds, taking turns over the
/// nodes. Of every three jobs one is left to run, one is cancelled at once (usually while queued)
/// and one a little later (usually while it trains, or after it ended: a 409), each cancel sent to
/// a node other than the one that took the job.
/// </summary>
public sealed class JobTraffic(Requests requests, SampleLog log, JobBook jobs)
{
    /// <summary>How long after its submission the late cancel of a job is sent.</summary>
    public static readonly TimeSpan LateCancel = TimeSpan.FromSeconds(1.5);

    /// <summary>A job of a second or two: a small MLP, one epoch on a few images, a short evaluation.</summary>
    public static string TinyJob(int number) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"name":"cluster-load-{{{number}}}","dataset":"mnist","model":{"family":"mlp","hiddenSizes":[32],"latentDim":2},"epochs":1,"maxTrainImages":512,"maxTestImages":200,"seed":{{{number}}},"evaluation":{"images":100,"importanceSamples":4}}""");

    /// <summary>Submits until <paramref name="stop"/>, then waits for the cancels already planned.</summary>
    public async Task RunAsync(TimeSpan every, CancellationToken stop)
    {
        var cancels = new List<Task>();
        using var timer = new PeriodicTimer(every);
        int number = 0;
        do
        {
            cancels.Add(SubmitAsync(++number));
        }
        while (await Tick(timer, stop));
        await Task.WhenAll(cancels);
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try { return await timer.WaitForNextTickAsync(stop); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task SubmitAsync(int number)
    {
        int node = number % requests.NodeCount;
        const string path = "/api/jobs";
        var answer = await requests.PostJsonAsync(node, path, TinyJob(number), null, CancellationToken.None);
        log.Add(node, "submit", answer, requests.Name(node), path);
        if (answer.Status != 202 || answer.Json()?["id"]?.GetValue<string>() is not { } id) return;

        var job = new SubmittedJob(id, number, node);
        jobs.Add(job);
        switch (number % 3)
        {
            case 1:
                await CancelAsync(job);
                break;
            case 2:
                await Task.Delay(LateCancel);
                await CancelAsync(job);
                break;
        }
    }

    private async Task CancelAsync(SubmittedJob job)
    {
        int node = (job.SubmittedTo + 1) % requests.NodeCount;
        string path = $"/api/jobs/{Uri.EscapeDataString(job.Id)}";
        var answer = await requests.DeleteAsync(node, path, CancellationToken.None);
        log.Add(node, "cancel", answer, requests.Name(node), path);
        job.Cancel = (node, answer.Status);
    }
}
