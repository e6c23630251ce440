using System.Text.Json;

namespace Vae.Api.Infrastructure;

/// <summary>A list's <c>status</c> filter: one of the status names as JSON writes them, in any case.</summary>
public static class StatusQuery<TStatus> where TStatus : struct, Enum
{
    private static readonly string[] Names = [.. Enum.GetNames<TStatus>().Select(JsonNamingPolicy.CamelCase.ConvertName)];

    /// <summary>The status <paramref name="text"/> names (null when it is null), or the problem naming the statuses there are.</summary>
    public static (TStatus? Status, QueryProblem? Problem) Read(string? text)
    {
        if (text is null) return (null, null);
        int index = Array.FindIndex(Names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        return index < 0
            ? (null, new QueryProblem("status", $"status must be one of {string.Join(", ", Names)} (got \"{text}\")."))
            : (Enum.Parse<TStatus>(Names[index], ignoreCase: true), null);
    }
}
