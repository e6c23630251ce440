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
        JobStatus? status = null;
        if (Status is not null)
        {
            if (!Enum.TryParse<JobStatus>(Status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || Status.Any(c => !char.IsLetter(c)))
                return (null, null, new("status", $"status must be one of {string.Join(", ", Enum.GetNames<JobStatus>().Select(n => n.ToLowerInvariant()))} (got \"{Status}\")."));
            status = parsed;
        }
        var (page, problem) = Paging.Read(Limit, Cursor);
        return problem is not null ? (null, null, problem) : (new JobFilter(status, Dataset, Name), page, null);
    }
}
