using System.ComponentModel;
using System.Globalization;
using Vae.Api.Infrastructure;
using Vae.Engine.Data;

namespace Vae.Api.Models;

/// <summary>Layout of an image grid: tiles per row (default: a square-ish grid) and a whole-number upscale.</summary>
public sealed record GridQuery(
    [property: Description("Tiles per row, 1 to 256; by default as many as make the grid about square (a strip for interpolations).")] int? Columns = null,
    [property: Description("Every pixel becomes a scale x scale block, 1 to 8."), DefaultValue(1)] int Scale = 1) : IValidatedQuery<ModelsOptions>
{
    public const int MaxColumns = 256;
    public const int MaxScale = 8;

    public QueryProblem? Validate(ModelsOptions limits)
    {
        if (Columns is int c && c is < 1 or > MaxColumns) return new("columns", $"columns must be between 1 and {MaxColumns}, got {c}.");
        return CheckScale(Scale);
    }

    internal static QueryProblem? CheckScale(int scale)
        => scale is < 1 or > MaxScale ? new("scale", $"scale must be between 1 and {MaxScale}, got {scale}.") : null;
}

/// <summary>The upscale of a single image, such as a reconstruction.</summary>
public sealed record ScaleQuery(
    [property: Description("Every pixel becomes a scale x scale block, 1 to 8."), DefaultValue(1)] int Scale = 1) : IValidatedQuery<ModelsOptions>
{
    public QueryProblem? Validate(ModelsOptions limits) => GridQuery.CheckScale(Scale);
}

/// <summary>How an uploaded image is read.</summary>
public sealed record ImageInputQuery(
    [property: Description("auto (default): a gray model's input is inverted when the image's border is light, so dark ink on paper reads as MNIST's white on black; true or false forces it. Colour models invert only when asked (true).")] string? Invert = null)
    : IValidatedQuery<ModelsOptions>
{
    /// <summary>true or false when forced, null for auto.</summary>
    public bool? InvertValue => Invert is { } text && bool.TryParse(text, out bool value) ? value : null;

    public QueryProblem? Validate(ModelsOptions limits)
    {
        if (Invert is null || string.Equals(Invert, "auto", StringComparison.OrdinalIgnoreCase) || bool.TryParse(Invert, out _)) return null;
        return new("invert", $"invert must be true, false or auto (invert when the border is light), got \"{Invert}\".");
    }
}

/// <summary>The class a conditional model draws or reads; checked against the model once it is known (see <see cref="Conditioning"/>).</summary>
public sealed record LabelQuery(
    [property: Description("Class label, 0 to classCount - 1 (GET /api/models/{id} lists classNames): required by a conditional model, refused by an unconditional one. Applies to every image of the request.")] int? Label = null);

/// <summary>Images of a model's prior: <c>n</c> codes drawn from N(0, temperature² I) by a generator seeded with <c>seed</c>.</summary>
public sealed record SamplesQuery(
    [property: Description("Number of samples, 1 to Models:MaxSamples (256 by default)."), DefaultValue(64)] int N = 64,
    [property: Description("Seed of the codes: the same seed gives the same images."), DefaultValue(1L)] long Seed = 1,
    [property: Description("Scale of the prior's standard deviation: lower gives more typical, less varied images; above 0, at most Models:MaxTemperature (10 by default)."), DefaultValue(1f)] float Temperature = 1f)
    : IValidatedQuery<ModelsOptions>
{
    public QueryProblem? Validate(ModelsOptions limits)
    {
        if (N < 1 || N > limits.MaxSamples) return new("n", $"n must be between 1 and {limits.MaxSamples} samples, got {N}.");
        if (!float.IsFinite(Temperature) || Temperature <= 0 || Temperature > limits.MaxTemperature)
            return new("temperature", $"temperature must be above 0 and at most {limits.MaxTemperature.ToString(CultureInfo.InvariantCulture)}, got {Temperature.ToString(CultureInfo.InvariantCulture)}.");
        return null;
    }
}

/// <summary>
/// An n x n grid of decoded codes over two latent dimensions (the others 0): columns run from -range to
/// +range along dims[0], rows from +range (top) to -range along dims[1].
/// </summary>
public sealed record ManifoldQuery(
    [property: Description("Rows and columns, 1 to Models:MaxManifoldSize (40 by default)."), DefaultValue(20)] int N = 20,
    [property: Description("The codes run from -range to +range; above 0, at most 100."), DefaultValue(3f)] float Range = 3f,
    [property: Description("The two latent dimensions across and up, different and below the latent size, e.g. 0,1."), DefaultValue("0,1")] string Dims = "0,1",
    [property: Description("Every pixel becomes a scale x scale block, 1 to 8."), DefaultValue(1)] int Scale = 1)
    : IValidatedQuery<ModelsOptions>
{
    public const float MaxRange = 100f;

    /// <summary>The dimension across (columns); valid once <see cref="Validate"/> passed.</summary>
    public int X => ParseDims()?.X ?? 0;

    /// <summary>The dimension up (rows).</summary>
    public int Y => ParseDims()?.Y ?? 1;

    public QueryProblem? Validate(ModelsOptions limits)
    {
        if (N < 1 || N > limits.MaxManifoldSize) return new("n", $"n must be between 1 and {limits.MaxManifoldSize} rows and columns, got {N}.");
        if (!float.IsFinite(Range) || Range <= 0 || Range > MaxRange)
            return new("range", $"range must be above 0 and at most {MaxRange.ToString(CultureInfo.InvariantCulture)}, got {Range.ToString(CultureInfo.InvariantCulture)}.");
        if (ParseDims() is not { } dims)
            return new("dims", $"dims must be two latent dimensions separated by a comma, such as 0,1; got \"{Dims}\".");
        var (x, y) = dims;
        if (x == y) return new("dims", $"dims must name two different dimensions, got {x},{y}.");
        return GridQuery.CheckScale(Scale);
    }

    /// <summary>The model-dependent check: both dimensions below the latent size.</summary>
    public QueryProblem? Check(int latentDim, string modelId)
    {
        if (latentDim < 2) return new("dims", $"Model '{modelId}' has a single latent dimension; a manifold needs two.");
        if (X >= latentDim || Y >= latentDim) return new("dims", $"dims must be below the latent size {latentDim}, got {X},{Y}.");
        return null;
    }

    private (int X, int Y)? ParseDims()
    {
        var parts = Dims.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int x)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int y) ? (x, y) : null;
    }
}

/// <summary>The first <c>limit</c> images of a split of the model's dataset, encoded.</summary>
public sealed record LatentsQuery(
    [property: Description("train or test (default)."), DefaultValue("test")] string Split = "test",
    [property: Description("Images encoded from the start of the split, 1 to Models:MaxLatents (10000 by default)."), DefaultValue(1000)] int Limit = 1000)
    : IValidatedQuery<ModelsOptions>
{
    public DatasetSplit SplitValue => string.Equals(Split, "train", StringComparison.OrdinalIgnoreCase) ? DatasetSplit.Train : DatasetSplit.Test;

    public QueryProblem? Validate(ModelsOptions limits)
    {
        if (!string.Equals(Split, "test", StringComparison.OrdinalIgnoreCase) && !string.Equals(Split, "train", StringComparison.OrdinalIgnoreCase))
            return new("split", $"split must be \"train\" or \"test\", got \"{Split}\".");
        if (Limit < 1 || Limit > limits.MaxLatents) return new("limit", $"limit must be between 1 and {limits.MaxLatents} images, got {Limit}.");
        return null;
    }
}
