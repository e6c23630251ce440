using System.Net;
using System.Text.Json;

namespace Vae.Api.Tests.Jobs;

/// <summary>Reads a Server-Sent Events response: each event's name, id, retry and JSON data.</summary>
internal static class SseReader
{
    public sealed record Event(string Type, JsonElement Data, string? Id, TimeSpan? Retry);

    /// <summary>
    /// Reads the stream to its end, or until <paramref name="until"/> says to stop (the client then
    /// drops the connection). <paramref name="onEvent"/> runs after each event, e.g. to act once the
    /// stream is open; <paramref name="lastEventId"/> is sent as Last-Event-ID.
    /// </summary>
    public static async Task<List<Event>> ReadAllAsync(HttpClient client, string path, TimeSpan timeout, Func<Event, Task>? onEvent = null,
        string? lastEventId = null, Func<Event, bool>? until = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<Event>();
        string type = "message";
        string? id = null;
        TimeSpan? retry = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("event:", StringComparison.Ordinal)) type = line["event:".Length..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line["data:".Length..].TrimStart());
            else if (line.StartsWith("id:", StringComparison.Ordinal)) id = line["id:".Length..].Trim();
            else if (line.StartsWith("retry:", StringComparison.Ordinal)) retry = TimeSpan.FromMilliseconds(long.Parse(line["retry:".Length..].Trim()));
            else if (line.Length == 0 && data.Count > 0)
            {
                events.Add(new Event(type, JsonDocument.Parse(string.Join("\n", data)).RootElement.Clone(), id, retry));
                if (onEvent is not null) await onEvent(events[^1]);
                if (until?.Invoke(events[^1]) == true) break;
                type = "message";
                id = null;
                retry = null;
                data.Clear();
            }
        }
        return events;
    }

    /// <summary>The ids of the events, read as the service writes them.</summary>
    public static List<Vae.Api.Jobs.JobEventId> Ids(IEnumerable<Event> events)
        => [.. events.Select(e => Vae.Api.Jobs.JobEventId.TryParse(e.Id, out var id) ? id : throw new Xunit.Sdk.XunitException($"event {e.Type} has the id '{e.Id}'"))];

    /// <summary>Asserts every id is greater than the one before it.</summary>
    public static void AssertIdsGrow(IReadOnlyList<Vae.Api.Jobs.JobEventId> ids)
    {
        for (int i = 1; i < ids.Count; i++)
            Assert.True(ids[i] > ids[i - 1], $"event {i} has the id {ids[i]}, not after {ids[i - 1]}");
    }
}
