using Npgsql;
using NpgsqlTypes;

namespace Vae.Api.Storage.Postgres;

/// <summary>Sweeps: one row each, the whole record as one JSON column, written once and never changed.</summary>
public sealed partial class PostgresVaeStore
{
    public async Task InsertSweepAsync(SweepRecord sweep, CancellationToken ct)
    {
        await using var command = source.CreateCommand("INSERT INTO vae_sweeps (id, created_at, sweep) VALUES ($1, $2, $3);");
        command.Parameters.AddWithValue(sweep.Id);
        command.Parameters.AddWithValue(NpgsqlDbType.TimestampTz, sweep.CreatedAt.ToUniversalTime());
        command.Parameters.AddWithValue(NpgsqlDbType.Json, RecordFormat.Serialize(sweep));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<SweepRecord?> GetSweepAsync(string id, CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT id, sweep FROM vae_sweeps WHERE id = $1;");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadSweep(reader) : null;
    }

    public async Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(int limit, CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT id, sweep FROM vae_sweeps ORDER BY created_at DESC, seq DESC LIMIT $1;");
        command.Parameters.AddWithValue((long)Math.Max(0, limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var sweeps = new List<SweepRecord>();
        while (await reader.ReadAsync(ct)) sweeps.Add(ReadSweep(reader));
        return sweeps;
    }

    private static SweepRecord ReadSweep(NpgsqlDataReader r) => RecordFormat.Deserialize<SweepRecord>(r.GetString(1), "sweep", r.GetString(0));
}
