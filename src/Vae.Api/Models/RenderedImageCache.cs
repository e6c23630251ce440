using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;

namespace Vae.Api.Models;

/// <summary>
/// The encoded bytes of recently served deterministic images (sample grids and manifolds), least
/// recently used first out, within Models:RenderCacheMegabytes. A model id never changes its
/// images, so an entry never goes stale; entries of a deleted model are never asked for again (the
/// model is resolved before the cache is) and age out. Each node keeps its own.
/// </summary>
public sealed class RenderedImageCache
{
    private readonly long _budget;
    private readonly Lock _gate = new();
    private readonly RecentlyUsed<byte[]> _images;
    private long _hits;
    private long _misses;

    /// <param name="budgetBytes">Most bytes held; 0 (or less) keeps nothing.</param>
    public RenderedImageCache(long budgetBytes)
    {
        _budget = Math.Max(0L, budgetBytes);
        _images = new RecentlyUsed<byte[]>(_budget, bytes => bytes.Length);
    }

    public static RenderedImageCache FromOptions(IOptions<ModelsOptions> options) => new(options.Value.RenderCacheMegabytes * 1024L * 1024);

    /// <summary>Requests answered from the cache since the service started.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Requests that had to render, the cache being off included.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Bytes held now.</summary>
    public long Bytes
    {
        get { lock (_gate) return _images.Weight; }
    }

    public bool TryGet(string key, out byte[] bytes)
    {
        lock (_gate)
        {
            if (_images.TryGet(key, out bytes))
            {
                _hits++;
                return true;
            }
            _misses++;
            return false;
        }
    }

    /// <summary>Keeps <paramref name="bytes"/> (never changed afterwards) under <paramref name="key"/>, dropping the least recently used to make room.</summary>
    public void Add(string key, byte[] bytes)
    {
        // One image may take at most an eighth of the budget, so a few large grids cannot flush
        // every small one that is asked for often.
        if (bytes.Length > _budget / 8) return;
        lock (_gate) _images.Add(key, bytes);
    }
}
