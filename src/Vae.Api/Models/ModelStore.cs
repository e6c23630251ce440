using Microsoft.Extensions.Options;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Training;

namespace Vae.Api.Models;

/// <summary>
/// Trained models: the safetensors file under the model folder and the record in the store.
/// A file is complete before its record exists (written to a temporary name, then renamed), so a
/// listed model can always be loaded; deleting removes the record first, then the file.
/// </summary>
public sealed class ModelStore(IVaeStore store, IOptions<StorageOptions> options, IHostEnvironment env, TimeProvider clock)
{
    public string Folder { get; } = Path.Combine(Path.GetFullPath(options.Value.Directory, env.ContentRootPath), "models");

    public string PathOf(string id) => Path.Combine(Folder, id + ".safetensors");

    /// <summary>Raised with the model's id after a model is published or deleted, so caches drop what they remember.</summary>
    public event Action<string>? Changed;

    public async Task<ModelRecord> PublishAsync(
        AutoencoderModel model, string? name, string dataset, string? jobId, IReadOnlyList<EpochMetrics> metrics, ModelDetails? details, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        string id = NewId();
        var extra = new Dictionary<string, string> { ["dataset"] = dataset };
        if (name is not null) extra["name"] = name;
        if (jobId is not null) extra["job"] = jobId;
        if (details?.ClassNames is { } classes) extra["classNames"] = System.Text.Json.JsonSerializer.Serialize(classes);
        ModelCheckpoint.Save(PathOf(id), model, metrics, extra);
        var record = new ModelRecord
        {
            Id = id, Name = name, Dataset = dataset, Config = model.Config, Metrics = metrics, JobId = jobId, CreatedAt = clock.GetUtcNow(),
            ClassNames = details?.ClassNames, Evaluation = details?.Evaluation, TrainingSeconds = details?.TrainingSeconds,
        };
        await store.InsertModelAsync(record, ct);
        Changed?.Invoke(id);
        return record;
    }

    public Task<ModelRecord?> GetAsync(string id, CancellationToken ct) => store.GetModelAsync(id, ct);

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
        try { File.Delete(PathOf(id)); } catch (IOException) { /* a reader holds it; the record is gone, the file is orphaned harmlessly */ }
        // The files the model gathered beside its weights ({id}.scores.json and the like, see ModelSidecars) go with it.
        if (Directory.Exists(Folder))
            foreach (string extra in Directory.EnumerateFiles(Folder, id + ".*"))
                try { File.Delete(extra); } catch (IOException) { }
        return true;
    }

    private static string NewId() => "m" + Guid.NewGuid().ToString("N")[..12];
}
