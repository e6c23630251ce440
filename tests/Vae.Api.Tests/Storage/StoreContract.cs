using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Training;

namespace Vae.Api.Tests.Storage;

/// <summary>
/// What every record store and blob store must do, proven the same way for each: SQLite and files
/// (the embedded default), PostgreSQL (several nodes). A subclass says how to open its stores.
/// </summary>
public abstract partial class StoreContract
{
    /// <summary>A new, empty, initialised record store.</summary>
    protected abstract Task<IVaeStore> OpenStoreAsync();

    /// <summary>A new, empty blob store.</summary>
    protected abstract Task<IBlobStore> OpenBlobsAsync();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(), new ModelConfigConverter() },
    };

    // PostgreSQL keeps times to the microsecond; records made here are too, so they compare whole.
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 15, 9, 26, 535, 897, TimeSpan.Zero);

    private static JobRecord Job(string id, DateTimeOffset? created = null) => new()
    {
        Id = id, Name = "a job", Status = JobStatus.Queued, CreatedAt = created ?? T0,
        Request = new TrainingRequest { Model = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Epochs = 3, BatchSize = 100, Seed = 5 },
    };

    [SkippableFact]
    public async Task A_running_job_reads_back_as_it_was_stored_with_epochs_progress_node_attempts_and_times()
    {
        var store = await OpenStoreAsync();
        var job = Job("jround01") with
        {
            Status = JobStatus.Running,
            StartedAt = T0.AddSeconds(2),
            Epochs = [new EpochMetrics(1, new LossSummary(180.5, 170.25, 10.25), new LossSummary(double.NaN, 160, double.PositiveInfinity), 1.5)],
            Progress = new JobProgressRecord(JobPhase.Training, 2, 7, 10, 812.5, 12.25, T0.AddSeconds(3)),
            Node = "node-a",
            Device = "cuda",
            CancelRequested = true,
            Attempts =
            [
                new JobAttempt(1, "node-b", T0.AddSeconds(1), T0.AddSeconds(1.5), "the database went away"),
                new JobAttempt(2, "node-a", T0.AddSeconds(2)),
            ],
        };
        await store.InsertJobAsync(job, CancellationToken.None);

        var read = await store.GetJobAsync(job.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(JsonSerializer.Serialize(job, Json), JsonSerializer.Serialize(read, Json));
        Assert.Null(await store.GetJobAsync("jnothere", CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_queued_job_that_asks_for_a_gpu_reads_back_with_why_it_waits_and_an_update_clears_it()
    {
        var store = await OpenStoreAsync();
        var job = Job("jwait01") with { Waiting = "asks for a GPU; no node with one has taken it yet (node a trains on cpu)." };
        job = job with { Request = job.Request with { Device = "gpu" } };
        await store.InsertJobAsync(job, CancellationToken.None);

        var read = (await store.GetJobAsync(job.Id, CancellationToken.None))!;
        bool updated = await store.UpdateJobAsync(read with { Status = JobStatus.Running, Waiting = null, Device = "cuda" }, CancellationToken.None);
        var started = (await store.GetJobAsync(job.Id, CancellationToken.None))!;

        Assert.Equal(JsonSerializer.Serialize(job, Json), JsonSerializer.Serialize(read, Json));
        Assert.True(updated);
        Assert.Null(started.Waiting);
        Assert.Equal("cuda", started.Device);
        Assert.Equal("gpu", started.Request.Device);
    }

    [SkippableFact]
    public async Task An_attempt_ended_by_an_update_reads_back_ended_beside_the_one_before()
    {
        var store = await OpenStoreAsync();
        var killed = new JobAttempt(1, "node-a", T0, T0.AddSeconds(30), "the node stopped while training it");
        await store.InsertJobAsync(Job("jattempt01") with { Status = JobStatus.Running, Attempts = [killed, new JobAttempt(2, "node-b", T0.AddSeconds(30))] }, CancellationToken.None);
        var read = (await store.GetJobAsync("jattempt01", CancellationToken.None))!;

        bool updated = await store.UpdateJobAsync(read with { Status = JobStatus.Succeeded, Attempts = [killed, read.Attempts[1] with { EndedAt = T0.AddSeconds(90) }] }, CancellationToken.None);
        var stored = (await store.GetJobAsync("jattempt01", CancellationToken.None))!;

        Assert.True(updated);
        Assert.Equal([killed, new JobAttempt(2, "node-b", T0.AddSeconds(30), T0.AddSeconds(90))], stored.Attempts);
        Assert.Equal(stored.Attempts, Assert.Single(await store.ListJobsAsync(10, CancellationToken.None)).Attempts);
    }

    [SkippableFact]
    public async Task Jobs_list_newest_first_and_jobs_created_at_the_same_time_newest_insert_first()
    {
        var store = await OpenStoreAsync();
        await store.InsertJobAsync(Job("jolder", T0), CancellationToken.None);
        await store.InsertJobAsync(Job("jtie1", T0.AddSeconds(1)), CancellationToken.None);
        await store.InsertJobAsync(Job("jtie2", T0.AddSeconds(1)), CancellationToken.None);

        var all = await store.ListJobsAsync(10, CancellationToken.None);
        var two = await store.ListJobsAsync(2, CancellationToken.None);

        Assert.Equal(["jtie2", "jtie1", "jolder"], all.Select(j => j.Id));
        Assert.Equal(["jtie2", "jtie1"], two.Select(j => j.Id));
    }

    [SkippableFact]
    public async Task Jobs_are_counted_by_status_and_a_status_without_jobs_is_absent()
    {
        var store = await OpenStoreAsync();
        Assert.Empty(await store.CountJobsAsync(CancellationToken.None));
        await store.InsertJobAsync(Job("jcount1"), CancellationToken.None);
        await store.InsertJobAsync(Job("jcount2"), CancellationToken.None);
        await store.InsertJobAsync(Job("jcount3") with { Status = JobStatus.Running, StartedAt = T0 }, CancellationToken.None);
        await store.InsertJobAsync(Job("jcount4") with { Status = JobStatus.Failed, StartedAt = T0, FinishedAt = T0, Error = "diverged" }, CancellationToken.None);

        var counts = await store.CountJobsAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<JobStatus, long> { [JobStatus.Queued] = 2, [JobStatus.Running] = 1, [JobStatus.Failed] = 1 }, counts);
    }

    [SkippableFact]
    public async Task An_update_made_from_a_stale_read_is_refused_and_the_newer_record_stays()
    {
        var store = await OpenStoreAsync();
        await store.InsertJobAsync(Job("jstale01") with { Status = JobStatus.Running }, CancellationToken.None);
        var read = (await store.GetJobAsync("jstale01", CancellationToken.None))!;

        bool cancel = await store.UpdateJobAsync(read with { CancelRequested = true }, CancellationToken.None);
        bool lateProgress = await store.UpdateJobAsync(read with { Progress = new JobProgressRecord(JobPhase.Training, 1, 5, 10, null, null, T0) }, CancellationToken.None);
        var stored = (await store.GetJobAsync("jstale01", CancellationToken.None))!;

        Assert.True(cancel);
        Assert.False(lateProgress);
        Assert.True(stored.CancelRequested);
        Assert.Null(stored.Progress);
        Assert.Equal(read.Version + 1, stored.Version);
        Assert.False(await store.UpdateJobAsync(Job("jnothere"), CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_job_is_deleted_only_at_the_version_it_was_read_at_and_only_once()
    {
        var store = await OpenStoreAsync();
        await store.InsertJobAsync(Job("jdelete1") with { Status = JobStatus.Cancelled, FinishedAt = T0 }, CancellationToken.None);
        await store.InsertJobAsync(Job("jdelete2"), CancellationToken.None);
        var read = (await store.GetJobAsync("jdelete1", CancellationToken.None))!;
        // Another writer (a resume) changes the record after it was read: the delete made from the old read loses.
        Assert.True(await store.UpdateJobAsync(read with { Status = JobStatus.Queued, FinishedAt = null }, CancellationToken.None));

        bool stale = await store.DeleteJobAsync("jdelete1", read.Version, CancellationToken.None);
        bool fresh = await store.DeleteJobAsync("jdelete1", read.Version + 1, CancellationToken.None);
        bool again = await store.DeleteJobAsync("jdelete1", read.Version + 1, CancellationToken.None);

        Assert.False(stale);
        Assert.True(fresh);
        Assert.False(again);
        Assert.Null(await store.GetJobAsync("jdelete1", CancellationToken.None));
        Assert.NotNull(await store.GetJobAsync("jdelete2", CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_progress_write_racing_a_cancel_from_another_node_is_redone_on_top_of_the_cancel()
    {
        var store = await OpenStoreAsync();
        await store.InsertJobAsync(Job("jrace01") with { Status = JobStatus.Running }, CancellationToken.None);
        // Two nodes: each has its own JobRecords, so only the store's version keeps them apart.
        var trainingNode = new JobRecords(store, new JobProgress(), TimeProvider.System);
        var otherNode = new JobRecords(store, new JobProgress(), TimeProvider.System);
        var progress = new JobProgressRecord(JobPhase.Training, 1, 5, 10, 100, 20, T0);
        int attempts = 0;

        var (_, after) = await trainingNode.UpdateAsync("jrace01", r =>
        {
            // The cancel lands between the training node's read and its write.
            if (++attempts == 1)
                otherNode.UpdateAsync("jrace01", c => c with { CancelRequested = true }, CancellationToken.None).GetAwaiter().GetResult();
            return r with { Progress = progress };
        }, CancellationToken.None);
        var stored = (await store.GetJobAsync("jrace01", CancellationToken.None))!;

        Assert.Equal(2, attempts);
        Assert.True(stored.CancelRequested, "the progress write must not undo the cancel");
        Assert.Equal(progress, stored.Progress);
        Assert.Equal(stored.Version, after!.Version);
    }

    [SkippableFact]
    public async Task Of_several_first_jobs_stored_at_once_one_is_kept_with_its_alias_and_none_once_there_is_a_model()
    {
        var store = await OpenStoreAsync();
        var modelsOnly = await OpenStoreAsync();
        await modelsOnly.InsertModelAsync(new ModelRecord
        {
            Id = "mfirst01", Dataset = "mnist", CreatedAt = T0, Config = new MlpConfig { HiddenSizes = [32], LatentDim = 2 }, Metrics = [],
        }, CancellationToken.None);

        bool[] stored = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(()
            => store.InsertFirstJobAsync(Job($"jfirst0{i}"), new AliasRecord("default", $"mfirst0{i}", T0), CancellationToken.None))));
        bool afterModel = await modelsOnly.InsertFirstJobAsync(Job("jfirst09"), new AliasRecord("default", "mfirst09", T0), CancellationToken.None);

        Assert.Single(stored, s => s);
        var job = Assert.Single(await store.ListJobsAsync(10, CancellationToken.None));
        var alias = Assert.Single(await store.ListAliasesAsync(CancellationToken.None));
        Assert.Equal(("default", "m" + job.Id[1..], T0), (alias.Alias, alias.ModelId, alias.UpdatedAt));
        Assert.False(afterModel);
        Assert.Empty(await modelsOnly.ListJobsAsync(10, CancellationToken.None));
        Assert.Null(await modelsOnly.GetAliasAsync("default", CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_model_reads_back_with_its_details_and_is_deleted_once()
    {
        var store = await OpenStoreAsync();
        var model = new ModelRecord
        {
            Id = "mround01", Name = "tiny", Dataset = "mnist", JobId = "jround01", CreatedAt = T0,
            Config = new MlpConfig { HiddenSizes = [32], LatentDim = 2 },
            Metrics = [new EpochMetrics(1, new LossSummary(180, 170, 10), new LossSummary(175, 166, 9), 0.5)],
            ClassNames = ["zero", "one"],
            Evaluation = new EvaluationRecord(100, -150.5, -148.25, 16, 2, 140.5, 10, null, 0.75),
            TrainingSeconds = 0.5,
            Device = "cuda",
        };
        await store.InsertModelAsync(model, CancellationToken.None);
        await store.InsertModelAsync(model with { Id = "mround02", CreatedAt = T0.AddSeconds(1), ClassNames = null, Evaluation = null }, CancellationToken.None);

        var read = await store.GetModelAsync("mround01", CancellationToken.None);
        var listed = await store.ListModelsAsync(CancellationToken.None);

        // The store numbers the versions of a name: this is the first model named "tiny".
        Assert.Equal(JsonSerializer.Serialize(model with { Version = 1 }, Json), JsonSerializer.Serialize(read, Json));
        Assert.Equal(["mround02", "mround01"], listed.Select(m => m.Id));
        Assert.Equal([2, 1], listed.Select(m => m.Version));
        Assert.True(await store.DeleteModelAsync("mround01", CancellationToken.None));
        Assert.False(await store.DeleteModelAsync("mround01", CancellationToken.None));
        Assert.Null(await store.GetModelAsync("mround01", CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_sweep_reads_back_with_its_base_request_as_sent_and_sweeps_list_newest_first()
    {
        var store = await OpenStoreAsync();
        // Fields out of any canonical order: a sweep keeps the client's request as it came.
        var sweep = new SweepRecord
        {
            Id = "sround01", Name = "betas", CreatedAt = T0,
            Base = (JsonObject)JsonNode.Parse("""{"epochs": 2, "model": {"latentDim": 2, "family": "mlp"}, "dataset": "mnist"}""")!,
            Grid = [new SweepAxis("model.beta", [JsonValue.Create(0.5), JsonValue.Create(1.0)])],
            Points = [new SweepPointRecord([0], "jsweep01"), new SweepPointRecord([1], "jsweep02")],
        };
        await store.InsertSweepAsync(sweep, CancellationToken.None);
        await store.InsertSweepAsync(sweep with { Id = "sround02", CreatedAt = T0.AddSeconds(1) }, CancellationToken.None);

        var read = await store.GetSweepAsync("sround01", CancellationToken.None);
        var listed = await store.ListSweepsAsync(10, CancellationToken.None);

        Assert.Equal(JsonSerializer.Serialize(sweep, Json), JsonSerializer.Serialize(read, Json));
        Assert.Equal(["epochs", "model", "dataset"], read!.Base.Select(p => p.Key));
        Assert.Equal(["sround02", "sround01"], listed.Select(x => x.Id));
        Assert.Null(await store.GetSweepAsync("snothere", CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_blob_reads_back_byte_for_byte_and_a_second_write_replaces_it_whole()
    {
        var blobs = await OpenBlobsAsync();
        var first = new byte[5_000_000];
        new Random(1).NextBytes(first);
        var second = new byte[1_000];
        new Random(2).NextBytes(second);

        await blobs.PutAsync("models/mblob01.safetensors", (s, ct) => s.WriteAsync(first, ct).AsTask(), CancellationToken.None);
        var readFirst = await ReadAllAsync(await blobs.OpenReadAsync("models/mblob01.safetensors", CancellationToken.None));
        await blobs.PutAsync("models/mblob01.safetensors", (s, ct) => s.WriteAsync(second, ct).AsTask(), CancellationToken.None);
        var readSecond = await ReadAllAsync(blobs.OpenRead("models/mblob01.safetensors"));

        Assert.Equal(first, readFirst);
        Assert.Equal(second, readSecond);
    }

    [SkippableFact]
    public async Task A_missing_blob_reads_as_null_and_a_deleted_one_is_gone()
    {
        var blobs = await OpenBlobsAsync();
        await blobs.PutAsync("checkpoints/jblob01/checkpoint.safetensors", (s, ct) => s.WriteAsync(new byte[] { 1, 2, 3 }, ct).AsTask(), CancellationToken.None);

        Assert.Null(await blobs.OpenReadAsync("models/nothere.safetensors", CancellationToken.None));
        Assert.Null(blobs.OpenRead("models/nothere.safetensors"));
        Assert.True(await blobs.DeleteAsync("checkpoints/jblob01/checkpoint.safetensors", CancellationToken.None));
        Assert.False(await blobs.DeleteAsync("checkpoints/jblob01/checkpoint.safetensors", CancellationToken.None));
        Assert.Null(await blobs.OpenReadAsync("checkpoints/jblob01/checkpoint.safetensors", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => blobs.OpenReadAsync("../outside", CancellationToken.None));
    }

    private static async Task<byte[]> ReadAllAsync(Stream? stream)
    {
        Assert.NotNull(stream);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }
}
