namespace Vae.Api.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of one test's own (scripts/postgres-dev.sh with a data folder of its own), so
/// the test can stop it and start it again, on the same port, without disturbing other tests.
/// Removed with its data when disposed.
/// </summary>
public sealed class PausablePostgres : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _directory;

    private PausablePostgres(string script, string directory, string connectionString)
    {
        _script = script;
        _directory = directory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>A new server; the test is skipped, with the reason, when there can be none here.</summary>
    public static async Task<PausablePostgres> StartAsync()
    {
        string? script = PostgresServer.FindScript();
        Skip.If(script is null, "scripts/postgres-dev.sh was not found above the test folder: there is no PostgreSQL this test may stop.");
        string directory = Path.Combine(Path.GetTempPath(), "vae-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var (ok, output, error) = await PostgresServer.RunScriptAsync(script!, "start", directory);
        Skip.IfNot(ok, $"A PostgreSQL of this test's own could not be started with scripts/postgres-dev.sh: {error.Trim()}");
        return new PausablePostgres(script!, directory, output.Trim());
    }

    /// <summary>Stops the server (fast shutdown: sessions are cut off), keeping its data.</summary>
    public async Task HaltAsync()
    {
        var (ok, _, error) = await PostgresServer.RunScriptAsync(_script, "halt", _directory);
        Assert.True(ok, "postgres-dev.sh halt failed: " + error);
    }

    /// <summary>Starts the halted server again on its port.</summary>
    public async Task ResumeAsync()
    {
        var (ok, output, error) = await PostgresServer.RunScriptAsync(_script, "start", _directory);
        Assert.True(ok, "postgres-dev.sh start failed: " + error);
        Assert.Equal(ConnectionString, output.Trim());
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await PostgresServer.RunScriptAsync(_script, "stop", _directory);
    }
}
