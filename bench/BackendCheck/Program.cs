// Runs the engine's per-backend tests for one backend without the .NET SDK or a test host, so a
// self-contained publish of it can check a device on a machine that has only the driver.
//
// usage: BackendCheck [BACKEND] [--filter TEXT]... [--list]
//   BACKEND   cpu, cpu-composed, ilgpu-cpu or cuda (default: $VAE_BACKEND, else cuda)
//   --filter  run only the tests whose full name (Class.Method(arguments)) contains TEXT (any of several)
//   --list    print the tests' names instead of running them
//
// What it runs: every test (xunit Fact/Theory, SkippableFact/SkippableTheory, with InlineData or
// MemberData) of the classes derived from Vae.Engine.Tests.BackendTests made for that backend
// (CudaOpValueTests for "cuda"), plus the tests elsewhere whose method name says "_on_BACKEND_"
// (BackendParityTests' A_few_batches_on_cuda_...). Each test gets a new instance, as under xunit;
// constructor parameters may be ITestOutputHelper or a fixture with a parameterless constructor
// (made once). A SkipException is a skip, and so is a fixture that cannot be made (a dataset that
// is not there). Prints one line per failure and per distinct skip reason, then
// "N passed, N failed, N skipped"; exits 1 when a test failed, 2 on bad arguments.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Vae.Engine.Backends;
using Vae.Engine.Tests;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string? backend = null;
var filters = new List<string>();
bool list = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filters.Add(args[++i]); break;
        case "--list": list = true; break;
        case "-h" or "--help": return Usage(null);
        case var a when a.StartsWith('-'): return Usage($"unknown option '{a}'");
        case var a when backend is null: backend = a; break;
        default: return Usage($"unexpected argument '{args[i]}'");
    }
}
backend ??= Environment.GetEnvironmentVariable("VAE_BACKEND") is { Length: > 0 } env ? env : "cuda";
if (!BackendRegistry.Names.Contains(backend, StringComparer.OrdinalIgnoreCase))
    return Usage($"unknown backend '{backend}'; this build knows {string.Join(", ", BackendRegistry.Names)}");

