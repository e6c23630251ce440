using System.Numerics;
using System.Runtime.InteropServices;

namespace Vae.Engine.Imaging;

/// <summary>
/// The five PNG row filters (PNG spec, section 9). Each predicts a byte from its left neighbour a
/// (the byte one pixel back), the byte above b and the byte above-left c; the encoder stores the
/// difference from the prediction and the decoder adds it back. Neighbours outside the image are 0.
/// </summary>
internal static class PngFilters
{
    public const byte None = 0;
    public const byte Sub = 1;
    public const byte Up = 2;
    public const byte Average = 3;
    public const byte Paeth = 4;

    public const int Count = 5;

    /// <summary>The neighbour (a, b or c) closest to a + b - c, ties broken in that order.</summary>
    public static int PaethPredictor(int a, int b, int c)
    {
        int pa = Math.Abs(b - c);
        int pb = Math.Abs(a - c);
        int pc = Math.Abs(a + b - c - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    /// <summary>
    /// Writes <paramref name="row"/> filtered with <paramref name="filter"/> into <paramref name="output"/>.
    /// Filtering reads only original bytes, so whole vectors are done at once; the bytes of the first
    /// pixel (no left neighbour) and the tail are left to <see cref="ApplyScalar"/>.
    /// </summary>
    public static void Apply(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bytesPerPixel, Span<byte> output)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(filter, Paeth);
        int n = row.Length;
        int width = Vector<byte>.Count;
        if (!Vector.IsHardwareAccelerated || filter == None || n < bytesPerPixel + width)
        {
            ApplyScalar(filter, row, prior, bytesPerPixel, output);
            return;
        }

        prior = prior[..n];
        output = output[..n];
        ApplyScalar(filter, row[..bytesPerPixel], prior[..bytesPerPixel], bytesPerPixel, output[..bytesPerPixel]);

        ref byte x = ref MemoryMarshal.GetReference(row);
        ref byte b = ref MemoryMarshal.GetReference(prior);
        ref byte o = ref MemoryMarshal.GetReference(output);
        nuint step = (nuint)bytesPerPixel;
        nuint i = step;
        nuint last = (nuint)(n - width);
        for (; i <= last; i += (nuint)width)
        {
            Vector<byte> current = Vector.LoadUnsafe(ref x, i);
            Vector<byte> prediction = filter switch
            {
                Sub => Vector.LoadUnsafe(ref x, i - step),
                Up => Vector.LoadUnsafe(ref b, i),
                Average => FloorAverage(Vector.LoadUnsafe(ref x, i - step), Vector.LoadUnsafe(ref b, i)),
                _ => PaethVector(Vector.LoadUnsafe(ref x, i - step), Vector.LoadUnsafe(ref b, i), Vector.LoadUnsafe(ref b, i - step)),
            };
            Vector.StoreUnsafe(current - prediction, ref o, i);
        }

        // Output bytes depend only on input bytes, so the plain loop can pick up wherever the vectors stopped.
        int done = (int)i;
        if (done < n)
        {
            ApplyScalarRange(filter, row, prior, bytesPerPixel, output, done);
        }
    }

    /// <summary>The plain loop <see cref="Apply"/> must agree with.</summary>
    public static void ApplyScalar(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bytesPerPixel, Span<byte> output)
    {
        int n = row.Length;
        int lead = Math.Min(bytesPerPixel, n);
        prior = prior[..n];
        output = output[..n];
        for (int i = 0; i < lead; i++)
        {
            // No left neighbour: a = c = 0, so Sub and None copy, Up and Paeth subtract b, Average subtracts b / 2.
            output[i] = filter switch
            {
                None or Sub => row[i],
                Up or Paeth => (byte)(row[i] - prior[i]),
                Average => (byte)(row[i] - (prior[i] >> 1)),
                _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "PNG filter types are 0..4."),
            };
        }

        ApplyScalarRange(filter, row, prior, bytesPerPixel, output, lead);
    }

