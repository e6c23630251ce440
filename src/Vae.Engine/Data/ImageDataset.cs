using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Data;

/// <summary>
/// Labelled images held in memory as bytes (0..255), one row of Channels*Height*Width bytes per image.
/// Bytes take a quarter of the memory floats would; batches are converted to floats as they are drawn.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(
        string name,
        int count,
        int channels,
        int height,
        int width,
        ReadOnlyMemory<byte> pixels,
        ReadOnlyMemory<byte> labels,
        int classCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);

        long features = (long)channels * height * width;
        if (features > int.MaxValue)
        {
            throw new ArgumentException($"Dataset '{name}': {channels}x{height}x{width} pixels per image is too many.");
        }

        if ((long)count * features != pixels.Length)
        {
            throw new ArgumentException(
                $"Dataset '{name}': {count} images of {channels}x{height}x{width} need {(long)count * features} pixel bytes, got {pixels.Length}.",
                nameof(pixels));
        }

        if (labels.Length != count)
        {
            throw new ArgumentException($"Dataset '{name}': {count} images need {count} labels, got {labels.Length}.", nameof(labels));
        }

        ReadOnlySpan<byte> labelSpan = labels.Span;
        int bad = classCount > byte.MaxValue ? -1 : labelSpan.IndexOfAnyInRange((byte)classCount, byte.MaxValue);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Dataset '{name}': label {labelSpan[bad]} of image {bad} is not below the class count {classCount}.", nameof(labels));
        }

        Name = name;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        FeatureCount = (int)features;
        Pixels = pixels;
        Labels = labels;
        ClassCount = classCount;
    }

    public string Name { get; }

    public int Count { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Values per image: Channels*Height*Width.</summary>
    public int FeatureCount { get; }

    /// <summary>All images, row-major, Count*FeatureCount bytes.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    public ReadOnlyMemory<byte> Labels { get; }

    public int ClassCount { get; }

    /// <summary>Images start..start+count-1, sharing this dataset's memory.</summary>
    public ImageDataset Subset(int start, int count)
    {
        if ((uint)start > (uint)Count || (uint)count > (uint)(Count - start))
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), $"Images {start}..{(long)start + count} are not within dataset '{Name}' of {Count} images.");
        }

        if (start == 0 && count == Count)
        {
            return this;
        }

        return new ImageDataset(
            $"{Name}[{start}..{start + count}]",
            count,
            Channels,
            Height,
            Width,
            Pixels.Slice(start * FeatureCount, count * FeatureCount),
            Labels.Slice(start, count),
            ClassCount);
    }

    /// <summary>The first <paramref name="count"/> images, or all of them when there are fewer.</summary>
    public ImageDataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Subset(0, Math.Min(count, Count));
    }

    public byte GetLabel(int i)
    {
        CheckIndex(i);
        return Labels.Span[i];
    }

    public ReadOnlySpan<byte> GetImage(int i)
    {
        CheckIndex(i);
        return Pixels.Span.Slice(i * FeatureCount, FeatureCount);
    }

    /// <summary>
    /// Writes the images at <paramref name="indices"/> as rows of pixel/255 floats, one row of
    /// FeatureCount values per index, into <paramref name="destination"/> (exactly indices.Length*FeatureCount long).
    /// </summary>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> destination) => CopyBatch(indices, destination, threads: 1);

    /// <summary>
    /// <see cref="CopyBatch(ReadOnlySpan{int}, Span{float})"/> with the rows shared among up to
    /// <paramref name="threads"/> threads: a shuffled batch reads images from all over the dataset,
    /// and two threads wait for their memory side by side. The values do not depend on the split.
    /// </summary>
    public unsafe void CopyBatch(ReadOnlySpan<int> indices, Span<float> destination, int threads)
    {
        int features = FeatureCount;
        if ((long)indices.Length * features != destination.Length)
        {
            throw new ArgumentException(
                $"A batch of {indices.Length} images of {features} values needs a destination of {(long)indices.Length * features} floats, got {destination.Length}.",
                nameof(destination));
        }

        foreach (int index in indices) CheckIndex(index);
        int tasks = Math.Clamp(indices.Length / RowsPerTask, 1, Math.Max(1, threads));
        using var pinned = Pixels.Pin();
        fixed (int* rows = indices)
        fixed (float* output = destination)
        {
            var job = new BatchRows((byte*)pinned.Pointer, rows, output, indices.Length, features, tasks);
            CpuParallel.For(tasks, threads, job, &BatchRows.Run);
        }
    }

    // Fewer rows than this for a second thread cost more to hand over than they take.
    private const int RowsPerTask = 16;

    private readonly unsafe struct BatchRows(byte* pixels, int* indices, float* destination, int count, int features, int tasks)
    {
        private readonly byte* _pixels = pixels;
        private readonly int* _indices = indices;
        private readonly float* _destination = destination;
        private readonly int _count = count, _features = features, _tasks = tasks;

        public static void Run(int task, ref BatchRows s)
        {
            int from = (int)((long)s._count * task / s._tasks), to = (int)((long)s._count * (task + 1) / s._tasks), features = s._features;
            for (int row = from; row < to; row++)
            {
                // Asking for the image a few rows ahead lets its memory arrive while this one is
                // converted: half the time of a batch of digits.
                if (row + PrefetchRows < to) Prefetch(s._pixels + ((long)s._indices[row + PrefetchRows] * features), features);
                ToUnitFloats(new ReadOnlySpan<byte>(s._pixels + ((long)s._indices[row] * features), features), new Span<float>(s._destination + ((long)row * features), features));
            }
        }
    }

    private const int PrefetchRows = 3;

    private static unsafe void Prefetch(byte* image, int features)
    {
        if (!Sse.IsSupported) return;
        for (int b = 0; b < features; b += 64) Sse.Prefetch0(image + b);
        Sse.Prefetch0(image + features - 1);
    }

    public void CopyLabels(ReadOnlySpan<int> indices, Span<int> destination)
    {
        if (indices.Length != destination.Length)
        {
            throw new ArgumentException(
                $"{indices.Length} indices need a destination of {indices.Length} labels, got {destination.Length}.", nameof(destination));
        }

        ReadOnlySpan<byte> labels = Labels.Span;
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            CheckIndex(index);
            destination[i] = labels[index];
        }
    }

    public override string ToString() => $"{Name}: {Count} x {Channels}x{Height}x{Width}, {ClassCount} classes";

    /// <summary>
    /// destination[i] = source[i] / 255f. Division rather than multiplication by 1/255 keeps the
    /// values bit-identical to the usual reference pipelines (e.g. torchvision's ToTensor).
    /// </summary>
    // Optimised from the first call: the unoptimised code of these vector loops took three times as long
    // over the first thousand batches of a run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToUnitFloats(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is shorter than source.", nameof(destination));
        }

        int n = source.Length;
        int i = 0;
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);

        if (Vector512.IsHardwareAccelerated && n >= Vector512<byte>.Count)
        {
            var divisor = Vector512.Create(255f);
            for (; i <= n - Vector512<byte>.Count; i += Vector512<byte>.Count)
            {
                var bytes = Vector512.LoadUnsafe(ref src, (nuint)i);
                (Vector512<ushort> lo, Vector512<ushort> hi) = Vector512.Widen(bytes);
                Store512(lo, divisor, ref dst, i);
                Store512(hi, divisor, ref dst, i + Vector512<ushort>.Count);
            }

            if (i < n)
            {
                // Redo the last full vector's worth, overlapping values already written, instead of a slow scalar tail.
                i = n - Vector512<byte>.Count;
                (Vector512<ushort> lo, Vector512<ushort> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));
                Store512(lo, divisor, ref dst, i);
                Store512(hi, divisor, ref dst, i + Vector512<ushort>.Count);
                return;
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<byte>.Count)
        {
            var divisor = Vector256.Create(255f);
            for (; i <= n - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var bytes = Vector256.LoadUnsafe(ref src, (nuint)i);
                (Vector256<ushort> lo, Vector256<ushort> hi) = Vector256.Widen(bytes);
                Store256(lo, divisor, ref dst, i);
                Store256(hi, divisor, ref dst, i + Vector256<ushort>.Count);
            }

            if (i < n)
            {
                // Redo the last full vector's worth, overlapping values already written, instead of a slow scalar tail.
                i = n - Vector256<byte>.Count;
                (Vector256<ushort> lo, Vector256<ushort> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                Store256(lo, divisor, ref dst, i);
                Store256(hi, divisor, ref dst, i + Vector256<ushort>.Count);
                return;
            }
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<byte>.Count)
        {
            var divisor = Vector128.Create(255f);
            for (; i <= n - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var bytes = Vector128.LoadUnsafe(ref src, (nuint)i);
                (Vector128<ushort> lo, Vector128<ushort> hi) = Vector128.Widen(bytes);
                Store128(lo, divisor, ref dst, i);
                Store128(hi, divisor, ref dst, i + Vector128<ushort>.Count);
            }

            if (i < n)
            {
                // Redo the last full vector's worth, overlapping values already written, instead of a slow scalar tail.
                i = n - Vector128<byte>.Count;
                (Vector128<ushort> lo, Vector128<ushort> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref src, (nuint)i));
                Store128(lo, divisor, ref dst, i);
                Store128(hi, divisor, ref dst, i + Vector128<ushort>.Count);
                return;
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i) / 255f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<ushort> values, Vector512<float> divisor, ref float dst, int offset)
    {
        (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(values);
        (Vector512.ConvertToSingle(lo.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)offset);
        (Vector512.ConvertToSingle(hi.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)(offset + Vector512<uint>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(Vector256<ushort> values, Vector256<float> divisor, ref float dst, int offset)
    {
        (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(values);
        (Vector256.ConvertToSingle(lo.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)offset);
        (Vector256.ConvertToSingle(hi.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)(offset + Vector256<uint>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store128(Vector128<ushort> values, Vector128<float> divisor, ref float dst, int offset)
    {
        (Vector128<uint> lo, Vector128<uint> hi) = Vector128.Widen(values);
        (Vector128.ConvertToSingle(lo.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)offset);
        (Vector128.ConvertToSingle(hi.AsInt32()) / divisor).StoreUnsafe(ref dst, (nuint)(offset + Vector128<uint>.Count));
    }

    private void CheckIndex(int i)
    {
        if ((uint)i >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Image index must be in 0..{Count - 1} for dataset '{Name}'.");
        }
    }
}
