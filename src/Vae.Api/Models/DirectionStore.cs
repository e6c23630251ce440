using System.Collections.Concurrent;
using System.Text.Json;

namespace Vae.Api.Models;

/// <summary>
/// The latent directions stored with each model, as one small JSON file beside its weights
/// ({id}.directions.json, see <see cref="ModelSidecars"/>), gone with the model. Changes to one
/// model's file are made one at a time, each a read, a change and an atomic replace.
/// </summary>
public sealed class DirectionStore(ModelSidecars sidecars)
{
    private const string Kind = "directions";
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web);

    // One gate per model that had a direction written; models are few, and the gates are tiny.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<DirectionView>> ListAsync(string id, CancellationToken ct)
        => (await sidecars.ReadAsync<DirectionList>(id, Kind, FileJson, ct))?.Directions ?? [];

    public async Task<DirectionView?> FindAsync(string id, string name, CancellationToken ct)
        => (await ListAsync(id, ct)).FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));

    /// <summary>Stores a direction; false when the model already has one of that name (or was deleted meanwhile).</summary>
    public Task<bool> AddAsync(string id, DirectionView direction, CancellationToken ct) => ChangeAsync(id, ct, list =>
    {
        if (list.Any(d => string.Equals(d.Name, direction.Name, StringComparison.Ordinal))) return null;
        return [.. list, direction];
    });

    /// <summary>Removes a direction; false when the model has none of that name.</summary>
    public Task<bool> DeleteAsync(string id, string name, CancellationToken ct) => ChangeAsync(id, ct, list =>
    {
        var kept = list.Where(d => !string.Equals(d.Name, name, StringComparison.Ordinal)).ToList();
        return kept.Count == list.Count ? null : kept;
    });

    /// <summary>Applies <paramref name="change"/> (null: nothing to change) to the model's list under its gate.</summary>
    private async Task<bool> ChangeAsync(string id, CancellationToken ct, Func<IReadOnlyList<DirectionView>, IReadOnlyList<DirectionView>?> change)
    {
        var gate = _gates.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (change(await ListAsync(id, ct)) is not { } changed) return false;
            if (changed.Count == 0)
            {
                await sidecars.DeleteAsync(id, Kind, ct);
                return true;
            }
            return await sidecars.WriteAsync(id, Kind, new DirectionList(changed), FileJson, ct);
        }
        finally
        {
            gate.Release();
        }
    }
}
