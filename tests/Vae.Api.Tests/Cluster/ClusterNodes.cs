using System.Globalization;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Service nodes (in-process hosts, each with a state folder of its own) on one PostgreSQL database,
/// disposed together.
/// </summary>
public sealed class ClusterNodes(ITestOutputHelper output) : IDisposable
{
    private readonly List<ServiceFactory> _nodes = [];

    public ServiceFactory Node(string connectionString, string nodeId, double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5,
        IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = connectionString,
            ["Cluster:NodeId"] = nodeId,
            ["Cluster:JobPollSeconds"] = "1",
            ["Jobs:ProgressIntervalSeconds"] = progressIntervalSeconds.ToString(CultureInfo.InvariantCulture),
            ["Jobs:MaxConcurrentJobs"] = "1",
            ["Cluster:CheckinSeconds"] = checkinSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (settings is not null) foreach (var (k, v) in settings) all[k] = v;
        var node = new ServiceFactory(output, settings: all);
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    /// <summary>Nodes "node-a" and "node-b" on the database, started at the same moment (both create the schema).</summary>
    public async Task<(HttpClient A, HttpClient B, ServiceFactory NodeA, ServiceFactory NodeB)> TwoAsync(
        string connectionString, double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5)
    {
        var a = Node(connectionString, "node-a", progressIntervalSeconds, checkinSeconds);
        var b = Node(connectionString, "node-b", progressIntervalSeconds, checkinSeconds);
        var clients = await Task.WhenAll(Task.Run(a.CreateClient), Task.Run(b.CreateClient));
        return (clients[0], clients[1], a, b);
    }

    /// <summary>A small MLP job; <paramref name="trainImages"/> sets how long an epoch takes.</summary>
    public static object TinyJob(int epochs, int trainImages = 500)
        => new { model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs, batchSize = 100, maxTrainImages = trainImages };

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
    }
}
