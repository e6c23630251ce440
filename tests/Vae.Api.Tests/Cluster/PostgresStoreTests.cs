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

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var source in _sources) await source.DisposeAsync();
    }
}
