using Npgsql;
using Vae.Api.Storage;
using Vae.Api.Storage.Postgres;
using Vae.Api.Tests.Storage;

namespace Vae.Api.Tests.Cluster;

/// <summary>The store contract on PostgreSQL, each test on a database of its own; and the schema's migration.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : StoreContract, IAsyncLifetime
{
    private readonly List<NpgsqlDataSource> _sources = [];

    private async Task<NpgsqlDataSource> NewDatabaseAsync()
    {
        var source = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        _sources.Add(source);
        return source;
    }

    protected override async Task<IVaeStore> OpenStoreAsync()
    {
        var store = new PostgresVaeStore(await NewDatabaseAsync());
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override async Task<IBlobStore> OpenBlobsAsync()
    {
        var source = await NewDatabaseAsync();
        await PostgresSchema.MigrateAsync(source, CancellationToken.None);
        return new PostgresBlobStore(source);
    }

    [SkippableFact]
    public async Task Nodes_starting_together_migrate_the_schema_once_and_later_starts_find_nothing_to_do()
    {
        string database = await server.CreateDatabaseAsync();
        var nodes = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(database)).ToList();
        _sources.AddRange(nodes);

        int[] applied = await Task.WhenAll(nodes.Select(n => Task.Run(() => PostgresSchema.MigrateAsync(n, CancellationToken.None))));
        int again = await PostgresSchema.MigrateAsync(nodes[0], CancellationToken.None);

        Assert.Equal(PostgresSchema.CurrentVersion, applied.Sum());
        Assert.Equal(0, again);
        await using var command = nodes[0].CreateCommand("SELECT count(*), max(version) FROM vae_schema_migrations;");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(PostgresSchema.CurrentVersion, reader.GetInt64(0));
        Assert.Equal(PostgresSchema.CurrentVersion, reader.GetInt32(1));
    }

    [SkippableFact]
    public async Task A_database_migrated_by_a_newer_release_is_refused_with_a_message_saying_so()
    {
        var source = await NewDatabaseAsync();
        await PostgresSchema.MigrateAsync(source, CancellationToken.None);
        await using (var command = source.CreateCommand($"INSERT INTO vae_schema_migrations (version) VALUES ({PostgresSchema.CurrentVersion + 1});"))
            await command.ExecuteNonQueryAsync();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.MigrateAsync(source, CancellationToken.None));

        Assert.Contains("newer release", e.Message);
    }

    [SkippableFact]
    public async Task A_job_row_from_before_attempts_were_recorded_reads_with_none()
    {
        var source = await NewDatabaseAsync();
        var store = new PostgresVaeStore(source);
        await store.InitializeAsync(CancellationToken.None);
        await store.InsertJobAsync(new JobRecord
        {
            Id = "jold01", Status = JobStatus.Succeeded, CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Request = new TrainingRequest { Epochs = 1 },
            Attempts = [new JobAttempt(1, "node-a", new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero))],
        }, CancellationToken.None);
        // A row written before the migration that added the column holds null there.
        await using (var command = source.CreateCommand("UPDATE vae_jobs SET attempts = NULL WHERE id = 'jold01';"))
            Assert.Equal(1, await command.ExecuteNonQueryAsync());

        var job = await store.GetJobAsync("jold01", CancellationToken.None);

        Assert.NotNull(job);
        Assert.Empty(job.Attempts);
    }

    [SkippableFact]
    public async Task A_database_made_before_aliases_gets_default_naming_its_newest_mnist_model_and_its_names_get_versions()
    {
        var source = await NewDatabaseAsync();
        // The schema as the release before names, versions and aliases left it (migration 4), with its rows.
        await PostgresSchema.MigrateAsync(source, CancellationToken.None, upTo: 4);
        await using (var command = source.CreateCommand("""
            INSERT INTO vae_models (id, name, dataset, config, metrics, created_at) VALUES
                ('mold01', 'default MNIST VAE', 'mnist', $1, '[]', '2026-01-01T00:00:00Z'),
                ('mold02', 'default MNIST VAE', 'mnist', $1, '[]', '2026-01-02T00:00:00Z'),
                ('mold03', NULL, 'mnist', $1, '[]', '2026-01-03T00:00:00Z'),
                ('mold04', 'fashion', 'fashion-mnist', $1, '[]', '2026-01-04T00:00:00Z');
            """))
        {
            command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Json, new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [32], LatentDim = 2 }.ToJson());
            await command.ExecuteNonQueryAsync();
        }
        await using (var command = source.CreateCommand("""
            INSERT INTO vae_sweeps (id, created_at, sweep) VALUES
                ('sold01', '2026-01-01T00:00:00Z', '{"id":"sold01","name":"betas","createdAt":"2026-01-01T00:00:00+00:00","base":{},"grid":[],"points":[]}');
            """))
            await command.ExecuteNonQueryAsync();
        var store = new PostgresVaeStore(source);

        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal("mold03", (await store.GetAliasAsync("default", CancellationToken.None))?.ModelId);
        Assert.Equal(1, (await store.GetModelAsync("mold01", CancellationToken.None))?.Version);
        Assert.Equal("mold02", (await store.GetModelByNameAsync("default MNIST VAE", null, CancellationToken.None))?.Id);
        Assert.Null((await store.GetModelAsync("mold03", CancellationToken.None))?.Version);
        Assert.Equal(3, (await store.InsertModelAsync((await store.GetModelAsync("mold02", CancellationToken.None))! with { Id = "mnew01" }, CancellationToken.None)).Version);
        Assert.Equal(["sold01"], (await store.ListSweepsAsync(new SweepFilter("betas"), PageRequest.All, CancellationToken.None)).Items.Select(s => s.Id));
    }

    [SkippableFact]
    public async Task Nodes_publishing_models_of_one_name_at_the_same_moment_get_different_versions()
    {
        string database = await server.CreateDatabaseAsync();
        // Each node has its own pool of connections to the one database, as separate processes do.
        var nodes = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(database)).ToList();
        _sources.AddRange(nodes);
        await PostgresSchema.MigrateAsync(nodes[0], CancellationToken.None);
        var stores = nodes.Select(n => new PostgresVaeStore(n)).ToList();
        var config = new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [32], LatentDim = 2 };
        var created = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // Started together without waiting for each other, so their inserts meet in the database.
        var stored = await Task.WhenAll(Enumerable.Range(0, stores.Count * 3).Select(i => stores[i % stores.Count].InsertModelAsync(new ModelRecord
        {
            Id = $"mnode{i:00}", Name = "raced", Dataset = "mnist", Config = config, Metrics = [], CreatedAt = created,
        }, CancellationToken.None)));

        Assert.Equal(Enumerable.Range(1, stored.Length), stored.Select(m => m.Version!.Value).Order());
        Assert.Equal(stored.Length, (await stores[0].GetModelByNameAsync("raced", null, CancellationToken.None))?.Version);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var source in _sources) await source.DisposeAsync();
    }
}
