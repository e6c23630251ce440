using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vae.Api.Security;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Security;

/// <summary>How keys are held and compared: as hashes, every one in fixed time, and never written to a log.</summary>
public sealed class KeyHandlingTests(ITestOutputHelper output)
{
    [Fact]
    public void The_key_ring_compares_with_the_fixed_time_comparison_by_default()
    {
        var ring = Ring(null);
        var comparer = typeof(ApiKeyRing).GetField("_equals", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ring);

        Assert.Equal(new HashComparer(CryptographicOperations.FixedTimeEquals), comparer);
        Assert.Equal("writer", ring.Find(TestKeys.Writer)?.Name);
        Assert.Null(ring.Find(TestKeys.Writer + " "));
    }

    [Fact]
    public async Task A_hash_printed_by_sha256sum_in_either_case_matches_its_key()
    {
        // printf %s abc | sha256sum
        const string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere, settings: new Dictionary<string, string?>
        {
            ["Security:Keys:0:Name"] = "lower", ["Security:Keys:0:Hash"] = abc, ["Security:Keys:0:Scopes:0"] = "write",
            ["Security:Keys:1:Name"] = "upper", ["Security:Keys:1:Hash"] = TestKeys.Hash("ABC").ToUpperInvariant(), ["Security:Keys:1:Scopes:0"] = "read",
        });
        var client = factory.CreateClient();

        var lower = await client.SendAsync(HttpMethod.Delete, "/api/jobs/jnothere", "abc");
        var upper = await client.SendAsync(HttpMethod.Delete, "/api/jobs/jnothere", "ABC");

        Assert.Equal(HttpStatusCode.NotFound, lower.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, upper.StatusCode);
        Assert.Contains("'upper' has the read scope", (await Jobs.JobsClient.ProblemAsync(upper)).GetProperty("detail").GetString());
    }

    [Fact]
    public void A_presented_key_is_compared_with_every_configured_hash_whether_it_matches_the_first_or_none()
    {
        int comparisons = 0;
        var ring = Ring((a, b) => { comparisons++; return CryptographicOperations.FixedTimeEquals(a, b); });

        var first = ring.Find(TestKeys.Reader);
        int afterMatch = comparisons;
        var none = ring.Find("guess");

        Assert.Equal("reader", first?.Name);
        Assert.Equal(AccessScope.Read, first?.Scope);
        Assert.Equal(3, afterMatch);
        Assert.Null(none);
        Assert.Equal(6, comparisons);
    }

    [Fact]
    public async Task Every_request_that_presents_a_key_goes_through_the_ring_s_comparison()
    {
        int comparisons = 0;
        HashComparer counting = (a, b) => { Interlocked.Increment(ref comparisons); return CryptographicOperations.FixedTimeEquals(a, b); };
        using var factory = new ServiceFactory(output, settings: TestKeys.Settings(), remoteAddress: TestKeys.Elsewhere, services: s => s.AddSingleton(counting));
        var client = factory.CreateClient();

        var right = await client.SendAsync(HttpMethod.Delete, "/api/jobs/jnothere", TestKeys.Admin);
        int afterRight = comparisons;
        var wrong = await client.SendAsync(HttpMethod.Delete, "/api/jobs/jnothere", "guess");

        Assert.Equal(HttpStatusCode.NotFound, right.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(3, afterRight);
        Assert.Equal(6, comparisons);
    }

    [Fact]
    public async Task Keys_and_their_hashes_are_never_logged_at_any_level_and_the_start_names_keys_by_name()
    {
        var log = new EveryLine();
        const string legacy = "legacy-key-9d8e7f";
        using var factory = new ServiceFactory(output, remoteAddress: TestKeys.Elsewhere,
            settings: TestKeys.Settings(("Security:ApiKey", legacy), ("Security:RequireKeyForReads", "true"), ("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace")),
            services: s => s.AddSingleton<ILoggerProvider>(log));
        var client = factory.CreateClient();
        string basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("user:" + TestKeys.Writer));

        foreach (string key in new[] { TestKeys.Reader, TestKeys.Writer, TestKeys.Admin, legacy, "a-wrong-key-1234" })
        {
            await client.SendAsync(HttpMethod.Get, "/api/jobs", key);
            await client.SendAsync(HttpMethod.Post, "/api/jobs/jnothere/resume", key);
            await client.SendAsync(HttpMethod.Get, "/hangfire", key);
        }
        await client.SendAsync(HttpMethod.Get, "/api/jobs", null, ("Authorization", "Bearer " + TestKeys.Reader));
        await client.SendAsync(HttpMethod.Get, "/api/jobs", null, ("Authorization", "Basic " + basic));

        var lines = log.Lines;
        Assert.True(lines.Count > 20, $"only {lines.Count} lines were logged: the capture is not working");
        foreach (string secret in new[] { TestKeys.Reader, TestKeys.Writer, TestKeys.Admin, legacy, "a-wrong-key-1234", basic })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(TestKeys.Hash(secret), StringComparison.OrdinalIgnoreCase));
        }
        Assert.Contains(lines, l => l.Contains("reader (read), writer (write), admin (admin)", StringComparison.Ordinal) || l.Contains("admin (admin), reader (read)", StringComparison.Ordinal));
    }

    private static ApiKeyRing Ring(HashComparer? equals)
    {
        var options = new SecurityOptions();
        foreach (var (name, key, scope) in new[] { ("reader", TestKeys.Reader, "read"), ("writer", TestKeys.Writer, "write"), ("admin", TestKeys.Admin, "admin") })
            options.Keys.Add(new ApiKeyOptions { Name = name, Hash = TestKeys.Hash(key), Scopes = [scope] });
        return new ApiKeyRing(Options.Create(options), equals);
    }

    /// <summary>Every line at every level, with its scopes' and exception's text.</summary>
    private sealed class EveryLine : ILoggerProvider
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private void Add(string line)
        {
            lock (_lines) _lines.Add(line);
        }

        private sealed class Logger(EveryLine owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                owner.Add($"scope {category}: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                string values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                owner.Add($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
            }
        }
    }
}
