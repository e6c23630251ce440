using Vae.Engine.Backends.Cpu;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;
using Vae.Api.Models;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Training;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// A node killed with SIGKILL in the middle of an epoch: the cluster notices, another node resumes
/// the job from the last checkpoint in the database, every epoch is recorded exactly once, and the
/// model equals what training on from that checkpoint gives without any interruption.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeCrashTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly ClusterNodes _cluster = new(output);

    [SkippableFact]
    public async Task A_job_whose_node_is_killed_mid_epoch_resumes_on_another_node_and_ends_as_an_uninterrupted_run_from_the_checkpoint_would()
    {
        const int epochs = 4;
        string database = await server.CreateDatabaseAsync();
        using var gate = new GateFolder();
        // The kill lands while the node is held in the middle of epoch 3, two epochs checkpointed.
        gate.Hold("mid-epoch-3", new FileTrainingGate.Hold(Job: null, TrainingStep.Batch, Epoch: 3, Batch: 5));
        using var crashing = await NodeProcess.StartAsync(database, "node-a", output,
            new Dictionary<string, string> { ["Testing__TrainingGateDirectory"] = gate.Directory });
        var submitted = await crashing.Client.SubmitAsync(new
        {
            model = new { family = "mlp", hiddenSizes = new[] { 64 }, latentDim = 2 },
            epochs, batchSize = 100, maxTrainImages = 1000, maxTestImages = 200, seed = 7, evaluation = new { enabled = false },
        });
        var point = await gate.ReachedAsync("mid-epoch-3", crashing.GoneAsync());
        Assert.Equal(submitted.Id, point.JobId);
        var before = await crashing.Client.GetJobAsync(submitted.Id);
        Assert.Equal([1, 2], before.Epochs.Select(e => e.Epoch));

        crashing.KillHard();
        var checkpoint = await ClusterNodes.StoredCheckpointAsync(database, submitted.Id);
        Assert.NotNull(checkpoint);
        string resumeFrom = Directory.CreateTempSubdirectory("vae-resume-").FullName;
        await File.WriteAllBytesAsync(Path.Combine(resumeFrom, TrainingCheckpoint.FileName), checkpoint!);
        output.WriteLine($"killed node-a held at {point}");

        var resumed = _cluster.Gate.HoldAtStart(submitted.Id);
        var survivor = _cluster.Node(database, "node-b", checkinSeconds: 1);
        var client = survivor.CreateClient();
        Assert.Equal(3, (await resumed.ReachedAsync()).Epoch); // from the checkpoint of epoch 2
        resumed.Release();
        var after = await client.WaitUntilFinishedAsync(submitted.Id);

        Assert.True(after.Status == JobStatus.Succeeded, $"status {after.Status}, error {after.Error}");
        Assert.Equal("node-b", after.Node);
        Assert.Equal(Enumerable.Range(1, epochs), after.Epochs.Select(e => e.Epoch));
        for (int i = 0; i < before.Epochs.Count; i++) Assert.Equal(before.Epochs[i], after.Epochs[i]);

        // The reference: the same plan trained on, uninterrupted, from the checkpoint the survivor found.
        var job = (await survivor.Services.GetRequiredService<IVaeStore>().GetJobAsync(submitted.Id, CancellationToken.None))!;
        var datasets = survivor.Services.GetRequiredService<DatasetCatalog>();
        var (plan, problems) = await TrainingRequestValidation.RecheckAsync(job.Request, datasets, survivor.Services.GetRequiredService<IOptions<JobsOptions>>().Value, CancellationToken.None);
        Assert.True(plan is not null, string.Join("; ", problems));
        var data = await datasets.OpenAsync(plan!.Dataset.Id, CancellationToken.None);
        var reference = ModelRegistry.Create(plan.Model, plan.Training.Seed, CpuBackend.Instance);
        var trainer = new Trainer(reference, plan.Training with { Threads = 1, CheckpointDirectory = resumeFrom });
        var history = trainer.Fit(data.Train.Take(plan.MaxTrainImages), data.Test.Take(plan.MaxTestImages));
        var published = survivor.Services.GetRequiredService<ModelStore>().Load(after.ModelId!, CpuBackend.Instance).Model;

        // Epochs from the checkpoint come back as they were; those after it were trained again by both runs.
        for (int i = 0; i < epochs; i++)
        {
            Assert.Equal(history[i].Train.AsView(), after.Epochs[i].Train);
            Assert.Equal(history[i].Test.AsView(), after.Epochs[i].Test);
        }
        var expected = reference.NamedState().ToDictionary(s => s.Name, s => s.Tensor.ToArray());
        var actual = published.NamedState().ToDictionary(s => s.Name, s => s.Tensor.ToArray());
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected) Assert.True(values.SequenceEqual(actual[name]), $"{name} differs from the uninterrupted run's");
        Directory.Delete(resumeFrom, recursive: true);
    }

    public void Dispose() => _cluster.Dispose();
}
