namespace Vae.Engine.Tests.Imaging;

/// <summary>
/// A clock on which every timer is due the moment it is made, whatever its due time: a decode
/// measured on it has used up its time limit before it reads its first byte, with no waiting.
/// </summary>
public sealed class ExpiredClock : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        callback(state);
        return new Fired();
    }

    private sealed class Fired : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
