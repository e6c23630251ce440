using Vae.Engine.Backends;
using Vae.Engine.Data;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Data;

public sealed class BatchLoaderTests
{
    // The CPU converts straight into the tensor's memory; a device converts on the host and uploads.
    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void Every_batch_holds_its_shuffled_images_divided_by_255_on_every_backend(string backendName)
    {
        IBackend backend = BackendTests.Require(backendName);
        var rng = new Generator(11);
        const int count = 45, features = 2 * 5 * 7;
        var pixels = Enumerable.Range(0, count * features).Select(_ => (byte)(rng.NextFloat() * 256)).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        var data = new ImageDataset("d", count, 2, 5, 7, pixels, labels, 10);
        var loader = new BatchLoader(data, 16);
        loader.Arrange(new Generator(4));

        for (int b = 0; b < loader.BatchCount; b++)
        {
            using var scope = TensorScope.Begin();
            var indices = loader.Indices(b).ToArray();
            var batch = loader.Load(b, backend);

            Assert.Equal([indices.Length, 2, 5, 7], batch.Images.Shape);
            Assert.Equal(b < 2 ? 16 : 13, indices.Length);
            float[] values = batch.Images.ToArray();
            for (int row = 0; row < indices.Length; row++)
            {
                Assert.Equal(labels[indices[row]], batch.Labels[row]);
                for (int j = 0; j < features; j++)
                    Assert.Equal(pixels[(indices[row] * features) + j] / 255f, values[(row * features) + j]);
            }
        }
    }
}
