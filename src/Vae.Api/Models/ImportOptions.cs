namespace Vae.Api.Models;

/// <summary>Limits on imported models ("Models:Import" section).</summary>
public sealed class ImportOptions
{
    public const string Section = "Models:Import";

    /// <summary>
    /// Largest import body in bytes (the weights and the configuration together). The default takes
    /// seed 001's ResNet-18 VAE (about 90 MB of float32 weights) with room to spare.
    /// </summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;
}
