using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;

namespace Vae.Api.Models;

/// <summary>Checks of the lists of numbers that JSON bodies carry (pixels, latent codes), each problem a 422 naming the field.</summary>
internal static class BodyRows
{
    public static ProblemHttpResult? CheckCount(int value, int max, string name, string what)
        => value < 1 || value > max ? Problems.Invalid(name, $"{name} must be between 1 and {max} {what}, got {value}.") : null;

    /// <summary>Checks every row's length and that every value is finite (and in [0, 1] for pixels).</summary>
    public static ProblemHttpResult? CheckRows(float[][] rows, int expected, string name, string what, bool unitRange, bool single)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            string where = single ? name : $"{name}[{r}]";
            var row = rows[r];
            if (row is null) return Problems.Invalid(name, $"{where} is null; it must be a list of {expected} {what}.");
            if (row.Length != expected) return Problems.Invalid(name, $"{where} has {row.Length} {what}; this model expects {expected}.");
            for (int i = 0; i < row.Length; i++)
            {
                float v = row[i];
                if (!float.IsFinite(v)) return Problems.Invalid(name, $"{where}[{i}] is not a finite number (it overflows a 32-bit float or is NaN).");
                if (unitRange && (v < 0f || v > 1f)) return Problems.Invalid(name, $"{where}[{i}] is {v.ToString(CultureInfo.InvariantCulture)}; pixel values must be in [0, 1].");
            }
        }
        return null;
    }

    public static float[] Flatten(float[][] rows, int length)
    {
        var flat = new float[rows.Length * length];
        Flatten(rows, length, flat);
        return flat;
    }

    public static void Flatten(float[][] rows, int length, Span<float> flat)
    {
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat.Slice(i * length, length));
    }
}
