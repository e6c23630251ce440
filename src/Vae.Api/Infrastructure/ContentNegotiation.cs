using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Vae.Api.Infrastructure;

/// <summary>What a request body is.</summary>
public enum BodyKind { Other, Png, Json }

/// <summary>
/// Media types of bodies and answers, for endpoints that read their bodies themselves (so that a
/// wrong type gets a 415 naming the accepted ones) and answer PNG or JSON as the client prefers.
/// </summary>
public static class ContentNegotiation
{
    public const string Png = "image/png";
    public const string Json = "application/json";

    /// <summary>The body's kind from its Content-Type: image/png, application/json or any +json type.</summary>
    public static BodyKind ContentKind(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) return BodyKind.Other;
        if (type.MediaType.Equals(Png, StringComparison.OrdinalIgnoreCase)) return BodyKind.Png;
        if (type.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)) return BodyKind.Json;
        return BodyKind.Other;
    }

    /// <summary>
    /// 415 naming what the endpoint takes, what it got, and the header to send. curl's -d sends a
    /// form's type unless told otherwise, which is how most JSON arrives without its own.
    /// </summary>
    public static ProblemHttpResult UnsupportedContentType(HttpRequest request, string accepted)
    {
        string send = accepted.Contains(Json, StringComparison.Ordinal) ? Json : accepted.Split(' ', ',')[0];
        string got = string.IsNullOrEmpty(request.ContentType)
            ? $"The request has no Content-Type; this endpoint accepts {accepted}."
            : $"This endpoint accepts {accepted}, not {request.ContentType}"
                + (request.ContentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ? " (what curl -d sends unless told otherwise)." : ".");
        string example = send == Json ? " (with curl: -H 'Content-Type: application/json')" : "";
        return Problems.UnsupportedMedia($"{got} Send the body with Content-Type: {send}{example}.");
    }

    /// <summary>JSON only when the client ranks it above PNG; no Accept, */* or anything else gets PNG.</summary>
    public static bool PrefersJson(HttpRequest request)
    {
        if (request.Headers.Accept.Count == 0) return false;
        double json = 0, png = 0;
        foreach (var range in request.GetTypedHeaders().Accept)
        {
            double q = range.Quality ?? 1;
            if (range.MatchesAllTypes) { json = Math.Max(json, q); png = Math.Max(png, q); }
            else if (range.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes || range.SubType.Equals("json", StringComparison.OrdinalIgnoreCase))) json = Math.Max(json, q);
            else if (range.Type.Equals("image", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes || range.SubType.Equals("png", StringComparison.OrdinalIgnoreCase))) png = Math.Max(png, q);
        }
        return json > png;
    }
}
