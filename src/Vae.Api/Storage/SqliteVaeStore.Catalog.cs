using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Vae.Api.Storage;

/// <summary>
/// Model names and versions, aliases, and pages of lists: keyset paging on (created_at, rowid), the
/// order every list is in, so a page starts strictly after the last record of the page before.
/// </summary>
public sealed partial class SqliteVaeStore
{
    /// <summary>
    /// Brings a database of an earlier release up to names, versions and aliases, in one transaction: the
    /// models already named get versions in the order they were made, the sweeps a name column, and
    /// when the alias table is made, "default" names the newest MNIST model, which is what "default"
    /// meant before aliases existed.
    /// </summary>
    private static async Task MigrateCatalogAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        if (await AddColumnAsync(connection, "vae_models", "version", "INTEGER NULL", ct, transaction))
        {
            await ExecuteAsync(connection, """
                UPDATE vae_models SET version = (
                    SELECT count(*) FROM vae_models AS earlier
                    WHERE earlier.name = vae_models.name AND (earlier.created_at, earlier.rowid) <= (vae_models.created_at, vae_models.rowid))
                WHERE name IS NOT NULL;
                """, ct, transaction);
        }
        // Also the guard behind the insert's own atomic numbering. Unnamed models (null, null) never collide.
        await ExecuteAsync(connection, "CREATE UNIQUE INDEX IF NOT EXISTS vae_models_by_name ON vae_models (name, version);", ct, transaction);

        bool hadAliases;
        await using (var check = connection.CreateCommand())
        {
            check.Transaction = transaction;
            check.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vae_aliases';";
            hadAliases = Convert.ToInt64(await check.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
        }
        if (!hadAliases)
        {
            await ExecuteAsync(connection, """
                CREATE TABLE vae_aliases (
                    alias      TEXT NOT NULL PRIMARY KEY,
                    model_id   TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """, ct, transaction);
            await using var seed = connection.CreateCommand();
            seed.Transaction = transaction;
            seed.CommandText = """
                INSERT INTO vae_aliases (alias, model_id, updated_at)
                SELECT 'default', id, $now FROM vae_models WHERE dataset = 'mnist' ORDER BY created_at DESC, rowid DESC LIMIT 1;
                """;
            seed.Parameters.AddWithValue("$now", FormatTime(DateTimeOffset.UtcNow));
            await seed.ExecuteNonQueryAsync(ct);
        }

        if (await AddColumnAsync(connection, "vae_sweeps", "name", "TEXT NULL", ct, transaction))
            await ExecuteAsync(connection, "UPDATE vae_sweeps SET name = json_extract(sweep, '$.name');", ct, transaction);
        await ExecuteAsync(connection, "CREATE INDEX IF NOT EXISTS vae_jobs_by_name ON vae_jobs (name);", ct, transaction);
        await transaction.CommitAsync(ct);
    }

    public async Task<ModelRecord?> GetModelByNameAsync(string name, int? version, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ModelColumns} FROM vae_models WHERE name = $name AND ($version IS NULL OR version = $version) ORDER BY version DESC LIMIT 1;";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$version", (object?)version ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadModel(reader) : null;
    }

    public async Task<AliasRecord?> GetAliasAsync(string alias, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT alias, model_id, updated_at FROM vae_aliases WHERE alias = $alias;";
        command.Parameters.AddWithValue("$alias", alias);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAlias(reader) : null;
    }

    public async Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT alias, model_id, updated_at FROM vae_aliases ORDER BY alias;";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var aliases = new List<AliasRecord>();
        while (await reader.ReadAsync(ct)) aliases.Add(ReadAlias(reader));
        return aliases;
    }

    public async Task<bool> SetAliasAsync(AliasRecord alias, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        bool created = await SetAliasAsync(connection, transaction, alias, ct);
        await transaction.CommitAsync(ct);
        return created;
    }

    private static async Task<bool> SetAliasAsync(SqliteConnection connection, SqliteTransaction transaction, AliasRecord alias, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM vae_aliases WHERE alias = $alias;";
        command.Parameters.AddWithValue("$alias", alias.Alias);
        bool existed = Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
        command.CommandText = """
            INSERT INTO vae_aliases (alias, model_id, updated_at) VALUES ($alias, $model_id, $updated_at)
            ON CONFLICT (alias) DO UPDATE SET model_id = excluded.model_id, updated_at = excluded.updated_at;
            """;
        command.Parameters.AddWithValue("$model_id", alias.ModelId);
        command.Parameters.AddWithValue("$updated_at", FormatTime(alias.UpdatedAt));
        await command.ExecuteNonQueryAsync(ct);
        return !existed;
    }

    public async Task<bool> DeleteAliasAsync(string alias, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM vae_aliases WHERE alias = $alias;";
        command.Parameters.AddWithValue("$alias", alias);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static AliasRecord ReadAlias(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), ParseTime(r.GetString(2)));

    /// <summary>Adds "column = value" to a list's conditions.</summary>
    private static void Match(SqliteCommand command, List<string> where, string column, string value)
    {
        where.Add($"{column} = ${column}");
        command.Parameters.AddWithValue("$" + column, value);
    }

    /// <summary>The WHERE clause of a page: the filter's conditions and, after the first page, the position to continue from; binds $limit too.</summary>
    private static string PageWhere(SqliteCommand command, List<string> where, PageRequest page)
    {
        if (page.After is { } after)
        {
            where.Add("(created_at, rowid) < ($after_created, $after_sequence)");
            command.Parameters.AddWithValue("$after_created", FormatTime(after.CreatedAt));
            command.Parameters.AddWithValue("$after_sequence", after.Sequence);
        }
        // One row more than asked for says whether there is a next page.
        command.Parameters.AddWithValue("$limit", (long)Math.Max(0, page.Limit) + 1);
        return where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
    }

    /// <summary>Reads a page whose rows end with the rowid; <paramref name="createdAt"/> is the column of the creation time.</summary>
    private static async Task<RecordPage<T>> ReadPageAsync<T>(SqliteCommand command, PageRequest page, Func<SqliteDataReader, T> read, int createdAt, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var items = new List<T>();
        PagePosition? last = null;
        while (await reader.ReadAsync(ct))
        {
            if (items.Count == page.Limit) return new RecordPage<T>(items, last);
            items.Add(read(reader));
            last = new PagePosition(ParseTime(reader.GetString(createdAt)), reader.GetInt64(reader.FieldCount - 1));
        }
        return new RecordPage<T>(items, null);
    }
}
