using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vae.Engine.Diagnostics;

/// <summary>What a CPU primitive spends its time on, for <see cref="StepProfiler"/>'s columns.</summary>
public enum ProfiledPrimitive
{
    /// <summary>Matrix products (OpenBLAS or managed), with their multiply-adds counted.</summary>
    Gemm,
    /// <summary>Unfolding images into column matrices and folding them back (im2col, col2im), and Winograd's transforms.</summary>
    Unfold,
    /// <summary>Strided copies: layout changes (NCHW to position-major and back), broadcasts, bias adds.</summary>
    Copy,
    /// <summary>Taking and returning buffers (the pool, or new memory).</summary>
    Allocation,
    /// <summary>The calling thread waiting for the other threads of a parallel loop to finish their share.</summary>
    Synchronisation,
}

/// <summary>
/// A per-op profile of training steps, switched on by <c>VAE_PROFILE=1</c>: every op's forward
/// pass (timed from the previous op's end to its own), every backward node, the steps between them
/// (loading the batch, the optimizer), and inside each row the time of the CPU primitives that
/// are not element-wise (matrix products, unfolding, strided copies, allocation, waiting for other
/// threads). Only the thread that called <see cref="Begin"/> is measured, so serving requests and
/// worker threads leave the figures alone; with the variable unset every hook is one test of a
/// static read-only field, which the JIT folds away.
/// </summary>
public static class StepProfiler
{
    /// <summary>True when <c>VAE_PROFILE=1</c>: the hooks record.</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("VAE_PROFILE") == "1";

    private const int Kinds = 5;
    [ThreadStatic] private static bool _active;
    [ThreadStatic] private static int _depth;
    [ThreadStatic] private static long[]? _nested;
    [ThreadStatic] private static long _pendingBackward;
    private static readonly Dictionary<string, Row> Rows = new(StringComparer.Ordinal);
    private static readonly long[] Ticks = new long[Kinds];
    private static readonly long[] TicksAtMark = new long[Kinds];
    private static long _flops, _flopsAtMark, _work, _workAtMark, _lastMark, _steps;
    private static volatile bool _recording;

    private sealed class Row
    {
        public long Calls, Ticks, Flops, Work;
        public readonly long[] Primitive = new long[Kinds];
    }

    /// <summary>True on the profiled thread while profiling is on.</summary>
    internal static bool Active => Enabled && _active;

    /// <summary>Starts (or restarts, dropping what was recorded) the profile of this thread's steps.</summary>
    public static void Begin()
    {
        if (!Enabled) return;
        _active = true;
        _recording = true;
        Rows.Clear();
        Array.Clear(Ticks);
        Array.Clear(TicksAtMark);
        _flops = _flopsAtMark = _work = _workAtMark = _steps = 0;
        _lastMark = Stopwatch.GetTimestamp();
    }

    /// <summary>Counts one training step (for the per-step figures).</summary>
    public static void StepDone()
    {
        if (Active) _steps++;
    }

    /// <summary>Gives the time since the previous mark, and the primitives run in it, to <paramref name="label"/>.</summary>
    public static void Mark(string label)
    {
        if (!Active) return;
        long now = Stopwatch.GetTimestamp();
        if (!Rows.TryGetValue(label, out var row)) Rows[label] = row = new Row();
        row.Calls++;
        row.Ticks += now - _lastMark;
        row.Flops += _flops - _flopsAtMark;
        row.Work += _work - _workAtMark;
        _workAtMark = _work;
        for (int k = 0; k < Kinds; k++)
        {
            row.Primitive[k] += Ticks[k] - TicksAtMark[k];
            TicksAtMark[k] = Ticks[k];
        }
        _flopsAtMark = _flops;
        _lastMark = now;
    }

    /// <summary>Time since the previous mark that nobody claims (a caller's own work) is dropped.</summary>
    public static void Skip()
    {
        if (!Active) return;
        _lastMark = Stopwatch.GetTimestamp();
        Array.Copy(Ticks, TicksAtMark, Kinds);
        _flopsAtMark = _flops;
        _workAtMark = _work;
    }

    /// <summary>
    /// Starts timing a primitive; pass the result to <see cref="End"/>. A primitive inside another
    /// (the products and buffers of a Winograd convolution) counts for itself, and its time is
    /// taken from the outer one's: each column holds exclusive time.
    /// </summary>
    internal static long Start()
    {
        if (!Active) return 0;
        _nested ??= new long[16];
        if (_depth < _nested.Length) _nested[_depth] = 0;
        _depth++;
        return Stopwatch.GetTimestamp();
    }

