using System.Diagnostics;
using Npgsql;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// A PostgreSQL server for the tests that need one: $VAE_TEST_POSTGRES when set (a connection string
/// whose user may create databases), else the development server of scripts/postgres-dev.sh, started
/// here when it is not running (and stopped again at the end, then). Each test takes a database of
/// its own, dropped when the run ends. When there is no server, <see cref="Unavailable"/> says why and
/// the tests skip with that reason.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly List<string> _databases = [];
    private string? _script;
    private bool _startedHere;

    /// <summary>Connection string of the server's administrative database; null when unavailable.</summary>
    public string? ConnectionString { get; private set; }

    /// <summary>Why there is no server, in words for the skip message; null when there is one.</summary>
    public string? Unavailable { get; private set; }

    public async Task InitializeAsync()
    {
        string? given = Environment.GetEnvironmentVariable("VAE_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
        }
        else
        {
            _script = FindScript();
            if (_script is null)
            {
                Unavailable = "scripts/postgres-dev.sh was not found above the test folder, and VAE_TEST_POSTGRES is not set.";
                return;
            }
            var (ok, output, error) = await RunScriptAsync("url");
            if (!ok)
            {
                (ok, output, error) = await RunScriptAsync("start");
                _startedHere = ok;
            }
            if (!ok)
            {
                Unavailable = $"PostgreSQL is not available: scripts/postgres-dev.sh start failed: {error.Trim()}";
                return;
            }
            ConnectionString = output.Trim();
        }

        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or TimeoutException)
        {
            Unavailable = $"PostgreSQL is not reachable with {(given is null ? "the development server's" : "VAE_TEST_POSTGRES's")} connection string: {e.Message}";
            ConnectionString = null;
        }
    }

    /// <summary>A new empty database on the server; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        Skip.If(Unavailable is not null, Unavailable);
        string name = "vae_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await command.ExecuteNonQueryAsync();
        }
        lock (_databases) _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (ConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync();
                foreach (string name in _databases)
                {
                    // FORCE: a host that is still closing may hold a connection.
                    await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE);", connection);
                    await command.ExecuteNonQueryAsync();
                }
            }
            catch (NpgsqlException)
            {
                // The server went away first; its databases went with it.
            }
        }
        if (_startedHere) await RunScriptAsync("stop");
    }

    internal static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "scripts", "postgres-dev.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private Task<(bool Ok, string Output, string Error)> RunScriptAsync(string verb) => RunScriptAsync(_script!, verb, dataDirectory: null);

    /// <summary>Runs scripts/postgres-dev.sh with a verb, for the server whose data lives in <paramref name="dataDirectory"/> (null: the default one).</summary>
    internal static async Task<(bool Ok, string Output, string Error)> RunScriptAsync(string script, string verb, string? dataDirectory)
    {
        var start = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (dataDirectory is not null) start.Environment["VAE_PG_DIR"] = dataDirectory;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (false, "", $"scripts/postgres-dev.sh {verb} did not finish within 3 minutes.");
        }
        return (process.ExitCode == 0, await output, await error);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    /// <summary>The tests that use PostgreSQL run one after another: each starts services of its own.</summary>
    public const string Name = "PostgreSQL";
}
