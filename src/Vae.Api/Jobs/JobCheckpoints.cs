using Vae.Api.Storage;
using Vae.Engine.Checkpoints;

namespace Vae.Api.Jobs;

/// <summary>
/// Where a job's training checkpoint lives between epochs. The trainer always writes it into
/// <c>&lt;state&gt;/checkpoints/&lt;job id&gt;/</c> on this machine. With the embedded store that folder is
/// the blob store itself, and nothing more happens. With PostgreSQL each epoch's file is also copied
/// into the database, and a node that takes the job over (after a restart or a crash of the node
/// that trained it) brings that copy back into its own folder before training resumes.
/// </summary>
public sealed class JobCheckpoints(IBlobStore blobs, StorageLocation storage, ILogger<JobCheckpoints> log)
{
    public static string KeyOf(string jobId) => $"checkpoints/{jobId}/{TrainingCheckpoint.FileName}";

    /// <summary>The folder the trainer checkpoints into.</summary>
    public string FolderOf(string jobId) => Path.Combine(storage.CheckpointsDirectory, jobId);

    /// <summary>Whether the folder is the store (files) rather than a copy of it (a database).</summary>
    private bool InPlace(string jobId) => blobs.LocalPathOf(KeyOf(jobId)) is not null;

    /// <summary>
    /// Makes the folder hold the stored checkpoint, if any, before training starts: a copy left in this
    /// node's folder by an earlier run may be older than what another node stored since.
    /// </summary>
    public async Task RestoreAsync(string jobId, CancellationToken ct)
    {
        if (InPlace(jobId)) return;
        string folder = FolderOf(jobId);
        DeleteFolder(jobId, folder);
        await using var stored = await blobs.OpenReadAsync(KeyOf(jobId), ct);
        if (stored is null) return;
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, TrainingCheckpoint.FileName);
        string temporary = path + ".restoring";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await stored.CopyToAsync(file, ct);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Called on the training thread after the trainer wrote an epoch's checkpoint, before the job
    /// record claims the epoch. A failed copy is logged and training goes on: a node taking the job
    /// over then resumes from the previous copy and trains the missing epochs again.
    /// </summary>
    public void Saved(string jobId)
    {
        if (InPlace(jobId)) return;
        string path = Path.Combine(FolderOf(jobId), TrainingCheckpoint.FileName);
        try
        {
            blobs.PutAsync(KeyOf(jobId), async (target, ct) =>
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await file.CopyToAsync(target, ct);
            }, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Job {JobId}: the checkpoint could not be copied to the database", jobId);
        }
    }

    /// <summary>Removes the checkpoint, here and in the store; failures are logged (leftovers are only disk space).</summary>
    public async Task DeleteAsync(string jobId)
    {
        DeleteFolder(jobId, FolderOf(jobId));
        if (InPlace(jobId)) return;
        try
        {
            await blobs.DeleteAsync(KeyOf(jobId), CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Job {JobId}: the stored checkpoint could not be removed", jobId);
        }
    }

    private void DeleteFolder(string jobId, string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "Job {JobId}: checkpoint folder {Folder} could not be removed", jobId, folder);
        }
    }
}
