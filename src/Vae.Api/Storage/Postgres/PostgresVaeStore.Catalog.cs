using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// Model names and versions, aliases, and pages of lists: keyset paging on (created_at, seq), the
/// order every list is in, so a page starts strictly after the last record of the page before.
/// </summary>
public sealed partial class PostgresVaeStore
{
    public async Task<ModelRecord?> GetModelByNameAsync(string name, int? version, CancellationToken ct)
    {
        await using var command = source.CreateCommand($"SELECT {ModelColumns} FROM vae_models WHERE name = $1 AND ($2::integer IS NULL OR version = $2) ORDER BY version DESC LIMIT 1;");
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(NpgsqlDbType.Integer, (object?)version ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadModel(reader) : null;
    }

    public async Task<AliasRecord?> GetAliasAsync(string alias, CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT alias, model_id, updated_at FROM vae_aliases WHERE alias = $1;");
        command.Parameters.AddWithValue(alias);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAlias(reader) : null;
    }

    public async Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(CancellationToken ct)
    {
        // Byte order, as SQLite sorts text, so both stores list aliases alike.
        await using var command = source.CreateCommand("SELECT alias, model_id, updated_at FROM vae_aliases ORDER BY alias COLLATE \"C\";");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var aliases = new List<AliasRecord>();
        while (await reader.ReadAsync(ct)) aliases.Add(ReadAlias(reader));
        return aliases;
    }

    public async Task<bool> SetAliasAsync(AliasRecord alias, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        return await SetAliasAsync(connection, alias, ct);
    }

    /// <summary>Moves the alias if it exists, else creates it (a create racing another's lands as a move).</summary>
    private static async Task<bool> SetAliasAsync(NpgsqlConnection connection, AliasRecord alias, CancellationToken ct)
    {
        await using (var move = new NpgsqlCommand("UPDATE vae_aliases SET model_id = $2, updated_at = $3 WHERE alias = $1;", connection))
        {
            BindAlias(move, alias);
            if (await move.ExecuteNonQueryAsync(ct) == 1) return false;
        }
        await using var create = new NpgsqlCommand("""
            INSERT INTO vae_aliases (alias, model_id, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (alias) DO UPDATE SET model_id = excluded.model_id, updated_at = excluded.updated_at;
            """, connection);
        BindAlias(create, alias);
        await create.ExecuteNonQueryAsync(ct);
        return true;
    }

    public async Task<bool> DeleteAliasAsync(string alias, CancellationToken ct)
    {
        await using var command = source.CreateCommand("DELETE FROM vae_aliases WHERE alias = $1;");
        command.Parameters.AddWithValue(alias);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static void BindAlias(NpgsqlCommand command, AliasRecord alias)
    {
        command.Parameters.AddWithValue(alias.Alias);
        command.Parameters.AddWithValue(alias.ModelId);
        command.Parameters.AddWithValue(NpgsqlDbType.TimestampTz, alias.UpdatedAt.ToUniversalTime());
    }

    private static AliasRecord ReadAlias(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2));

    /// <summary>Adds "column = $n" to a list's conditions, binding the value as the next parameter.</summary>
    private static void Match(NpgsqlCommand command, List<string> where, string column, string value)
    {
        command.Parameters.AddWithValue(value);
        where.Add($"{column} = ${command.Parameters.Count}");
    }

    /// <summary>The WHERE clause of a page: the filter's conditions and, after the first page, the position to continue from.</summary>
    private static string PageWhere(NpgsqlCommand command, List<string> where, PageRequest page)
    {
        if (page.After is { } after)
        {
            command.Parameters.AddWithValue(NpgsqlDbType.TimestampTz, after.CreatedAt.ToUniversalTime());
            command.Parameters.AddWithValue(after.Sequence);
            where.Add($"(created_at, seq) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }
        return where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
    }

    /// <summary>One row more than the page holds, which says whether there is a next page.</summary>
    private static string LimitOf(PageRequest page) => ((long)Math.Max(0, page.Limit) + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a page whose rows end with seq; <paramref name="createdAt"/> is the column of the creation time.</summary>
    private static async Task<RecordPage<T>> ReadPageAsync<T>(NpgsqlCommand command, PageRequest page, Func<NpgsqlDataReader, T> read, int createdAt, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<T>();
        PagePosition? last = null;
        while (await reader.ReadAsync(ct))
        {
            if (items.Count == page.Limit) return new RecordPage<T>(items, last);
            items.Add(read(reader));
            last = new PagePosition(reader.GetFieldValue<DateTimeOffset>(createdAt), reader.GetInt64(reader.FieldCount - 1));
        }
        return new RecordPage<T>(items, null);
    }
}
