namespace Vae.Engine.Data;

/// <summary>Loads the MNIST digits (or anything laid out like them) from a folder of IDX files.</summary>
public static class Mnist
{
    public const string Name = "mnist";

    public const int ClassCount = 10;

    /// <summary>Label k is the digit k.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    public static IReadOnlyList<string> FileNames { get; } = [TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile];

    public static string ImagesFileName(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => TrainImagesFile,
        DatasetSplit.Test => TestImagesFile,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
    };

    public static string LabelsFileName(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => TrainLabelsFile,
        DatasetSplit.Test => TestLabelsFile,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
    };

    /// <summary>True when all four files are in <paramref name="directory"/>, each plain or gzipped.</summary>
    public static bool FilesPresent(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return FileNames.All(name => Locate(directory, name) is not null);
    }

    /// <summary>
    /// Reads one split. Images must be a rank-3 IDX array (N, H, W) and labels a rank-1 array (N)
    /// of values below 10.
    /// </summary>
    public static ImageDataset Load(string directory, DatasetSplit split)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string imagesPath = Require(directory, ImagesFileName(split));
        string labelsPath = Require(directory, LabelsFileName(split));

        IdxArray images = IdxReader.Read(imagesPath);
        if (images.Rank != 3)
        {
            throw new InvalidDataException(
                $"MNIST images file '{imagesPath}' has {images.Rank} dimension(s) [{string.Join(", ", images.Dimensions)}]; " +
                "expected 3 (count, height, width). Is this a labels file under an images file's name?");
        }

        IdxArray labels = IdxReader.Read(labelsPath);
        if (labels.Rank != 1)
        {
            throw new InvalidDataException(
                $"MNIST labels file '{labelsPath}' has {labels.Rank} dimension(s) [{string.Join(", ", labels.Dimensions)}]; " +
                "expected 1 (count). Is this an images file under a labels file's name?");
        }

        int count = images.Dimensions[0];
        if (labels.Dimensions[0] != count)
        {
            throw new InvalidDataException(
                $"MNIST labels file '{labelsPath}' holds {labels.Dimensions[0]} labels but images file '{imagesPath}' holds {count} images; " +
                "the two files must come from the same split.");
        }

        int bad = labels.Data.AsSpan().IndexOfAnyInRange((byte)ClassCount, byte.MaxValue);
        if (bad >= 0)
        {
            throw new InvalidDataException(
                $"MNIST labels file '{labelsPath}': label {bad} is {labels.Data[bad]}; digit labels must be 0..9.");
        }

        string name = split == DatasetSplit.Train ? "mnist-train" : "mnist-test";
        return new ImageDataset(
            name,
            count,
            channels: 1,
            height: images.Dimensions[1],
            width: images.Dimensions[2],
            images.Data,
            labels.Data,
            ClassCount);
    }

    /// <summary>The path of <paramref name="fileName"/> in <paramref name="directory"/>, as-is or with ".gz"; null when neither exists.</summary>
    public static string? Locate(string directory, string fileName)
    {
        string plain = Path.Combine(directory, fileName);
        if (File.Exists(plain))
        {
            return plain;
        }

        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static string Require(string directory, string fileName)
    {
        string? path = Locate(directory, fileName);
        if (path is null)
        {
            string expected = Path.Combine(directory, fileName);
            throw new FileNotFoundException(
                $"MNIST file '{expected}' (or '{expected}.gz') does not exist. {DatasetFiles.FetchAdvice(Name, directory)}",
                expected);
        }

        return path;
    }
}
