using System.Buffers.Binary;
using System.IO.Compression;
using Vae.Engine.Data;

namespace Vae.Api.Datasets;

/// <summary>The four files an IDX upload may have.</summary>
internal enum IdxRole { Images, Labels, TestImages, TestLabels }

/// <summary>One IDX file of an upload, parsed, with the name it came under.</summary>
internal sealed record IdxPart(IdxRole Role, string What, IdxArray Array);

/// <summary>
/// Reads IDX files (the MNIST format: unsigned bytes, images as (count, height, width), labels as
/// (count)) into a gray dataset. They come as the parts of a multipart form, whose part names say
/// what each is, or as the files of a zip, where the header says what each is (one dimension:
/// labels; three: images) and the file name says the split (a name that starts with "t10k" or
/// contains "test" is the test split, any other the training split). Either way a file may be
/// gzipped. Labels are class numbers: the classes are named "0".."k-1", k one more than the largest
/// label. Every image file needs its label file; without a test split every tenth image of each
/// class in file order is held out (see <see cref="UploadRules.IsHeldOut"/>).
/// </summary>
internal static class IdxUpload
{
    public const string FormParts = "'images' and 'labels', and optionally 'testImages' and 'testLabels'";

    /// <summary>The role of a multipart file part by its name; null for a name that is not one.</summary>
    public static IdxRole? RoleOfPart(string name) => name.ToLowerInvariant() switch
    {
        "images" => IdxRole.Images,
        "labels" => IdxRole.Labels,
        "testimages" => IdxRole.TestImages,
        "testlabels" => IdxRole.TestLabels,
        _ => null,
    };

    /// <summary>Whether a file's bytes start like an IDX file of unsigned bytes, or like gzip.</summary>
    public static bool LooksLikeIdx(ReadOnlySpan<byte> bytes)
        => (bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == IdxReader.UnsignedByteType) || IsGzip(bytes);

