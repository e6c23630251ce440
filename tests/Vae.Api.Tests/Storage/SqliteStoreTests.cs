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

    [Fact]
    public async Task A_database_made_before_jobs_and_models_named_their_device_loads_them_with_none()
    {
        // The tables as they were before the device columns and the model's device detail existed.
        var old = await OldStoreAsync("before-devices.db", """
                CREATE TABLE vae_jobs (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, status TEXT NOT NULL, dataset TEXT NOT NULL, request TEXT NOT NULL,
                    epochs TEXT NOT NULL, model_id TEXT NULL, error TEXT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                    started_at TEXT NULL, finished_at TEXT NULL, progress TEXT NULL, node TEXT NULL, version INTEGER NOT NULL DEFAULT 1);
                CREATE TABLE vae_models (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, dataset TEXT NOT NULL, config TEXT NOT NULL, metrics TEXT NOT NULL,
                    job_id TEXT NULL, created_at TEXT NOT NULL, details TEXT NULL);
                INSERT INTO vae_jobs (id, name, status, dataset, request, epochs, created_at, node)
                    VALUES ('jold01', NULL, 'succeeded', 'mnist', '{"dataset":"mnist","epochs":1,"seed":0}', '[]', '2026-01-01T00:00:00.0000000Z', 'node-a');
                INSERT INTO vae_models (id, name, dataset, config, metrics, job_id, created_at, details)
                    VALUES ('mold01', NULL, 'mnist', $config, '[]', 'jold01', '2026-01-01T00:00:00.0000000Z', '{"classNames":null,"evaluation":null,"trainingSeconds":1.5}');
                """, command => command.Parameters.AddWithValue("$config", new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [32], LatentDim = 2 }.ToJson()));

        await old.InitializeAsync(CancellationToken.None);
        var job = await old.GetJobAsync("jold01", CancellationToken.None);
        var model = await old.GetModelAsync("mold01", CancellationToken.None);

        Assert.NotNull(job);
        Assert.Null(job.Device);
        Assert.Null(job.Waiting);
        Assert.Null(job.Request.Device);
        Assert.Equal("node-a", job.Node);
        Assert.NotNull(model);
        Assert.Null(model.Device);
        Assert.Equal(1.5, model.TrainingSeconds);
        Assert.True(await old.UpdateJobAsync(job with { Device = "cpu" }, CancellationToken.None));
        Assert.Equal("cpu", (await old.GetJobAsync("jold01", CancellationToken.None))!.Device);
    }

    [Fact]
    public async Task A_database_made_before_jobs_listed_their_attempts_loads_them_with_none()
    {
        // The jobs table as it was before the attempts column existed.
        var old = await OldStoreAsync("before-attempts.db", """
                CREATE TABLE vae_jobs (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, status TEXT NOT NULL, dataset TEXT NOT NULL, request TEXT NOT NULL,
                    epochs TEXT NOT NULL, model_id TEXT NULL, error TEXT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                    started_at TEXT NULL, finished_at TEXT NULL, progress TEXT NULL, node TEXT NULL, version INTEGER NOT NULL DEFAULT 1,
                    device TEXT NULL, waiting TEXT NULL);
                INSERT INTO vae_jobs (id, name, status, dataset, request, epochs, created_at, started_at, node, device)
                    VALUES ('jold02', NULL, 'running', 'mnist', '{"dataset":"mnist","epochs":1,"seed":0}', '[]', '2026-01-01T00:00:00.0000000Z',
                        '2026-01-01T00:00:01.0000000Z', 'node-a', 'cpu');
                """);

        await old.InitializeAsync(CancellationToken.None);
        var job = await old.GetJobAsync("jold02", CancellationToken.None);

        Assert.NotNull(job);
        Assert.Empty(job.Attempts);
        Assert.Equal("node-a", job.Node);
        Assert.Equal("cpu", job.Device);
        var attempt = new JobAttempt(1, "node-a", job.StartedAt!.Value);
        Assert.True(await old.UpdateJobAsync(job with { Attempts = [attempt] }, CancellationToken.None));
        Assert.Equal([attempt], (await old.GetJobAsync("jold02", CancellationToken.None))!.Attempts);
    }

    [Fact]
    public async Task A_database_made_before_aliases_gets_default_naming_its_newest_mnist_model_and_its_names_get_versions()
    {
        // The tables as the release before names, versions and aliases left them.
        var old = await OldStoreAsync("before-aliases.db", """
                CREATE TABLE vae_jobs (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, status TEXT NOT NULL, dataset TEXT NOT NULL, request TEXT NOT NULL,
                    epochs TEXT NOT NULL, model_id TEXT NULL, error TEXT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
                    started_at TEXT NULL, finished_at TEXT NULL, progress TEXT NULL, node TEXT NULL, version INTEGER NOT NULL DEFAULT 1,
                    device TEXT NULL, waiting TEXT NULL, attempts TEXT NULL);
                CREATE TABLE vae_models (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, dataset TEXT NOT NULL, config TEXT NOT NULL, metrics TEXT NOT NULL,
                    job_id TEXT NULL, created_at TEXT NOT NULL, details TEXT NULL);
                CREATE TABLE vae_sweeps (id TEXT NOT NULL PRIMARY KEY, created_at TEXT NOT NULL, sweep TEXT NOT NULL);
                INSERT INTO vae_models (id, name, dataset, config, metrics, created_at) VALUES
                    ('mold01', 'default MNIST VAE', 'mnist', $config, '[]', '2026-01-01T00:00:00.0000000Z'),
                    ('mold02', 'default MNIST VAE', 'mnist', $config, '[]', '2026-01-02T00:00:00.0000000Z'),
                    ('mold03', NULL, 'mnist', $config, '[]', '2026-01-03T00:00:00.0000000Z'),
                    ('mold04', 'fashion', 'fashion-mnist', $config, '[]', '2026-01-04T00:00:00.0000000Z');
                INSERT INTO vae_sweeps (id, created_at, sweep) VALUES
                    ('sold01', '2026-01-01T00:00:00.0000000Z', '{"id":"sold01","name":"betas","createdAt":"2026-01-01T00:00:00+00:00","base":{},"grid":[],"points":[]}');
                """, command => command.Parameters.AddWithValue("$config", new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [32], LatentDim = 2 }.ToJson()));

        await old.InitializeAsync(CancellationToken.None);

        Assert.Equal("mold03", (await old.GetAliasAsync("default", CancellationToken.None))?.ModelId);
        Assert.Equal(1, (await old.GetModelAsync("mold01", CancellationToken.None))?.Version);
        Assert.Equal("mold02", (await old.GetModelByNameAsync("default MNIST VAE", null, CancellationToken.None))?.Id);
        Assert.Null((await old.GetModelAsync("mold03", CancellationToken.None))?.Version);
        Assert.Equal(3, (await old.InsertModelAsync((await old.GetModelAsync("mold02", CancellationToken.None))! with { Id = "mnew01" }, CancellationToken.None)).Version);
        Assert.Equal(["sold01"], (await old.ListSweepsAsync(new SweepFilter("betas"), PageRequest.All, CancellationToken.None)).Items.Select(s => s.Id));

        // Once there are aliases, "default" is the users' to move or delete: a later start leaves it so.
        Assert.True(await old.DeleteAliasAsync("default", CancellationToken.None));
        await old.InitializeAsync(CancellationToken.None);
        Assert.Null(await old.GetAliasAsync("default", CancellationToken.None));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A store over a database file made by <paramref name="schema"/>, as an earlier release left it.</summary>
    private async Task<SqliteVaeStore> OldStoreAsync(string name, string schema, Action<Microsoft.Data.Sqlite.SqliteCommand>? parameters = null)
    {
        string file = Path.Combine(_folder, name);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(SqliteVaeStore.ConnectionStringFor(file)))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = schema;
            parameters?.Invoke(command);
            await command.ExecuteNonQueryAsync();
        }
        return new SqliteVaeStore(SqliteVaeStore.ConnectionStringFor(file));
    }
}
