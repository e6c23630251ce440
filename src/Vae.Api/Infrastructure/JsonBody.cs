using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Vae.Api.Infrastructure;

/// <summary>
/// The one reader of the JSON bodies endpoints read themselves (jobs, sweeps, models): every way a
/// body can be unreadable is a ProblemDetails that says what to send instead, and never shows a
/// .NET type name.
/// </summary>
public static class JsonBody
{
    /// <summary>
    /// The body as a JSON object whose fields the caller checks one by one (a training request, a
    /// sweep). An empty body is {}; any other body must say it is JSON. Refused: a body over
    /// <paramref name="maxBytes"/> (413), one of another type (415), one that is not a JSON object (400).
    /// </summary>
    /// <param name="what">What the body is, for messages ("a training request").</param>
    /// <param name="shape">An example of the object, shown when the body cannot be read.</param>
    public static async Task<(JsonObject? Body, ProblemHttpResult? Problem)> ReadObjectAsync(
        HttpRequest http, long maxBytes, string what, string shape, CancellationToken ct)
    {
        using var body = await RequestBody.ReadAsync(http, maxBytes, $"{Capital(what)} is at most {maxBytes} bytes of JSON.", ct);
        if (body.Problem is not null) return (null, body.Problem);
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty) return (new JsonObject(), null);
        if (ContentNegotiation.ContentKind(http) != BodyKind.Json) return (null, ContentNegotiation.UnsupportedContentType(http, ContentNegotiation.Json));
        try
        {
            return JsonNode.Parse(body.Span) switch
            {
                null => (new JsonObject(), null),
                JsonObject o => (o, null),
                var other => (null, Problems.BadRequest($"The body is {Kind(other)}; send {what} as a JSON object, like {shape}.")),
            };
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"The JSON body could not be read: {Explain(e)} Send {what} as a JSON object, like {shape}."));
        }
    }

    /// <summary>The body as a <typeparamref name="T"/>; <paramref name="shape"/> is an example shown when it cannot be read.</summary>
    public static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> body, JsonSerializerOptions options, string shape) where T : class
    {
        if (body.IsEmpty) return (null, Problems.BadRequest($"The body is empty; send JSON like {shape}."));
        try
        {
            var value = JsonSerializer.Deserialize<T>(body, options);
            return value is null ? (null, Problems.BadRequest($"The body is JSON null; send an object like {shape}.")) : (value, null);
        }
        catch (JsonException e)
        {
            string field = FieldOf(e.Path);
            string actual = ValueAt(body, e.Path) is { } found ? $" (got {Kind(found)})" : "";
            string detail = ExpectedOf(e) is { } expected && field != "body"
                ? $"{field} must be {expected}{actual}."
                : $"The JSON body could not be read: {Explain(e)}";
            return (null, Problems.BadRequest($"{detail} Send JSON like {shape}."));
        }
    }

    /// <summary>
    /// What a <see cref="JsonException"/> says, for a person: the serializer's position suffix cut,
    /// and the .NET type it could not convert to named by what a JSON writer would send.
    /// </summary>
    public static string Explain(JsonException e)
    {
        // The engine words a bad enum value its own way around the serializer's error; the service's wording comes from the original.
        string message = e.InnerException is JsonException original ? original.Message : e.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return "is not a known field.";
        return ExpectedOf(e) is { } expected ? $"expected {expected}." : message;
    }

    /// <summary>"model.latentDim" for $.model.latentDim; "latents[1]" for $.latents[1]; "body" for the whole body.</summary>
    public static string FieldOf(string? path)
    {
        string field = (path ?? "").TrimStart('$').TrimStart('.');
        return field.Length == 0 ? "body" : field;
    }

    /// <summary>What the serializer wanted where it failed to convert a value ("a whole number"); null for other errors.</summary>
    private static string? ExpectedOf(JsonException e)
    {
        string message = e.InnerException is JsonException original ? original.Message : e.Message;
        const string marker = "could not be converted to ";
        int at = message.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        string type = message[(at + marker.Length)..];
        int end = type.IndexOf(". Path:", StringComparison.Ordinal);
        type = (end >= 0 ? type[..end] : type).TrimEnd('.');
        return Describe(type, plural: false);
    }

    /// <summary>A .NET type name as the JSON that reads into it: System.Single[][] is "a list of lists of numbers".</summary>
    private static string Describe(string type, bool plural)
    {
        const string nullable = "System.Nullable`1[";
        if (type.StartsWith(nullable, StringComparison.Ordinal) && type.EndsWith(']')) return Describe(type[nullable.Length..^1], plural);
        if (type.EndsWith("[]", StringComparison.Ordinal))
        {
            string items = Describe(type[..^2], plural: true);
            return (plural ? "lists" : "a list") + (items.Length == 0 ? "" : " of " + items);
        }
        return type switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.Byte" => plural ? "whole numbers" : "a whole number",
            "System.Single" or "System.Double" or "System.Decimal" => plural ? "numbers" : "a number",
            "System.Boolean" => "true or false",
            "System.String" => plural ? "strings" : "a string",
            _ when Find(type) is { IsEnum: true } e => "one of " + Quote(Enum.GetNames(e).Select(JsonNamingPolicy.CamelCase.ConvertName)),
            // A type read by a converter of its own may be written in several ways, which its converter names when it refuses one.
            _ when Find(type) is { } t && t.IsDefined(typeof(System.Text.Json.Serialization.JsonConverterAttribute), inherit: false) => plural ? "" : "a value of another kind",
            _ => plural ? "objects" : "an object",
        };
    }

    private static Type? Find(string fullName)
        => Type.GetType(fullName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName)).FirstOrDefault(t => t is not null);

    /// <summary>The value at a serializer path ($.from, $.latents[1]) in the body; null when the body or the path cannot be followed.</summary>
    private static JsonNode? ValueAt(ReadOnlySpan<byte> body, string? path)
    {
        if (path is null || !path.StartsWith('$')) return null;
        JsonNode? node;
        try { node = JsonNode.Parse(body); }
        catch (JsonException) { return null; }
        int i = 1;
        while (node is not null && i < path.Length)
        {
            if (path[i] == '.')
            {
                int end = path.IndexOfAny(['.', '['], i + 1);
                string name = end < 0 ? path[(i + 1)..] : path[(i + 1)..end];
                node = node is JsonObject o ? o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value : null;
                i = end < 0 ? path.Length : end;
            }
            else if (path[i] == '[' && path.IndexOf(']', i) is var close and > 0 && int.TryParse(path.AsSpan(i + 1, close - i - 1), out int index))
            {
                node = node is JsonArray a && index < a.Count ? a[index] : null;
                i = close + 1;
            }
            else return null;
        }
        return node;
    }

    /// <summary>"an array", "a string", ... for a JSON value.</summary>
    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true or false",
            _ => "a value",
        },
        _ => "a value",
    };

    /// <summary>'a', 'b' or 'c'.</summary>
    public static string Quote(IEnumerable<string> values)
    {
        var quoted = values.Select(v => $"'{v}'").ToArray();
        return quoted.Length <= 1 ? string.Concat(quoted) : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
    }

    private static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
