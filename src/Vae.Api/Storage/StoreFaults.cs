using System.Net.Sockets;
using Npgsql;

namespace Vae.Api.Storage;

/// <summary>
/// Tells a database that cannot be reached (stopped, restarting, the network gone) from every other
/// failure. Such a failure is temporary and nobody's mistake: requests that need the database get a
/// 503 with Retry-After rather than a 500, and work in progress waits for the database rather than
/// giving up.
/// </summary>
public static class StoreFaults
{
    /// <summary>Seconds a client is asked to wait before retrying a request refused for this reason.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Whether <paramref name="e"/>, or any exception it wraps (a job library may wrap the store's), says the database is out of reach.</summary>
    public static bool IsUnavailable(Exception? e)
    {
        for (int depth = 0; e is not null && depth < 8; e = e.InnerException, depth++)
        {
            switch (e)
            {
                // The server is shutting down, starting up, or cut off: class 08 (connection), 57P01-57P03 (operator intervention).
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03":
                    return true;
                case PostgresException:
                    return false; // the server answered: a real error, not an outage
                case NpgsqlException n when n.IsTransient || n.InnerException is SocketException or IOException or TimeoutException:
                    return true;
                case SocketException:
                    return true;
                case AggregateException a when a.InnerExceptions.Any(IsUnavailable):
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> until it succeeds, waiting out an unreachable database with
    /// pauses that grow to 5 s, for at most <paramref name="patience"/>; other failures, and the last
    /// one, are thrown. For the steps of a job that must not be lost to a short outage. Time is
    /// <paramref name="clock"/>'s (the system's when none is given).
    /// </summary>
    public static async Task<T> RetryWhileUnavailableAsync<T>(Func<Task<T>> operation, TimeSpan patience, ILogger log, string what, CancellationToken ct,
        TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var deadline = clock.GetUtcNow() + patience;
        var pause = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (Exception e) when (IsUnavailable(e) && clock.GetUtcNow() + pause < deadline)
            {
                log.LogWarning("The database is unreachable while {What} ({Message}); trying again in {Seconds:F1} s", what, e.Message, pause.TotalSeconds);
                await Task.Delay(pause, clock, ct);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <inheritdoc cref="RetryWhileUnavailableAsync{T}"/>
    public static Task RetryWhileUnavailableAsync(Func<Task> operation, TimeSpan patience, ILogger log, string what, CancellationToken ct,
        TimeProvider? clock = null)
        => RetryWhileUnavailableAsync(async () => { await operation(); return true; }, patience, log, what, ct, clock);
}
