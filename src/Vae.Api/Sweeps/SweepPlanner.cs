using System.Text.Json.Nodes;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Api.Jobs;

namespace Vae.Api.Sweeps;

/// <summary>A valid sweep: its name, what it was asked as, and the plan of every point's job.</summary>
public sealed record SweepPlan(string? Name, JsonObject Base, SweepGrid Grid, IReadOnlyList<SweepPointPlan> Points);

/// <summary>One point: the index of its value on each axis and the checked training plan of its job.</summary>
public sealed record SweepPointPlan(IReadOnlyList<int> Indices, TrainingPlan Training);

/// <summary>
/// Turns a sweep body ({"name", "base", "grid"}) into the plans of its jobs. Every point is checked
/// with the validation of POST /api/jobs before anything is queued, so a sweep is queued whole or
/// not at all; a problem is named by the grid key and value that cause it, or by the base field
/// when the base itself is wrong.
/// </summary>
public static class SweepPlanner
{
    private static readonly string[] Fields = ["name", "base", "grid"];

    /// <summary>Points named in one problem at most; the rest are counted.</summary>
    private const int PointsNamed = 3;

    public static async Task<(SweepPlan? Plan, IReadOnlyList<FieldProblem> Problems)> PlanAsync(
        JsonObject body, DatasetCatalog datasets, JobsOptions jobs, SweepsOptions sweeps, CancellationToken ct)
    {
        var problems = new List<FieldProblem>();
        foreach (var (key, _) in body)
        {
            if (!Fields.Contains(key))
                problems.Add(new(key, "is not a field of a sweep; a sweep has \"name\", \"base\" (a training request, as POST /api/jobs takes) and \"grid\" (the values to try per field)."));
        }

        string? name = null;
        switch (body["name"])
        {
            case null:
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                name = string.IsNullOrWhiteSpace(s) ? null : s.Trim();
                // It starts the name of every point's model, so it follows the rule of model names.
                if (name is not null && Models.ModelNames.Problem(name) is { } badName) problems.Add(new("name", badName));
                break;
            default:
                problems.Add(new("name", "must be a string."));
                break;
        }

        var baseRequest = body["base"] switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => null,
        };
        if (baseRequest is null)
            problems.Add(new("base", "must be a training request object, as POST /api/jobs takes, like {\"dataset\": \"mnist\", \"model\": {\"family\": \"mlp\"}, \"epochs\": 5}."));

        var (grid, gridProblems) = SweepGrid.Read(body["grid"], sweeps.MaxPoints);
        problems.AddRange(gridProblems);
        if (problems.Count > 0 || grid is null || baseRequest is null) return (null, problems);

        var points = new List<SweepPointPlan>();
        var baseProblems = new List<(FieldProblem Problem, string Point)>();
        var seen = new HashSet<FieldProblem>();
        foreach (var indices in grid.Points())
        {
            var request = grid.Apply(baseRequest, indices, out var pathProblem);
            if (request is null)
            {
                if (seen.Add(pathProblem!)) problems.Add(pathProblem!);
                continue;
            }
            NameThePoint(request, grid, indices, name);
            var (plan, pointProblems) = await TrainingRequestValidation.ReadAsync(request, datasets, jobs, ct);
            if (plan is not null)
            {
                points.Add(new SweepPointPlan(indices, plan));
                continue;
            }
            foreach (var problem in pointProblems)
            {
                int axis = AxisOf(grid, problem.Field);
                if (axis < 0)
                {
                    baseProblems.Add((problem with { Field = $"base.{problem.Field}" }, grid.Describe(indices)));
                    continue;
                }
                var key = grid.Axes[axis].Key;
                string what = problem.Field.Equals(key, StringComparison.OrdinalIgnoreCase) ? "" : $"{problem.Field} ";
                var named = new FieldProblem($"grid.{key}", $"value {SweepGrid.Show(grid.Axes[axis].Values[indices[axis]])} is not accepted: {what}{problem.Message}");
                if (seen.Add(named)) problems.Add(named);
            }
        }

        // A base problem at every point is the base's own; one at some points only is said with them.
        int total = grid.PointCount;
        foreach (var group in baseProblems.GroupBy(p => p.Problem))
        {
            var at = group.Select(p => p.Point).ToList();
            string where = at.Count == total ? ""
                : " (at " + string.Join("; ", at.Take(PointsNamed)) + (at.Count > PointsNamed ? $"; and {at.Count - PointsNamed} more points" : "") + ")";
            problems.Add(group.Key with { Message = group.Key.Message + where });
        }
        if (problems.Count > 0) return (null, problems);
        return (new SweepPlan(name, baseRequest, grid, points), problems);
    }

    /// <summary>
    /// Each job is named for its sweep and its values ("beta-sweep.beta-4.latentDim-2"), so its model is
    /// registered under a name of its own and can be told apart from its siblings wherever models are
    /// listed. A grid that sweeps the name itself, or a base name that is not a string, is left for
    /// the validation to judge.
    /// </summary>
    private static void NameThePoint(JsonObject request, SweepGrid grid, IReadOnlyList<int> indices, string? sweepName)
    {
        if (grid.Axes.Any(a => a.Key.Equals("name", StringComparison.OrdinalIgnoreCase))) return;
        string? given = null;
        if (request["name"] is { } node)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out given) || given.Trim().Length > TrainingRequestValidation.MaxNameLength) return;
        }
        string prefix = (string.IsNullOrWhiteSpace(given) ? sweepName : given.Trim()) ?? "sweep";
        string values = grid.NameOf(indices);
        int room = TrainingRequestValidation.MaxNameLength - values.Length - 1;
        string name = room <= 0 ? values[..TrainingRequestValidation.MaxNameLength] : $"{(prefix.Length > room ? prefix[..room] : prefix)}.{values}";
        request["name"] = name;
    }

    /// <summary>The axis whose key is the problem's field or an object holding it; -1 for none.</summary>
    private static int AxisOf(SweepGrid grid, string field)
    {
        for (int i = 0; i < grid.Axes.Count; i++)
        {
            string key = grid.Axes[i].Key;
            if (field.Equals(key, StringComparison.OrdinalIgnoreCase) || field.StartsWith(key + ".", StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }
}
