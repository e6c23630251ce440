using System.Globalization;
using System.Text;

namespace ClusterLoad;

/// <summary>
/// The read traffic of the timed part: each client sends one request after the other (no pause),
/// the kind drawn by weight, the node alternating. Requests under way when the time is up finish
/// and count; no new ones start.
/// </summary>
public sealed class MixedTraffic(Requests requests, SampleLog log, JobBook jobs, string modelId, int latentDim)
{
    /// <summary>Kinds and their weights: mostly inference, then the records a page would read.</summary>
    public static readonly (string Kind, int Weight)[] Mix =
    [
        ("decode", 30), ("samples.png", 15), ("model", 10), ("models", 10), ("jobs", 10), ("job", 15), ("health", 10),
    ];

    public Task RunAsync(int clients, CancellationToken stop)
        => Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, stop), CancellationToken.None)));

    private async Task ClientAsync(int client, CancellationToken stop)
    {
        var random = new Random(client + 1);
        int total = Mix.Sum(m => m.Weight);
        for (long turn = client; !stop.IsCancellationRequested; turn++)
        {
            int node = (int)(turn % requests.NodeCount);
            string kind = Pick(random.Next(total));
            var (path, answer) = await SendAsync(kind, node, random);
            log.Add(node, kind, answer, requests.Name(node), path);
        }
    }

    private static string Pick(int draw)
    {
        foreach (var (kind, weight) in Mix)
        {
            if (draw < weight) return kind;
            draw -= weight;
        }
        return Mix[^1].Kind;
    }

    private async Task<(string Path, Answer Answer)> SendAsync(string kind, int node, Random random)
    {
        // The caller's stop token only ends the loop: a request once sent is answered and counted.
        var none = CancellationToken.None;
        string model = Uri.EscapeDataString(modelId);
        string path;
        switch (kind)
        {
            case "decode":
                path = $"/api/models/{model}/decode";
                return (path, await requests.PostJsonAsync(node, path, DecodeBody(random), "image/png", none));
            case "samples.png":
                // A fresh seed each time: the same one would be answered from the client's ETag by a caching client, and computed anyway here.
                path = $"/api/models/{model}/samples.png?n=16&seed={random.Next()}";
                break;
            case "model":
                path = $"/api/models/{model}";
                break;
            case "models":
                path = "/api/models";
                break;
            case "jobs":
                path = "/api/jobs";
                break;
            case "job":
                path = $"/api/jobs/{Uri.EscapeDataString(jobs.AnyId(random) ?? "none")}";
                break;
            default:
                path = "/health";
                break;
        }
        return (path, await requests.GetAsync(node, path, none));
    }

    /// <summary>One latent vector of the model's size, each coordinate uniform in [-2, 2].</summary>
    private string DecodeBody(Random random)
    {
        var json = new StringBuilder("{\"latents\":[[");
        for (int i = 0; i < latentDim; i++)
        {
            if (i > 0) json.Append(',');
            json.Append((random.NextDouble() * 4 - 2).ToString("0.###", CultureInfo.InvariantCulture));
        }
        return json.Append("]]}").ToString();
    }
}
