using System.Diagnostics;
using Vae.Engine.Backends;

/// <summary>What the kernel benchmarks (<c>bench/Gemm</c>, <c>bench/Conv</c>) share: their inputs and their clock.</summary>
internal static class KernelTiming
{
    /// <summary>
    /// Seconds per call of <paramref name="once"/>: the median of 9 timed repetitions of about
    /// <paramref name="repetitionMilliseconds"/> each, after <paramref name="warmUpMilliseconds"/> of
    /// untimed calls (at least <paramref name="minimumCalls"/>) for the JIT's tiers, scratch buffers
    /// and helper threads.
    /// </summary>
    public static double MedianSeconds(Action once, int warmUpMilliseconds, int minimumCalls, double repetitionMilliseconds)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.ElapsedMilliseconds < warmUpMilliseconds || calls < minimumCalls) { once(); calls++; }
        int perRep = Math.Max(1, (int)(calls * repetitionMilliseconds / clock.Elapsed.TotalMilliseconds));
        var seconds = new double[9];
        for (int rep = 0; rep < seconds.Length; rep++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRep; i++) once();
            seconds[rep] = Stopwatch.GetElapsedTime(start).TotalSeconds / perRep;
        }
        Array.Sort(seconds);
        return seconds[seconds.Length / 2];
    }

    /// <summary>A buffer of <paramref name="length"/> values uniform in [-0.5, 0.5) on <paramref name="backend"/>.</summary>
    public static BufferRef Filled(IBackend backend, int length, Random random)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)random.NextDouble() - 0.5f;
        var buffer = new BufferRef(backend.Allocate(length), 0);
        backend.Upload(values, buffer);
        return buffer;
    }
}
