using System.Reflection;
using Vae.Engine.Backends;
using Vae.Engine.Tests.Ops;

namespace Vae.Engine.Tests.Backends;

/// <summary>Every registered backend gets the shared op tests: a new device is covered by joining the registry.</summary>
public class BackendRegistryTests
{
    public static TheoryData<string> SharedSuites() => [nameof(GradientCheckTests), nameof(GoldenOpTests), nameof(OpValueTests)];

    [Theory]
    [MemberData(nameof(SharedSuites))]
    public void Each_shared_op_suite_runs_on_every_registered_backend(string suite)
    {
        var baseType = typeof(BackendTests).Assembly.GetTypes().Single(t => t.Name == suite);
        var covered = baseType.Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(baseType))
            .Select(BackendOf)
            .ToHashSet();
        // Every backend the build knows, those that cannot run here (cuda without a card) included.
        foreach (var backend in BackendRegistry.Names)
            Assert.True(covered.Contains(backend), $"{suite} has no test class for the registered backend '{backend}'.");
    }

    /// <summary>The backend a test class runs on; one that cannot run here names it in the skip its constructor throws.</summary>
    private static string BackendOf(Type testClass)
    {
        try
        {
            return ((IBackend)typeof(BackendTests).GetProperty("Backend", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(Activator.CreateInstance(testClass))!).Name;
        }
        catch (TargetInvocationException e) when (e.InnerException is SkipException skip)
        {
            return System.Text.RegularExpressions.Regex.Match(skip.Message, "Backend '([^']+)'").Groups[1].Value;
        }
    }

    [Fact]
    public void An_unknown_backend_name_is_refused_with_the_available_ones_listed()
    {
        var e = Assert.Throws<ArgumentException>(() => BackendRegistry.Find("tpu"));
        Assert.Contains("cpu", e.Message);
    }

    [Fact]
    public void The_composed_backend_offers_no_fused_kernels_so_its_ops_compose_primitives()
    {
        Assert.NotNull(BackendRegistry.Find("cpu").Kernels<ILossKernels>());
        Assert.Null(BackendRegistry.Find("cpu-composed").Kernels<ILossKernels>());
    }
}
