using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vae.Api.Jobs;
using Vae.Api.Storage;

namespace Vae.Api.Sweeps;

/// <summary>
/// The "grid" of a sweep: dotted paths into a training request ("model.beta", "epochs"), each with
/// the values to try. Its points are every combination of one value per key, the last key varying
/// fastest, so the points of a two-key grid read row by row.
/// </summary>
public sealed partial class SweepGrid
{
    private SweepGrid(IReadOnlyList<SweepAxis> axes) => Axes = axes;

    public IReadOnlyList<SweepAxis> Axes { get; }

    public int PointCount => Axes.Aggregate(1, (n, a) => n * a.Values.Count);

    /// <summary>For each point, the index of its value on each axis.</summary>
    public IEnumerable<int[]> Points()
    {
        var indices = new int[Axes.Count];
        for (int point = 0; point < PointCount; point++)
        {
            int rest = point;
            for (int axis = Axes.Count - 1; axis >= 0; axis--)
            {
                indices[axis] = rest % Axes[axis].Values.Count;
                rest /= Axes[axis].Values.Count;
            }
            yield return (int[])indices.Clone();
        }
    }

    /// <summary>
    /// Reads the grid object, checking its shape only (keys that are paths, non-empty lists without
    /// repeats, at most <paramref name="maxPoints"/> points). Whether a value suits its field is
    /// left to the training request's own validation, point by point.
    /// </summary>
    public static (SweepGrid? Grid, IReadOnlyList<FieldProblem> Problems) Read(JsonNode? node, int maxPoints)
    {
        const string example = "{\"model.beta\": [0.5, 1, 4], \"model.latentDim\": [2, 16]}";
        if (node is not JsonObject grid)
            return (null, [new("grid", $"must be an object mapping fields of the training request to the values to try, like {example}.")]);
        if (grid.Count == 0)
            return (null, [new("grid", $"names no field; sweep at least one, like {example}.")]);

        var problems = new List<FieldProblem>();
        var axes = new List<SweepAxis>();
        foreach (var (key, value) in grid)
        {
            string field = $"grid.{key}";
            if (!PathSyntax().IsMatch(key))
            {
                problems.Add(new(field, "is not a field path: name a field of the training request, with dots into its objects, like \"epochs\" or \"model.beta\"."));
                continue;
            }
            if (value is not JsonArray values || values.Count == 0)
            {
                problems.Add(new(field, "must be a non-empty list of the values to try, like [0.5, 1, 4]."));
                continue;
            }
            var list = values.Select(v => v?.DeepClone()).ToList();
            for (int i = 0; i < list.Count; i++)
            {
                if (list.Take(i).Any(earlier => JsonNode.DeepEquals(earlier, list[i])))
                    problems.Add(new(field, $"lists {Show(list[i])} twice; each value makes one job, so list it once."));
            }
            var overlapping = axes.FirstOrDefault(a => Overlaps(a.Key, key));
            if (overlapping is not null)
                problems.Add(new(field, $"overlaps grid.{overlapping.Key}: sweep either a whole object or fields inside it, not both."));
            axes.Add(new SweepAxis(key, list));
        }
        if (problems.Count > 0) return (null, problems);

        long points = axes.Aggregate(1L, (n, a) => Math.Min(n * a.Values.Count, long.MaxValue / 1024));
        if (points > maxPoints)
        {
            string sizes = string.Join(" x ", axes.Select(a => a.Values.Count));
            return (null, [new("grid", $"has {points} points ({sizes}), and a sweep may have at most {maxPoints} (Sweeps:MaxPoints); list fewer values.")]);
        }
        return (new SweepGrid(axes), problems);
    }

    /// <summary>
    /// The training request of one point: <paramref name="baseRequest"/> with each key set to the
    /// point's value, making the objects on the way when the base leaves them out. A field the base
    /// spells in another case is replaced, not doubled. Null (and the problem) when a path runs
    /// through a value that is not an object.
    /// </summary>
    public JsonObject? Apply(JsonObject baseRequest, IReadOnlyList<int> indices, out FieldProblem? problem)
    {
        problem = null;
        var request = (JsonObject)baseRequest.DeepClone();
        for (int axis = 0; axis < Axes.Count; axis++)
        {
            string[] path = Axes[axis].Key.Split('.');
            var target = request;
            for (int depth = 0; depth < path.Length - 1; depth++)
            {
                string name = Existing(target, path[depth]) ?? path[depth];
                switch (target[name])
                {
                    case null:
                        var made = new JsonObject();
                        target[name] = made;
                        target = made;
                        break;
                    case JsonObject inner:
                        target = inner;
                        break;
                    default:
                        problem = new($"grid.{Axes[axis].Key}", $"goes through base.{string.Join('.', path.Take(depth + 1))}, which is not an object.");
                        return null;
                }
            }
            if (Existing(target, path[^1]) is { } spelled) target.Remove(spelled);
            target[path[^1]] = Axes[axis].Values[indices[axis]]?.DeepClone();
        }
        return request;
    }

    /// <summary>"beta=0.5, latentDim=2": the point's values by the last part of their keys.</summary>
    public string Describe(IReadOnlyList<int> indices)
        => string.Join(", ", Axes.Select((a, i) => $"{a.Key[(a.Key.LastIndexOf('.') + 1)..]}={Show(a.Values[indices[i]], quote: false)}"));

    /// <summary>
    /// The point's values as part of a model name: "beta-4.latentDim-16". Whatever a model name may not
    /// hold (a value's brackets, commas, spaces) becomes '-'.
    /// </summary>
    public string NameOf(IReadOnlyList<int> indices)
        => string.Join(".", Axes.Select((a, i) => Models.ModelNames.From($"{a.Key[(a.Key.LastIndexOf('.') + 1)..]}-{Show(a.Values[indices[i]], quote: false)}")));

    /// <summary>A value as JSON, strings with or without their quotes.</summary>
    public static string Show(JsonNode? value, bool quote = true)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && !quote ? s : value?.ToJsonString() ?? "null";

    private static string? Existing(JsonObject target, string name)
        => target.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    private static bool Overlaps(string a, string b)
        => string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
            || a.StartsWith(b + ".", StringComparison.OrdinalIgnoreCase)
            || b.StartsWith(a + ".", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*$")]
    private static partial Regex PathSyntax();
}