    internal static void End(long started, ProfiledPrimitive kind, long flops = 0)
    {
        if (!Enabled) return;
        // Multiply-adds count on every thread (kernels that split a batch over threads run
        // products on each); time only on the profiled one.
        if (flops != 0 && _recording) Interlocked.Add(ref _flops, flops);
        if (!_active) return;
        long elapsed = Stopwatch.GetTimestamp() - started;
        int depth = --_depth;
        long inner = depth < _nested!.Length ? _nested[depth] : 0;
        Ticks[(int)kind] += elapsed - inner;
        if (depth > 0 && depth - 1 < _nested.Length) _nested[depth - 1] += elapsed;
    }

    /// <summary>
    /// The arithmetic an op stands for, 2 x its multiply-adds as a direct convolution or a plain
    /// product would do them: the FLOPs of the roofline. Winograd's products execute fewer.
    /// </summary>
    internal static void Work(long flops)
    {
        if (Active) _work += flops;
    }

    /// <summary>The FLOPs the backward pass of the op about to record itself will do; the op's graph node carries them there.</summary>
    internal static void BackwardWork(long flops)
    {
        if (Active) _pendingBackward = flops;
    }

    internal static long TakeBackwardWork()
    {
        long flops = _pendingBackward;
        _pendingBackward = 0;
        return flops;
    }

    /// <summary>Waiting for other threads counts even inside another primitive: it is a column of its own.</summary>
    internal static void Waited(long ticks)
    {
        if (Active) Ticks[(int)ProfiledPrimitive.Synchronisation] += ticks;
    }

    /// <summary>
    /// The table: one row per op (milliseconds per step, share of the step, its FLOPs per step and
    /// the rate it achieves on them, the rate inside its matrix products, and the share of the row
    /// in each primitive), heaviest first, each line starting with <paramref name="prefix"/>.
    /// </summary>
    public static string Report(string prefix = "# profile ")
    {
        if (!Enabled) return "";
        double steps = Math.Max(1, _steps), tick = 1000.0 / Stopwatch.Frequency;
        long total = Rows.Values.Sum(r => r.Ticks), flops = Rows.Values.Sum(r => r.Flops), work = Rows.Values.Sum(r => r.Work);
        var totals = new long[Kinds];
        foreach (var r in Rows.Values)
            for (int k = 0; k < Kinds; k++) totals[k] += r.Primitive[k];
        var text = new StringBuilder();
        void Line(string s) => text.Append(prefix).Append(s).Append('\n');
        Line(string.Create(CultureInfo.InvariantCulture,
            $"{steps:F0} steps, {total * tick / steps:F2} ms/step; {work / steps / 1e9:F3} GFLOP/step at {Rate(work, total)} GFLOP/s; " +
            $"the GEMMs execute {flops / steps / 1e9:F3} GFLOP/step at {Rate(flops, totals[0])} GFLOP/s"));
        Line(string.Create(CultureInfo.InvariantCulture,
            $"share of the step: gemm {Share(totals[0], total)} unfold {Share(totals[1], total)} copy {Share(totals[2], total)} alloc {Share(totals[3], total)} " +
            $"other (element-wise, bookkeeping) {Share(total - totals[0] - totals[1] - totals[2] - totals[3], total)}; waiting for threads {Share(totals[4], total)}"));
        Line($"{"op",-44} {"calls",6} {"ms/step",8} {"step",6} {"GFLOP",7} {"GF/s",6} {"gemmGF/s",8} {"gemm",5} {"unfold",6} {"copy",5} {"alloc",5} {"other",5} {"wait",5}");
        foreach (var (label, r) in Rows.OrderByDescending(p => p.Value.Ticks))
        {
            long other = r.Ticks - r.Primitive[0] - r.Primitive[1] - r.Primitive[2] - r.Primitive[3];
            Line(string.Create(CultureInfo.InvariantCulture,
                $"{Clip(label, 44),-44} {r.Calls / steps,6:F1} {r.Ticks * tick / steps,8:F3} {Share(r.Ticks, total),6} {r.Work / steps / 1e9,7:F4} " +
                $"{Rate(r.Work, r.Ticks),6} {Rate(r.Flops, r.Primitive[0]),8} {Share(r.Primitive[0], r.Ticks),5} {Share(r.Primitive[1], r.Ticks),6} " +
                $"{Share(r.Primitive[2], r.Ticks),5} {Share(r.Primitive[3], r.Ticks),5} {Share(other, r.Ticks),5} {Share(r.Primitive[4], r.Ticks),5}"));
        }
        Line("GFLOP: 2 x the op's multiply-adds done directly; GF/s: those over the row's time; gemmGF/s: what the GEMMs executed over their time");
        Line("(Winograd's GEMMs execute fewer than the direct count; products on other threads count, time only on this one); other columns: shares of the row.");
        return text.ToString();

        static string Share(long part, long whole) => whole <= 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:F0}%");
        static string Rate(long flops, long ticks) => ticks <= 0 || flops == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{flops / (ticks / (double)Stopwatch.Frequency) / 1e9:F0}");
        static string Clip(string s, int n) => s.Length <= n ? s : s[..n];
    }
}
