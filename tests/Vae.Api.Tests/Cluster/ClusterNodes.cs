using System.Globalization;
using System.Net.Http.Json;
using Npgsql;
using Vae.Api.Jobs;
using Vae.Api.Infrastructure;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// Service nodes (in-process hosts, each with a state folder of its own) on one PostgreSQL database,
/// sharing one training gate (a hold is taken by whichever node reaches it first), disposed together.
/// </summary>
public sealed class ClusterNodes(ITestOutputHelper output) : IDisposable
{
    private readonly List<ServiceFactory> _nodes = [];

    /// <summary>The training gate of every node of this cluster.</summary>
    public TestTrainingGate Gate { get; } = new();

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
        var node = new ServiceFactory(output, settings: all, gate: Gate);
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    /// <summary>Nodes "node-a" and "node-b" on the database, started at the same moment (both create the schema).</summary>
    public async Task<(HttpClient A, HttpClient B, ServiceFactory NodeA, ServiceFactory NodeB)> TwoAsync(
        string connectionString, double progressIntervalSeconds = 0.5, double checkinSeconds = 7.5, IDictionary<string, string?>? settings = null)
    {
        var a = Node(connectionString, "node-a", progressIntervalSeconds, checkinSeconds, settings);
        var b = Node(connectionString, "node-b", progressIntervalSeconds, checkinSeconds, settings);
        var clients = await Task.WhenAll(Task.Run(a.CreateClient), Task.Run(b.CreateClient));
        return (clients[0], clients[1], a, b);
    }

    /// <summary>A small MLP job; <paramref name="trainImages"/> sets how long an epoch takes.</summary>
    public static object TinyJob(int epochs, int trainImages = 500)
        => new { model = new { family = "mlp", hiddenSizes = new[] { 32 }, latentDim = 2 }, epochs, batchSize = 100, maxTrainImages = trainImages };

    /// <summary>
    /// Asks the node's /health until it answers 200 (a node starting, or recovering from an outage);
    /// fails with the last answer after <paramref name="timeout"/>, or at once when <paramref name="gone"/> says the node is gone.
    /// </summary>
    public static async Task<HealthApi.HealthView> WaitHealthyAsync(HttpClient node, TimeSpan timeout, Func<string?>? gone = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (true)
        {
            if (gone?.Invoke() is { } why) Assert.Fail(why);
            try
            {
                var response = await node.GetAsync("/health");
                if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<HealthApi.HealthView>(JobsClient.Json))!;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message; // not listening yet
            }
            Assert.True(DateTime.UtcNow < deadline, $"{node.BaseAddress} was not healthy within {timeout.TotalSeconds} s: {last}");
            await Task.Delay(100);
        }
    }

    /// <summary>The job's training checkpoint as stored in the database; null when there is none.</summary>
    public static async Task<byte[]?> StoredCheckpointAsync(string database, string jobId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT data FROM vae_blobs WHERE key = $1;", connection);
        command.Parameters.AddWithValue(JobCheckpoints.KeyOf(jobId));
        return await command.ExecuteScalarAsync() as byte[];
    }

    /// <summary>The client of the node that is not <paramref name="nodeId"/>, of two.</summary>
    public static HttpClient Other(string nodeId, HttpClient a, HttpClient b) => nodeId == "node-a" ? b : a;

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
    }
}
