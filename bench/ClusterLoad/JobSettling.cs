using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ClusterLoad;

/// <summary>How a submitted job ended, as every node sees it; <see cref="Lost"/> says why it counts as lost, null when it does not.</summary>
public sealed record JobOutcome(SubmittedJob Job, string? Status, string? TrainedOn, string? Error, string? Lost)
{
    /// <summary>When the job was queued, started and ended, as its record says (null when it never did).</summary>
    public DateTimeOffset? Created { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Finished { get; init; }
}

/// <summary>
/// After the timed part: waits, within a limit, until every submitted job has a final status
/// (succeeded, failed, cancelled) on every node, then checks that each succeeded job's model is
/// there on every node too. A job is lost when some node has no record of it, when it does not end
/// in time, when the nodes disagree on how it ended, or when its model is missing.
/// </summary>
public sealed class JobSettling(Requests requests, SampleLog log)
{
    public static readonly string[] FinalStatuses = ["succeeded", "failed", "cancelled"];

    public async Task<IReadOnlyList<JobOutcome>> SettleAsync(IReadOnlyList<SubmittedJob> jobs, TimeSpan limit)
    {
        var start = Stopwatch.GetTimestamp();
        var seen = jobs.ToDictionary(j => j.Id, _ => new (int Status, JsonNode? View)[requests.NodeCount]);
        var pending = jobs.ToList();
        while (true)
        {
            await Task.WhenAll(pending.SelectMany(job => Enumerable.Range(0, requests.NodeCount).Select(async node =>
            {
                seen[job.Id][node] = await ReadAsync(node, $"/api/jobs/{Uri.EscapeDataString(job.Id)}", "settle job");
            })));
            pending = [.. pending.Where(job => !seen[job.Id].All(s => IsFinal(s.View)))];
            if (pending.Count == 0 || Stopwatch.GetElapsedTime(start) >= limit) break;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var outcomes = new List<JobOutcome>();
        foreach (var job in jobs)
            outcomes.Add(await OutcomeAsync(job, seen[job.Id], limit));
        return outcomes;
    }

    private async Task<JobOutcome> OutcomeAsync(SubmittedJob job, (int Status, JsonNode? View)[] views, TimeSpan limit)
    {
        var statuses = views.Select(v => v.View?["status"]?.GetValue<string>()).ToArray();
        string? status = statuses.FirstOrDefault(s => s is not null);
        var first = views.FirstOrDefault(v => v.View is not null).View;
        string? trainedOn = first?["node"]?.GetValue<string>();
        string? error = first?["error"]?.GetValue<string>();

        for (int node = 0; node < views.Length; node++)
        {
            if (views[node].View is null)
                return new(job, status, trainedOn, error, views[node].Status == 0
                    ? $"{requests.Name(node)} did not answer"
                    : $"{requests.Name(node)} has no record of it (status {views[node].Status})");
        }
        if (statuses.Any(s => !FinalStatuses.Contains(s)))
            return new(job, status, trainedOn, error, $"not ended after {limit.TotalSeconds:0} s ({string.Join(", ", statuses.Select((s, n) => $"{requests.Name(n)}: {s}"))})");
        if (statuses.Distinct().Count() > 1)
            return new(job, status, trainedOn, error, $"the nodes disagree: {string.Join(", ", statuses.Select((s, n) => $"{requests.Name(n)}: {s}"))}");
        if (status == "succeeded")
        {
            if (first?["modelId"]?.GetValue<string>() is not { } modelId)
                return new(job, status, trainedOn, error, "succeeded without a model id");
            for (int node = 0; node < requests.NodeCount; node++)
            {
                var (code, _) = await ReadAsync(node, $"/api/models/{Uri.EscapeDataString(modelId)}", "settle model");
                if (code != 200) return new(job, status, trainedOn, error, $"its model {modelId} is missing on {requests.Name(node)} ({Describe(code)})");
            }
        }
        return new(job, status, trainedOn, error, null) { Created = TimeOf(first, "createdAt"), Started = TimeOf(first, "startedAt"), Finished = TimeOf(first, "finishedAt") };
    }

    private static DateTimeOffset? TimeOf(JsonNode? view, string field)
        => view?[field]?.GetValue<string>() is { } text ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;

    private async Task<(int Status, JsonNode? View)> ReadAsync(int node, string path, string kind)
    {
        var answer = await requests.GetAsync(node, path, CancellationToken.None);
        log.Add(node, kind, answer, requests.Name(node), path);
        return (answer.Status, answer.Status == 200 ? answer.Json() : null);
    }

    private static bool IsFinal(JsonNode? view) => view?["status"]?.GetValue<string>() is { } s && FinalStatuses.Contains(s);

    private static string Describe(int status) => status == 0 ? "no answer" : $"status {status}";
}
