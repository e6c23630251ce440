using Microsoft.Extensions.Options;

namespace Vae.Api.Datasets;

/// <summary>
/// Limits on uploaded datasets ("Datasets:Uploads" section). Everything a client sends is checked
/// against these before anything is kept; the defaults suit datasets of the MNIST and CIFAR kind
/// and keep one upload's decoding within a few hundred megabytes of memory.
/// </summary>
public sealed class UploadOptions
{
    public const string Section = "Datasets:Uploads";

    /// <summary>Largest upload body in bytes (a zip, or the IDX files of a multipart form).</summary>
    public long MaxUploadBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>
    /// Most bytes an upload may expand to: the inflated size of its zip entries (or gzip files), and
    /// separately its decoded pixels (one byte per channel of every pixel), must each stay within it.
    /// </summary>
    public long MaxExpandedBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Most images in one upload, training and test splits together.</summary>
    public int MaxImages { get; set; } = 100_000;

    /// <summary>The largest MaxWidth and MaxHeight that can be configured: an upload's images are all held in memory while it is read.</summary>
    public const int LargestSide = 4096;

    /// <summary>Widest and tallest an uploaded image may be, in pixels.</summary>
    public int MaxWidth { get; set; } = 64;
    public int MaxHeight { get; set; } = 64;

    /// <summary>Narrowest and shortest an uploaded image may be, in pixels.</summary>
    public int MinWidth { get; set; } = 4;
    public int MinHeight { get; set; } = 4;

    /// <summary>Most classes (class folders, or distinct labels) in one upload; at most 256, as labels are bytes.</summary>
    public int MaxClasses { get; set; } = 100;

    /// <summary>Most entries (files and folders) in an uploaded zip.</summary>
    public int MaxZipEntries { get; set; } = 120_000;

    /// <summary>
    /// Largest ratio of inflated to compressed size of one zip entry (or gzip file) once it inflates
    /// past a mebibyte; image files hardly compress further, so a higher ratio is the mark of a zip bomb.
    /// </summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>Checks the configured limits at start, naming the setting that is wrong.</summary>
    public sealed class Validator : IValidateOptions<UploadOptions>
    {
        public ValidateOptionsResult Validate(string? name, UploadOptions o)
        {
            var failures = new List<string>();
            if (o.MaxUploadBytes < 1024) failures.Add($"{Section}:MaxUploadBytes must be at least 1024 bytes.");
            if (o.MaxExpandedBytes < 1024) failures.Add($"{Section}:MaxExpandedBytes must be at least 1024 bytes.");
            if (o.MaxImages < 2) failures.Add($"{Section}:MaxImages must be at least 2 (one training and one test image).");
            if (o.MinWidth < 1 || o.MinWidth > o.MaxWidth || o.MaxWidth > LargestSide)
                failures.Add($"{Section}:MinWidth must be at least 1 and at most MaxWidth, which must be at most {LargestSide}.");
            if (o.MinHeight < 1 || o.MinHeight > o.MaxHeight || o.MaxHeight > LargestSide)
                failures.Add($"{Section}:MinHeight must be at least 1 and at most MaxHeight, which must be at most {LargestSide}.");
            if (o.MaxClasses is < 2 or > UploadRules.LabelValues)
                failures.Add($"{Section}:MaxClasses must be 2 to {UploadRules.LabelValues} (labels are stored as bytes).");
            if (o.MaxZipEntries < 1) failures.Add($"{Section}:MaxZipEntries must be at least 1.");
            if (!double.IsFinite(o.MaxCompressionRatio) || o.MaxCompressionRatio < 1)
                failures.Add($"{Section}:MaxCompressionRatio must be a finite number of at least 1.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
