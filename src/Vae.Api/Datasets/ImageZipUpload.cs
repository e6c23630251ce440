using Vae.Engine.Imaging;

namespace Vae.Api.Datasets;

/// <summary>
/// Reads a zip of images (PNG, JPEG, WebP or BMP, told apart by their contents; the names' extensions
/// say which files are images) into a dataset. Layouts:
/// <list type="bullet">
/// <item><c>cat/1.png, dog/1.jpg, ...</c>: one folder per class; the folder names, sorted ordinally, are the class names and give labels 0..n-1.</item>
/// <item>the same inside <c>train/</c> and <c>test/</c> (any case): those are the splits; <c>test/</c> is optional, and its classes must also be in <c>train/</c>.</item>
/// </list>
/// A zip whose files all sit in one folder of folders (as zipping a folder makes: <c>pets/cat/1.png</c>)
/// is read as if that folder were the top level. Without a test split, every tenth image of each
/// class in name order is held out (see <see cref="UploadRules.IsHeldOut"/>). Images are decoded
/// by the service's <see cref="IImageCodec"/> (turned upright by their EXIF orientation) and must all
/// have one size; gray images (every pixel's red, green and blue equal) give one channel, and any
/// colour image makes the dataset RGB, the gray ones then repeated in the three channels;
/// transparency is flattened onto black. Images are stored interleaved by
/// class (the first of each class, then the second of each...) so the first images of a split
/// cover every class.
/// </summary>
internal static class ImageZipUpload
{
    /// <summary>
    /// The most bytes one image file of the largest allowed size may take: a 16-bit RGBA PNG stored
    /// without compression is 8 bytes a pixel plus a filter byte a row (more than any BMP, JPEG or
    /// WebP of that size), and a mebibyte is left for metadata.
    /// </summary>
    public static long MaxImageBytes(UploadOptions options) => (1024 * 1024) + (8L * options.MaxWidth * options.MaxHeight) + options.MaxHeight;

    /// <summary>Whether a zip entry is an image by its name.</summary>
    public static bool IsImage(ZipItem file) => ImageFormats.FromFileName(file.FileName) is not null;

    private static readonly string Layouts =
        $"A zip of images holds {ImageFormats.Extensions} files in one folder per class (cat/1.png, dog/1.jpg, ...), optionally inside train/ and test/ folders.";

    private sealed record Placed(ZipItem File, bool Test, int Label);

    public static UploadContent Read(UploadZip zip, UploadOptions options, ExpansionBudget budget, IImageCodec codec)
    {
        foreach (var file in zip.Files)
        {
            if (!IsImage(file))
                throw UploadRejectedException.UnsupportedMedia($"Zip entry '{file.Path}' is not a {ImageFormats.Names} image (by its name). {Layouts} Remove other files.");
        }
        var (placed, classNames) = Place(zip.Files, options);
        UploadRules.CheckImageCount(placed.Count, options);
        int trainCount = placed.Count(p => !p.Test), testCount = placed.Count - trainCount;
        UploadRules.CheckSplits(trainCount, testCount,
            "Give the test images in a test/ folder, or leave it out and put at least 2 images in a class (every 10th image of each class, and the last of a class of 2 to 9, is held out).");

        // All images are decoded before any is assembled: the channel count is known only at the end.
        var planes = new byte[placed.Count][];
        int width = 0, height = 0;
        string? first = null;
        bool colour = false;
        long decodedBytes = 0;
        long maxBytes = MaxImageBytes(options);
        for (int i = 0; i < placed.Count; i++)
        {
            var file = placed[i].File;
            byte[] bytes = UploadZip.Read(file, budget, maxBytes, size => UploadRejectedException.Unprocessable(
                $"Zip entry '{file.Path}' is {size} bytes, more than the {maxBytes} an image of at most {options.MaxWidth}x{options.MaxHeight} pixels may be here."));
            var header = Refused(file.Path, () => codec.Identify(bytes));
            var (w, h) = (header.Width, header.Height);
            UploadRules.CheckSide(file.Path, w, h, options);
            if (first is null)
            {
                (width, height, first) = (w, h, file.Path);
            }
            else if (w != width || h != height)
            {
                throw UploadRejectedException.Unprocessable(
                    $"'{file.Path}' is {w}x{h} pixels but '{first}' is {width}x{height}; all images of a dataset must have the same size. Resize them first.");
            }
            RgbaImage image = Refused(file.Path, () => codec.Decode(bytes));
            planes[i] = ToPlanes(image.Pixels, w * h);
            colour |= planes[i].Length > w * h;
            decodedBytes += planes[i].Length;
            UploadRules.CheckPixelBytes(decodedBytes, options);
        }
        int channels = colour ? 3 : 1;
        UploadRules.CheckPixelBytes((long)placed.Count * channels * width * height, options);

        return new UploadContent(channels, height, width, classNames,
            Assemble(placed, planes, test: false, channels, width * height), Assemble(placed, planes, test: true, channels, width * height), "images in a zip");
    }

