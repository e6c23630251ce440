using Vae.Api.Jobs;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// The test's side of a <see cref="FileTrainingGate"/>: the training gate of a node that runs as a
/// process of its own (its <c>Testing__TrainingGateDirectory</c> is <see cref="Directory"/>).
/// </summary>
public sealed class GateFolder : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("vae-gate-").FullName;

    /// <summary>Holds the first run to reach a matching point (written whole, then renamed into place).</summary>
    public void Hold(string name, FileTrainingGate.Hold hold)
    {
        string holds = Path.Combine(Directory, "holds");
        System.IO.Directory.CreateDirectory(holds);
        string temporary = Path.Combine(holds, $".{name}.tmp");
        File.WriteAllText(temporary, FileTrainingGate.Serialize(hold));
        File.Move(temporary, Path.Combine(holds, name + ".json"));
    }

    /// <summary>Waits until a run has reached the hold; fails the test if none does, or at once when <paramref name="gone"/> ends first (its result says why).</summary>
    public async Task<TrainingPoint> ReachedAsync(string name, Task<string>? gone = null)
    {
        string reached = Path.Combine(Directory, "reached", name + ".json");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(reached)!);
        using var bound = new CancellationTokenSource(TestTrainingGate.ReachTimeout);
        var appeared = FileTrainingGate.WaitForFileAsync(reached, bound.Token);
        if (gone is not null && await Task.WhenAny(appeared, gone) == gone) Assert.Fail(await gone);
        try
        {
            await appeared;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No run reached the hold '{name}' within {TestTrainingGate.ReachTimeout.TotalMinutes} minutes.");
        }
        return FileTrainingGate.ReadPoint(await File.ReadAllTextAsync(reached));
    }

    public void Release(string name)
    {
        string released = Path.Combine(Directory, "released");
        System.IO.Directory.CreateDirectory(released);
        File.WriteAllText(Path.Combine(released, name), "");
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
