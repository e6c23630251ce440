namespace Vae.Engine.Checkpoints;

/// <summary>
/// An epoch's training checkpoint could not be written (a full disk, a folder that refuses writes).
/// Training stops rather than run on without a way back; the checkpoint of the epoch before is
/// left as it was, because checkpoints are written to a temporary file and renamed only when complete.
/// </summary>
public sealed class CheckpointWriteException(int epoch, string directory, Exception inner)
    : IOException($"The checkpoint of epoch {epoch} could not be written to {directory}: {inner.Message}", inner)
{
    /// <summary>The epoch whose checkpoint was being written.</summary>
    public int Epoch { get; } = epoch;

    public string Directory { get; } = directory;
}
