namespace Vae.Api.Security;

/// <summary>
/// What an endpoint (or a group of them) needs, put on it as metadata and enforced by
/// <see cref="AccessRules"/> before the handler runs. <paramref name="EvenWhenReadsAreOpen"/> keeps
/// a read behind the rule when Security:RequireKeyForReads is off (the metrics, the job dashboard).
/// <paramref name="What"/> names it in refusals: "changes", "the metrics".
/// </summary>
public sealed record AccessRequirement(AccessScope Scope, string What, bool EvenWhenReadsAreOpen = false)
{
    public static readonly AccessRequirement Read = new(AccessScope.Read, "reads (lists, images, weights and scores)");

    public static readonly AccessRequirement Write = new(AccessScope.Write,
        "changes (creating or cancelling jobs and sweeps, uploading or deleting datasets, deleting models or their latent directions)");

    public static readonly AccessRequirement Metrics = new(AccessScope.Read, "the metrics", EvenWhenReadsAreOpen: true);

    public static readonly AccessRequirement Dashboard = new(AccessScope.Read, "the job dashboard's pages", EvenWhenReadsAreOpen: true);

    public static readonly AccessRequirement DashboardChanges = new(AccessScope.Admin, "changes in the job dashboard (retry, delete)");

    /// <summary>The strongest of an endpoint's requirements: a write inside a group of reads is a write.</summary>
    public static AccessRequirement? Strongest(IEnumerable<AccessRequirement> all)
    {
        AccessRequirement? strongest = null;
        foreach (var r in all)
        {
            if (strongest is null || r.Scope > strongest.Scope || (r.Scope == strongest.Scope && r.EvenWhenReadsAreOpen)) strongest = r;
        }
        return strongest;
    }

    /// <summary>Whether a request must prove anything, given whether reads need a key.</summary>
    public bool IsGuarded(bool keyForReads) => Scope > AccessScope.Read || EvenWhenReadsAreOpen || keyForReads;
}
