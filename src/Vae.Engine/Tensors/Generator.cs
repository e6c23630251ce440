using Vae.Engine.Backends;

namespace Vae.Engine.Tensors;

/// <summary>
/// A seeded, reproducible random source built on the counter-based Philox4x32-10 generator: the
/// n-th block of four 32-bit numbers is a pure function of (key, n). A backend fills a tensor by
/// computing the blocks it needs in parallel from the (key, counter) this generator reserves, so
/// every backend draws exactly the same stream, and host draws (shuffles) and device draws
/// (latent noise, dropout masks) interleave in a fixed order. The same seed gives the same
/// numbers on every machine.
/// </summary>
public sealed class Generator
{
    private ulong _key;
    private ulong _counter;          // next unused block
    private readonly uint[] _block = new uint[4];
    private int _used = 4;           // lanes of _block already handed out
    private float _spareNormal;
    private bool _hasSpare;

    public Generator(ulong seed) => Reseed(seed);

    /// <summary>A generator for one stream of a run, e.g. (seed, epoch), independent of the others.</summary>
    public static Generator ForStream(ulong seed, ulong stream) => new(Mix(seed ^ Mix(stream + 0x5851F42D4C957F2DUL)));

    public void Reseed(ulong seed)
    {
        _key = seed;
        _counter = 0;
        _used = 4;
        _hasSpare = false;
    }

    /// <summary>
    /// Reserves the blocks for <paramref name="count"/> values and returns where they start; the
    /// caller computes them with <see cref="Philox"/>. Element i of the fill uses block
    /// counter + i / 4, lane i % 4 (normals pair lanes 0-1 and 2-3 by Box-Muller).
    /// </summary>
    public (ulong Key, ulong Counter) Reserve(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var start = (_key, _counter);
        _counter += (ulong)((count + 3) / 4);
        return start;
    }

    public ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    public uint NextUInt32()
    {
        if (_used == 4)
        {
            Philox.Block(_key, _counter++, _block);
            _used = 0;
        }
        return _block[_used++];
    }

    /// <summary>Uniform in [0, 1) with 24 random bits, exactly representable as float.</summary>
    public float NextFloat() => Philox.ToUniform(NextUInt32());

    /// <summary>Uniform in [0, n).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) % (ulong)n);

    /// <summary>Standard normal by the Box-Muller transform, computed in double for accuracy in the tails.</summary>
    public float NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spareNormal; }
        var (a, b) = Philox.BoxMuller(NextUInt32(), NextUInt32());
        _spareNormal = b;
        _hasSpare = true;
        return a;
    }

    /// <summary>Fisher-Yates shuffle of <paramref name="values"/>.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
