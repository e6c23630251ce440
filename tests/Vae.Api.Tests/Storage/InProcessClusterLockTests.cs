using Vae.Api.Storage;

namespace Vae.Api.Tests.Storage;

/// <summary>One node's lock: holders of one key take turns, other keys do not wait, and a handle released twice frees the lock once.</summary>
public sealed class InProcessClusterLockTests
{
    [Fact]
    public async Task A_second_holder_of_a_key_waits_until_the_first_lets_go_and_another_key_does_not_wait()
    {
        var locks = new InProcessClusterLock();
        var first = await locks.EnterAsync(1, CancellationToken.None);

        var second = locks.EnterAsync(1, CancellationToken.None);
        await using (await locks.EnterAsync(2, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5))) { }
        Assert.False(second.IsCompleted); // nothing has let go of key 1 yet

        await first.DisposeAsync();
        await using (await second.WaitAsync(TimeSpan.FromSeconds(5))) { }
    }

    [Fact]
    public async Task A_handle_disposed_twice_lets_only_one_waiter_in()
    {
        var locks = new InProcessClusterLock();
        var first = await locks.EnterAsync(1, CancellationToken.None);
        var second = locks.EnterAsync(1, CancellationToken.None);
        using var giveUp = new CancellationTokenSource();
        var third = locks.EnterAsync(1, giveUp.Token);

        await first.DisposeAsync();
        await first.DisposeAsync();
        var held = await second.WaitAsync(TimeSpan.FromSeconds(5));
        // Still waiting, the third gives up; had the second dispose let it in, it would hold the lock instead.
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);

        await held.DisposeAsync();
        await (await locks.EnterAsync(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5))).DisposeAsync();
    }
}
