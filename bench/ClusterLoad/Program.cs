// Loads several service nodes that share one PostgreSQL database with mixed traffic, and checks
// that no job is lost between them. First trains one small model (submitted to the first node,
// followed on the second), then for the timed part runs a bounded number of clients that send
// decodes, sample grids and record reads alternately to the nodes, beside a tiny training job every
// few seconds, some of which are cancelled through another node. Afterwards it waits for every job
// to end on every node and prints, per kind of request and per node, the count, requests/s, p50,
// p99, non-2xx, 5xx and unanswered requests, then each job and how it ended.
// Exits 1 when any request got a 5xx or no answer, or any job was lost; 2 on bad arguments.
//
// usage: ClusterLoad --nodes URL,URL[,...] [--seconds 60] [--clients 16] [--submit-every 2] [--settle 120] [--setup 600]
using System.Diagnostics;
using System.Globalization;
using ClusterLoad;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var (settings, problem) = LoadSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine($"cluster-load: {problem}");
    Console.Error.WriteLine(LoadSettings.Usage);
    return 2;
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients + 8 })
{
    Timeout = TimeSpan.FromSeconds(30),
};
var requests = new Requests(http, settings.Nodes);
var setup = new ServiceSetup(requests);

for (int node = 0; node < requests.NodeCount; node++)
{
    if (await setup.WaitHealthyAsync(node, TimeSpan.FromSeconds(60)) is { } unhealthy)
    {
        Console.Error.WriteLine($"cluster-load: {unhealthy}");
        return 1;
    }
}
Console.WriteLine($"# cluster-load: {requests.NodeCount} nodes ({string.Join(", ", Enumerable.Range(0, requests.NodeCount).Select(n => $"{requests.Name(n)} {requests.Address(n)}"))}), "
    + $"{settings.Clients} clients, {settings.Seconds:0.#} s, a job every {settings.SubmitEverySeconds:0.#} s, on a {Environment.ProcessorCount}-core machine");

var served = await setup.TrainModelAsync(TimeSpan.FromSeconds(settings.SetupSeconds));
if (served.Problem is not null)
{
    Console.Error.WriteLine($"cluster-load: {served.Problem}");
    return 1;
}
var jobs = new JobBook();
jobs.AddKnownId(served.JobId!);
await setup.WarmUpAsync(served.ModelId!, served.LatentDim);

var timed = new SampleLog();
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
var clock = Stopwatch.StartNew();
var reads = new MixedTraffic(requests, timed, jobs, served.ModelId!, served.LatentDim).RunAsync(settings.Clients, stop.Token);
var writes = new JobTraffic(requests, timed, jobs).RunAsync(TimeSpan.FromSeconds(settings.SubmitEverySeconds), stop.Token);
await reads;
double seconds = clock.Elapsed.TotalSeconds;
await writes;

var settling = new SampleLog();
var submitted = jobs.Submitted;
Console.WriteLine($"# timed part over after {seconds:0.0} s; waiting up to {settings.SettleSeconds:0} s for the {submitted.Count} submitted jobs to end on every node");
clock.Restart();
var outcomes = await new JobSettling(requests, settling).SettleAsync(submitted, TimeSpan.FromSeconds(settings.SettleSeconds));
Console.WriteLine($"# settled in {clock.Elapsed.TotalSeconds:0.0} s");
Console.WriteLine();

var samples = timed.Samples;
Report.Requests(samples, seconds, requests);
Console.WriteLine();
Report.Jobs(outcomes, requests);
Report.StartLatency(outcomes, requests);

var settled = settling.Samples;
int serverErrors = samples.Count(s => s.IsServerError) + settled.Count(s => s.IsServerError);
int unanswered = samples.Count(s => s.NoAnswer) + settled.Count(s => s.NoAnswer);
int lost = outcomes.Count(o => o.Lost is not null);
var allMs = samples.Select(s => s.Milliseconds).Order().ToArray();
foreach (string failure in timed.Failures.Concat(settling.Failures).Take(SampleLog.KeptFailures))
    Console.WriteLine($"# failed: {failure}");
Console.WriteLine();
Console.WriteLine($"requests_per_second {samples.Count / seconds:0.0}");
Console.WriteLine($"p50_ms {Report.Percentile(allMs, 50)}");
Console.WriteLine($"p99_ms {Report.Percentile(allMs, 99)}");
Console.WriteLine($"server_errors_5xx {serverErrors}");
Console.WriteLine($"unanswered {unanswered}");
Console.WriteLine($"lost_jobs {lost}");
bool met = serverErrors == 0 && unanswered == 0 && lost == 0;
Console.WriteLine(met ? "targets: all met (no 5xx, every request answered, no job lost)" : "targets: NOT all met");
return met ? 0 : 1;
