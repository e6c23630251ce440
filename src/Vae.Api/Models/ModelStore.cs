using Vae.Api.Storage;
using Vae.Engine.Backends;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Models;

/// <summary>
/// Trained models: the safetensors blob models/&lt;id&gt;.safetensors (a file under the state folder, or
/// a row in PostgreSQL) and the record in the store. The blob is complete before its record exists
/// (written whole, then made visible at once), so a listed model can always be loaded; deleting
/// removes the record first, then the blob.
/// </summary>
public sealed class ModelStore(IVaeStore store, IBlobStore blobs, TimeProvider clock)
{
    public static string KeyOf(string id) => $"models/{id}.safetensors";

    /// <summary>The model's file, where the blob store keeps files (the embedded default).</summary>
    /// <exception cref="InvalidOperationException">The blobs are in a database, not in files.</exception>
    public string PathOf(string id) => blobs.LocalPathOf(KeyOf(id))
        ?? throw new InvalidOperationException("Model weights are kept in the database (Storage:Provider postgres), not in files.");

    /// <summary>Raised with the model's id after a model is published or deleted, so caches drop what they remember.</summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Stores the weights, then the record, under <paramref name="id"/> (a new id when null). Giving the
    /// id makes a retry after a lost connection safe: the weights are overwritten, and a record that
    /// did reach the database is returned instead of inserted twice.
    /// </summary>
    public async Task<ModelRecord> PublishAsync(
        AutoencoderModel model, string? name, string dataset, string? jobId, IReadOnlyList<EpochMetrics> metrics, ModelDetails? details, CancellationToken ct,
        string? id = null)
    {
        if (id is not null && await store.GetModelAsync(id, ct) is { } existing) return existing;
        id ??= NewId();
        var extra = new Dictionary<string, string> { ["dataset"] = dataset };
        if (name is not null) extra["name"] = name;
        if (jobId is not null) extra["job"] = jobId;
        if (details?.ClassNames is { } classes) extra["classNames"] = System.Text.Json.JsonSerializer.Serialize(classes);
        await blobs.PutAsync(KeyOf(id), (stream, _) => { ModelCheckpoint.Save(stream, model, metrics, extra); return Task.CompletedTask; }, ct);
        var record = new ModelRecord
        {
            Id = id, Name = name, Dataset = dataset, Config = model.Config, Metrics = metrics, JobId = jobId, CreatedAt = clock.GetUtcNow(),
            ClassNames = details?.ClassNames, Evaluation = details?.Evaluation, TrainingSeconds = details?.TrainingSeconds,
            Device = details?.Device,
        };
        await store.InsertModelAsync(record, ct);
        Changed?.Invoke(id);
        return record;
    }

    public Task<ModelRecord?> GetAsync(string id, CancellationToken ct) => store.GetModelAsync(id, ct);

    /// <summary>Builds the model from its stored weights on <paramref name="backend"/>.</summary>
    /// <exception cref="FileNotFoundException">The weights are gone (the model was deleted meanwhile).</exception>
    public LoadedModel Load(string id, IBackend backend)
    {
        using var stream = blobs.OpenRead(KeyOf(id)) ?? throw new FileNotFoundException($"Model '{id}' has no stored weights.", KeyOf(id));
        return ModelCheckpoint.Load(stream, KeyOf(id), backend);
    }

    /// <summary>The stored weights as a safetensors byte stream; null when they are gone. The caller disposes it.</summary>
    public Task<Stream?> OpenWeightsAsync(string id, CancellationToken ct) => blobs.OpenReadAsync(KeyOf(id), ct);

    public Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken ct) => store.ListModelsAsync(ct);

    /// <summary>"default" names the newest MNIST model; other ids are looked up as they are.</summary>
    public async Task<ModelRecord?> ResolveAsync(string id, CancellationToken ct)
    {
        if (!string.Equals(id, "default", StringComparison.OrdinalIgnoreCase)) return await store.GetModelAsync(id, ct);
        var all = await store.ListModelsAsync(ct);
        return all.FirstOrDefault(m => m.Dataset == "mnist");
    }

    /// <summary>A queued or running job that will produce the first model of a dataset, if any: "default" is then not ready rather than missing.</summary>
    public async Task<JobRecord?> PendingFirstModelAsync(string dataset, CancellationToken ct)
    {
        var jobs = await store.ListJobsAsync(50, ct);
        return jobs.FirstOrDefault(j => j.Request.Dataset == dataset && j.Status is JobStatus.Queued or JobStatus.Running);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        if (!await store.DeleteModelAsync(id, ct)) return false;
        Changed?.Invoke(id);
        // A blob left behind by a failure here is orphaned harmlessly: nothing names it any more.
        await blobs.DeleteAsync(KeyOf(id), CancellationToken.None);
        // The documents the model gathered beside its weights (its score distribution, its directions) go with it.
        foreach (string kind in ModelSidecars.Kinds)
            await blobs.DeleteAsync(ModelSidecars.KeyOf(id, kind), CancellationToken.None);
        return true;
    }

    private static string NewId() => "m" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The id of the model a job publishes: one per job, so a retried publication cannot make two.</summary>
    public static string IdForJob(string jobId) => "m" + jobId.TrimStart('j');
}
