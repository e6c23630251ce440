using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Vae.Api.Infrastructure;

/// <summary>
/// A request body in a pooled buffer, read up to a limit: a larger body is refused with 413 as
/// soon as its size is known (from Content-Length, or while reading one sent without it), before
/// anything is decoded. Dispose it to return the buffer.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;
    private int _length;

    /// <summary>413 when the body was over the limit; the bytes are then empty.</summary>
    public ProblemHttpResult? Problem { get; private init; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    /// <summary>The same bytes, for readers that keep a reference while they work (valid until disposed).</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Reads the whole body, at most <paramref name="max"/> bytes; <paramref name="tooLarge"/> is the 413's detail.</summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, long max, string tooLarge, CancellationToken ct)
    {
        if (request.ContentLength > max) return new RequestBody { Problem = Problems.TooLarge(tooLarge) };
        // Kestrel's own limit must not cut the read short of ours (we stop one byte past it ourselves).
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false } && (limit.MaxRequestBodySize is null || limit.MaxRequestBodySize < max + 1)) limit.MaxRequestBodySize = max + 1;

        var body = new RequestBody { _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, (request.ContentLength ?? 8192) + 1)) };
        try
        {
            while (true)
            {
                if (body._length == body._buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, 2L * body._buffer.Length));
                    body._buffer.AsSpan(0, body._length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(body._buffer);
                    body._buffer = larger;
                }
                int read = await request.Body.ReadAsync(body._buffer.AsMemory(body._length), ct);
                if (read == 0) return body;
                body._length += read;
                if (body._length > max)
                {
                    body.Dispose();
                    return new RequestBody { Problem = Problems.TooLarge(tooLarge) };
                }
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _length = 0;
    }
}
