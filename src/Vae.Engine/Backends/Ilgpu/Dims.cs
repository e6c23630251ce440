namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// Up to eight sizes or strides passed to a kernel by value: kernels take unmanaged structs, not
/// arrays, and eight dimensions cover every tensor the engine makes.
/// </summary>
internal struct Dims
{
    public const int MaxRank = 8;

    public int D0, D1, D2, D3, D4, D5, D6, D7;

    public readonly int this[int i] => i switch
    {
        0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, 5 => D5, 6 => D6, _ => D7,
    };

    public static Dims Of(ReadOnlySpan<int> values)
    {
        if (values.Length > MaxRank) throw new ArgumentException($"The ILGPU backend handles tensors of up to {MaxRank} dimensions, got {values.Length}.");
        var d = default(Dims);
        for (int i = 0; i < values.Length; i++) d.Set(i, values[i]);
        return d;
    }

    private void Set(int i, int v)
    {
        switch (i)
        {
            case 0: D0 = v; break;
            case 1: D1 = v; break;
            case 2: D2 = v; break;
            case 3: D3 = v; break;
            case 4: D4 = v; break;
            case 5: D5 = v; break;
            case 6: D6 = v; break;
            default: D7 = v; break;
        }
    }
}

/// <summary>
/// A strided copy split for parallel work: threads run over the dimensions the destination keeps,
/// and each sums (or takes the last of) the source along the dimensions the destination folds
/// (stride 0), so no two threads write one element and sums come out in a fixed order.
/// </summary>
internal struct CopyPlan
{
    public Dims KeptShape, KeptSource, KeptDestination, FoldedShape, FoldedSource;
    public int KeptRank, FoldedRank, FoldedCount, Accumulate;
}

/// <summary>The shape of a broadcasting binary op and each operand's strides in it.</summary>
internal struct BroadcastPlan
{
    public Dims Shape, StridesA, StridesB;
    public int Rank, Kind;
}

/// <summary>One batched matrix product's sizes and scalars (row-major, as <see cref="IBackend.Gemm"/>).</summary>
internal struct GemmArgs
{
    public int TransA, TransB, M, N, K, Lda, Ldb, Ldc;
    public float Alpha, Beta;
    public long StrideA, StrideB, StrideC;
}

/// <summary>A convolution's geometry for the unfold and fold kernels.</summary>
internal struct ConvArgs
{
    public int Channels, Height, Width, KernelH, KernelW, StrideH, StrideW, PadH, PadW, DilationH, DilationW, OutH, OutW, Patch;
    public float Pad;

    public static ConvArgs Of(in ConvGeometry g, float pad) => new()
    {
        Channels = g.Channels, Height = g.Height, Width = g.Width, KernelH = g.KernelH, KernelW = g.KernelW,
        StrideH = g.StrideH, StrideW = g.StrideW, PadH = g.PadH, PadW = g.PadW, DilationH = g.DilationH, DilationW = g.DilationW,
        OutH = g.OutHeight, OutW = g.OutWidth, Patch = g.Patch, Pad = pad,
    };
}

/// <summary>One Adam update's scalars as a kernel takes them.</summary>
internal struct AdamArgs
{
    public float StepSize, Beta1, Beta2, Epsilon, WeightDecay, InverseBiasCorrection2Sqrt;
}

/// <summary>One SGD update's scalars as a kernel takes them (flags as 0 or 1).</summary>
internal struct SgdArgs
{
    public float LearningRate, Momentum, Dampening, WeightDecay;
    public int Nesterov, FirstStep, HasMomentum;
}
