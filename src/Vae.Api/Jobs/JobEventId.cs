using System.Globalization;

namespace Vae.Api.Jobs;

/// <summary>
/// The id of an event of a job's stream (GET /api/jobs/{id}/events), and what a client that sends it
/// back as Last-Event-ID has seen: "attempt.epochs.batch.version". The first three are a place in
/// the training (the run, the epochs finished, the batch of the next epoch), the last the version
/// of the job record whose status the client was sent last. All four come from what the job
/// record stores and the training reports, never from a node's memory, so any node can resume a
/// stream from an id another node sent. Ids grow: each event moves the place on, or brings a newer
/// record.
/// </summary>
public readonly record struct JobEventId(int Attempt, int Epochs, int Batch, long Version) : IComparable<JobEventId>
{
    /// <summary>The place of a batch event: batch <see cref="BatchProgressView.Batch"/> of the epoch after those finished.</summary>
    public static JobEventId Of(BatchProgressView b, long version) => new(b.Attempt, b.Epoch - 1, b.Batch, version);

    /// <summary>The place of an epoch event: that many epochs finished.</summary>
    public static JobEventId Of(EpochProgressView m, long version) => new(m.Attempt, m.Epoch, 0, version);

    /// <summary>The place a job's view stands at: its attempts, its epochs, and the batch its progress names within the next epoch.</summary>
    public static JobEventId Of(JobView job, long version)
    {
        int batch = job.Progress is { Phase: Storage.JobPhase.Training } p && p.Epoch == job.CurrentEpoch + 1 ? p.Batch : 0;
        return new(job.Attempts.Count, job.CurrentEpoch, batch, version);
    }

    /// <summary>Whether this place in the training comes after <paramref name="other"/>'s (versions aside).</summary>
    public bool IsAfter(JobEventId other) => (Attempt, Epochs, Batch).CompareTo((other.Attempt, other.Epochs, other.Batch)) > 0;

    /// <summary>The later place of the two, with the later version of the two.</summary>
    public JobEventId Max(JobEventId other)
    {
        var place = other.IsAfter(this) ? other : this;
        return place with { Version = Math.Max(Version, other.Version) };
    }

    public int CompareTo(JobEventId other) => (Attempt, Epochs, Batch, Version).CompareTo((other.Attempt, other.Epochs, other.Batch, other.Version));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Attempt}.{Epochs}.{Batch}.{Version}");

    /// <summary>Reads an id as <see cref="ToString"/> writes it; false for anything else.</summary>
    public static bool TryParse(string? text, out JobEventId id)
    {
        id = default;
        var parts = text?.Trim().Split('.');
        if (parts is not { Length: 4 }) return false;
        const NumberStyles digits = NumberStyles.None;
        if (!int.TryParse(parts[0], digits, CultureInfo.InvariantCulture, out int attempt)
            || !int.TryParse(parts[1], digits, CultureInfo.InvariantCulture, out int epochs)
            || !int.TryParse(parts[2], digits, CultureInfo.InvariantCulture, out int batch)
            || !long.TryParse(parts[3], digits, CultureInfo.InvariantCulture, out long version)) return false;
        id = new JobEventId(attempt, epochs, batch, version);
        return true;
    }

    public static bool operator <(JobEventId a, JobEventId b) => a.CompareTo(b) < 0;
    public static bool operator >(JobEventId a, JobEventId b) => a.CompareTo(b) > 0;
    public static bool operator <=(JobEventId a, JobEventId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(JobEventId a, JobEventId b) => a.CompareTo(b) >= 0;
}
