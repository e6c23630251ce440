using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Vae.Api.Infrastructure;

/// <summary>JSON bodies read by the endpoint itself: every way one can be unreadable is a 400 that shows the expected shape.</summary>
public static class JsonBody
{
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
            return (null, Problems.BadRequest($"The JSON body could not be read ({e.Message}). Send an object like {shape}."));
        }
    }
}