    /// <summary>Where each file goes (split and label), in the order it is stored; and the class names.</summary>
    private static (List<Placed> Placed, IReadOnlyList<string> ClassNames) Place(IReadOnlyList<ZipItem> files, UploadOptions options)
    {
        if (files.Count == 0)
            throw UploadRejectedException.Unprocessable($"The zip holds no images. {Layouts}");

        var paths = files.Select(f => f.Segments.ToArray()).ToList();
        // A zipped folder: skip the one folder everything is in, when it holds folders rather than images.
        if (paths.All(p => p.Length >= 3 && p[0] == paths[0][0]) && !IsSplitName(paths[0][0]))
            paths = [.. paths.Select(p => p[1..])];

        bool splitFolders = paths.Any(p => p.Length >= 2 && IsSplitName(p[0]));
        var split = new bool[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            if (!splitFolders) continue;
            if (paths[i].Length < 2 || !IsSplitName(paths[i][0]))
                throw UploadRejectedException.Unprocessable($"'{files[i].Path}' is outside train/ and test/; when the zip has those folders, every image must be in one of them.");
            split[i] = string.Equals(paths[i][0], "test", StringComparison.OrdinalIgnoreCase);
            paths[i] = paths[i][1..];
        }
        if (splitFolders && split.All(t => t))
            throw UploadRejectedException.Unprocessable("The zip has a test/ folder but no train/ folder; put the training images in train/, or leave out both folders and a test split is held out.");

        int deepest = paths.Max(p => p.Length);
        if (deepest > 2)
        {
            int i = paths.FindIndex(p => p.Length > 2);
            throw UploadRejectedException.Unprocessable($"'{files[i].Path}' is in a folder inside a class folder; put each class's images directly in its folder. {Layouts}");
        }
        int loose = paths.FindIndex(p => p.Length < 2);
        if (loose >= 0)
        {
            throw UploadRejectedException.Unprocessable(
                $"'{files[loose].Path}' is not in a class folder. Put each class's images in a folder named for the class; the folder names are the class names. {Layouts}");
        }

        IReadOnlyList<string> classNames = [.. Enumerable.Range(0, files.Count).Where(i => !split[i]).Select(i => paths[i][0]).Distinct().Order(StringComparer.Ordinal)];
        UploadRules.CheckClassCount(classNames, options);
        var labelOf = classNames.Select((name, label) => (name, label)).ToDictionary(x => x.name, x => x.label, StringComparer.Ordinal);
        int[] labels = new int[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            if (!labelOf.TryGetValue(paths[i][0], out int label))
                throw UploadRejectedException.Unprocessable($"'{files[i].Path}' is in test class '{paths[i][0]}', which train/ does not have; every test class needs training images.");
            labels[i] = label;
        }

        // Per split and class, files in name order; held out by the rule when there is no test folder.
        int classCount = classNames.Count;
        var byClass = new List<int>[2, classCount];
        for (int s = 0; s < 2; s++) for (int c = 0; c < classCount; c++) byClass[s, c] = [];
        foreach (int i in Enumerable.Range(0, files.Count).OrderBy(i => files[i].Path, StringComparer.Ordinal))
            byClass[split[i] ? 1 : 0, labels[i]].Add(i);
        if (!splitFolders)
        {
            for (int c = 0; c < classCount; c++)
            {
                var all = byClass[0, c];
                byClass[1, c] = [.. all.Where((_, k) => UploadRules.IsHeldOut(k, all.Count))];
                byClass[0, c] = [.. all.Where((_, k) => !UploadRules.IsHeldOut(k, all.Count))];
            }
        }

        var placed = new List<Placed>(files.Count);
        for (int s = 0; s < 2; s++)
        {
            int longest = Enumerable.Range(0, classCount).Max(c => byClass[s, c].Count);
            for (int k = 0; k < longest; k++)
            {
                for (int c = 0; c < classCount; c++)
                {
                    if (k < byClass[s, c].Count) placed.Add(new Placed(files[byClass[s, c][k]], s == 1, c));
                }
            }
        }
        return (placed, classNames);
    }

