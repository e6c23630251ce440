using System.Globalization;

namespace ClusterLoad;

/// <summary>Prints the tables of a run: requests per kind and per node, the jobs and how they ended, and the totals.</summary>
public static class Report
{
    private const string RowFormat = "{0,-16} {1,9} {2,9} {3,9} {4,9} {5,8} {6,5} {7,10}";

    /// <summary>Non-2xx answers a correct service gives under this traffic: a cancel racing the job's end or another cancel.</summary>
    public static bool IsExpected(Sample s) => s.Kind == "cancel" && s.Status is 404 or 409;

    public static void Requests(IReadOnlyList<Sample> samples, double seconds, Requests nodes)
    {
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, RowFormat, "kind", "requests", "req/s", "p50 ms", "p99 ms", "non-2xx", "5xx", "no answer"));
        var kinds = MixedTraffic.Mix.Select(m => m.Kind).Concat(["submit", "cancel"]);
        foreach (string kind in kinds)
            Row(kind, samples.Where(s => s.Kind == kind).ToList(), seconds);
        for (int node = 0; node < nodes.NodeCount; node++)
            Row(nodes.Name(node), samples.Where(s => s.Node == node).ToList(), seconds);
        Row("total", samples, seconds);

        var odd = samples.Where(s => !s.IsSuccess && !s.NoAnswer).GroupBy(s => (s.Kind, s.Status)).OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Status).ToList();
        foreach (var group in odd)
        {
            string note = IsExpected(group.First()) ? "expected: the job had already ended or been cancelled" : "unexpected";
            Console.WriteLine($"# non-2xx: {group.Key.Kind} {group.Key.Status} x{group.Count()} ({note})");
        }
    }

    private static void Row(string label, IReadOnlyList<Sample> samples, double seconds)
    {
        var ms = samples.Select(s => s.Milliseconds).Order().ToArray();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, RowFormat, label, samples.Count,
            (samples.Count / seconds).ToString("0.0", CultureInfo.InvariantCulture),
            Percentile(ms, 50), Percentile(ms, 99),
            samples.Count(s => !s.IsSuccess && !s.NoAnswer), samples.Count(s => s.IsServerError), samples.Count(s => s.NoAnswer)));
    }

    /// <summary>Nearest-rank percentile of sorted milliseconds, "-" when there are none.</summary>
    public static string Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return "-";
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)].ToString("0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// How long a job waited for a node once a slot was free: from its queuing, or from the end of the
    /// previous job on the node that started it when that ended later; split by whether it started on the
    /// node it was submitted to.
    /// </summary>
    public static void StartLatency(IReadOnlyList<JobOutcome> outcomes, Requests nodes)
    {
        var started = outcomes.Where(o => o is { Started: not null, Created: not null, TrainedOn: not null }).ToList();
        var same = new List<double>();
        var other = new List<double>();
        foreach (var byNode in started.GroupBy(o => o.TrainedOn!))
        {
            DateTimeOffset? slotFree = null;
            foreach (var o in byNode.OrderBy(o => o.Started))
            {
                var from = slotFree is { } free && free > o.Created!.Value ? free : o.Created!.Value;
                double ms = Math.Max(0, (o.Started!.Value - from).TotalMilliseconds);
                (nodes.Name(o.Job.SubmittedTo) == o.TrainedOn ? same : other).Add(ms);
                slotFree = o.Finished;
            }
        }
        string Line(List<double> values)
        {
            var sorted = values.Order().ToArray();
            return $"p50 {Percentile(sorted, 50)} p99 {Percentile(sorted, 99)} jobs {sorted.Length}";
        }
        Console.WriteLine($"job_start_latency_ms on_the_node_that_queued_it {Line(same)}; on_another_node {Line(other)}");
    }

    public static void Jobs(IReadOnlyList<JobOutcome> outcomes, Requests nodes)
    {
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-5} {1,-14} {2,-12} {3,-18} {4,-10} {5,-12} {6}",
            "job", "id", "submitted to", "cancel sent to", "status", "trained on", "lost"));
        foreach (var o in outcomes.OrderBy(o => o.Job.Number))
        {
            string cancel = o.Job.Cancel is { } c ? $"{nodes.Name(c.Node)} ({(c.Status == 0 ? "no answer" : c.Status)})" : "-";
            string lost = o.Lost ?? (o.Status == "failed" ? $"no; failed: {o.Error}" : "no");
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-5} {1,-14} {2,-12} {3,-18} {4,-10} {5,-12} {6}",
                o.Job.Number, o.Job.Id, nodes.Name(o.Job.SubmittedTo), cancel, o.Status ?? "?", o.TrainedOn ?? "-", lost));
        }
        // Statuses as the nodes that answered saw them, lost jobs included: a lost job still says how far it got.
        var seen = outcomes.Where(o => o.Status is not null).ToList();
        var others = seen.Select(o => o.Status!).Where(s => !JobSettling.FinalStatuses.Contains(s)).Distinct().Order();
        Console.WriteLine("# statuses: " + string.Join(", ", JobSettling.FinalStatuses.Concat(others).Select(s => $"{s} {seen.Count(o => o.Status == s)}"))
            + $"; unknown {outcomes.Count - seen.Count}; lost {outcomes.Count(o => o.Lost is not null)}");
        var byNode = seen.Where(o => o.TrainedOn is not null).GroupBy(o => o.TrainedOn!).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} {string.Join(" ", g.GroupBy(o => o.Status).OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Count()}"))}");
        Console.WriteLine($"# trained on (started by): {string.Join("; ", byNode.DefaultIfEmpty("none"))}; cancelled before a node took them: {seen.Count(o => o.TrainedOn is null && o.Status == "cancelled")}");
        // The API answers 202 to a cancel of a running job; a job that ends before the cancel reaches
        // it (while it stores its model, or before the other node's message arrives) still succeeds.
        int late = outcomes.Count(o => o.Status == "succeeded" && o.Job.Cancel is { Status: 202 });
        if (late > 0) Console.WriteLine($"# cancels answered 202 whose job still succeeded: {late}");
    }
}
