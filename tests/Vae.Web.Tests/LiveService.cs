using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Vae.Api.Jobs;
using Vae.Api.Tests;

namespace Vae.Web.Tests;

/// <summary>
/// The real service, in process, listening on a free loopback port (a browser cannot reach the
/// in-memory test server), with a throwaway state folder and small datasets.
/// </summary>
public sealed class LiveService : WebApplicationFactory<Program>
{
    public LiveService()
    {
        StateDirectory = Directory.CreateTempSubdirectory("vae-web-").FullName;
        UseKestrel(0);
    }

    public string StateDirectory { get; }

    /// <summary>Holds the service's training jobs at known points (see <see cref="TestTrainingGate"/>).</summary>
    public TestTrainingGate Gate { get; } = new();

    /// <summary>Where the service listens, such as http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public void Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        string address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The service started without an HTTP address (it has: {string.Join(", ", addresses)}).");
        BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("Storage:Directory", StateDirectory);
        builder.UseSetting("Datasets:TrainLimit", "2000");
        builder.UseSetting("Datasets:TestLimit", "500");
        builder.UseSetting("Jobs:SeedDefaultJob", "false");
        builder.UseSetting("Jobs:TrainingThreads", "1");
        // Every batch reaches the live chart, so a test can count them (streams send at most 4 a second by default).
        builder.UseSetting("Jobs:EventBatchIntervalSeconds", "0");
        // A visitor drawing and hovering sends many small requests; the tests do that quickly.
        builder.UseSetting("Security:PermitLimit", "100000");
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            // Warnings and errors go to a file beside the screenshots: what a failed browser test's server said.
            logging.AddProvider(new FileLog(Path.Combine(AppContext.BaseDirectory, "screenshots", "service.log")));
        });
        builder.ConfigureTestServices(services => services.AddSingleton<ITrainingGate>(Gate));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        try { Directory.Delete(StateDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Appends the service's warnings and errors to one file.</summary>
internal sealed class FileLog(string path) : ILoggerProvider
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private void Write(string line)
    {
        lock (_write)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }

    private sealed class Logger(FileLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) log.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
