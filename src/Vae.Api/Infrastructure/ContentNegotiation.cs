using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Vae.Engine.Imaging;

namespace Vae.Api.Infrastructure;

/// <summary>What a request body is.</summary>
public enum BodyKind { Other, Image, Json }

/// <summary>
/// Media types of bodies and answers, for endpoints that read their bodies themselves (so that a
/// wrong type gets a 415 naming the accepted ones) and answer an image or JSON as the client prefers.
/// </summary>
public static class ContentNegotiation
{
    public const string Png = "image/png";
    public const string Webp = "image/webp";
    public const string Json = "application/json";

    /// <summary>The image types bodies may have: image/png, image/jpeg, image/webp, image/bmp.</summary>
    public static readonly string[] ImageTypes = [.. ImageFormats.MediaTypes];

    /// <summary>The types a grid is answered in: PNG, or lossless WebP when the client asks for it.</summary>
    public static readonly string[] GridTypes = [Png, Webp];

    /// <summary>"image/png, image/jpeg, image/webp or image/bmp", for messages.</summary>
    public static string ImageTypeNames => ImageFormats.MediaTypeNames;

    /// <summary>The body's kind from its Content-Type: an accepted image type, application/json or any +json type.</summary>
    public static BodyKind ContentKind(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) return BodyKind.Other;
        if (ImageFormats.FromMediaType(type.MediaType.Value) is not null) return BodyKind.Image;
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

    /// <summary>JSON only when the client ranks it above every image type; no Accept, */* or anything else gets an image.</summary>
    public static bool PrefersJson(HttpRequest request)
    {
        var (json, png, webp) = Ranks(request);
        return json > Math.Max(png, webp);
    }

    /// <summary>
    /// The format of a grid: WebP only when the client ranks image/webp strictly above image/png (so a
    /// browser's "image/webp,image/*" still gets PNG, and "Accept: image/webp" gets WebP); PNG otherwise.
    /// </summary>
    public static ImageFormat GridFormat(HttpRequest request)
    {
        var (_, png, webp) = Ranks(request);
        return webp > png ? ImageFormat.Webp : ImageFormat.Png;
    }

    /// <summary>The highest quality the Accept header gives JSON, PNG and WebP (image/* and */* count for both images).</summary>
    private static (double Json, double Png, double Webp) Ranks(HttpRequest request)
    {
        if (request.Headers.Accept.Count == 0) return (0, 1, 0);
        double json = 0, png = 0, webp = 0;
        foreach (var range in request.GetTypedHeaders().Accept)
        {
            double q = range.Quality ?? 1;
            if (range.MatchesAllTypes)
            {
                json = Math.Max(json, q);
                png = Math.Max(png, q);
                webp = Math.Max(webp, q);
            }
            else if (range.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes || range.SubType.Equals("json", StringComparison.OrdinalIgnoreCase)))
            {
                json = Math.Max(json, q);
            }
            else if (range.Type.Equals("image", StringComparison.OrdinalIgnoreCase))
            {
                if (range.MatchesAllSubTypes || range.SubType.Equals("png", StringComparison.OrdinalIgnoreCase)) png = Math.Max(png, q);
                if (range.MatchesAllSubTypes || range.SubType.Equals("webp", StringComparison.OrdinalIgnoreCase)) webp = Math.Max(webp, q);
            }
        }
        return (json, png, webp);
    }
}
