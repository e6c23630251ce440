namespace Vae.Api.Cluster;

/// <summary>This process as one node of several ("Cluster" section).</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";
    /// <summary>Names this node in job records and GET /health; default: the machine name and the process id.</summary>
    public string? NodeId { get; set; }
    /// <summary>
    /// With PostgreSQL, how often an idle node asks the database for queued jobs. A queued job wakes the
    /// idle nodes at once (a notification); this is the fallback, and the pace at which a job taken back
    /// from a dead node is found.
    /// </summary>
    public double JobPollSeconds { get; set; } = 2;
    /// <summary>
    /// With PostgreSQL, how often a node records that it is alive and renews its hold on the jobs it runs.
    /// A job whose hold has not been renewed for four times this (its node died) is resumed by another
    /// node from its checkpoint.
    /// </summary>
    public double CheckinSeconds { get; set; } = 7.5;
    /// <summary>The shortest gap between two batch events of one job relayed to the other nodes (epochs and status changes always go).</summary>
    public double BatchRelaySeconds { get; set; } = 0.25;
}
