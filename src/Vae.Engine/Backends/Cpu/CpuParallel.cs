using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// A parallel for-loop for kernels that run for tens of microseconds, where starting tasks on
/// the .NET thread pool would cost as much as the work.
/// </summary>
/// <remarks>
/// <para>
/// <c>For(count, threads, ...)</c> runs <c>body(i)</c> for every i in [0, count) on at most
/// <c>threads</c> threads, the calling thread being one of them; it returns when every index has
/// run. Indices are handed out one at a time from a shared counter, so which thread runs which
/// index is not fixed: a body must give the same result whichever thread runs it.
/// </para>
/// <para>
/// The helpers are persistent background threads, created on first need (never more than
/// <see cref="MaxWorkers"/>). After a loop they spin for a short while, so back-to-back loops
/// do not pay for a wake-up, then block. A loop never waits for a helper to start: the caller
/// runs indices itself from the first moment, and a helper that wakes late only picks up what
/// is left. Hence several callers (say two web requests) may call concurrently: each claims
/// whichever helpers are idle and, if none are, simply runs its loop alone.
/// </para>
/// <para>
/// A body that calls <c>For</c> again (on any thread) gets an inline loop: the budget was
/// already spent by the outer loop.
/// </para>
/// <para>
/// Steady state allocates nothing when the state overload is used: the state is an unmanaged
/// struct copied into the caller's frame and the body is a static function pointer, e.g.
/// <c>CpuParallel.For(n, threads, args, &amp;Step)</c> with
/// <c>static void Step(int i, ref Args args)</c>. The body receives the caller's single copy by
/// reference, so concurrent bodies must not write to it. An exception thrown by a body stops
/// the handing out of further indices and is rethrown on the calling thread once every running
/// body has finished.
/// </para>
/// </remarks>
internal static unsafe class CpuParallel
{
    /// <summary>Upper bound on helper threads, whatever budget a caller passes.</summary>
    public const int MaxWorkers = 63;

    // How long an idle helper keeps polling before it blocks: long enough to bridge the short
    // gaps between the kernels of one training step, short enough not to hold a core for long.
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static readonly Lock GrowLock = new();
    private static volatile Worker[] _workers = [];

