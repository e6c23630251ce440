using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Models;

/// <summary>The query of GET /api/models: a page, optionally of one dataset or one name.</summary>
public sealed record ModelListQuery(
    [property: Description(Paging.LimitDescription)] int? Limit = null,
    [property: Description(Paging.CursorDescription)] string? Cursor = null,
    [property: Description("Only the models of this dataset (mnist, fashion-mnist, cifar10 or an upload's id, case ignored); an unknown one gives an empty list.")] string? Dataset = null,
    [property: Description("Only the models registered under this name: its versions, newest first.")] string? Name = null);

/// <summary>The query of GET /api/models/{id}/versions: a page.</summary>
public sealed record VersionListQuery(
    [property: Description(Paging.LimitDescription)] int? Limit = null,
    [property: Description(Paging.CursorDescription)] string? Cursor = null);

/// <summary>The endpoints about models themselves: list, inspect, list versions, delete, download.</summary>
internal static class ModelRecordsApi
{
    public static async Task<Results<Ok<ModelList>, ProblemHttpResult>> ListAsync([AsParameters] ModelListQuery query, ModelStore store, CancellationToken ct)
    {
        var (page, problem) = Paging.Read(query.Limit, query.Cursor);
        if (problem is not null) return Problems.Invalid(problem.Parameter, problem.Message);
        var models = await store.ListAsync(new ModelFilter(query.Dataset, query.Name), page!, ct);
        return TypedResults.Ok(await ListOfAsync(models, store, ct));
    }

    public static async Task<Results<Ok<ModelView>, ProblemHttpResult>> GetAsync(string id, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var record = await models.Cache.ResolveAsync(id, ct);
        if (record is null) return await models.MissingAsync(id, ct);
        return TypedResults.Ok(record.AsView((await models.Store.AliasesByModelAsync(ct))[record.Id]));
    }

    public static async Task<Results<Ok<ModelList>, ProblemHttpResult>> VersionsAsync(
        string id, [AsParameters] VersionListQuery query, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var (page, problem) = Paging.Read(query.Limit, query.Cursor);
        if (problem is not null) return Problems.Invalid(problem.Parameter, problem.Message);
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        if (record.Name is not { } name) return Unnamed(id, record);
        return TypedResults.Ok(await ListOfAsync(await models.Store.VersionsAsync(name, page!, ct), models.Store, ct));
    }

    public static async Task<Results<Ok<ModelView>, ProblemHttpResult>> VersionAsync(string id, string version, [AsParameters] ModelServices models, CancellationToken ct)
    {
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < 1)
            return Problems.Invalid("version", $"version must be a whole number from 1, got \"{version}\".");
        if (await models.Cache.ResolveAsync(id, ct) is not { } named) return await models.MissingAsync(id, ct);
        if (named.Name is not { } name) return Unnamed(id, named);
        string reference = ModelNames.Versioned(name, number);
        if (await models.Cache.ResolveAsync(reference, ct) is not { } record) return await models.MissingAsync(reference, ct);
        return TypedResults.Ok(record.AsView((await models.Store.AliasesByModelAsync(ct))[record.Id]));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, [AsParameters] ModelServices models, CancellationToken ct)
    {
        var store = models.Store;
        if (await store.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        if (!ModelStore.IsPinned(id, record))
            return Problems.BadRequest($"Delete a model by its id or name@version, not by '{id}', an alias or a name that could name another model by then. "
                + $"It names {Describe(record)} now: DELETE /api/models/{record.Id} deletes that one.");
        // The store tells the model cache, which drops the loaded model and the remembered records.
        bool deleted = await store.DeleteAsync(record.Id, ct);
        return deleted ? TypedResults.NoContent() : ModelServices.NotFound(record.Id);
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

    private static async Task<ModelList> ListOfAsync(RecordPage<ModelRecord> page, ModelStore store, CancellationToken ct)
    {
        var aliases = page.Items.Count == 0 ? null : await store.AliasesByModelAsync(ct);
        return new ModelList([.. page.Items.Select(m => m.AsView(aliases?[m.Id]))], Paging.NextCursor(page));
    }

    private static ProblemHttpResult Unnamed(string id, ModelRecord record) => Problems.NotFound(
        $"'{id}' names model '{record.Id}', which has no name, so it has no versions. A training request's \"name\" registers its model under that name.");

    private static string Describe(ModelRecord record)
        => record is { Name: { } name, Version: { } version } ? $"model '{record.Id}' ({ModelNames.Versioned(name, version)})" : $"model '{record.Id}'";
}
