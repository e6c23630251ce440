using System.Text.Json;
using Vae.Api.Storage;

namespace Vae.Api.Models;

/// <summary>
/// Small JSON documents a model gathers after it was published (its test-set score distribution,
/// its stored latent directions), kept in the blob store beside its weights as
/// models/{id}.{kind}.json: files under the state folder by default, rows in PostgreSQL when the
/// nodes share a database, so every node sees the same ones. A blob is replaced whole, so a reader
/// sees the old document or the new one, never half of one; <see cref="ModelStore.DeleteAsync"/>
/// removes them with the model.
/// </summary>
public sealed class ModelSidecars(ModelStore store, IBlobStore blobs)
{
    /// <summary>The kinds a model can have, so that deleting the model can remove them all.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["scores", "directions"];

    public static string KeyOf(string id, string kind) => $"models/{id}.{kind}.json";

    /// <summary>The document's file where blobs are files (the embedded default).</summary>
    /// <exception cref="InvalidOperationException">The blobs are in a database, not in files.</exception>
    public string PathOf(string id, string kind) => blobs.LocalPathOf(KeyOf(id, kind))
        ?? throw new InvalidOperationException("Model documents are kept in the database (Storage:Provider postgres), not in files.");

    /// <summary>The stored value, or default when the model has no such document (yet).</summary>
    public async Task<T?> ReadAsync<T>(string id, string kind, JsonSerializerOptions json, CancellationToken ct)
    {
        await using var stream = await blobs.OpenReadAsync(KeyOf(id, kind), ct);
        return stream is null ? default : await JsonSerializer.DeserializeAsync<T>(stream, json, ct);
    }

    /// <summary>
    /// Replaces the document with <paramref name="value"/>. False, and nothing left, when the model
    /// was deleted meanwhile: a document written after the deletion swept its kinds would outlive it.
    /// </summary>
    public async Task<bool> WriteAsync<T>(string id, string kind, T value, JsonSerializerOptions json, CancellationToken ct)
    {
        await blobs.PutAsync(KeyOf(id, kind), (stream, token) => JsonSerializer.SerializeAsync(stream, value, json, token), ct);
        if (await store.GetAsync(id, ct) is not null) return true;
        await DeleteAsync(id, kind, CancellationToken.None);
        return false;
    }

    public Task<bool> DeleteAsync(string id, string kind, CancellationToken ct) => blobs.DeleteAsync(KeyOf(id, kind), ct);
}