    [ThreadStatic] private static bool _insideLoop;
    [ThreadStatic] private static Job? _ownJob;

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, count) on up to <paramref name="threads"/> threads.</summary>
    public static void For<TState>(int count, int threads, TState state, delegate*<int, ref TState, void> body)
        where TState : unmanaged
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1 || _insideLoop)
        {
            for (int i = 0; i < count; i++) body(i, ref state);
            return;
        }
        Run(count, threads, &Invoke<TState>, body, &state, null);
    }

    /// <summary>Convenience overload for code that is not hot: the delegate may allocate.</summary>
    public static void For(int count, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        if (threads <= 1 || count == 1 || _insideLoop)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Run(count, threads, null, null, null, body);
    }

    private static void Invoke<TState>(int index, void* body, void* state) where TState : unmanaged
        => ((delegate*<int, ref TState, void>)body)(index, ref *(TState*)state);

    private static void Run(int count, int threads, delegate*<int, void*, void*, void> invoke, void* body, void* state, Action<int>? action)
    {
        int wanted = Math.Min(Math.Min(threads, count) - 1, MaxWorkers);
        Worker[] workers = _workers;
        if (workers.Length < wanted) workers = Grow(wanted);

        Job job = _ownJob ??= new Job();
        job.Prepare(count, invoke, body, state, action);
        job.OpenSlots(wanted);

        // Offer the job to idle helpers; a busy one (serving another caller) is skipped.
        int offered = 0;
        for (int w = 0; w < workers.Length && offered < wanted; w++)
        {
            if (workers[w].TryOffer(job)) offered++;
        }

        _insideLoop = true;
        try
        {
            job.Work();
        }
        finally
        {
            _insideLoop = false;
            job.CloseAndWait(wanted);
        }
        job.ThrowIfFailed();
    }

    private static Worker[] Grow(int wanted)
    {
        lock (GrowLock)
        {
            Worker[] current = _workers;
            if (current.Length >= wanted) return current;
            var grown = new Worker[wanted];
            Array.Copy(current, grown, current.Length);
            for (int w = current.Length; w < wanted; w++) grown[w] = new Worker(w);
            _workers = grown;
            return grown;
        }
    }

    /// <summary>One loop in flight. Each calling thread reuses its own, so a loop allocates nothing.</summary>
    private sealed class Job
    {
        private int _count;
        private delegate*<int, void*, void*, void> _invoke;
        private void* _body;
        private void* _state;
        private Action<int>? _action;
        private int _next;
        private int _slots;      // helpers that may still join; a helper joins by taking one
        private int _helpersDone;
        private ExceptionDispatchInfo? _failure;

        public void Prepare(int count, delegate*<int, void*, void*, void> invoke, void* body, void* state, Action<int>? action)
        {
            _count = count;
            _invoke = invoke;
            _body = body;
            _state = state;
            _action = action;
            _next = 0;
            _helpersDone = 0;
            _failure = null;
        }

        // Publishing the slots is what makes the fields above visible to helpers.
        public void OpenSlots(int helpers) => Interlocked.Exchange(ref _slots, helpers);

        /// <summary>Takes a helper slot; false once the owner has closed the job (or it is full).</summary>
        public bool TryJoin()
        {
            int slots = Volatile.Read(ref _slots);
            while (slots > 0)
            {
                int seen = Interlocked.CompareExchange(ref _slots, slots - 1, slots);
                if (seen == slots) return true;
                slots = seen;
            }
            return false;
        }

        public void Work()
        {
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref _next) - 1) < _count)
                {
                    if (_action is null) _invoke(i, _body, _state);
                    else _action(i);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                Volatile.Write(ref _next, _count);
            }
        }

        public void HelperFinished() => Interlocked.Increment(ref _helpersDone);

        /// <summary>Stops further joins and waits for the helpers that did join.</summary>
        public void CloseAndWait(int opened)
        {
            int joined = opened - Interlocked.Exchange(ref _slots, 0);
            if (Volatile.Read(ref _helpersDone) == joined) return;
            var spin = new SpinWait();
            while (Volatile.Read(ref _helpersDone) != joined) spin.SpinOnce(sleep1Threshold: -1);
        }

        public void ThrowIfFailed()
        {
            ExceptionDispatchInfo? failure = _failure;
            _failure = null;
            _action = null;
            failure?.Throw();
        }
    }

    /// <summary>
    /// A helper thread. A caller hands it a job by swapping its <see cref="_offered"/> field from
    /// null; the helper then joins the job if the job still has a slot (it may have finished, or
    /// even been reused by its owner for a later loop, which is just as good to join).
    /// </summary>
    private sealed class Worker
    {
        private Job? _offered;
        private int _sleeping;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);

        public Worker(int index)
        {
            var thread = new Thread(Loop, maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = $"Vae CPU worker {index + 1}",
            };
            thread.Start();
        }

        public bool TryOffer(Job job)
        {
            if (Interlocked.CompareExchange(ref _offered, job, null) is not null) return false;
            // The exchange above and the helper's write of _sleeping are both full fences, so
            // either we see it asleep and wake it, or it sees the offer before blocking.
            if (Volatile.Read(ref _sleeping) != 0) _wake.Set();
            return true;
        }

        private void Loop()
        {
            _insideLoop = true;
            while (true)
            {
                Job? job = Volatile.Read(ref _offered) ?? WaitForOffer();
                if (job.TryJoin())
                {
                    job.Work();
                    job.HelperFinished();
                }
                Volatile.Write(ref _offered, null);
            }
        }

        private Job WaitForOffer()
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (true)
            {
                Job? job = Volatile.Read(ref _offered);
                if (job is not null) return job;
                if (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(30);
                    continue;
                }
                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 1);
                job = Volatile.Read(ref _offered);
                if (job is null) _wake.Wait();
                Volatile.Write(ref _sleeping, 0);
                job ??= Volatile.Read(ref _offered);
                if (job is not null) return job;
                deadline = Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }
}
