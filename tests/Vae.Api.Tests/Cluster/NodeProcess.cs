using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// A service node as a process of its own (the built Vae.Api.dll run by dotnet), so that a test can
/// kill it as abruptly as a crash does: SIGKILL, no shutdown, no goodbye to the database.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _stateDirectory;
    private readonly ITestOutputHelper _output;
    private readonly string _name;

    private NodeProcess(Process process, string stateDirectory, Uri address, string name, ITestOutputHelper output)
    {
        _process = process;
        _stateDirectory = stateDirectory;
        _output = output;
        _name = name;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    /// <summary>Completes when the node's process exits, saying so.</summary>
    public async Task<string> GoneAsync()
    {
        await _process.WaitForExitAsync();
        return $"node {_name} exited with code {_process.ExitCode}";
    }

    /// <summary>Starts a node on the database and waits until it answers /health; skips the test when the service was not built beside the tests.</summary>
    public static async Task<NodeProcess> StartAsync(string connectionString, string nodeId, ITestOutputHelper output, IDictionary<string, string>? settings = null)
    {
        string? dll = FindService();
        Skip.If(dll is null, "The service's build output (src/Vae.Api/bin/<configuration>/net10.0/Vae.Api.dll) was not found: build the solution to run the tests that start node processes.");
        int port = FreePort();
        string state = Directory.CreateTempSubdirectory("vae-node-").FullName;
        var start = new ProcessStartInfo("dotnet", [dll!])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Storage__Provider"] = "postgres",
            ["Storage__ConnectionString"] = connectionString,
            ["Storage__Directory"] = state,
            ["Cluster__NodeId"] = nodeId,
            ["Cluster__JobPollSeconds"] = "1",
            ["Cluster__CheckinSeconds"] = "1",
            ["Jobs__SeedDefaultJob"] = "false",
            ["Jobs__TrainingThreads"] = "1",
            ["Jobs__MaxConcurrentJobs"] = "1",
            ["Jobs__ProgressIntervalSeconds"] = "0.5",
            ["Datasets__TrainLimit"] = "1000",
            ["Datasets__TestLimit"] = "200",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (settings is not null) foreach (var (k, v) in settings) environment[k] = v;
        foreach (var (k, v) in environment) start.Environment[k] = v;
        var process = Process.Start(start)!;
        var node = new NodeProcess(process, state, new Uri($"http://127.0.0.1:{port}"), nodeId, output);
        process.OutputDataReceived += (_, e) => node.Log(e.Data);
        process.ErrorDataReceived += (_, e) => node.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ClusterNodes.WaitHealthyAsync(node.Client, TimeSpan.FromSeconds(60),
            gone: () => process.HasExited ? $"node {nodeId} exited with code {process.ExitCode} while starting" : null);
        return node;
    }

    /// <summary>Ends the process with SIGKILL, as a crash or the OOM killer would, and waits until it is gone.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    private void Log(string? line)
    {
        if (line is null) return;
        try { _output.WriteLine($"[{_name}] {line}"); }
        catch (InvalidOperationException) { } // the test has ended; the line has nowhere to go
    }

    private static string? FindService()
    {
        // The tests' own folder is bin/<configuration>/<framework>: the service is built with the same ones.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = here.Name, configuration = here.Parent!.Name;
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "Vae.Api", "bin", configuration, framework, "Vae.Api.dll");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        try { Directory.Delete(_stateDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
