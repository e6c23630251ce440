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
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using (await second.WaitAsync(TimeSpan.FromSeconds(5))) { }
    }

    [Fact]
    public async Task A_handle_disposed_twice_lets_only_one_waiter_in()
    {
        var locks = new InProcessClusterLock();
        var first = await locks.EnterAsync(1, CancellationToken.None);
        var second = locks.EnterAsync(1, CancellationToken.None);
        var third = locks.EnterAsync(1, CancellationToken.None);

        await first.DisposeAsync();
        await first.DisposeAsync();
        var held = await second.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        await held.DisposeAsync();
        await (await third.WaitAsync(TimeSpan.FromSeconds(5))).DisposeAsync();
    }
}
