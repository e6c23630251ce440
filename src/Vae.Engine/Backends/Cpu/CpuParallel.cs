using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Vae.Engine.Diagnostics;

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
/// The workers are persistent background threads, created on first need (never more than
/// <see cref="MaxWorkers"/>). After a loop a worker spins for about a millisecond, so that the
/// loops of a training step, separated by short serial work, find it ready; then it polls
/// every millisecond for a while; only then does it block, and only then does a caller pay
/// for a wake-up call. A loop never waits for a worker to start: the caller runs indices
/// itself from the first moment, and a worker that arrives late only picks up what is left.
/// Hence several callers (say two web requests) may call concurrently: each claims whichever
/// workers are idle and, if none are, simply runs its loop alone.
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
    /// <summary>Upper bound on worker threads, whatever budget a caller passes.</summary>
    public const int MaxWorkers = 63;

    // How long an idle worker spins, then naps, before it blocks: spinning bridges the gaps
    // between the kernels of a training step; napping keeps the worker reachable without a
    // wake-up call for a while longer at almost no cost.
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000; // 1 ms
    private static readonly long NapTicks = Stopwatch.Frequency / 20;    // 50 ms
    // How long a caller spins for its workers to finish before it yields: the end of a training
    // step's loops is a few microseconds apart, and a worker held up longer (its core taken by a
    // request of the service) should not cost the requests a spinning caller as well.
    private static readonly long FinishSpinTicks = Stopwatch.Frequency / 50_000; // 20 µs

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

        // Offer the job to idle workers; a busy one (serving another caller) is skipped.
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
            long waiting = StepProfiler.Active ? Stopwatch.GetTimestamp() : 0;
            job.CloseAndWait(wanted);
            if (StepProfiler.Active) StepProfiler.Waited(Stopwatch.GetTimestamp() - waiting);
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
        private int _slots;      // workers that may still join; a worker joins by taking one
        private int _workersDone;
        private ExceptionDispatchInfo? _failure;

        public void Prepare(int count, delegate*<int, void*, void*, void> invoke, void* body, void* state, Action<int>? action)
        {
            _count = count;
            _invoke = invoke;
            _body = body;
            _state = state;
            _action = action;
            _next = 0;
            _workersDone = 0;
            _failure = null;
        }

        // Publishing the slots is what makes the fields above visible to workers.
        public void OpenSlots(int workers) => Interlocked.Exchange(ref _slots, workers);

        /// <summary>Takes a worker slot; false once the owner has closed the job (or it is full).</summary>
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

        public void WorkerFinished() => Interlocked.Increment(ref _workersDone);

        /// <summary>Stops further joins and waits for the workers that did join.</summary>
        public void CloseAndWait(int opened)
        {
            int joined = opened - Interlocked.Exchange(ref _slots, 0);
            if (Volatile.Read(ref _workersDone) == joined) return;
            // A worker finishing its last index is usually microseconds away: spin without giving up
            // the core first (a yield is a system call, and on a loaded machine can hand the core
            // to another process for a whole time slice), then yield while it takes longer.
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _workersDone) != joined)
            {
                Thread.SpinWait(20);
                if (Stopwatch.GetTimestamp() - start > FinishSpinTicks) break;
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref _workersDone) != joined) spin.SpinOnce(sleep1Threshold: -1);
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
    /// A worker thread. A caller hands it a job by swapping its <see cref="_offered"/> field from
    /// null; the worker then joins the job if the job still has a slot (it may have finished, or
    /// even been reused by its owner for a later loop, which is just as good to join).
    /// </summary>
    private sealed class Worker
    {
        private Job? _offered;
        private int _sleeping;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);

        public Worker(int index)
        {
            var thread = new Thread(Loop)
            {
                IsBackground = true,
                Name = $"Vae CPU worker {index + 1}",
            };
            thread.Start();
        }

        public bool TryOffer(Job job)
        {
            if (Interlocked.CompareExchange(ref _offered, job, null) is not null) return false;
            // The exchange above and the worker's write of _sleeping are both full fences, so
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
                bool joined = job.TryJoin();
                if (joined) job.Work();
                // Become offerable again before reporting: the owner's next loop often starts
                // the moment it sees this worker finish, and should find it available.
                Volatile.Write(ref _offered, null);
                if (joined) job.WorkerFinished();
            }
        }

        private Job WaitForOffer()
        {
            long start = Stopwatch.GetTimestamp();
            Job? job;
            // 1. Spin: catches the next loop of a busy caller with no wake-up cost at all.
            for (int i = 0; ; i++)
            {
                if ((job = Volatile.Read(ref _offered)) is not null) return job;
                Thread.SpinWait(20);
                if ((i & 15) == 15 && Stopwatch.GetTimestamp() - start > SpinTicks) break;
            }
            // 2. Nap: poll every millisecond or so. A caller never pays for waking a napping
            // worker (on virtual machines a wake-up call can cost the caller 10 µs and the
            // worker far longer to arrive); it just joins a later loop.
            while (Stopwatch.GetTimestamp() - start < NapTicks)
            {
                if ((job = Volatile.Read(ref _offered)) is not null) return job;
                Thread.Sleep(1);
            }
            // 3. Sleep until a caller wakes us.
            while (true)
            {
                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 1);
                job = Volatile.Read(ref _offered);
                if (job is null) _wake.Wait();
                Volatile.Write(ref _sleeping, 0);
                job ??= Volatile.Read(ref _offered);
                if (job is not null) return job;
            }
        }
    }
}
