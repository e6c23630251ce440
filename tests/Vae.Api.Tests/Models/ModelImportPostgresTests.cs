using Vae.Api.Models;
using Vae.Api.Tests.Cluster;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

/// <summary>An imported model stored in PostgreSQL (record and weights) is served by every node on the database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ModelImportPostgresTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    [SkippableFact]
    public async Task A_model_imported_on_one_node_decodes_to_pytorchs_pixels_on_another()
    {
        Seed003.SkipIfMissing();
        string database = await server.CreateDatabaseAsync();
        using var a = _cluster.Node(database, "node-a").CreateClient();
        using var b = _cluster.Node(database, "node-b").CreateClient();

        var model = await ModelImportTests.AssertCreatedAsync(await a.PostAsync("/api/models", Seed003.Form(Seed003.Weights)));
        var images = await (await b.PostAsync($"/api/models/{model.Id}/decode",
            System.Net.Http.Json.JsonContent.Create(new { latents = Seed003.Expected.Latents }), "application/json")).ReadJsonAsync<ImagesResponse>();
        ModelImportTests.AssertClose(Seed003.Expected.Decoded, images.Images, "decoded pixels on the other node");
        var view = await (await b.GetAsync($"/api/models/{model.Id}")).ReadJsonAsync<ModelView>();
        Assert.Equal(("seed 003 from pytorch", "mnist"), (view.Name, view.Dataset));
    }

    public void Dispose() => _cluster.Dispose();
}
