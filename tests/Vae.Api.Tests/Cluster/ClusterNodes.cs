using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Service nodes in postgres mode, each a host with a state folder of its own, on databases of the
/// test server; all of them stopped when the test ends.
/// </summary>
internal sealed class ClusterNodes(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private readonly List<ServiceFactory> _nodes = [];

    public ServiceFactory Node(string connectionString, string nodeId, double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5)
    {
        var node = new ServiceFactory(output, settings: new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = connectionString,
            ["Cluster:NodeId"] = nodeId,
            ["Cluster:JobPollSeconds"] = "1",
            ["Jobs:ProgressIntervalSeconds"] = progressIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Jobs:MaxConcurrentJobs"] = "1",
            ["Cluster:CheckinSeconds"] = checkinSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    /// <summary>Nodes A and B on a new database, started at the same moment (both create the schema).</summary>
    public async Task<(HttpClient A, HttpClient B, ServiceFactory NodeA, ServiceFactory NodeB, string Database)> TwoAsync(
        double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5)
    {
        string database = await server.CreateDatabaseAsync();
        var a = Node(database, "node-a", progressIntervalSeconds, checkinSeconds);
        var b = Node(database, "node-b", progressIntervalSeconds, checkinSeconds);
        var clients = await Task.WhenAll(Task.Run(a.CreateClient), Task.Run(b.CreateClient));
        return (clients[0], clients[1], a, b, database);
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
    }
}
