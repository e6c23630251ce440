using Npgsql;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// Messages between the nodes as PostgreSQL notifications on one channel: NOTIFY to send, and one
/// dedicated connection per node that LISTENs. A lost connection is opened again after a pause that
/// grows to 5 s; messages sent meanwhile are lost.
/// </summary>
public sealed class PostgresClusterChannel(NpgsqlDataSource source, ILogger<PostgresClusterChannel> log) : IClusterChannel
{
    public const string Channel = "vae_events";

    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);

    public async Task PublishAsync(string payload, CancellationToken ct)
    {
        await using var command = source.CreateCommand($"SELECT pg_notify('{Channel}', $1);");
        command.Parameters.AddWithValue(payload);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task ListenAsync(Action<string> received, CancellationToken ct)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await source.OpenConnectionAsync(ct);
                connection.Notification += (_, e) => received(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel};", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                pause = TimeSpan.FromSeconds(1);
                // Returns after each notification (handled by the event above); a broken connection throws.
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Listening for the other nodes' events failed; listening again in {Seconds} s", pause.TotalSeconds);
                try { await Task.Delay(pause, ct); } catch (OperationCanceledException) { return; }
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
    }
}
