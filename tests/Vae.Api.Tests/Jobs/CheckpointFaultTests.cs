using Vae.Engine.Backends.Cpu;
using System.Diagnostics;
using System.Net;
using Vae.Api.Jobs;
using Vae.Api.Storage;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Jobs;

/// <summary>
/// The disk fails a job between epochs (embedded store): the checkpoints folder runs out of space,
/// or stops accepting writes. The job fails saying so, the previous epoch's checkpoint stays as it
/// was, and once the folder is writable again the job can be resumed from it. The faults are real:
/// a small tmpfs and an immutable folder, which need root (CAP_SYS_ADMIN, CAP_LINUX_IMMUTABLE); the
/// tests skip, saying so, where those are not allowed.
/// </summary>
public sealed class CheckpointFaultTests(ITestOutputHelper output)
{
    private static readonly MlpConfig Model = new() { HiddenSizes = [256], LatentDim = 2 };

    [SkippableFact]
    public async Task A_full_disk_on_the_last_attempt_fails_the_job_with_that_reason_and_leaves_the_previous_checkpoint_intact()
    {
        string state = Directory.CreateTempSubdirectory("vae-full-").FullName;
        string checkpoints = Path.Combine(state, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        // Room for one checkpoint and half of another: the first epoch's fits, the second's runs out of
        // space while it is written beside the first.
        long checkpointBytes = ModelRegistry.Create(Model with { Channels = 1, Height = 28, Width = 28 }, 0, CpuBackend.Instance).ParameterCount() * 12;
        Mount(checkpoints, checkpointBytes * 3 / 2);
        try
        {
            using var service = new ServiceFactory(output, stateDirectory: state, settings: OneAttempt);
            var client = service.CreateClient();
            var job = await client.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 256 }, latentDim = 2 }, epochs = 4, batchSize = 100 });
            var failed = await client.WaitUntilFinishedAsync(job.Id, timeoutSeconds: 300);

            output.WriteLine($"error: {failed.Error}");
            Assert.Equal(JobStatus.Failed, failed.Status);
            Assert.Contains("No space left on device", failed.Error);
            Assert.Contains("checkpoint of epoch 2", failed.Error);
            Assert.Single(failed.Epochs);
            Assert.Equal(1, StoredEpoch(Path.Combine(checkpoints, job.Id)));
            Assert.Single(Directory.GetFiles(Path.Combine(checkpoints, job.Id))); // the half-written file is gone
        }
        finally
        {
            Run("umount", "-l", checkpoints);
            Directory.Delete(state, recursive: true);
        }
    }

    [SkippableFact]
    public async Task A_folder_that_refuses_writes_on_the_last_attempt_fails_the_job_with_that_reason_and_once_writable_the_job_resumes_from_the_kept_checkpoint()
    {
        const int epochs = 3;
        RequireImmutableFolders();
        using var service = new ServiceFactory(output, settings: OneAttempt);
        var client = service.CreateClient();
        // The folder is locked while the job waits between its first and second epochs.
        var held = service.Gate.Hold(p => p.Step == TrainingStep.EpochEnded && p.Epoch == 1, "the end of epoch 1");
        var job = await client.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 64 }, latentDim = 2 }, epochs, batchSize = 100 });
        await held.ReachedAsync();
        string folder = Path.Combine(service.StateDirectory, "checkpoints", job.Id);
        SetImmutable(folder, true);
        JobView failed;
        try
        {
            held.Release();
            failed = await client.WaitUntilFinishedAsync(job.Id);
        }
        finally
        {
            SetImmutable(folder, false);
        }

        output.WriteLine($"error: {failed.Error}");
        Assert.Equal(JobStatus.Failed, failed.Status);
        int kept = failed.Epochs.Count;
        Assert.Equal(1, kept);
        Assert.Contains("checkpoint of epoch 2 could not be written", failed.Error);
        Assert.Contains("denied", failed.Error);
        Assert.Equal(kept, StoredEpoch(folder));

        var resumed = await client.PostAsync($"/api/jobs/{job.Id}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var done = await client.WaitUntilFinishedAsync(job.Id);
        Assert.True(done.Status == JobStatus.Succeeded, $"status {done.Status}, error {done.Error}");
        Assert.Equal(Enumerable.Range(1, epochs), done.Epochs.Select(e => e.Epoch));
        for (int i = 0; i < kept; i++) Assert.Equal(failed.Epochs[i], done.Epochs[i]); // not trained again
        Assert.False(Directory.Exists(folder), "a finished job leaves no checkpoint behind");
        var again = await client.PostAsync($"/api/jobs/{job.Id}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("succeeded; its model is", (await again.ProblemAsync()).GetProperty("detail").GetString());
    }

    [SkippableFact]
    public async Task A_folder_that_refuses_writes_is_a_transient_failure_the_job_is_retried_and_resumes_from_the_kept_checkpoint()
    {
        const int epochs = 3;
        RequireImmutableFolders();
        using var service = new ServiceFactory(output, settings: new Dictionary<string, string?> { ["Jobs:MaxAttempts"] = "2", ["Jobs:RetryDelaySeconds"] = "0" });
        var client = service.CreateClient();
        var held = service.Gate.Hold(p => p.Step == TrainingStep.EpochEnded && p.Epoch == 1, "the end of epoch 1");
        // The second attempt starts where the first left off: at epoch 2.
        var retried = service.Gate.Hold(p => p.Step == TrainingStep.Started && p.Epoch == 2, "the start of the second attempt");
        var job = await client.SubmitAsync(new { model = new { family = "mlp", hiddenSizes = new[] { 64 }, latentDim = 2 }, epochs, batchSize = 100 });
        await held.ReachedAsync();
        string folder = Path.Combine(service.StateDirectory, "checkpoints", job.Id);
        SetImmutable(folder, true);
        JobView during;
        try
        {
            held.Release();
            await retried.ReachedAsync();
            during = await client.GetJobAsync(job.Id);
        }
        finally
        {
            SetImmutable(folder, false);
        }
        retried.Release();
        var done = await client.WaitUntilFinishedAsync(job.Id);

        Assert.Equal(JobStatus.Running, during.Status);
        Assert.Equal(2, during.Attempts.Count);
        Assert.Contains("checkpoint of epoch 2 could not be written", during.Attempts[0].Error);
        Assert.NotNull(during.Attempts[0].EndedAt);
        Assert.Null(during.Attempts[1].EndedAt);
        Assert.True(done.Status == JobStatus.Succeeded, $"status {done.Status}, error {done.Error}");
        Assert.Equal(Enumerable.Range(1, epochs), done.Epochs.Select(e => e.Epoch));
        Assert.Equal(2, done.Attempts.Count);
        Assert.Null(done.Attempts[1].Error);
        Assert.Null(done.Waiting);
    }

    // A new dictionary each time: a factory adds its own settings to the one it is given.
    private static Dictionary<string, string?> OneAttempt => new() { ["Jobs:MaxAttempts"] = "1" };

    private static int StoredEpoch(string folder)
        => int.Parse(SafeTensors.Read(Path.Combine(folder, TrainingCheckpoint.FileName)).Metadata["epoch"], System.Globalization.CultureInfo.InvariantCulture);

    private static void Mount(string folder, long bytes)
    {
        var (ok, error) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", folder);
        Skip.IfNot(ok, $"A small tmpfs cannot be mounted here ({error.Trim()}): the full-disk test needs root with CAP_SYS_ADMIN.");
    }

    /// <summary>Skips the test unless folders can be made immutable here.</summary>
    private static void RequireImmutableFolders()
    {
        string probe = Directory.CreateTempSubdirectory("vae-chattr-").FullName;
        var (ok, error) = Run("chattr", "+i", probe);
        if (ok) Run("chattr", "-i", probe);
        Directory.Delete(probe);
        Skip.IfNot(ok, $"A folder cannot be made immutable here ({error.Trim()}): the unwritable-folder test needs root with CAP_LINUX_IMMUTABLE on a file system with attributes.");
    }

    private static void SetImmutable(string folder, bool on)
    {
        var (ok, error) = Run("chattr", on ? "+i" : "-i", folder);
        Assert.True(ok, $"chattr {(on ? "+i" : "-i")} {folder} failed: {error}");
    }

    private static (bool Ok, string Error) Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode == 0, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (false, $"{command} is not installed: {e.Message}");
        }
    }
}
