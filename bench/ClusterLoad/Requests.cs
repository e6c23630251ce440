using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ClusterLoad;

/// <summary>One answered (or unanswered) request: which node, what kind, the status (0: no answer), the latency.</summary>
public readonly record struct Sample(int Node, string Kind, int Status, double Milliseconds)
{
    public bool IsServerError => Status >= 500;
    public bool NoAnswer => Status == 0;
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>A response read to the end: status, body, and the time from sending to the last byte.</summary>
public sealed record Answer(int Status, byte[] Body, double Milliseconds, string? Failure)
{
    public JsonNode? Json()
    {
        try { return Body.Length == 0 ? null : JsonNode.Parse(Body); }
        catch (System.Text.Json.JsonException) { return null; }
    }
}

/// <summary>
/// Sends requests to the nodes and times each one, body included. A request that gets no answer
/// (refused connection, reset, timeout) has status 0 and says why in <see cref="Answer.Failure"/>.
/// </summary>
public sealed class Requests(HttpClient http, IReadOnlyList<Uri> nodes)
{
    private readonly string[] _names = [.. nodes.Select(n => n.Authority)];

    public int NodeCount => nodes.Count;

    /// <summary>The node's id as its GET /health gave it (see <see cref="Name"/>), else its address.</summary>
    public string Name(int node) => _names[node];

    public Uri Address(int node) => nodes[node];

    public void Rename(int node, string name) => _names[node] = name;

    public Task<Answer> GetAsync(int node, string path, CancellationToken ct)
        => SendAsync(node, HttpMethod.Get, path, null, null, ct);

    public Task<Answer> PostJsonAsync(int node, string path, string json, string? accept, CancellationToken ct)
        => SendAsync(node, HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json"), accept, ct);

    public Task<Answer> DeleteAsync(int node, string path, CancellationToken ct)
        => SendAsync(node, HttpMethod.Delete, path, null, null, ct);

    private async Task<Answer> SendAsync(int node, HttpMethod method, string path, HttpContent? content, string? accept, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(nodes[node], path)) { Content = content };
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        long start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
            return new Answer((int)response.StatusCode, body, Stopwatch.GetElapsedTime(start).TotalMilliseconds, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // HttpClient reports its own timeout as a cancellation; the caller's token was not cancelled.
            string why = e is TaskCanceledException ? $"no answer within {http.Timeout.TotalSeconds:0} s"
                : e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            return new Answer(0, [], Stopwatch.GetElapsedTime(start).TotalMilliseconds, why);
        }
    }
}
