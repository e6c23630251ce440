using Vae.Engine.Imaging;

namespace Vae.Engine.Tests.Imaging;

[Collection(nameof(MnistCollection))]
public sealed class MnistInputTests(MnistFixture mnist)
{
    [Fact]
    public void Normalising_real_mnist_digits_leaves_them_almost_unchanged()
    {
        // MNIST was made by this very procedure, so applying it again should be close to a no-op;
        // a wrong centre convention or box size shows up as a shift of every digit.
        var differences = new List<double>();
        for (int i = 0; i < mnist.Test500.Count; i++)
        {
            float[] pixels = mnist.Test500.GetImage(i).ToArray().Select(b => b / 255f).ToArray();

            GrayImage normalised = ImageOps.ToMnistInput(new GrayImage(28, 28, pixels));

            differences.Add(pixels.Zip(normalised.Pixels, (a, b) => (double)Math.Abs(a - b)).Average());
        }

        Assert.True(differences.Count(d => d < 0.001) >= 0.9 * differences.Count,
            $"only {differences.Count(d => d < 0.001)} of {differences.Count} digits came back unchanged");
        Assert.True(differences.Max() < 0.15, $"largest mean difference {differences.Max():F3}");
    }
}
