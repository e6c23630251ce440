using Vae.Api.Jobs;

namespace Vae.Api.Tests.Cluster;

/// <summary>
/// The test's side of a <see cref="FileTrainingGate"/>: the training gate of a node that runs as a
/// process of its own (its <c>Testing__TrainingGateDirectory</c> is <see cref="Directory"/>).
/// </summary>
public sealed class GateFolder : IDisposable
{
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(20);

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

    /// <summary>Waits until a run has reached the hold; fails the test if none does.</summary>
    public async Task<TrainingPoint> ReachedAsync(string name, Func<string?>? gone = null)
    {
        string reached = Path.Combine(Directory, "reached", name + ".json");
        var deadline = DateTime.UtcNow + TestTrainingGate.ReachTimeout;
        while (!File.Exists(reached))
        {
            if (gone?.Invoke() is { } why) Assert.Fail(why);
            Assert.True(DateTime.UtcNow < deadline, $"No run reached the hold '{name}' within {TestTrainingGate.ReachTimeout.TotalMinutes} minutes.");
            await Task.Delay(Look);
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
