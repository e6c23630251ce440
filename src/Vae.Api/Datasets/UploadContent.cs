namespace Vae.Api.Datasets;

/// <summary>One split of an upload: <see cref="Count"/> images of C*H*W bytes each, channel-major, and one label per image.</summary>
internal sealed record UploadSplit(int Count, byte[] Pixels, byte[] Labels);

/// <summary>
/// What an upload holds once read and checked, before it is stored.
/// </summary>
/// <param name="ClassNames">Label k's name.</param>
/// <param name="Source">How it came, for the default description ("images in a zip").</param>
internal sealed record UploadContent(
    int Channels, int Height, int Width, IReadOnlyList<string> ClassNames, UploadSplit Train, UploadSplit Test, string Source)
{
    public string Describe()
    {
        string kind = Channels == 3 ? "colour" : "gray";
        string classes = $"{ClassNames.Count} classes ({Abbreviate(ClassNames)})";
        return $"{Train.Count + Test.Count} {Width}x{Height} {kind} images, {classes}, uploaded as {Source}.";
    }

    private static string Abbreviate(IReadOnlyList<string> names)
        => names.Count <= 6 ? string.Join(", ", names) : string.Join(", ", names.Take(5)) + $", ... {names[^1]}";
}

/// <summary>
/// The rules every upload follows, whatever its format: how a test split is held out when none is
/// given, and what makes a usable dataset.
/// </summary>
internal static class UploadRules
{
    /// <summary>Every tenth image of each class goes to the test split when the upload has none.</summary>
    public const int HeldOutEvery = 10;

    /// <summary>Labels are stored as bytes, so no upload has more classes than this whatever the options say.</summary>
    public const int LabelValues = 256;

    /// <summary>
    /// Whether image <paramref name="index"/> of the <paramref name="count"/> images of one class
    /// (in name or file order) is held out for testing: the 10th, 20th, 30th... and, in a class of
    /// 2 to 9 images, its last one, so every class with at least two images is tested.
    /// </summary>
    public static bool IsHeldOut(int index, int count)
        => index % HeldOutEvery == HeldOutEvery - 1 || (count is >= 2 and < HeldOutEvery && index == count - 1);

    public static void CheckClassCount(IReadOnlyList<string> classNames, UploadOptions options)
    {
        if (classNames.Count < 2)
        {
            string which = classNames.Count == 1 ? $"only one class ('{classNames[0]}')" : "no classes";
            throw UploadRejectedException.Unprocessable(
                $"The upload has {which}; a dataset needs images of at least 2 classes, each class in its own folder (or with its own label).");
        }
        if (classNames.Count > options.MaxClasses)
        {
            throw UploadRejectedException.Unprocessable(
                $"The upload has {classNames.Count} classes; at most {options.MaxClasses} are allowed (Datasets:Uploads:MaxClasses). Merge some classes, or upload fewer.");
        }
    }

    public static void CheckImageCount(long count, UploadOptions options)
    {
        if (count > options.MaxImages)
            throw UploadRejectedException.TooLarge($"The upload holds {count} images, more than the {options.MaxImages} allowed (Datasets:Uploads:MaxImages).");
    }

    public static void CheckSide(string what, int width, int height, UploadOptions options)
    {
        if (width > options.MaxWidth || height > options.MaxHeight || width < options.MinWidth || height < options.MinHeight)
        {
            throw UploadRejectedException.Unprocessable(
                $"'{what}' is {width}x{height} pixels; images must be {options.MinWidth} to {options.MaxWidth} pixels wide and {options.MinHeight} to {options.MaxHeight} high " +
                "(Datasets:Uploads:MinWidth, MaxWidth, MinHeight, MaxHeight). Resize them first.");
        }
    }

    public static void CheckPixelBytes(long bytes, UploadOptions options)
    {
        if (bytes > options.MaxExpandedBytes)
        {
            throw UploadRejectedException.TooLarge(
                $"The decoded images take {bytes} bytes, more than the {options.MaxExpandedBytes} allowed (Datasets:Uploads:MaxExpandedBytes). Upload fewer or smaller images.");
        }
    }

    /// <summary>The test split must have images: without it nothing measures the model.</summary>
    public static void CheckSplits(int train, int test, string heldOutHint)
    {
        if (train == 0)
            throw UploadRejectedException.Unprocessable("The upload has no training images; put images in train/ (or leave out the split folders, and a test split is held out).");
        if (test == 0)
            throw UploadRejectedException.Unprocessable($"The test split would be empty. {heldOutHint}");
    }
}
