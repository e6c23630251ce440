using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vae.Api.Storage;

namespace Vae.Api.Tests.Storage;

/// <summary>How the steps of a job wait out a database that cannot be reached, on a fake clock.</summary>
public sealed class StoreFaultsTests
{
    [Fact]
    public async Task A_step_retries_with_doubling_pauses_and_gives_up_with_the_outage_once_its_patience_is_spent()
    {
        var clock = new PauseCountingClock();
        int attempts = 0;
        var run = StoreFaults.RetryWhileUnavailableAsync<int>(() => { attempts++; throw new SocketException((int)SocketError.ConnectionRefused); },
            TimeSpan.FromSeconds(10), NullLogger.Instance, "testing", CancellationToken.None, clock);

        // 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s of pauses; the next one (5 s, the cap) would end past the 10 s of patience.
        foreach (double seconds in new[] { 0.25, 0.5, 1, 2, 4 })
        {
            var pause = await clock.NextPauseAsync();
            Assert.Equal(TimeSpan.FromSeconds(seconds), pause);
            Assert.False(run.IsCompleted);
            clock.Advance(pause);
        }

        await Assert.ThrowsAsync<SocketException>(() => run);
        Assert.Equal(6, attempts);
    }

    [Fact]
    public async Task A_step_that_reaches_the_database_after_a_pause_succeeds_and_other_failures_are_not_retried()
    {
        var clock = new PauseCountingClock();
        int attempts = 0;
        var run = StoreFaults.RetryWhileUnavailableAsync(() => ++attempts == 1 ? throw new SocketException() : Task.FromResult(attempts),
            TimeSpan.FromSeconds(10), NullLogger.Instance, "testing", CancellationToken.None, clock);
        clock.Advance(await clock.NextPauseAsync());
        Assert.Equal(2, await run);

        await Assert.ThrowsAsync<InvalidOperationException>(() => StoreFaults.RetryWhileUnavailableAsync<int>(
            () => throw new InvalidOperationException("a real error"), TimeSpan.FromSeconds(10), NullLogger.Instance, "testing", CancellationToken.None, clock));
    }

    /// <summary>A fake clock that tells the test each pause as it begins, so the test moves time only once the pause waits on it.</summary>
    private sealed class PauseCountingClock : FakeTimeProvider
    {
        private readonly Channel<TimeSpan> _pauses = Channel.CreateUnbounded<TimeSpan>();

        public async Task<TimeSpan> NextPauseAsync() => await _pauses.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime != Timeout.InfiniteTimeSpan) _pauses.Writer.TryWrite(dueTime);
            return timer;
        }
    }
}
