using System.ComponentModel;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>The query of GET /api/sweeps: a page, optionally of one status or name.</summary>
public sealed record SweepListQuery(
    [property: Description(Paging.LimitDescription)] int? Limit = null,
    [property: Description(Paging.CursorDescription)] string? Cursor = null,
    [property: Description("Only the sweeps in this state: queued, running, succeeded, partiallySucceeded, failed or cancelled.")] string? Status = null,
    [property: Description("Only the sweeps of this name.")] string? Name = null)
{
    /// <summary>The status, the page and the store's filter asked for, or the parameter at fault.</summary>
    public (SweepStatus? Status, SweepFilter? Filter, PageRequest? Page, QueryProblem? Problem) Read()
    {
        var (status, badStatus) = StatusQuery<SweepStatus>.Read(Status);
        if (badStatus is not null) return (null, null, null, badStatus);
        var (page, problem) = Paging.Read(Limit, Cursor);
        return problem is not null ? (null, null, null, problem) : (status, new SweepFilter(Name), page, null);
    }
}