    /// <summary>Filters bytes <paramref name="from"/>.. of a row, all of which have a left neighbour.</summary>
    private static void ApplyScalarRange(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bytesPerPixel, Span<byte> output, int from)
    {
        int n = row.Length;
        switch (filter)
        {
            case None:
                row[from..].CopyTo(output[from..]);
                break;
            case Sub:
                for (int i = from; i < n; i++)
                {
                    output[i] = (byte)(row[i] - row[i - bytesPerPixel]);
                }

                break;
            case Up:
                for (int i = from; i < n; i++)
                {
                    output[i] = (byte)(row[i] - prior[i]);
                }

                break;
            case Average:
                for (int i = from; i < n; i++)
                {
                    output[i] = (byte)(row[i] - ((row[i - bytesPerPixel] + prior[i]) >> 1));
                }

                break;
            case Paeth:
                for (int i = from; i < n; i++)
                {
                    output[i] = (byte)(row[i] - PaethPredictor(row[i - bytesPerPixel], prior[i], prior[i - bytesPerPixel]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "PNG filter types are 0..4.");
        }
    }

    /// <summary>Sum of the bytes read as signed values' magnitudes: the score the encoder minimises.</summary>
    public static long SumOfMagnitudes(ReadOnlySpan<byte> bytes)
    {
        long sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref byte start = ref MemoryMarshal.GetReference(bytes);
            int width = Vector<byte>.Count;
            while (i <= bytes.Length - width)
            {
                // Each lane gains at most 2 * 128 per vector, so 255 vectors fit in 16 bits.
                Vector<ushort> lanes = Vector<ushort>.Zero;
                for (int k = 0; k < 255 && i <= bytes.Length - width; k++, i += width)
                {
                    // |-128| wraps to -128, whose bit pattern is 128 as a byte: the right magnitude.
                    Vector<byte> magnitude = Vector.AsVectorByte(Vector.Abs(Vector.AsVectorSByte(Vector.LoadUnsafe(ref start, (nuint)i))));
                    Vector.Widen(magnitude, out Vector<ushort> low, out Vector<ushort> high);
                    lanes += low + high;
                }

                Vector.Widen(lanes, out Vector<uint> a, out Vector<uint> b);
                sum += Vector.Sum(a + b);
            }
        }

        for (; i < bytes.Length; i++)
        {
            byte v = bytes[i];
            sum += v < 128 ? v : 256 - v;
        }

        return sum;
    }

    // (a + b) >> 1 without leaving 8 bits: the shared bits plus half the differing ones.
    private static Vector<byte> FloorAverage(Vector<byte> a, Vector<byte> b) => (a & b) + Vector.ShiftRightLogical(a ^ b, 1);

    /// <summary><see cref="PaethPredictor"/> on every lane, in 16-bit arithmetic since a + b - 2c spans 10 bits.</summary>
    private static Vector<byte> PaethVector(Vector<byte> a, Vector<byte> b, Vector<byte> c)
    {
        Vector.Widen(a, out Vector<ushort> aLow, out Vector<ushort> aHigh);
        Vector.Widen(b, out Vector<ushort> bLow, out Vector<ushort> bHigh);
        Vector.Widen(c, out Vector<ushort> cLow, out Vector<ushort> cHigh);
        return Vector.Narrow(
            PaethHalf(Vector.AsVectorInt16(aLow), Vector.AsVectorInt16(bLow), Vector.AsVectorInt16(cLow)),
            PaethHalf(Vector.AsVectorInt16(aHigh), Vector.AsVectorInt16(bHigh), Vector.AsVectorInt16(cHigh)));
    }

    private static Vector<ushort> PaethHalf(Vector<short> a, Vector<short> b, Vector<short> c)
    {
        Vector<short> pa = Vector.Abs(b - c);
        Vector<short> pb = Vector.Abs(a - c);
        Vector<short> pc = Vector.Abs(a + b - c - c);
        Vector<short> pickA = Vector.LessThanOrEqual(pa, pb) & Vector.LessThanOrEqual(pa, pc);
        Vector<short> pickB = Vector.LessThanOrEqual(pb, pc);
        return Vector.AsVectorUInt16(Vector.ConditionalSelect(pickA, a, Vector.ConditionalSelect(pickB, b, c)));
    }

    /// <summary>Undoes <paramref name="filter"/> on <paramref name="row"/> in place, given the already reconstructed row above.</summary>
    public static void Undo(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int bytesPerPixel)
    {
        int n = row.Length;
        int lead = Math.Min(bytesPerPixel, n);
        prior = prior[..n];
        switch (filter)
        {
            case None:
                break;
            case Sub:
                for (int i = lead; i < n; i++)
                {
                    row[i] += row[i - bytesPerPixel];
                }

                break;
            case Up:
                for (int i = 0; i < n; i++)
                {
                    row[i] += prior[i];
                }

                break;
            case Average:
                for (int i = 0; i < lead; i++)
                {
                    row[i] += (byte)(prior[i] >> 1);
                }

                for (int i = lead; i < n; i++)
                {
                    row[i] += (byte)((row[i - bytesPerPixel] + prior[i]) >> 1);
                }

                break;
            case Paeth:
                for (int i = 0; i < lead; i++)
                {
                    row[i] += prior[i];
                }

                for (int i = lead; i < n; i++)
                {
                    row[i] += (byte)PaethPredictor(row[i - bytesPerPixel], prior[i], prior[i - bytesPerPixel]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "PNG filter types are 0..4.");
        }
    }
}
