using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Vae.Api.Datasets;
using Vae.Engine.Data;

namespace Vae.Api.Storage.Postgres;

/// <summary>
/// Uploaded datasets in the PostgreSQL database every node shares (Storage:Provider = postgres):
/// the description as a row of vae_datasets, the <see cref="DatasetFiles"/> as blobs
/// <c>datasets/&lt;id&gt;/&lt;file&gt;</c> in vae_blobs. An upload stores its blobs and then its row in
/// one transaction, so other nodes see the dataset whole or not at all, and a crash midway leaves
/// nothing; a delete removes row and blobs in one transaction too. The row is the truth: a dataset
/// is listed, found and opened only while its row exists, whatever a node holds locally.
/// Training reads files, so each node keeps a copy of the datasets it opened under its state folder
/// (<see cref="DatasetLocalCopies"/>), made on first use; the node where an upload was made keeps
/// the files it wrote. Another node's delete reaches a node's copy through a cluster event, or at
/// the latest when the dataset is next opened or the node next starts.
/// </summary>
public sealed class PostgresDatasetUploads(
    NpgsqlDataSource source, IBlobStore blobs, StorageLocation storage, TimeProvider clock, ILogger<PostgresDatasetUploads> log) : IDatasetUploads
{
    private readonly DatasetLocalCopies _copies = new(Path.Combine(storage.Directory, "dataset-cache"), clock, log);

    /// <summary>This node's copies of the datasets it opened.</summary>
    public DatasetLocalCopies Copies => _copies;

    /// <summary>Blob key of one of a dataset's files.</summary>
    public static string KeyOf(string id, string file) => $"{FolderOf(id)}/{file}";

    private static string FolderOf(string id) => $"datasets/{id}";

    public async Task<IReadOnlyList<DatasetInfo>> ListAsync(CancellationToken ct)
    {
        await using var command = source.CreateCommand("SELECT id, description FROM vae_datasets ORDER BY created_at DESC, seq DESC;");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var all = new List<DatasetInfo>();
        while (await reader.ReadAsync(ct))
        {
            if (Read(reader.GetString(0), reader.GetString(1)) is { } info) all.Add(info);
        }
        return all;
    }

    public async Task<DatasetInfo?> FindAsync(string id, CancellationToken ct)
    {
        if (!DatasetFiles.IsId(id)) return null;
        await using var command = source.CreateCommand("SELECT description FROM vae_datasets WHERE id = $1;");
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(ct) is string json ? Read(id, json) : null;
    }

    public async Task<(ImageDataset Train, ImageDataset Test)> OpenAsync(string id, CancellationToken ct)
    {
        var info = await FindAsync(id, ct);
        if (info is null)
        {
            _copies.Drop(id); // deleted by another node whose event did not arrive
            throw DatasetUnavailableException.Deleted(id);
        }
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                string folder = await _copies.EnsureAsync(id, (file, token) => blobs.OpenReadAsync(KeyOf(id, file), token), ct);
                // Reading a few hundred megabytes is worth a thread of its own rather than the caller's.
                return await Task.Run(() => DatasetFiles.ReadSplits(folder, info), ct);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                if (await FindAsync(id, ct) is null)
                {
                    _copies.Drop(id);
                    throw DatasetUnavailableException.Deleted(id);
                }
                // A damaged copy is made again once from the database; a second failure is the database's.
                _copies.Drop(id);
                if (attempt < 2)
                {
                    log.LogWarning(e, "This node's copy of dataset {Dataset} could not be read; copying it again", id);
                    continue;
                }
                throw new DatasetUnavailableException(id, $"The files of uploaded dataset '{id}' cannot be read ({e.Message}); delete it and upload it again.", e);
            }
        }
    }

    public string CreateWorkFolder()
    {
        _copies.Folders.RemoveStale();
        return _copies.Folders.CreateWorkFolder("upload");
    }

    async Task<DatasetInfo> IDatasetUploads.PublishAsync(string workFolder, UploadContent content, string name, string description, CancellationToken ct)
    {
        long pixels = (long)content.Train.Count * content.Channels * content.Height * content.Width;
        if (pixels > PostgresBlobStore.MaxBlobBytes - 1024)
        {
            // Many large colour images can pass the upload limits and still be more than one value holds: say so rather than fail on the insert.
            throw UploadRejectedException.TooLarge(
                $"The training images take {pixels} bytes, more than the {PostgresBlobStore.MaxBlobBytes} bytes PostgreSQL stores in one value; " +
                "upload fewer or smaller images.");
        }
        long bytes = DatasetFiles.WriteSplits(workFolder, content);
        string id = DatasetFiles.NewId();
        var info = new DatasetInfo(id, name, description, content.Channels, content.Height, content.Width, content.ClassNames,
            content.Train.Count, content.Test.Count, BuiltIn: false, Fetched: true, clock.GetUtcNow(), bytes);

        await using (var connection = await source.OpenConnectionAsync(ct))
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            foreach (string file in DatasetFiles.Names)
            {
                await using var stream = new FileStream(Path.Combine(workFolder, file), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await PostgresBlobStore.PutAsync(connection, KeyOf(id, file), stream, ct);
            }
            // The row goes last and the commit makes it all exist at once, for every node.
            await using (var insert = new NpgsqlCommand("INSERT INTO vae_datasets (id, description, created_at) VALUES ($1, $2, $3);", connection))
            {
                insert.Parameters.AddWithValue(id);
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Json, Value = Encoding.UTF8.GetString(DatasetFiles.Describe(info)) });
                insert.Parameters.AddWithValue(info.CreatedAt!.Value);
                await insert.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        // The files just written are this node's copy: no need to fetch back what it sent.
        _copies.Adopt(workFolder, id);
        log.LogInformation("Dataset {Dataset} uploaded: '{Name}', {Train} training and {Test} test images of {Channels}x{Height}x{Width}",
            id, name, info.TrainImages, info.TestImages, info.Channels, info.Height, info.Width);
        return info;
    }

    public void Discard(string workFolder) => _copies.Folders.TryDelete(workFolder);

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        if (!DatasetFiles.IsId(id)) return false;
        bool deleted;
        await using (var connection = await source.OpenConnectionAsync(ct))
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await using (var command = new NpgsqlCommand("DELETE FROM vae_datasets WHERE id = $1;", connection))
            {
                command.Parameters.AddWithValue(id);
                deleted = await command.ExecuteNonQueryAsync(ct) == 1;
            }
            await PostgresBlobStore.DeleteFolderAsync(connection, FolderOf(id), ct);
            await transaction.CommitAsync(ct);
        }
        _copies.Drop(id);
        if (deleted) log.LogInformation("Dataset {Dataset} deleted", id);
        return deleted;
    }

    public void ForgetLocalCopy(string id)
    {
        if (_copies.Drop(id)) log.LogInformation("Dataset {Dataset} was changed by another node; this node's copy is removed", id);
    }

    /// <summary>Removes unfinished work, and the copies of datasets deleted while this node was away.</summary>
    public async Task CleanUpAsync(CancellationToken ct)
    {
        _copies.Folders.RemoveStale();
        var kept = _copies.Folders.Ids.ToList();
        if (kept.Count == 0) return;
        await using var command = source.CreateCommand("SELECT id FROM vae_datasets WHERE id = ANY($1);");
        command.Parameters.AddWithValue(kept.ToArray());
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) existing.Add(reader.GetString(0));
        foreach (string id in kept.Where(id => !existing.Contains(id)))
        {
            log.LogInformation("Removing this node's copy of dataset {Dataset}, deleted while the node was away", id);
            _copies.Drop(id);
        }
    }

    private DatasetInfo? Read(string id, string json)
    {
        try
        {
            return DatasetFiles.Parse(Encoding.UTF8.GetBytes(json), id);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            log.LogWarning(e, "Dataset {Dataset} has an unreadable description in the database; it is left out", id);
            return null;
        }
    }
}
