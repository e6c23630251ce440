using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Vae.Api.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests;

/// <summary>
/// The real service on a throwaway state folder with small datasets. A second factory on the same
/// folder is a restart of the host. Settings can be overridden per test; logs go to the test output.
/// </summary>
public sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly ITestOutputHelper? _output;
    private readonly bool _ownsDirectory;
    private readonly Action<IServiceCollection>? _services;

    public ServiceFactory(ITestOutputHelper? output = null, string? stateDirectory = null, IDictionary<string, string?>? settings = null, IPAddress? remoteAddress = null,
        TestTrainingGate? gate = null, Action<IServiceCollection>? services = null)
    {
        _output = output;
        Gate = gate ?? new TestTrainingGate();
        Log = new LogRecorder(output);
        _services = services;
        _ownsDirectory = stateDirectory is null;
        StateDirectory = stateDirectory ?? Directory.CreateTempSubdirectory("vae-api-").FullName;
        RemoteAddress = remoteAddress;
        _settings = new Dictionary<string, string?>
        {
            ["Storage:Directory"] = StateDirectory,
            ["Datasets:TrainLimit"] = "1000",
            ["Datasets:TestLimit"] = "200",
            ["Jobs:SeedDefaultJob"] = "false",
            ["Jobs:TrainingThreads"] = "1",
            ["Security:PermitLimit"] = "100000",
        };
        if (settings is not null) foreach (var (k, v) in settings) _settings[k] = v;
    }

    public string StateDirectory { get; }

    /// <summary>The training gate of this host: holds jobs at known points (see <see cref="TestTrainingGate"/>).</summary>
    public TestTrainingGate Gate { get; }

    /// <summary>What the host has logged (information and above), as "Level category: message".</summary>
    public LogRecorder Log { get; }

    /// <summary>Pretend requests come from this address (null: in-process, treated as local).</summary>
    public IPAddress? RemoteAddress { get; }

    /// <summary>The same state folder and settings in a new host (with a gate of its own): a restart.</summary>
    public ServiceFactory Restart(IDictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>(_settings);
        if (settings is not null) foreach (var (k, v) in settings) merged[k] = v;
        return new ServiceFactory(_output, StateDirectory, merged, RemoteAddress, services: _services);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Log);
        });
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ITrainingGate>(Gate);
            if (RemoteAddress is not null) services.AddSingleton<IStartupFilter>(new RemoteAddressFilter(RemoteAddress));
            _services?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDirectory)
        {
            try { Directory.Delete(StateDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private sealed class RemoteAddressFilter(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) => { http.Connection.RemoteIpAddress = address; return nextMiddleware(http); });
            next(app);
        };
    }
}

/// <summary>
/// A host's log lines (information and above): written to the running test's output, and kept so a
/// test can wait for something the host says it did.
/// </summary>
public sealed class LogRecorder(ITestOutputHelper? output = null) : ILoggerProvider
{
    private readonly List<string> _lines = [];
    private readonly List<(Func<IReadOnlyList<string>, bool> Done, TaskCompletionSource Seen)> _waits = [];

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    /// <summary>Completes once the lines logged so far satisfy <paramref name="done"/>; fails the test if they never do.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> done, string what)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (done(_lines)) return;
            _waits.Add((done, seen));
        }
        try
        {
            await seen.Task.WaitAsync(TestTrainingGate.ReachTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The host did not log {what} within {TestTrainingGate.ReachTimeout.TotalMinutes} minutes.");
        }
    }

    private void Add(string line)
    {
        try { output?.WriteLine(line); }
        catch (InvalidOperationException) { /* the test already finished */ }
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var wait in _waits.Where(w => w.Done(_lines)).ToList())
            {
                _waits.Remove(wait);
                wait.Seen.TrySetResult();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(LogRecorder recorder, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) recorder.Add($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
