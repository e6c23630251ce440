using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;

namespace Vae.Api.Models;

/// <summary>
/// The class labels of a request, checked against its model: a conditional model needs one label
/// per image (the engine would otherwise refuse the forward pass), and an unconditional one takes
/// none (it would silently ignore them). A request gives one label for all its images (the query's
/// <c>label</c>) or, where its body lists items, one per item (<c>labels</c>).
/// </summary>
public static class Conditioning
{
    /// <summary>
    /// One label per image for a conditional model, null for an unconditional one; or the 422 that
    /// names the parameter, the allowed range and what each class is.
    /// </summary>
    /// <param name="label">The one label for every image (query <c>label</c>).</param>
    /// <param name="labels">One label per image (body <c>labels</c>), where the endpoint takes them.</param>
    /// <param name="count">Images in the request.</param>
    /// <param name="items">What <paramref name="labels"/> must match one to one, e.g. "latents".</param>
    public static (int[]? Labels, ProblemHttpResult? Problem) Resolve(ModelRecord record, int? label, int[]? labels, int count, string items = "images")
        => Resolve(record, label, labels, count, items, "add ?label=k to the request's query");

    private static (int[]? Labels, ProblemHttpResult? Problem) Resolve(ModelRecord record, int? label, int[]? labels, int count, string items, string howToGive)
    {
        var config = record.Config;
        if (!config.Conditional)
        {
            if (label is not null) return (null, Problems.Invalid("label", $"Model '{record.Id}' is not conditional and takes no label; leave label out."));
            if (labels is not null) return (null, Problems.Invalid("labels", $"Model '{record.Id}' is not conditional and takes no labels; leave labels out."));
            return (null, null);
        }

        if (label is not null && labels is not null)
            return (null, Problems.Invalid("label", "Give either label (one class for every image) or labels (one per item), not both."));
        if (label is int one)
        {
            if (OutOfRange(record, one) is { } bad) return (null, Problems.Invalid("label", $"label must be {bad}, got {one}."));
            return (Enumerable.Repeat(one, count).ToArray(), null);
        }
        if (labels is not null)
        {
            if (labels.Length != count)
                return (null, Problems.Invalid("labels", $"labels has {labels.Length} entries but {items} has {count}; give one label per item."));
            for (int i = 0; i < labels.Length; i++)
                if (OutOfRange(record, labels[i]) is { } bad) return (null, Problems.Invalid("labels", $"labels[{i}] must be {bad}, got {labels[i]}."));
            return (labels, null);
        }
        return (null, Problems.Invalid("label", $"Model '{record.Id}' is conditional: label is required, the class to draw or read: {howToGive}, with k {Range(record)}."));
    }

    /// <summary>
    /// <see cref="Resolve(ModelRecord, int?, int[], int, string)"/> for a JSON body, whose own
    /// <c>label</c> may stand in for the query's: giving both is fine when they agree.
    /// </summary>
    public static (int[]? Labels, ProblemHttpResult? Problem) Resolve(ModelRecord record, int? queryLabel, int? bodyLabel, int[]? labels, int count, string items = "images")
    {
        if (queryLabel is int q && bodyLabel is int b && q != b)
            return (null, Problems.Invalid("label", $"label is {q} in the query but {b} in the body; give it once."));
        return Resolve(record, queryLabel ?? bodyLabel, labels, count, items,
            $"add ?label=k to the query or \"label\": k to the body (or \"labels\", one class per item of {items})");
    }

    /// <summary>The part of a label's ETag key: the label, or nothing for an unconditional model.</summary>
    public static string Key(int? label) => label is int k ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static string? OutOfRange(ModelRecord record, int label) => label >= 0 && label < record.Config.ClassCount ? null : Range(record);

    private static string Range(ModelRecord record)
    {
        int classes = record.Config.ClassCount;
        string range = $"a class from 0 to {classes - 1}";
        var names = ModelViewExtensions.ClassNamesOf(record);
        // Digits name themselves; other classes are listed so that a person can pick one.
        if (names is null || names.Count != classes || names.Select((name, k) => name == Key(k)).All(same => same)) return range;
        return range + " (" + string.Join(", ", names.Select((name, k) => $"{k} = {name}")) + ")";
    }
}