    /// <summary>Parses one file (gunzipped first when it is gzip) within the budget.</summary>
    public static IdxArray Parse(byte[] bytes, string what, ExpansionBudget budget)
    {
        if (IsGzip(bytes))
        {
            using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            bytes = budget.ReadAll(gzip, what, bytes.Length, declared: null, max: budget.Remaining,
                size => UploadRejectedException.TooLarge($"'{what}' inflates to {size} bytes, more than the upload may expand to (Datasets:Uploads:MaxExpandedBytes)."));
        }
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw UploadRejectedException.Unprocessable($"'{what}' is not an IDX file: it does not start with the IDX magic bytes 0x00 0x00.");
        if (bytes[2] != IdxReader.UnsignedByteType)
            throw UploadRejectedException.Unprocessable($"'{what}' holds IDX elements of type 0x{bytes[2]:x2}; only unsigned bytes (0x08), as in MNIST, are accepted.");

        // The header's sizes must account for the bytes exactly before the reader allocates anything by them.
        int rank = bytes[3];
        long header = 4 + (4L * rank), elements = 1;
        if (rank == 0 || bytes.Length < header)
            throw UploadRejectedException.Unprocessable($"'{what}' has a truncated or empty IDX header ({rank} dimensions, {bytes.Length} bytes).");
        for (int i = 0; i < rank; i++)
        {
            int dimension = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * i)));
            if (dimension <= 0)
                throw UploadRejectedException.Unprocessable($"'{what}' has IDX dimension {i} of {dimension}; every dimension must be positive.");
            elements *= dimension;
            if (elements > bytes.Length)
                break;
        }
        if (elements != bytes.Length - header)
            throw UploadRejectedException.Unprocessable(
                $"'{what}' is {bytes.Length} bytes, but its IDX header describes {(elements > bytes.Length ? "more than that" : $"{elements} bytes of data after a {header}-byte header")}; the file is truncated or corrupt.");
        try
        {
            return IdxReader.Read(new MemoryStream(bytes, writable: false), what);
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.Unprocessable(e.Message);
        }
    }

    /// <summary>Classifies the files of a zip that holds IDX files.</summary>
    public static List<IdxPart> FromZip(UploadZip zip, ExpansionBudget budget)
    {
        var parts = new List<IdxPart>();
        foreach (var file in zip.Files)
        {
            byte[] bytes = UploadZip.Read(file, budget, budget.Remaining, size => UploadRejectedException.TooLarge(
                $"Zip entry '{file.Path}' inflates to {size} bytes, more than the upload may expand to (Datasets:Uploads:MaxExpandedBytes)."));
            if (!LooksLikeIdx(bytes))
            {
                throw UploadRejectedException.Unprocessable(
                    $"Zip entry '{file.Path}' is neither an image nor an IDX file. An uploaded zip holds images ({Vae.Engine.Imaging.ImageFormats.Extensions} files, in one folder per class) or IDX files; remove other files.");
            }
            var array = Parse(bytes, file.Path, budget);
            string name = file.FileName.ToLowerInvariant();
            bool test = name.StartsWith("t10k", StringComparison.Ordinal) || name.Contains("test", StringComparison.Ordinal);
            IdxRole role = array.Rank switch
            {
                1 => test ? IdxRole.TestLabels : IdxRole.Labels,
                3 => test ? IdxRole.TestImages : IdxRole.Images,
                _ => throw UploadRejectedException.Unprocessable(
                    $"'{file.Path}' is an IDX array of {array.Rank} dimensions [{string.Join(", ", array.Dimensions)}]; images have 3 (count, height, width) and labels 1 (count)."),
            };
            if (parts.FirstOrDefault(p => p.Role == role) is { } twin)
            {
                throw UploadRejectedException.Unprocessable(
                    $"Both '{twin.What}' and '{file.Path}' are {Describe(role)}. A zip holds at most one IDX file of each kind: training images and labels, " +
                    "and test images and labels (a name that starts with 't10k' or contains 'test' marks the test split).");
            }
            parts.Add(new IdxPart(role, file.Path, array));
        }
        return parts;
    }

    /// <summary>The dataset the files make, checked against the options.</summary>
    public static UploadContent Assemble(IReadOnlyList<IdxPart> parts, UploadOptions options, string source)
    {
        IdxPart? Find(IdxRole role) => parts.FirstOrDefault(p => p.Role == role);
        var images = Find(IdxRole.Images);
        var labels = Find(IdxRole.Labels);
        var testImages = Find(IdxRole.TestImages);
        var testLabels = Find(IdxRole.TestLabels);
        if (images is null)
        {
            throw UploadRejectedException.Unprocessable(parts.Count == 0
                ? $"The upload holds no IDX files. Send {FormParts} as parts of a multipart form, or the files in a zip."
                : "The upload has no training images: an IDX file of 3 dimensions (count, height, width) whose name does not mark it as the test split.");
        }
        CheckImages(images);
        int height = images.Array.Dimensions[1], width = images.Array.Dimensions[2];
        UploadRules.CheckSide(images.What, width, height, options);
        if (testImages is not null)
        {
            CheckImages(testImages);
            if (testImages.Array.Dimensions[1] != height || testImages.Array.Dimensions[2] != width)
            {
                throw UploadRejectedException.Unprocessable(
                    $"'{testImages.What}' holds {testImages.Array.Dimensions[2]}x{testImages.Array.Dimensions[1]} images but '{images.What}' holds {width}x{height}; both splits must have one size.");
            }
        }
        if (labels is null) throw MissingLabels(images, "labels");
        if (testImages is not null && testLabels is null) throw MissingLabels(testImages, "testLabels");
        if (testLabels is not null && testImages is null)
            throw UploadRejectedException.Unprocessable($"'{testLabels.What}' gives test labels, but there are no test images; send the test images too, or leave out both.");
        CheckLabels(labels, images);
        if (testLabels is not null) CheckLabels(testLabels, testImages!);
        UploadRules.CheckImageCount((long)images.Array.Dimensions[0] + (testImages?.Array.Dimensions[0] ?? 0), options);

        int classes = 1 + Math.Max(labels.Array.Data.Max(), testLabels?.Array.Data.Max() ?? (byte)0);
        IReadOnlyList<string> classNames = [.. Enumerable.Range(0, classes).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        UploadRules.CheckClassCount(classNames, options);

        int area = height * width;
        UploadSplit train, test;
        if (testImages is not null)
        {
            train = Split(images.Array.Data, labels.Array.Data, area, null);
            test = Split(testImages.Array.Data, testLabels!.Array.Data, area, null);
        }
        else
        {
            // Held out per class, in file order.
            int count = images.Array.Dimensions[0];
            byte[] given = labels.Array.Data;
            var perClass = new int[UploadRules.LabelValues];
            var classSizes = new int[UploadRules.LabelValues];
            foreach (byte label in given) classSizes[label]++;
            var heldOut = new bool[count];
            for (int i = 0; i < count; i++) heldOut[i] = UploadRules.IsHeldOut(perClass[given[i]]++, classSizes[given[i]]);
            train = Split(images.Array.Data, given, area, i => !heldOut[i]);
            test = Split(images.Array.Data, given, area, i => heldOut[i]);
        }
        UploadRules.CheckSplits(train.Count, test.Count,
            "Send test images too, or at least 2 images of some class (every 10th image of each class, and the last of a class of 2 to 9, is held out).");
        return new UploadContent(1, height, width, classNames, train, test, source);
    }

    private static void CheckImages(IdxPart part)
    {
        if (part.Array.Rank != 3)
        {
            throw UploadRejectedException.Unprocessable(
                $"'{part.What}' is an IDX array of {part.Array.Rank} dimensions [{string.Join(", ", part.Array.Dimensions)}]; images must have 3 (count, height, width).");
        }
    }

    private static UploadRejectedException MissingLabels(IdxPart images, string part) => UploadRejectedException.Unprocessable(
        $"'{images.What}' has no labels. Send its labels too: an IDX file of one dimension (count) with each image's class number, as the '{part}' part " +
        $"of a form, or in the zip beside the images{(part == "testLabels" ? " with 'test' or 't10k' in its name" : "")}.");

    private static void CheckLabels(IdxPart labels, IdxPart images)
    {
        if (labels.Array.Rank != 1)
        {
            throw UploadRejectedException.Unprocessable(
                $"'{labels.What}' is an IDX array of {labels.Array.Rank} dimensions [{string.Join(", ", labels.Array.Dimensions)}]; labels must have 1 (count).");
        }
        if (labels.Array.Dimensions[0] != images.Array.Dimensions[0])
        {
            throw UploadRejectedException.Unprocessable(
                $"'{labels.What}' holds {labels.Array.Dimensions[0]} labels but '{images.What}' holds {images.Array.Dimensions[0]} images; they must match one to one.");
        }
    }

    private static UploadSplit Split(byte[] pixels, byte[] labels, int area, Func<int, bool>? keep)
    {
        int count = pixels.Length / area;
        if (keep is null) return new UploadSplit(count, pixels, labels);
        var rows = Enumerable.Range(0, count).Where(keep).ToArray();
        var kept = new byte[(long)rows.Length * area];
        var keptLabels = new byte[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            pixels.AsSpan(rows[r] * area, area).CopyTo(kept.AsSpan(r * area, area));
            keptLabels[r] = labels[rows[r]];
        }
        return new UploadSplit(rows.Length, kept, keptLabels);
    }

    private static string Describe(IdxRole role) => role switch
    {
        IdxRole.Images => "training images",
        IdxRole.Labels => "training labels",
        IdxRole.TestImages => "test images",
        _ => "test labels",
    };

    private static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}
