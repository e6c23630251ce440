using System.Text.Json.Nodes;

namespace Vae.Api.Storage;

/// <summary>
/// A sweep as stored: what was asked (the base request and the grid) and which job trains each
/// point. Where the jobs stand is not copied here; it is read from the jobs themselves, so a sweep
/// record is written once and never updated.
/// </summary>
/// <remarks>
/// A sweep is its own record, not a mark on each job: the grid and the order of its points belong
/// to the sweep, a sweep is then found by id without reading every job, and the training request
/// (the body POST /api/jobs takes) gains no field that only sweeps may set.
/// </remarks>
public sealed record SweepRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>The training request every point starts from, as the client sent it.</summary>
    public required JsonObject Base { get; init; }
    /// <summary>The swept fields in the order given, each with its values.</summary>
    public required IReadOnlyList<SweepAxis> Grid { get; init; }
    /// <summary>One per combination of values, the last axis varying fastest.</summary>
    public required IReadOnlyList<SweepPointRecord> Points { get; init; }
}

/// <summary>One swept field: a dotted path into the training request ("model.beta") and its values.</summary>
public sealed record SweepAxis(string Key, IReadOnlyList<JsonNode?> Values);

/// <summary>One point of the grid: the index of its value on each axis, and the job that trains it.</summary>
public sealed record SweepPointRecord(IReadOnlyList<int> Indices, string JobId);
