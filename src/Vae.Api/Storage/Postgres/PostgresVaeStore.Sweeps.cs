using Npgsql;
using NpgsqlTypes;

namespace Vae.Api.Storage.Postgres;

/// <summary>Sweeps: one row each, the whole record as one JSON column (and its name beside it, for lists), written once and never changed.</summary>
public sealed partial class PostgresVaeStore
{
    public async Task InsertSweepAsync(SweepRecord sweep, CancellationToken ct)
    {
        await using var command = source.CreateCommand("INSERT INTO vae_sweeps (id, created_at, sweep, name) VALUES ($1, $2, $3, $4);");
        command.Parameters.AddWithValue(sweep.Id);
        command.Parameters.AddWithValue(NpgsqlDbType.TimestampTz, sweep.CreatedAt.ToUniversalTime());
        command.Parameters.AddWithValue(NpgsqlDbType.Json, RecordFormat.Serialize(sweep));
        command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)sweep.Name ?? DBNull.Value);
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
        => (await ListSweepsAsync(SweepFilter.Any, new PageRequest(Math.Max(0, limit)), ct)).Items;

    public async Task<RecordPage<SweepRecord>> ListSweepsAsync(SweepFilter filter, PageRequest page, CancellationToken ct)
    {
        await using var command = source.CreateCommand();
        var where = new List<string>();
        if (filter.Name is { } name) Match(command, where, "name", name);
        command.CommandText = $"SELECT id, sweep, created_at, seq FROM vae_sweeps {PageWhere(command, where, page)} ORDER BY created_at DESC, seq DESC LIMIT {LimitOf(page)};";
        return await ReadPageAsync(command, page, ReadSweep, createdAt: 2, ct);
    }

    private static SweepRecord ReadSweep(NpgsqlDataReader r) => RecordFormat.Deserialize<SweepRecord>(r.GetString(1), "sweep", r.GetString(0));
}