    private static bool IsSplitName(string folder)
        => string.Equals(folder, "train", StringComparison.OrdinalIgnoreCase) || string.Equals(folder, "test", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the codec answers, or its refusal as the upload's: 400 corrupt, 415 not a format that is read, 422 over a limit.</summary>
    private static T Refused<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidImageException e)
        {
            throw UploadRejectedException.Malformed($"'{what}' is not a readable image: {e.Message}");
        }
        catch (UnsupportedImageException e)
        {
            throw UploadRejectedException.UnsupportedMedia($"'{what}': {e.Message}");
        }
        catch (ImageOverLimitException e)
        {
            throw UploadRejectedException.Unprocessable($"'{what}': {e.Message}");
        }
    }

    /// <summary>
    /// RGBA pixels flattened onto black (colour times opacity), as one gray plane when every pixel
    /// is then gray, else as red, green and blue planes.
    /// </summary>
    private static byte[] ToPlanes(byte[] rgba, int area)
    {
        for (int at = 0; at < rgba.Length; at += 4)
        {
            int alpha = rgba[at + 3];
            if (alpha == 255) continue;
            for (int c = 0; c < 3; c++) rgba[at + c] = (byte)(((rgba[at + c] * alpha) + 127) / 255);
        }

        bool gray = true;
        for (int p = 0; p < area && gray; p++)
        {
            int at = 4 * p;
            gray = rgba[at] == rgba[at + 1] && rgba[at + 1] == rgba[at + 2];
        }
        var planes = new byte[gray ? area : 3 * area];
        int channels = gray ? 1 : 3;
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < area; p++) planes[(c * area) + p] = rgba[(4 * p) + c];
        }
        return planes;
    }

    private static UploadSplit Assemble(List<Placed> placed, byte[][] planes, bool test, int channels, int area)
    {
        var indices = Enumerable.Range(0, placed.Count).Where(i => placed[i].Test == test).ToArray();
        int features = channels * area;
        var pixels = new byte[(long)indices.Length * features];
        var labels = new byte[indices.Length];
        for (int row = 0; row < indices.Length; row++)
        {
            int i = indices[row];
            var target = pixels.AsSpan(row * features, features);
            byte[] source = planes[i];
            if (source.Length == features) source.CopyTo(target);
            else for (int c = 0; c < channels; c++) source.CopyTo(target.Slice(c * area, area)); // a gray image in an RGB dataset
            labels[row] = (byte)placed[i].Label;
            planes[i] = []; // let it go as soon as it is copied
        }
        return new UploadSplit(indices.Length, pixels, labels);
    }
}
