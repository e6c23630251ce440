using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

// A dense layer's forward pass is C = x W^T: a batch x (m rows) against the weight W (n x k). Read
// as it stands, B = W^T must be packed, all of W (the MLP's output layer: 1.25 MB, cold from the
// optimizer's last step) for only m / 8 panels of x. When W is the larger operand, the transposed
// product C^T = W x^T reads W in place as A and packs x, a few times smaller; its tiles are stored
// transposed into C, and its tile order keeps one panel of W in cache across all panels of x. Each
// element is still one accumulator along k in order, so the bits are those of the product unswapped.
// A batch whose steps can be skipped (digits' blank pixels, ManagedGemm.ZeroSteps.cs) stays as it
// is: its zero steps save more than W's packing costs.
internal static unsafe partial class ManagedGemm
{
    // Swapped when W has at least this many times x's rows, and enough values for packing to count.
    private const int SwapRatio = 4;
    private const int SwapMinimumDepth = 64;
    private const long SwapMinimumWeights = 64 * 1024;

    [ThreadStatic] private static bool? _swapOnThisThread;

    /// <summary>Whether products called from this thread may run transposed (tests compare the two forms).</summary>
    internal static bool SwapWideProducts
    {
        get => _swapOnThisThread ?? true;
        set => _swapOnThisThread = value;
    }

    internal static bool Swaps(bool transA, bool transB, int m, int n, int k, float* a, int lda)
        => SwapWideProducts && !transA && transB && m >= PanelRows && n >= SwapRatio * m && k >= SwapMinimumDepth
            && (long)n * k >= SwapMinimumWeights && !FirstPanelHasZeroSteps(a, lda, Math.Min(k, MaxDepth));

    // The probe PlanStepLists makes of A's first panel: would it be listed?
    private static bool FirstPanelHasZeroSteps(float* a, int lda, int depth)
    {
        if (!SkipZeroSteps || !Avx512F.IsSupported) return false;
        int count = 0, p = 0;
        for (; p + 16 <= depth; p += 16) count += BitOperations.PopCount(NonZeroSteps16(a + p, lda));
        for (; p < depth; p++)
            if (IsNonZeroStep(a + p, lda)) count++;
        return Listed(count, depth) >= 0;
    }

    /// <summary>
    /// A tile of C^T (<paramref name="rows"/> x <paramref name="columns"/>, row stride <paramref name="ldt"/>)
    /// into C, its row i being column i of C, with the rounding of the kernel's own store.
    /// </summary>
    private static void MergeTransposed(float* t, int ldt, float* c, int ldc, int rows, int columns, float beta)
    {
        int j = 0;
        if (beta == 0f && rows == PanelRows && Avx.IsSupported)
        {
            for (; j + 8 <= columns; j += 8) Transpose8x8(t + j, ldt, c + ((long)j * ldc), ldc);
        }
        for (; j < columns; j++)
        {
            float* d = c + ((long)j * ldc);
            for (int i = 0; i < rows; i++) d[i] = beta == 0f ? t[(i * ldt) + j] : MathF.FusedMultiplyAdd(d[i], beta, t[(i * ldt) + j]);
        }
    }
}
