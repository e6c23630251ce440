using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Vae.Api.Infrastructure;

namespace Vae.Api.Models;

/// <summary>The endpoints about models themselves: list, inspect, delete, download.</summary>
internal static class ModelRecordsApi
{
    public static async Task<Ok<ModelList>> ListAsync(
        ModelStore store, CancellationToken ct,
        [Description("Only the models of this dataset (mnist, fashion-mnist, cifar10 or an upload's id); an unknown one gives an empty list.")] string? dataset = null)
    {
        var all = await store.ListAsync(ct);
        var chosen = dataset is null ? all : all.Where(m => string.Equals(m.Dataset, dataset, StringComparison.OrdinalIgnoreCase));
        return TypedResults.Ok(new ModelList(chosen.Select(m => m.AsView()).ToList()));
    }

    public static async Task<Results<Ok<ModelView>, ProblemHttpResult>> GetAsync(string id, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var record = await models.Cache.ResolveAsync(id, ct);
        return record is null ? await models.MissingAsync(id, ct) : TypedResults.Ok(record.AsView());
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, ModelStore store, CancellationToken ct)
    {
        if (ModelCache.IsDefault(id))
            return Problems.BadRequest("Delete a model by its id, not by 'default' (which would then name the next model). GET /api/models/default shows its id.");
        // The store tells the model cache, which drops the loaded model and the remembered records.
        bool deleted = await store.DeleteAsync(id, ct);
        return deleted ? TypedResults.NoContent() : ModelServices.NotFound(id);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> WeightsAsync(
        string id, ModelStore store, [AsParameters] ModelServices models, HttpResponse response, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        // A file (seekable: ranges work) or a database row streamed as it arrives; the result disposes it.
        var weights = await store.OpenWeightsAsync(record.Id, ct);
        if (weights is null) return Problems.NotFound($"The weights of model '{record.Id}' are gone; it was probably deleted just now.");
        // The file result sends a length only for streams it can seek; a row knows its length too, and
        // a client that is told it can show progress and tell a cut-short download from a whole one.
        if (!weights.CanSeek) response.ContentLength = weights.Length;
        return TypedResults.File(weights, "application/octet-stream", record.Id + ".safetensors",
            entityTag: new EntityTagHeaderValue($"\"{record.Id}\""), enableRangeProcessing: true);
    }
}
