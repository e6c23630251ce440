using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Vae.Api.Storage;

/// <summary>
/// Sweeps: one row each, the grid and the points' jobs as one JSON column read and written whole
/// (the name beside it too, for lists filtered by name).
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
        command.CommandText = "INSERT INTO vae_sweeps (id, created_at, sweep, name) VALUES ($id, $created_at, $sweep, $name);";
        command.Parameters.AddWithValue("$id", sweep.Id);
        command.Parameters.AddWithValue("$name", (object?)sweep.Name ?? DBNull.Value);
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
        => (await ListSweepsAsync(SweepFilter.Any, new PageRequest(Math.Max(0, limit)), ct)).Items;

    public async Task<RecordPage<SweepRecord>> ListSweepsAsync(SweepFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (filter.Name is { } name) Match(command, where, "name", name);
        command.CommandText = $"SELECT id, sweep, created_at, rowid FROM vae_sweeps {PageWhere(command, where, page)} ORDER BY created_at DESC, rowid DESC LIMIT $limit;";
        return await ReadPageAsync(command, page, r => Deserialize<SweepRecord>(r.GetString(1), "sweep", r.GetString(0)), createdAt: 2, ct);
    }
}