var tests = TestCatalog.For(typeof(BackendTests).Assembly, backend)
    .Where(t => filters.Count == 0 || filters.Any(f => t.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
    .ToList();
if (list)
{
    foreach (var t in tests) Console.WriteLine(t.Name);
    Console.WriteLine($"{tests.Count} tests");
    return 0;
}

string engine = BackendRegistry.TryFind(backend) is { } found
    ? BackendRegistry.Describe(found)
    : $"{backend} unavailable: {BackendRegistry.Unavailable.GetValueOrDefault(backend)}";
Console.WriteLine($"# engine {engine}");
Console.WriteLine($"# backend-check {tests.Count} tests");

int passed = 0, failed = 0, skipped = 0;
var skipReasons = new Dictionary<string, int>();
var fixtures = new Dictionary<Type, object>();
var watch = Stopwatch.StartNew();
foreach (var test in tests)
{
    var output = new BufferedOutput();
    var (outcome, message) = await TestCatalog.Run(test, output, fixtures);
    switch (outcome)
    {
        case Outcome.Passed: passed++; break;
        case Outcome.Skipped:
            skipped++;
            skipReasons[message] = skipReasons.GetValueOrDefault(message) + 1;
            break;
        default:
            failed++;
            Console.WriteLine($"FAIL {test.Name}: {message.ReplaceLineEndings(" | ")}");
            if (output.Text.Length > 0) Console.WriteLine($"  output: {output.Text.ReplaceLineEndings(" | ")}");
            break;
    }
}
foreach (var (reason, count) in skipReasons) Console.WriteLine($"SKIP {count} tests: {reason.ReplaceLineEndings(" | ")}");
foreach (var fixture in fixtures.Values) (fixture as IDisposable)?.Dispose();
Console.WriteLine($"# {watch.Elapsed.TotalSeconds:F1} s");
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed > 0 ? 1 : 0;

static int Usage(string? error)
{
    if (error is not null) Console.Error.WriteLine($"BackendCheck: {error}");
    Console.Error.WriteLine("usage: BackendCheck [BACKEND] [--filter TEXT]... [--list]");
    Console.Error.WriteLine("  BACKEND   cpu, cpu-composed, ilgpu-cpu or cuda (default: $VAE_BACKEND, else cuda)");
    Console.Error.WriteLine("  --filter  run only tests whose name (Class.Method(arguments)) contains TEXT; may be repeated");
    Console.Error.WriteLine("  --list    print the selected tests' names and exit");
    return error is null ? 0 : 2;
}

internal enum Outcome { Passed, Failed, Skipped }

/// <summary>One test case: a method of a class, with one row of theory data (none for a fact).</summary>
internal sealed record TestCase(Type Class, MethodInfo Method, object?[] Arguments, string? SkipReason, string Name);

internal static class TestCatalog
{
    /// <summary>The test cases for <paramref name="backend"/>, in a stable order.</summary>
    public static IEnumerable<TestCase> For(Assembly assembly, string backend)
    {
        // "ilgpu-cpu" -> "IlgpuCpu": the prefix of the derived classes' names (IlgpuCpuOpValueTests).
        string prefix = string.Concat(backend.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        string marker = $"_on_{backend.Replace('-', '_')}_";
        foreach (var type in assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true }).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            bool backendClass = typeof(BackendTests).IsAssignableFrom(type)
                && type.BaseType is { } parent && type.Name == prefix + parent.Name;
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(m => m.MetadataToken))
            {
                if (method.GetCustomAttribute<FactAttribute>() is not { } fact) continue;
                if (!backendClass && !method.Name.Contains(marker, StringComparison.OrdinalIgnoreCase)) continue;
                string name = $"{type.FullName}.{method.Name}";
                var data = method.GetCustomAttributes<DataAttribute>().ToList();
                if (fact is not TheoryAttribute || data.Count == 0)
                {
                    yield return new TestCase(type, method, [], fact.Skip, name);
                    continue;
                }
                foreach (var source in data)
                {
                    IEnumerable<object?[]> rows;
                    string? error = null;
                    try
                    {
                        rows = source.GetData(method).ToList();
                    }
                    catch (Exception e)
                    {
                        rows = [];
                        error = e.Message;
                    }
                    if (error is not null)
                        yield return new TestCase(type, method, [], fact.Skip, $"{name}(theory data failed: {error})");
                    foreach (var row in rows)
                        yield return new TestCase(type, method, row, fact.Skip ?? source.Skip, $"{name}({string.Join(", ", row.Select(Show))})");
                }
            }
        }
    }

    public static async Task<(Outcome, string)> Run(TestCase test, ITestOutputHelper output, Dictionary<Type, object> fixtures)
    {
        if (test.SkipReason is not null) return (Outcome.Skipped, test.SkipReason);
        if (test.Name.Contains("(theory data failed:", StringComparison.Ordinal)) return (Outcome.Failed, test.Name);
        object? instance = null;
        try
        {
            var constructor = test.Class.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
            var parameters = new List<object>();
            foreach (var p in constructor.GetParameters())
            {
                if (p.ParameterType == typeof(ITestOutputHelper)) { parameters.Add(output); continue; }
                if (!fixtures.TryGetValue(p.ParameterType, out var fixture))
                {
                    try
                    {
                        fixture = Activator.CreateInstance(p.ParameterType)!;
                    }
                    catch (Exception e)
                    {
                        // Remembered, so every test of the fixture skips with the same reason without retrying.
                        fixture = new FixtureFailure($"fixture {p.ParameterType.Name} could not be made: {Unwrap(e).Message}");
                    }
                    fixtures[p.ParameterType] = fixture;
                }
                if (fixture is FixtureFailure failure) return (Outcome.Skipped, failure.Reason);
                parameters.Add(fixture);
            }
            instance = constructor.Invoke([.. parameters]);
            if (instance is IAsyncLifetime lifetime) await lifetime.InitializeAsync();
            var methodParameters = test.Method.GetParameters();
            var arguments = test.Arguments.Select((a, i) => Convert(a, methodParameters[i].ParameterType)).ToArray();
            var result = test.Method.Invoke(instance, arguments);
            if (result is Task task) await task;
            else if (result is ValueTask valueTask) await valueTask;
            return (Outcome.Passed, "");
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            return inner.GetType().Name == "SkipException" ? (Outcome.Skipped, inner.Message) : (Outcome.Failed, $"{inner.GetType().Name}: {inner.Message}");
        }
        finally
        {
            try
            {
                if (instance is IAsyncLifetime lifetime) await lifetime.DisposeAsync();
                (instance as IDisposable)?.Dispose();
            }
            catch (Exception e)
            {
                Console.WriteLine($"# {test.Name}: dispose failed: {Unwrap(e).Message}");
            }
        }
    }

    private static object? Convert(object? value, Type target)
    {
        if (value is null || target.IsInstanceOfType(value)) return value;
        var type = Nullable.GetUnderlyingType(target) ?? target;
        if (type.IsEnum) return value is string s ? Enum.Parse(type, s) : Enum.ToObject(type, value);
        return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        return e;
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Array a => $"[{string.Join(", ", a.Cast<object?>().Select(Show))}]",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private sealed record FixtureFailure(string Reason);
}

/// <summary>Keeps what a test writes, to show it beside a failure.</summary>
internal sealed class BufferedOutput : ITestOutputHelper
{
    private readonly StringBuilder text = new();

    public string Text => text.ToString().TrimEnd();

    public void WriteLine(string message) => text.AppendLine(message);

    public void WriteLine(string format, params object[] args) => text.AppendLine(string.Format(CultureInfo.InvariantCulture, format, args));
}
