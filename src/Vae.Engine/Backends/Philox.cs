using System.Runtime.CompilerServices;

namespace Vae.Engine.Backends;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", 2011): ten rounds
/// of multiply-xor mixing of a 128-bit counter under a 64-bit key. Every backend computes the
/// same blocks from the same (key, counter), which is what makes random fills reproducible
/// across backends and thread counts. The counter's high 64 bits are zero.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four 32-bit outputs of block <paramref name="counter"/> under <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(ulong key, ulong counter, Span<uint> output)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        output[0] = c0; output[1] = c1; output[2] = c2; output[3] = c3;
    }

    /// <summary>Uniform in [0, 1) from the top 24 bits, exactly representable as float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniform(uint bits) => (bits >> 8) * (1.0f / (1 << 24));

    /// <summary>Two standard normals from two 32-bit numbers (Box-Muller, in double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float, float) BoxMuller(uint a, uint b)
    {
        double u1 = (a + 1.0) * (1.0 / 4294967296.0); // (0, 1]: the log is finite
        double u2 = b * (1.0 / 4294967296.0);
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return ((float)(r * cos), (float)(r * sin));
    }

    /// <summary>
    /// Fills values [first, first + count) of a stream starting at block <paramref name="counter"/>:
    /// element i comes from block counter + i / 4, lane i % 4. The reference every backend matches.
    /// </summary>
    public static void Fill(Span<float> destination, long first, RandomDistribution distribution, ulong key, ulong counter)
    {
        Span<uint> block = stackalloc uint[4];
        Span<float> values = stackalloc float[4];
        long i = first, end = first + destination.Length;
        while (i < end)
        {
            long blockIndex = i / 4;
            Block(key, counter + (ulong)blockIndex, block);
            if (distribution == RandomDistribution.Normal)
            {
                (values[0], values[1]) = BoxMuller(block[0], block[1]);
                (values[2], values[3]) = BoxMuller(block[2], block[3]);
            }
            else
            {
                for (int lane = 0; lane < 4; lane++) values[lane] = ToUniform(block[lane]);
            }
            for (int lane = (int)(i - blockIndex * 4); lane < 4 && i < end; lane++, i++)
                destination[(int)(i - first)] = values[lane];
        }
    }
}

/// <summary>What a random fill draws.</summary>
public enum RandomDistribution
{
    /// <summary>Uniform in [0, 1).</summary>
    Uniform,
    /// <summary>Standard normal.</summary>
    Normal,
}
