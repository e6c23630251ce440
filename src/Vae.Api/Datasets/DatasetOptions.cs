namespace Vae.Api.Datasets;

/// <summary>Datasets ("Datasets" section).</summary>
public sealed class DatasetOptions
{
    public const string Section = "Datasets";
    /// <summary>Cache folder for dataset files; default $VAE_DATA_DIR or ~/.cache/vae/datasets.</summary>
    public string? Directory { get; set; }
    /// <summary>Use only the first N training images (0: all); for quick demos and tests.</summary>
    public int TrainLimit { get; set; }
    /// <summary>Use only the first N test images (0: all).</summary>
    public int TestLimit { get; set; }
}
