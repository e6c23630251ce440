namespace Vae.Engine.Backends;

/// <summary>
/// One image's side of a 2-D convolution: input (Channels, Height, Width), a kernel of
/// (KernelH, KernelW) moved with stride, zero padding and dilation per axis.
/// </summary>
public readonly record struct ConvGeometry(
    int Channels, int Height, int Width,
    int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1,
    int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1)
{
    public int OutHeight => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    /// <summary>Rows of the column matrix: C * kh * kw.</summary>
    public int Patch => Channels * KernelH * KernelW;
    /// <summary>Columns of the column matrix: outH * outW.</summary>
    public int Positions => OutHeight * OutWidth;
    /// <summary>Elements of one image's column matrix.</summary>
    public int ColumnSize => Patch * Positions;
    /// <summary>Elements of one input image.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>Throws with a readable message when the geometry cannot be used.</summary>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1) throw new ArgumentException($"A convolution input needs positive channels, height and width, got ({Channels}, {Height}, {Width}).");
        if (KernelH < 1 || KernelW < 1) throw new ArgumentException($"Kernel size ({KernelH}, {KernelW}) must be positive.");
        if (StrideH < 1 || StrideW < 1) throw new ArgumentException($"Stride ({StrideH}, {StrideW}) must be positive.");
        if (PadH < 0 || PadW < 0) throw new ArgumentException($"Padding ({PadH}, {PadW}) must not be negative.");
        if (DilationH < 1 || DilationW < 1) throw new ArgumentException($"Dilation ({DilationH}, {DilationW}) must be positive.");
        if (OutHeight < 1 || OutWidth < 1)
            throw new ArgumentException($"A ({KernelH}, {KernelW}) kernel with dilation ({DilationH}, {DilationW}) does not fit a ({Height}, {Width}) input padded by ({PadH}, {PadW}).");
    }
}
