using System.Text.Json.Nodes;
using Vae.Api.Sweeps;

namespace Vae.Api.Tests.Sweeps;

/// <summary>Reading a grid and making each point's training request, without a service.</summary>
public sealed class SweepGridTests
{
    private static SweepGrid Read(string json, int maxPoints = 64)
    {
        var (grid, problems) = SweepGrid.Read(JsonNode.Parse(json), maxPoints);
        Assert.Empty(problems);
        return grid!;
    }

    [Fact]
    public void A_grid_expands_to_every_combination_with_the_last_key_varying_fastest()
    {
        var grid = Read("""{"model.beta": [0.5, 1, 4], "model.latentDim": [2, 16]}""");

        Assert.Equal(6, grid.PointCount);
        Assert.Equal(
            ["0,0", "0,1", "1,0", "1,1", "2,0", "2,1"],
            grid.Points().Select(p => string.Join(',', p)));
        Assert.Equal("beta=4, latentDim=16", grid.Describe([2, 1]));
    }

    [Fact]
    public void A_point_sets_its_values_at_their_paths_and_keeps_the_rest_of_the_base()
    {
        var grid = Read("""{"model.beta": [0.5, 4], "epochs": [3], "evaluation.images": [50]}""");
        var baseRequest = JsonNode.Parse("""{"model": {"family": "mlp", "Beta": 1, "latentDim": 8}, "seed": 7}""")!.AsObject();

        var request = grid.Apply(baseRequest, [1, 0, 0], out var problem);

        Assert.Null(problem);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"model": {"family": "mlp", "latentDim": 8, "beta": 4}, "seed": 7, "epochs": 3, "evaluation": {"images": 50}}"""),
            request));
        // The base itself is left as it was, for the next point.
        Assert.Equal(1, baseRequest["model"]!["Beta"]!.GetValue<int>());
    }

    [Fact]
    public void A_path_through_a_value_that_is_not_an_object_is_named()
    {
        var grid = Read("""{"epochs.count": [1]}""");

        var request = grid.Apply(JsonNode.Parse("""{"epochs": 3}""")!.AsObject(), [0], out var problem);

        Assert.Null(request);
        Assert.Equal("grid.epochs.count", problem!.Field);
        Assert.Contains("base.epochs", problem.Message);
    }

    [Theory]
    [InlineData("""[1, 2]""", "grid", "must be an object")]
    [InlineData("""{}""", "grid", "names no field")]
    [InlineData("""{"model.beta": []}""", "grid.model.beta", "non-empty list")]
    [InlineData("""{"model.beta": 4}""", "grid.model.beta", "non-empty list")]
    [InlineData("""{"model.beta": [1, 4, 1]}""", "grid.model.beta", "lists 1 twice")]
    [InlineData("""{"model..beta": [1]}""", "grid.model..beta", "not a field path")]
    [InlineData("""{"model": [{"family": "mlp"}], "model.beta": [1]}""", "grid.model.beta", "overlaps grid.model")]
    [InlineData("""{"epochs": [1, 2, 3], "model.beta": [1, 2, 3]}""", "grid", "has 9 points (3 x 3)")]
    public void A_grid_of_the_wrong_shape_is_refused_with_the_key_at_fault(string json, string field, string message)
    {
        var (grid, problems) = SweepGrid.Read(JsonNode.Parse(json), maxPoints: 8);

        Assert.Null(grid);
        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
        Assert.Contains(message, problem.Message);
    }
}
