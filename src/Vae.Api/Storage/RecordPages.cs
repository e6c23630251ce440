namespace Vae.Api.Storage;

/// <summary>
/// Where a page of a list ends: the creation time and insertion order of its last record. Lists are
/// newest first by (created_at, insertion order), so the next page is every record strictly before
/// this position, whatever was inserted since: a cursor never skips or repeats a record.
/// </summary>
public sealed record PagePosition(DateTimeOffset CreatedAt, long Sequence);

/// <summary>At most <paramref name="Limit"/> records, after <paramref name="After"/> (from the newest when null).</summary>
public sealed record PageRequest(int Limit, PagePosition? After = null)
{
    /// <summary>Every record, in one page.</summary>
    public static PageRequest All { get; } = new(int.MaxValue);
}

/// <summary>One page of records; <paramref name="Next"/> is where the next page starts, null on the last page.</summary>
public sealed record RecordPage<T>(IReadOnlyList<T> Items, PagePosition? Next);

/// <summary>Which jobs a list holds; null matches any. The dataset matches ignoring case, the name exactly.</summary>
public sealed record JobFilter(JobStatus? Status = null, string? Dataset = null, string? Name = null)
{
    public static JobFilter Any { get; } = new();
}

/// <summary>Which models a list holds; null matches any. The dataset matches ignoring case, the name exactly.</summary>
public sealed record ModelFilter(string? Dataset = null, string? Name = null)
{
    public static ModelFilter Any { get; } = new();
}

/// <summary>Which sweeps a list holds; null matches any. A sweep's status is read from its jobs, so it is filtered above the store.</summary>
public sealed record SweepFilter(string? Name = null)
{
    public static SweepFilter Any { get; } = new();
}
