using Vae.Engine.Data;

namespace Vae.Engine.Tests.Data;

public sealed class ImageDatasetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-dataset-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Constructing_reports_shape_and_feature_count()
    {
        ImageDataset data = Make(count: 5, height: 3, width: 4);

        Assert.Equal(5, data.Count);
        Assert.Equal(1, data.Channels);
        Assert.Equal(3, data.Height);
        Assert.Equal(4, data.Width);
        Assert.Equal(12, data.FeatureCount);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(60, data.Pixels.Length);
        Assert.Equal(5, data.Labels.Length);
    }

    [Fact]
    public void Constructing_with_the_wrong_number_of_pixel_bytes_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset("d", 2, 1, 2, 2, new byte[7], new byte[2], 10));
        Assert.Contains("8", e.Message);
    }

    [Fact]
    public void Constructing_with_the_wrong_number_of_labels_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new ImageDataset("d", 2, 1, 2, 2, new byte[8], new byte[3], 10));
    }

    [Fact]
    public void Constructing_with_a_label_outside_the_classes_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset("d", 2, 1, 2, 2, new byte[8], new byte[] { 3, 10 }, 10));
        Assert.Contains("label 10", e.Message);
    }

    [Fact]
    public void Copying_a_batch_divides_each_pixel_by_255_in_index_order()
    {
        ImageDataset data = Make(count: 6, height: 5, width: 7);
        int[] indices = [4, 0, 4, 5];
        var batch = new float[indices.Length * data.FeatureCount];

        data.CopyBatch(indices, batch);

        for (int row = 0; row < indices.Length; row++)
        {
            ReadOnlySpan<byte> image = data.GetImage(indices[row]);
            for (int j = 0; j < data.FeatureCount; j++)
            {
                Assert.Equal(image[j] / 255f, batch[row * data.FeatureCount + j]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(784)]
    [InlineData(1000)]
    public void Converting_bytes_to_floats_matches_scalar_division_for_every_length(int length)
    {
        byte[] source = Enumerable.Range(0, length).Select(i => (byte)((i * 37 + 11) % 256)).ToArray();
        var destination = new float[length + 3];
        destination.AsSpan().Fill(-1f);

        ImageDataset.ToUnitFloats(source, destination);

        for (int i = 0; i < length; i++)
        {
            Assert.Equal(source[i] / 255f, destination[i]);
        }

        Assert.All(destination[length..], v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void Converting_covers_every_byte_value_exactly()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var floats = new float[256];

        ImageDataset.ToUnitFloats(all, floats);

        Assert.Equal(0f, floats[0]);
        Assert.Equal(1f, floats[255]);
        for (int i = 0; i < 256; i++)
        {
            Assert.Equal(i / 255f, floats[i]);
        }
    }

    [Fact]
    public void Copying_a_batch_into_a_destination_of_the_wrong_size_is_rejected()
    {
        ImageDataset data = Make(count: 3, height: 2, width: 2);

        Assert.Throws<ArgumentException>(() => data.CopyBatch([0, 1], new float[7]));
        Assert.Throws<ArgumentException>(() => data.CopyBatch([0, 1], new float[9]));
    }

    [Fact]
    public void Copying_a_batch_with_an_index_out_of_range_is_rejected()
    {
        ImageDataset data = Make(count: 3, height: 2, width: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyBatch([0, 3], new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyBatch([-1], new float[4]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_batch_shared_among_threads_holds_the_values_one_thread_writes(int threads)
    {
        ImageDataset data = Make(count: 200, height: 5, width: 9);
        var random = new Random(8);
        int[] indices = Enumerable.Range(0, 71).Select(_ => random.Next(200)).ToArray();
        var alone = new float[indices.Length * data.FeatureCount];
        var shared = new float[alone.Length];

        data.CopyBatch(indices, alone);
        data.CopyBatch(indices, shared, threads);

        Assert.Equal(alone, shared);
        for (int j = 0; j < data.FeatureCount; j++) Assert.Equal(data.GetImage(indices[70])[j] / 255f, shared[(70 * data.FeatureCount) + j]);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyBatch([.. indices, 200], new float[shared.Length + data.FeatureCount], threads));
    }

    [Fact]
    public void Copying_labels_follows_the_indices()
    {
        ImageDataset data = Make(count: 5, height: 1, width: 1);
        var labels = new int[3];

        data.CopyLabels([4, 1, 1], labels);

        Assert.Equal([data.GetLabel(4), data.GetLabel(1), data.GetLabel(1)], labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.CopyLabels([5], new int[1]));
        Assert.Throws<ArgumentException>(() => data.CopyLabels([1, 2], new int[1]));
    }

    [Fact]
    public void A_subset_shares_the_images_and_labels_of_its_range()
    {
        ImageDataset data = Make(count: 10, height: 2, width: 3);

        ImageDataset subset = data.Subset(3, 4);

        Assert.Equal(4, subset.Count);
        Assert.Equal(data.FeatureCount, subset.FeatureCount);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(data.GetImage(3 + i).ToArray(), subset.GetImage(i).ToArray());
            Assert.Equal(data.GetLabel(3 + i), subset.GetLabel(i));
        }

        var batch = new float[subset.FeatureCount];
        subset.CopyBatch([0], batch);
        Assert.Equal(data.GetImage(3)[0] / 255f, batch[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => subset.GetImage(4));
    }

    [Fact]
    public void A_subset_outside_the_dataset_is_rejected()
    {
        ImageDataset data = Make(count: 10, height: 2, width: 3);

        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset(8, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset(0, -1));
        Assert.Equal(0, data.Subset(10, 0).Count);
    }

    [Fact]
    public void Taking_keeps_the_first_images_and_stops_at_the_end()
    {
        ImageDataset data = Make(count: 10, height: 2, width: 3);

        Assert.Equal(4, data.Take(4).Count);
        Assert.Equal(data.GetImage(0).ToArray(), data.Take(4).GetImage(0).ToArray());
        Assert.Equal(10, data.Take(1000).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Take(-1));
    }

    [Fact]
    public void Loading_mnist_files_builds_a_dataset_from_plain_and_gzipped_files()
    {
        byte[] pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 3)).ToArray();
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TrainImagesFile), IdxReaderTests.Idx([3, 4, 5], pixels));
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TrainLabelsFile + ".gz"), IdxReaderTests.Gzip(IdxReaderTests.Idx([3], [7, 0, 9])));

        ImageDataset train = Mnist.Load(_folder, DatasetSplit.Train);

        Assert.Equal(3, train.Count);
        Assert.Equal(4, train.Height);
        Assert.Equal(5, train.Width);
        Assert.Equal(1, train.Channels);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal(pixels, train.Pixels.ToArray());
        Assert.Equal(9, train.GetLabel(2));
        Assert.False(Mnist.FilesPresent(_folder));
    }

    [Fact]
    public void Loading_mnist_reports_which_file_is_missing()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Mnist.TestImagesFile, e.Message);
        Assert.Contains("scripts/fetch-datasets.sh mnist", e.Message);
    }

    [Fact]
    public void Loading_mnist_rejects_mismatched_counts_naming_the_labels_file()
    {
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestImagesFile), IdxReaderTests.Idx([2, 2, 2], new byte[8]));
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestLabelsFile), IdxReaderTests.Idx([3], [1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Mnist.TestLabelsFile, e.Message);
        Assert.Contains("3 labels", e.Message);
        Assert.Contains("2 images", e.Message);
    }

    [Fact]
    public void Loading_mnist_rejects_labels_above_nine_naming_the_file()
    {
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestImagesFile), IdxReaderTests.Idx([2, 2, 2], new byte[8]));
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestLabelsFile), IdxReaderTests.Idx([2], [1, 12]));

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Mnist.TestLabelsFile, e.Message);
        Assert.Contains("12", e.Message);
    }

    [Fact]
    public void Loading_mnist_rejects_swapped_files_by_rank()
    {
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestImagesFile), IdxReaderTests.Idx([2], [1, 2]));
        File.WriteAllBytes(Path.Combine(_folder, Mnist.TestLabelsFile), IdxReaderTests.Idx([2], [1, 2]));

        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_folder, DatasetSplit.Test));

        Assert.Contains(Mnist.TestImagesFile, e.Message);
        Assert.Contains("expected 3", e.Message);
    }

    [Fact]
    public void Mnist_files_count_as_present_only_when_all_four_exist()
    {
        foreach (string name in Mnist.FileNames.Skip(1))
        {
            File.WriteAllBytes(Path.Combine(_folder, name), []);
        }

        Assert.False(Mnist.FilesPresent(_folder));
        File.WriteAllBytes(Path.Combine(_folder, Mnist.FileNames[0] + ".gz"), []);
        Assert.True(Mnist.FilesPresent(_folder));
    }

    private static ImageDataset Make(int count, int height, int width)
    {
        int features = height * width;
        byte[] pixels = Enumerable.Range(0, count * features).Select(i => (byte)((i * 53 + 7) % 256)).ToArray();
        byte[] labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        return new ImageDataset("synthetic", count, 1, height, width, pixels, labels, 10);
    }
}
