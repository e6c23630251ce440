namespace Vae.Engine.Backends;

/// <summary>
/// How many threads the kernels started from this thread may use. The budget belongs to the
/// caller (a trainer, a web request), not to the process, so training can take what serving
/// leaves free: <c>using (ThreadBudget.Use(1)) { ... }</c>.
/// </summary>
public static class ThreadBudget
{
    [ThreadStatic] private static int _current;

    public static int Current => _current > 0 ? _current : Environment.ProcessorCount;

    public static Scope Use(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var scope = new Scope(_current);
        _current = threads;
        return scope;
    }

    public readonly struct Scope : IDisposable
    {
        private readonly int _previous;
        internal Scope(int previous) => _previous = previous;
        public void Dispose() => _current = _previous;
    }
}
