using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

public sealed unsafe class CpuParallelTests
{
    private struct Counts
    {
        public int* Hits;
    }

    private static void CountHit(int index, ref Counts counts) => Interlocked.Increment(ref counts.Hits[index]);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 4)]
    [InlineData(7, 2)]
    [InlineData(1000, 2)]
    [InlineData(1000, 8)]
    public void Every_index_runs_exactly_once(int count, int threads)
    {
        for (int round = 0; round < 50; round++)
        {
            int[] hits = new int[count];
            fixed (int* p = hits)
            {
                CpuParallel.For(count, threads, new Counts { Hits = p }, &CountHit);
            }
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void The_delegate_overload_runs_every_index_too()
    {
        int[] hits = new int[257];
        CpuParallel.For(hits.Length, 3, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void No_more_threads_than_the_budget_take_part()
    {
        for (int round = 0; round < 20; round++)
        {
            var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
            CpuParallel.For(64, 2, i =>
            {
                seen[Environment.CurrentManagedThreadId] = true;
                Thread.SpinWait(2000);
            });
            Assert.InRange(seen.Count, 1, 2);
        }
    }

    [Fact]
    public void A_single_thread_budget_runs_inline_on_the_caller()
    {
        int caller = Environment.CurrentManagedThreadId;
        CpuParallel.For(16, 1, _ => Assert.Equal(caller, Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void A_loop_inside_a_loop_runs_inline()
    {
        int[] hits = new int[8 * 8];
        CpuParallel.For(8, 2, outer =>
        {
            int thread = Environment.CurrentManagedThreadId;
            CpuParallel.For(8, 2, inner =>
            {
                Assert.Equal(thread, Environment.CurrentManagedThreadId);
                Interlocked.Increment(ref hits[outer * 8 + inner]);
            });
        });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void An_exception_in_a_body_reaches_the_caller_after_the_others_finish()
    {
        int finished = 0;
        var error = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(100, 2, i =>
        {
            if (i == 10) throw new InvalidOperationException("body failed");
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("body failed", error.Message);

        // The pool is still usable afterwards.
        int[] hits = new int[100];
        CpuParallel.For(100, 2, i => hits[i]++);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Many_callers_at_once_all_complete()
    {
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 6 }, round =>
        {
            int[] hits = new int[50 + round % 13];
            CpuParallel.For(hits.Length, 1 + round % 4, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        });
    }
}
