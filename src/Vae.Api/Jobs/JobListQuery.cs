using System.ComponentModel;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Jobs;

/// <summary>The query of GET /api/jobs: a page, optionally of one status, dataset or name.</summary>
public sealed record JobListQuery(
    [property: Description(Paging.LimitDescription)] int? Limit = null,
    [property: Description(Paging.CursorDescription)] string? Cursor = null,
    [property: Description("Only the jobs in this state: queued, running, succeeded, failed or cancelled.")] string? Status = null,
    [property: Description("Only the jobs training on this dataset (mnist, fashion-mnist, cifar10 or an upload's id, case ignored).")] string? Dataset = null,
    [property: Description("Only the jobs of this name (the name their models are registered under).")] string? Name = null)
{
    /// <summary>The filter and the page asked for, or the parameter at fault.</summary>
    public (JobFilter? Filter, PageRequest? Page, QueryProblem? Problem) Read()
    {
        var (status, badStatus) = StatusQuery<JobStatus>.Read(Status);
        if (badStatus is not null) return (null, null, badStatus);
        var (page, problem) = Paging.Read(Limit, Cursor);
        return problem is not null ? (null, null, problem) : (new JobFilter(status, Dataset, Name), page, null);
    }
}
