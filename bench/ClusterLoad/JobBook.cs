namespace ClusterLoad;

/// <summary>A job submitted during the run: where it went, and whether (and where) a cancel was sent.</summary>
public sealed record SubmittedJob(string Id, int Number, int SubmittedTo)
{
    /// <summary>The node the cancel went to, and its answer's status (0: no answer); null when not cancelled.</summary>
    public (int Node, int Status)? Cancel { get; set; }
}

/// <summary>The jobs the run knows of: the ones it submitted, and every id the clients may ask about.</summary>
public sealed class JobBook
{
    private readonly List<SubmittedJob> _submitted = [];
    private string[] _ids = [];
    private readonly Lock _gate = new();

    public void AddKnownId(string id)
    {
        lock (_gate) _ids = [.. _ids, id];
    }

    public void Add(SubmittedJob job)
    {
        lock (_gate)
        {
            _submitted.Add(job);
            _ids = [.. _ids, job.Id];
        }
    }

    /// <summary>Any id the run knows, for GET /api/jobs/{id}; null before there is one.</summary>
    public string? AnyId(Random random)
    {
        var ids = Volatile.Read(ref _ids);
        return ids.Length == 0 ? null : ids[random.Next(ids.Length)];
    }

    public IReadOnlyList<SubmittedJob> Submitted { get { lock (_gate) return [.. _submitted]; } }
}
