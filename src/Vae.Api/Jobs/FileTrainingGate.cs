using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vae.Api.Jobs;

/// <summary>
/// A training gate driven through a folder, for tests that run the service as a process of its own
/// (to kill it with SIGKILL, say) and so cannot hand it a gate object. Only used when
/// <c>Testing:TrainingGateDirectory</c> is set; the service never sets it itself.
/// <para>
/// A test writes <c>holds/NAME.json</c> (<c>{"job": id or null, "step": "batch", "epoch": 2, "batch": 1, "block": true}</c>;
/// a missing job, epoch or batch matches any). The first run to reach a matching point claims the hold
/// by creating <c>reached/NAME.json</c> (the point, as JSON) and, when the hold blocks, waits until
/// <c>released/NAME</c> exists or the run is stopped. A claim is an exclusive create, so two nodes
/// sharing the folder never both take one hold.
/// </para>
/// </summary>
public sealed class FileTrainingGate : ITrainingGate
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly string _holds, _reached, _released;

    public FileTrainingGate(string directory)
    {
        _holds = Path.Combine(directory, "holds");
        _reached = Path.Combine(directory, "reached");
        _released = Path.Combine(directory, "released");
        foreach (var d in new[] { _holds, _reached, _released }) Directory.CreateDirectory(d);
    }

    /// <summary>What a test writes to holds/NAME.json.</summary>
    public sealed record Hold(string? Job, TrainingStep Step, int? Epoch = null, int? Batch = null, bool Block = true)
    {
        public bool Matches(TrainingPoint p)
            => (Job is null || Job == p.JobId) && Step == p.Step && (Epoch is null || Epoch == p.Epoch) && (Batch is null || Batch == p.Batch);
    }

    public static string Serialize(Hold hold) => JsonSerializer.Serialize(hold, Json);
    public static string Serialize(TrainingPoint point) => JsonSerializer.Serialize(point, Json);
    public static TrainingPoint ReadPoint(string json) => JsonSerializer.Deserialize<TrainingPoint>(json, Json);

    public async ValueTask PassAsync(TrainingPoint point, CancellationToken ct)
    {
        foreach (string file in Directory.EnumerateFiles(_holds, "*.json"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (File.Exists(Path.Combine(_reached, name + ".json"))) continue; // spent, or taken by another run
            Hold? hold;
            try
            {
                hold = JsonSerializer.Deserialize<Hold>(File.ReadAllText(file), Json);
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                continue; // being written: the test renames it into place, so this is a half-seen rename at worst
            }
            if (hold is null || !hold.Matches(point) || !Claim(name, point)) continue;
            if (!hold.Block || point.Step == TrainingStep.Stopped) continue;
            await WaitForFileAsync(Path.Combine(_released, name), ct);
        }
    }

    /// <summary>Completes once <paramref name="path"/> exists (created, or renamed into place); told by the file system, not polled.</summary>
    public static async Task WaitForFileAsync(string path, CancellationToken ct)
    {
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path)) { NotifyFilter = NotifyFilters.FileName };
        watcher.Created += (_, _) => appeared.TrySetResult();
        watcher.Renamed += (_, _) => appeared.TrySetResult();
        watcher.EnableRaisingEvents = true;
        // Looked at once the watch is on, so a file that appears in between is not missed.
        if (File.Exists(path)) return;
        await appeared.Task.WaitAsync(ct);
    }

    private bool Claim(string name, TrainingPoint point)
    {
        string temporary = Path.Combine(_reached, $".{name}.{Guid.NewGuid():N}");
        File.WriteAllText(temporary, Serialize(point));
        try
        {
            File.Move(temporary, Path.Combine(_reached, name + ".json"), overwrite: false);
            return true;
        }
        catch (IOException)
        {
            File.Delete(temporary);
            return false;
        }
    }
}
