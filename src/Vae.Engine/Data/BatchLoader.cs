using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Data;

/// <summary>One mini-batch: images (B, C, H, W) in [0, 1] and their class labels.</summary>
public readonly record struct Batch(Tensor Images, int[] Labels);

/// <summary>
/// Mini-batches of a dataset as float tensors, converted from bytes per batch. Each epoch's order
/// comes from its own seeded generator, so epoch 7 is the same whether or not training was
/// resumed at epoch 5. The last batch may be smaller (nothing is dropped).
/// </summary>
public sealed class BatchLoader
{
    private readonly ImageDataset _data;
    private readonly int[] _order;

    public BatchLoader(ImageDataset data, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        BatchSize = batchSize;
        _order = new int[data.Count];
    }

    public int BatchSize { get; }
    public int BatchCount => (_data.Count + BatchSize - 1) / BatchSize;
    /// <summary>The number of images in batch <paramref name="batch"/> (0-based): the last one may be short.</summary>
    public int SizeOf(int batch) => Math.Min(BatchSize, _data.Count - (batch * BatchSize));
    public ImageDataset Dataset => _data;

    /// <summary>Sets the visiting order: shuffled by <paramref name="generator"/>, or in file order when null.</summary>
    public void Arrange(Generator? generator)
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        generator?.Shuffle(_order);
    }

    /// <summary>The indices of batch <paramref name="batch"/> in the current order.</summary>
    public ReadOnlySpan<int> Indices(int batch)
    {
        int start = batch * BatchSize;
        return _order.AsSpan(start, Math.Min(BatchSize, _order.Length - start));
    }

    /// <summary>Batch <paramref name="batch"/>: images (B, C, H, W) created in the caller's scope on <paramref name="backend"/>, and labels.</summary>
    public Batch Load(int batch, IBackend backend)
    {
        var indices = Indices(batch);
        var labels = new int[indices.Length];
        _data.CopyLabels(indices, labels);
        var images = Tensor.Empty([indices.Length, _data.Channels, _data.Height, _data.Width], backend);
        // Converted straight into the tensor where its memory is the host's.
        backend.Upload(images.Buffer, images.Count, (Loader: this, Batch: batch),
            static (destination, s) => s.Loader._data.CopyBatch(s.Loader.Indices(s.Batch), destination, ThreadBudget.Current));
        return new Batch(images, labels);
    }
}
