using System.Globalization;
using System.Text.RegularExpressions;

namespace Vae.Api.Models;

/// <summary>
/// What a model name or an alias may be, and how a reference to a model is read. A reference in a
/// URL (/api/models/{ref}/...) is looked up in this order, the first match winning:
/// <list type="number">
/// <item>a model id (m and 12 hex digits), exactly;</item>
/// <item>an alias ("default", or any set with PUT /api/aliases/{alias});</item>
/// <item>name@version, that version of the name;</item>
/// <item>a name, its newest version.</item>
/// </list>
/// Names and aliases never look like ids, and a new name or alias may not be an existing alias or
/// name, so the order only matters for records that predate these rules.
/// </summary>
public static partial class ModelNames
{
    public const int MaxLength = 100;

    /// <summary>What a name or an alias may hold, in words, for messages.</summary>
    public const string Rule = "letters, digits, '.', '_' and '-', starting with a letter or a digit";

    /// <summary>The problem with <paramref name="name"/> as a name or alias, or null when it is acceptable.</summary>
    public static string? Problem(string name)
    {
        if (name.Length > MaxLength) return $"must be at most {MaxLength} characters (got {name.Length}).";
        if (!Allowed().IsMatch(name)) return $"must be 1 to {MaxLength} {Rule} (got \"{name}\").";
        if (LooksLikeId(name)) return $"looks like an id (a letter and 12 hex digits), which would hide the model of that id; choose another (got \"{name}\").";
        return null;
    }

    /// <summary>A letter and 12 hex digits: the shape of model, job and sweep ids.</summary>
    public static bool LooksLikeId(string text) => IdShape().IsMatch(text);

    /// <summary>"name@3" as ("name", 3); null for anything else (no @, or a version that is not a whole number from 1).</summary>
    public static (string Name, int Version)? ParseVersioned(string reference)
    {
        int at = reference.LastIndexOf('@');
        if (at <= 0 || at == reference.Length - 1) return null;
        if (!int.TryParse(reference.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1) return null;
        return (reference[..at], version);
    }

    /// <summary>
    /// Free text made into a name: every run of characters a name may not hold becomes '-' ("seed 001
    /// (CIFAR-10)" is "seed-001-CIFAR-10"), cut to <see cref="MaxLength"/>.
    /// </summary>
    public static string From(string text)
    {
        string name = NotAllowed().Replace(text, "-").Trim('-', '.', '_');
        return name.Length > MaxLength ? name[..MaxLength] : name;
    }

    /// <summary>"name@version" as a client writes it.</summary>
    public static string Versioned(string name, int version) => $"{name}@{version.ToString(CultureInfo.InvariantCulture)}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Allowed();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex NotAllowed();

    [GeneratedRegex("^[A-Za-z][0-9A-Fa-f]{12}$")]
    private static partial Regex IdShape();
}
