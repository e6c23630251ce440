using Vae.Api.Storage;

namespace Vae.Api.Tests.Storage;

/// <summary>The store contract on the embedded default: SQLite and files in a throwaway folder.</summary>
public sealed class SqliteStoreTests : StoreContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-store-").FullName;

    protected override async Task<IVaeStore> OpenStoreAsync()
    {
        var store = new SqliteVaeStore(SqliteVaeStore.ConnectionStringFor(Path.Combine(_folder, $"vae-{Guid.NewGuid():N}.db")));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override Task<IBlobStore> OpenBlobsAsync() => Task.FromResult<IBlobStore>(new FileBlobStore(_folder));

    [Fact]
    public async Task A_blob_is_a_file_under_its_key_and_no_temporary_file_is_left_beside_it()
    {
        var blobs = new FileBlobStore(_folder);

        await blobs.PutAsync("models/mfile01.safetensors", (s, ct) => s.WriteAsync(new byte[] { 7, 8, 9 }, ct).AsTask(), CancellationToken.None);

        string path = Path.Combine(_folder, "models", "mfile01.safetensors");
        Assert.Equal(path, blobs.LocalPathOf("models/mfile01.safetensors"));
        Assert.Equal([7, 8, 9], await File.ReadAllBytesAsync(path));
        Assert.Equal([path], Directory.GetFiles(Path.Combine(_folder, "models")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
