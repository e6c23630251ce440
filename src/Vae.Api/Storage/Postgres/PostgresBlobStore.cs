using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// Blobs as rows of one bytea table (vae_blobs), so every node reads the weights and checkpoints any
/// node wrote, with no shared file system.
/// </summary>
/// <remarks>
/// Why bytea rather than large objects: the blobs here are model weights and training checkpoints,
/// a few MB to about 100 MB. A bytea row is written by one upsert, which is atomic and transactional
/// like any other row (a reader sees the old bytes or the new ones), is deleted with its row (large
/// objects outlive the row that names them unless something unlinks them), needs no lo_* API and no
/// open transaction to read, and is backed up and replicated with the table. Npgsql streams it both
/// ways: a parameter fed from a stream on write, and <see cref="NpgsqlDataReader.GetStream(int)"/> under
/// sequential access on read, so neither side holds a second copy in memory. Its limit is 1 GB per
/// value (and the server holds one value in memory while sending it); blobs near that size would call
/// for large objects, which stream in chunks of any size up to 4 TB.
/// </remarks>
public sealed class PostgresBlobStore(NpgsqlDataSource source) : IBlobStore
{
    /// <summary>PostgreSQL's limit on one bytea value.</summary>
    public const long MaxBlobBytes = (1L << 30) - 1;

    public string? LocalPathOf(string key) => null;

    public async Task PutAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        BlobKeys.Check(key);
        // Spooled to a temporary file first: the bytea parameter needs its length before the first byte is sent.
        string spool = Path.Combine(Path.GetTempPath(), $"vae-blob-{Guid.NewGuid():N}.tmp");
        await using var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await write(file, ct);
        file.Position = 0;
        await using var connection = await source.OpenConnectionAsync(ct);
        await PutAsync(connection, key, file, ct);
    }

    /// <summary>
    /// Stores the rest of <paramref name="content"/> (a seekable stream: its length goes first) under
    /// <paramref name="key"/> on a connection the caller holds, inside the caller's transaction if it
    /// has one: several blobs and a record can then appear together, or not at all.
    /// </summary>
    public static async Task PutAsync(NpgsqlConnection connection, string key, Stream content, CancellationToken ct)
    {
        BlobKeys.Check(key);
        long size = content.Length - content.Position;
        if (size > MaxBlobBytes)
            throw new InvalidOperationException($"Blob '{key}' is {size} bytes, more than the {MaxBlobBytes} bytes PostgreSQL stores in one bytea value.");
        await using var command = new NpgsqlCommand("""
            INSERT INTO vae_blobs (key, data, size, updated_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (key) DO UPDATE SET data = excluded.data, size = excluded.size, updated_at = excluded.updated_at;
            """, connection);
        command.Parameters.AddWithValue(key);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = content, Size = checked((int)size) });
        command.Parameters.AddWithValue(size);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Removes every blob whose key starts with <paramref name="folder"/> and '/', on the caller's connection (and transaction); returns how many.</summary>
    public static async Task<int> DeleteFolderAsync(NpgsqlConnection connection, string folder, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("DELETE FROM vae_blobs WHERE starts_with(key, $1);", connection);
        command.Parameters.AddWithValue(BlobKeys.Check(folder) + "/");
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken ct)
    {
        BlobKeys.Check(key);
        var connection = await source.OpenConnectionAsync(ct);
        try
        {
            var command = new NpgsqlCommand("SELECT size, data FROM vae_blobs WHERE key = $1;", connection);
            command.Parameters.AddWithValue(key);
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow, ct);
            if (!await reader.ReadAsync(ct))
            {
                await reader.DisposeAsync();
                await command.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }
            return new RowStream(reader.GetInt64(0), reader.GetStream(1), reader, command, connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Stream? OpenRead(string key)
    {
        BlobKeys.Check(key);
        var connection = source.OpenConnection();
        try
        {
            var command = new NpgsqlCommand("SELECT size, data FROM vae_blobs WHERE key = $1;", connection);
            command.Parameters.AddWithValue(key);
            var reader = command.ExecuteReader(CommandBehavior.SequentialAccess | CommandBehavior.SingleRow);
            if (!reader.Read())
            {
                reader.Dispose();
                command.Dispose();
                connection.Dispose();
                return null;
            }
            return new RowStream(reader.GetInt64(0), reader.GetStream(1), reader, command, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        await using var command = source.CreateCommand("DELETE FROM vae_blobs WHERE key = $1;");
        command.Parameters.AddWithValue(BlobKeys.Check(key));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// The bytes of one row as they arrive from the server; disposing it closes the reader and hands
    /// the connection back to the pool. Reads only, forwards only, but knows its length (the row's
    /// size column, read first), so a download can announce it before the first byte.
    /// </summary>
    private sealed class RowStream(long length, Stream inner, NpgsqlDataReader reader, NpgsqlCommand command, NpgsqlConnection connection) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                reader.Dispose();
                command.Dispose();
                connection.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await reader.DisposeAsync();
            await command.DisposeAsync();
            await connection.DisposeAsync();
            GC.SuppressFinalize(this);
        }
    }
}
