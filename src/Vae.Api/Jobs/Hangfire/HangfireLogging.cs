using HangfireLog = Hangfire.Logging;

namespace Vae.Api.Jobs.Hangfire;

/// <summary>
/// Hangfire logs through one process-wide provider, set once; this one writes to the logging of the
/// hosts that are running now (the newest one, when tests run several in one process), and to nothing
/// once they have stopped, instead of to a host that is gone.
/// </summary>
internal sealed class HangfireLogging : HangfireLog.ILogProvider
{
    private static readonly HangfireLogging Instance = new();
    private static readonly List<ILoggerFactory> Live = [];

    /// <summary>Routes Hangfire's logs to <paramref name="factory"/> until the returned handle is disposed.</summary>
    public static IDisposable Attach(ILoggerFactory factory)
    {
        lock (Live)
        {
            Live.Add(factory);
            HangfireLog.LogProvider.SetCurrentLogProvider(Instance);
        }
        return new Detach(factory);
    }

    public HangfireLog.ILog GetLogger(string name) => new Forwarding(name);

    private static ILoggerFactory? Current
    {
        get { lock (Live) return Live.Count > 0 ? Live[^1] : null; }
    }

    private sealed class Detach(ILoggerFactory factory) : IDisposable
    {
        public void Dispose()
        {
            lock (Live) Live.Remove(factory);
        }
    }

    private sealed class Forwarding(string name) : HangfireLog.ILog
    {
        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (Current is not { } factory) return false;
            ILogger logger;
            try
            {
                logger = factory.CreateLogger(name);
            }
            catch (ObjectDisposedException)
            {
                return false; // the host is stopping
            }
            var level = logLevel switch
            {
                HangfireLog.LogLevel.Trace => LogLevel.Trace,
                HangfireLog.LogLevel.Debug => LogLevel.Debug,
                HangfireLog.LogLevel.Info => LogLevel.Information,
                HangfireLog.LogLevel.Warn => LogLevel.Warning,
                HangfireLog.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            // Without a message Hangfire only asks whether the level is on.
            if (messageFunc is null) return logger.IsEnabled(level);
            if (!logger.IsEnabled(level)) return false;
            logger.Log(level, exception, "{Message}", messageFunc());
            return true;
        }
    }
}
