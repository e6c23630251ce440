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

    /// <summary>
    /// Raised with the model's id after a model is published or deleted, and with the alias after an
    /// alias is set or deleted, so caches drop what they remember (an alias names no loaded model, so
    /// only what references resolved to is dropped).
    /// </summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Stores the weights, then the record, under <paramref name="id"/> (a new id when null). Giving the
    /// id makes a retry after a lost connection safe: the weights are overwritten, and a record that
    /// did reach the database is returned instead of inserted twice. A named model becomes the next
    /// version of its name; the record returned carries it.
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
        record = await store.InsertModelAsync(record, ct);
        Changed?.Invoke(id);
        return record;
    }

    public Task<ModelRecord?> GetAsync(string id, CancellationToken ct) => store.GetModelAsync(id, ct);

    /// <summary>Version <paramref name="version"/> of a name, or its newest when null.</summary>
    public Task<ModelRecord?> GetByNameAsync(string name, int? version, CancellationToken ct) => store.GetModelByNameAsync(name, version, ct);

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

    /// <summary>
    /// The model a reference names: an id, an alias, name@version or a name, looked up in that order
    /// (see <see cref="ModelNames"/>); null when it names none.
    /// </summary>
    public async Task<ModelRecord?> ResolveAsync(string reference, CancellationToken ct)
    {
        if (await store.GetModelAsync(reference, ct) is { } byId) return byId;
        if (await store.GetAliasAsync(reference, ct) is { } alias) return await store.GetModelAsync(alias.ModelId, ct);
        if (ModelNames.ParseVersioned(reference) is { } versioned) return await store.GetModelByNameAsync(versioned.Name, versioned.Version, ct);
        return await store.GetModelByNameAsync(reference, null, ct);
    }

    /// <summary>
    /// Whether <paramref name="reference"/> names <paramref name="record"/> for good: by its id or its
    /// name@version. An alias or a bare name may name another model tomorrow.
    /// </summary>
    public static bool IsPinned(string reference, ModelRecord record)
        => reference == record.Id || (record is { Name: { } name, Version: { } version } && reference == ModelNames.Versioned(name, version));

    /// <summary>
    /// Why a reference names no model, as the problem to answer: 409 when the model it will name is
    /// still being trained (an alias set to a job's model, a name whose first job runs), 404 otherwise,
    /// each saying what to do.
    /// </summary>
    public async Task<(int Status, string Detail)> ExplainMissingAsync(string reference, CancellationToken ct)
    {
        if (await store.GetAliasAsync(reference, ct) is { } alias)
        {
            string move = $"Move it with PUT /api/aliases/{reference} and a body like {{\"model\": \"<id, name or name@version>\"}}.";
            if (JobIdForModel(alias.ModelId) is { } jobId && await store.GetJobAsync(jobId, ct) is { } job)
            {
                if (!job.IsFinished)
                    return (StatusCodes.Status409Conflict, $"Alias '{reference}' names model '{alias.ModelId}', which job '{job.Id}' is still training "
                        + $"({Describe(job)}); retry when GET /api/jobs/{job.Id} shows it succeeded.");
                if (job.Status != JobStatus.Succeeded)
                    return (StatusCodes.Status404NotFound, $"Alias '{reference}' names model '{alias.ModelId}', which job '{job.Id}' was to make, but the job "
                        + $"{(job.Status == JobStatus.Failed ? "failed" : "was cancelled")}{(job.Error is { } error ? $" ({error})" : "")}. {move}");
            }
            return (StatusCodes.Status404NotFound, $"Alias '{reference}' names model '{alias.ModelId}', which no longer exists (it was deleted). {move}");
        }
        if (ModelNames.ParseVersioned(reference) is { } versioned && await store.GetModelByNameAsync(versioned.Name, null, ct) is { Version: { } newest })
            return (StatusCodes.Status404NotFound, $"Model '{versioned.Name}' has no version {versioned.Version}: its versions go up to {newest}. "
                + $"GET /api/models/{versioned.Name}/versions lists them.");
        var training = (await store.ListJobsAsync(new JobFilter(Name: reference), new PageRequest(20), ct)).Items.FirstOrDefault(j => !j.IsFinished);
        if (training is not null)
            return (StatusCodes.Status409Conflict, $"No model is named '{reference}' yet: job '{training.Id}' is training it ({Describe(training)}); "
                + $"retry when GET /api/jobs/{training.Id} shows it succeeded.");
        return (StatusCodes.Status404NotFound, $"There is no model '{reference}': no model has that id or name, and no alias is '{reference}'. "
            + "GET /api/models lists the models and GET /api/aliases the aliases; POST /api/jobs trains a new one (with \"name\" to register it under a name).");
    }

    private static string Describe(JobRecord job) => $"{job.Status.ToString().ToLowerInvariant()}, {job.Epochs.Count} of {job.Request.Epochs} epochs done";

    /// <summary>The models of a name, newest version first, a page at a time.</summary>
    public Task<RecordPage<ModelRecord>> VersionsAsync(string name, PageRequest page, CancellationToken ct)
        => store.ListModelsAsync(new ModelFilter(Name: name), page, ct);

    public Task<RecordPage<ModelRecord>> ListAsync(ModelFilter filter, PageRequest page, CancellationToken ct) => store.ListModelsAsync(filter, page, ct);

    /// <summary>The aliases naming each model, by model id.</summary>
    public async Task<ILookup<string, string>> AliasesByModelAsync(CancellationToken ct)
        => (await store.ListAliasesAsync(ct)).ToLookup(a => a.ModelId, a => a.Alias, StringComparer.Ordinal);

    public Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(CancellationToken ct) => store.ListAliasesAsync(ct);

    public Task<AliasRecord?> GetAliasAsync(string alias, CancellationToken ct) => store.GetAliasAsync(alias, ct);

    /// <summary>Points <paramref name="alias"/> at a model id; true when the alias was created, false when it moved.</summary>
    public async Task<(bool Created, AliasRecord Alias)> SetAliasAsync(string alias, string modelId, CancellationToken ct)
    {
        var record = new AliasRecord(alias, modelId, clock.GetUtcNow());
        bool created = await store.SetAliasAsync(record, ct);
        Changed?.Invoke(alias);
        return (created, record);
    }

    public async Task<bool> DeleteAliasAsync(string alias, CancellationToken ct)
    {
        if (!await store.DeleteAliasAsync(alias, ct)) return false;
        Changed?.Invoke(alias);
        return true;
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

    /// <summary>The job whose model has this id, when it is a job's model (see <see cref="IdForJob"/>).</summary>
    private static string? JobIdForModel(string modelId) => modelId.StartsWith('m') && modelId.Length > 1 ? "j" + modelId[1..] : null;
}
