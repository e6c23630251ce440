using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Vae.Api.Storage;

/// <summary>
/// Sweeps: one row each, the grid and the points' jobs as one JSON column read and written whole.
/// Where each point stands lives in its job's row.
/// </summary>
public sealed partial class SqliteVaeStore
{
    private static async Task CreateSweepTableAsync(SqliteConnection connection, CancellationToken ct) => await ExecuteAsync(connection, """
        CREATE TABLE IF NOT EXISTS vae_sweeps (
            id         TEXT NOT NULL PRIMARY KEY,
            created_at TEXT NOT NULL,
            sweep      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS vae_sweeps_by_created ON vae_sweeps (created_at);
        """, ct);

    public async Task InsertSweepAsync(SweepRecord sweep, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO vae_sweeps (id, created_at, sweep) VALUES ($id, $created_at, $sweep);";
        command.Parameters.AddWithValue("$id", sweep.Id);
        command.Parameters.AddWithValue("$created_at", FormatTime(sweep.CreatedAt));
        command.Parameters.AddWithValue("$sweep", JsonSerializer.Serialize(sweep, Json));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<SweepRecord?> GetSweepAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, sweep FROM vae_sweeps WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Deserialize<SweepRecord>(reader.GetString(1), "sweep", reader.GetString(0)) : null;
    }

    public async Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, sweep FROM vae_sweeps ORDER BY created_at DESC, rowid DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", Math.Max(0, limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var sweeps = new List<SweepRecord>();
        while (await reader.ReadAsync(ct)) sweeps.Add(Deserialize<SweepRecord>(reader.GetString(1), "sweep", reader.GetString(0)));
        return sweeps;
    }
}
