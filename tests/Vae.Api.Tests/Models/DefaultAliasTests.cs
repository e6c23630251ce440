using System.Net;
using Microsoft.Data.Sqlite;
using Vae.Api.Jobs;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

/// <summary>"default" is an alias like any other: set once, on the first start, to the first job's model.</summary>
public class DefaultAliasTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> FirstStart = new() { ["Jobs:SeedDefaultJob"] = "true", ["Jobs:DefaultJobEpochs"] = "1" };

    [Fact]
    public async Task On_a_first_start_default_names_the_first_jobs_model_and_is_a_409_naming_the_job_until_it_is_trained()
    {
        using var factory = new ServiceFactory(output, settings: FirstStart);
        // Held at its start, the first job cannot have made a model when the requests arrive.
        var held = factory.Gate.HoldAtStart();
        var client = factory.CreateClient();
        var job = Assert.Single((await (await client.GetAsync("/api/jobs")).ReadJsonAsync<JobList>()).Jobs);
        await held.ReachedAsync();

        await (await client.GetAsync("/api/models/default/samples.png?n=4")).AssertProblemAsync(409, job.Id, "still training");
        await (await client.GetAsync($"/api/models/{DefaultJobSeeder.DefaultName}")).AssertProblemAsync(409, job.Id);
        var alias = await (await client.GetAsync("/api/aliases/default")).ReadJsonAsync<AliasView>();
        Assert.Equal((ModelStore.IdForJob(job.Id), false), (alias.ModelId, alias.Exists));

        held.Release();
        await client.WaitForAsync(job.Id, j => j.Status == JobStatus.Succeeded);
        var model = await (await client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>();

        Assert.Equal((alias.ModelId, DefaultJobSeeder.DefaultName, (int?)1, "mnist"), (model.Id, model.Name, model.Version, model.Dataset));
        Assert.Equal(["default"], model.Aliases);
        Assert.Equal((true, DefaultJobSeeder.DefaultName, (int?)1), await AliasAsync(client));
    }

    [Fact]
    public async Task Default_does_not_move_when_newer_mnist_models_are_trained_until_someone_moves_it()
    {
        using var factory = new ServiceFactory(output, settings: FirstStart);
        var client = factory.CreateClient();
        var first = Assert.Single((await (await client.GetAsync("/api/jobs")).ReadJsonAsync<JobList>()).Jobs);
        first = await client.WaitForAsync(first.Id, j => j.Status == JobStatus.Succeeded);
        var newer = await client.SubmitAsync(JobsClient.Tiny(epochs: 1, name: "newer"));
        newer = await client.WaitForAsync(newer.Id, j => j.Status == JobStatus.Succeeded);

        Assert.Equal(first.ModelId, (await (await client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>()).Id);
        var moved = await client.PutAsync("/api/aliases/default", Http.JsonBody("""{"model": "newer"}"""));
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(newer.ModelId, (await (await client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>()).Id);
    }

    [Fact]
    public async Task Without_a_first_start_job_there_is_no_default_and_asking_for_it_says_how_to_train_one()
    {
        using var factory = new ServiceFactory(output);
        var client = factory.CreateClient();

        await (await client.GetAsync("/api/models/default")).AssertProblemAsync(404, "POST /api/jobs", "GET /api/aliases");
        await (await client.GetAsync("/api/aliases/default")).AssertProblemAsync(404, "PUT /api/aliases/default");
    }

    [Fact]
    public async Task A_state_folder_of_the_release_before_aliases_opens_with_default_naming_its_newest_mnist_model()
    {
        string state = Directory.CreateTempSubdirectory("vae-upgrade-").FullName;
        try
        {
            // vae.db as the release before aliases left it: two MNIST models (the newer one unnamed) and a newer CIFAR-10 one.
            SqliteVaeStore.EnsureProvider();
            await using (var connection = new SqliteConnection(SqliteVaeStore.ConnectionStringFor(Path.Combine(state, "vae.db"))))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    CREATE TABLE vae_models (id TEXT NOT NULL PRIMARY KEY, name TEXT NULL, dataset TEXT NOT NULL, config TEXT NOT NULL, metrics TEXT NOT NULL,
                        job_id TEXT NULL, created_at TEXT NOT NULL, details TEXT NULL);
                    INSERT INTO vae_models (id, name, dataset, config, metrics, created_at) VALUES
                        ('m00000000old1', 'default MNIST VAE', 'mnist', $config, '[]', '2026-01-01T00:00:00.0000000Z'),
                        ('m00000000old2', NULL, 'mnist', $config, '[]', '2026-01-02T00:00:00.0000000Z'),
                        ('m00000000old3', 'colour', 'cifar10', $config, '[]', '2026-01-03T00:00:00.0000000Z');
                    """;
                command.Parameters.AddWithValue("$config", new Vae.Engine.Models.Mlp.MlpConfig { HiddenSizes = [32], LatentDim = 2 }.ToJson());
                await command.ExecuteNonQueryAsync();
            }
            SqliteConnection.ClearAllPools();

            using var factory = new ServiceFactory(output, state);
            var client = factory.CreateClient();

            var model = await (await client.GetAsync("/api/models/default")).ReadJsonAsync<ModelView>();
            Assert.Equal("m00000000old2", model.Id);
            Assert.Equal(["default"], model.Aliases);
            var named = await (await client.GetAsync("/api/models/default%20MNIST%20VAE")).ReadJsonAsync<ModelView>();
            Assert.Equal(("m00000000old1", (int?)1), (named.Id, named.Version));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(state, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(bool Exists, string? Name, int? Version)> AliasAsync(HttpClient client)
    {
        var alias = await (await client.GetAsync("/api/aliases/default")).ReadJsonAsync<AliasView>();
        return (alias.Exists, alias.Name, alias.Version);
    }
}
