namespace Vae.Api.Sweeps;

/// <summary>Sweeps ("Sweeps" section).</summary>
public sealed class SweepsOptions
{
    public const string Section = "Sweeps";
    /// <summary>
    /// Points (jobs) one sweep may have: the product of the number of values of every key. A grid
    /// larger than this is refused before anything is queued.
    /// </summary>
    public int MaxPoints { get; set; } = 64;
}
