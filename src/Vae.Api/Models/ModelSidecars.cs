using System.Text.Json;

namespace Vae.Api.Models;

/// <summary>
/// Small JSON files a model gathers after it was published (its test-set score distribution, its
/// stored latent directions), kept beside its weights as {id}.{kind}.json. A file is written to a
/// temporary name and renamed over the old one, so a reader sees the old file or the new one, never
/// half of one; <see cref="ModelStore.DeleteAsync"/> removes them with the model.
/// </summary>
public sealed class ModelSidecars(ModelStore store)
{
    public string PathOf(string id, string kind) => Path.Combine(store.Folder, $"{id}.{kind}.json");

    /// <summary>The stored value, or default when the model has no such file (yet).</summary>
    public async Task<T?> ReadAsync<T>(string id, string kind, JsonSerializerOptions json, CancellationToken ct)
    {
        try
        {
            await using var file = File.OpenRead(PathOf(id, kind));
            return await JsonSerializer.DeserializeAsync<T>(file, json, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }
    }

    /// <summary>
    /// Replaces the file with <paramref name="value"/>. False, and no file left, when the model was
    /// deleted meanwhile: a file written after the deletion swept its folder would outlive it.
    /// </summary>
    public async Task<bool> WriteAsync<T>(string id, string kind, T value, JsonSerializerOptions json, CancellationToken ct)
    {
        Directory.CreateDirectory(store.Folder);
        string path = PathOf(id, kind), temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = File.Create(temporary))
                await JsonSerializer.SerializeAsync(file, value, json, ct);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        if (await store.GetAsync(id, ct) is not null) return true;
        Delete(id, kind);
        return false;
    }

    public void Delete(string id, string kind)
    {
        try { File.Delete(PathOf(id, kind)); } catch (IOException) { /* a reader holds it; the next write replaces it */ }
    }
}
