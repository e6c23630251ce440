using System.Runtime.Intrinsics.X86;
using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;

namespace Vae.Engine.Tests.Backends;

/// <summary>
/// The CPU's convolution kernels give the same values and gradients whichever way they lay out
/// their column matrix: patch-major (where the geometry fits it) against position-major, for every
/// kernel, with the gradients added onto what the buffers already held or written over garbage.
/// </summary>
public class ConvLayoutTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int, bool> Geometries => new()
    {
        // channels, height, width, kernel, stride (h, w), padding (h, w), images, gradients written over garbage
        { 32, 14, 14, 4, 2, 2, 1, 1, 9, false },   // the conv VAE's middle layer: a short last chunk
        { 32, 14, 14, 4, 2, 2, 1, 1, 9, true },
        { 1, 28, 28, 4, 2, 2, 1, 1, 5, false },    // its first layer: image rows over two registers
        { 1, 28, 28, 4, 2, 2, 1, 1, 5, true },
        { 3, 13, 11, 3, 2, 2, 1, 1, 4, false },    // odd sizes, a 3x3 kernel
        { 2, 8, 8, 2, 2, 2, 0, 0, 3, false },      // no padding
        { 2, 6, 32, 4, 2, 2, 1, 1, 2, true },      // sixteen outputs a row, the most a register holds
        { 2, 7, 12, 3, 1, 2, 2, 1, 3, false },     // different strides and paddings per axis
    };

    [SkippableTheory]
    [MemberData(nameof(Geometries))]
    public void Both_layouts_agree_on_every_kernel(int channels, int height, int width, int kernel, int strideH, int strideW, int padH, int padW, int images, bool overwrite)
    {
        Skip.IfNot(Avx512F.IsSupported, "The patch-major layout needs AVX-512; without it every convolution is position-major.");
        var g = new ConvGeometry(channels, height, width, kernel, kernel, strideH, strideW, padH, padW);
        Assert.True(PatchMajorColumns.Fits(g), "the geometry should take the patch-major path");
        const int Out = 5;
        var rng = new Random(7);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Values(images * g.ImageSize), w = Values(Out * g.Patch), b = Values(Out), dy = Values(images * Out * g.Positions);
        float[] tx = Values(images * Out * g.Positions), tb = Values(channels), tdy = Values(images * g.ImageSize);
        // Written over: the buffers hold NaN, and any element a kernel misses stays NaN and fails the comparison.
        float[] Start(int count) => overwrite ? Enumerable.Repeat(float.NaN, count).ToArray() : Values(count);
        float[] dxStart = Start(images * g.ImageSize), dwStart = Start(Out * g.Patch), dbStart = Start(Out);
        float[] tdxStart = Start(images * Out * g.Positions), tdbStart = Start(channels);
        GradientTarget Target(BufferRef buffer) => new(buffer, overwrite);

        float[][] Run(CpuBackend backend)
        {
            BufferRef Put(float[] values) { var r = new BufferRef(backend.Allocate(values.Length), 0); backend.Upload(values, r); return r; }
            float[] Get(BufferRef r, int count) { var a = new float[count]; backend.Download(r, a); return a; }
            var y = Put(new float[images * Out * g.Positions]);
            backend.ConvForward(Put(x), Put(w), Put(b), y, images, Out, g, Activation.Relu, 0f);
            BufferRef dx = Put(dxStart), dw = Put(dwStart), db = Put(dbStart);
            backend.ConvBackward(Put(x), Put(w), y, Put(dy), images, Out, g, Activation.Relu, 0f, Target(dx), Target(dw), Target(db));

            var ty = Put(new float[images * g.ImageSize]);
            backend.ConvTransposeForward(Put(tx), Put(w), Put(tb), ty, images, Out, g, Activation.LeakyRelu, 0.1f);
            BufferRef tdx = Put(tdxStart), tdw = Put(dwStart), tdb = Put(tdbStart);
            backend.ConvTransposeBackward(Put(tx), Put(w), ty, Put(tdy), images, Out, g, Activation.LeakyRelu, 0.1f, Target(tdx), Target(tdw), Target(tdb));
            return
            [
                Get(y, images * Out * g.Positions), Get(dx, dxStart.Length), Get(dw, dwStart.Length), Get(db, Out),
                Get(ty, images * g.ImageSize), Get(tdx, tdxStart.Length), Get(tdw, dwStart.Length), Get(tdb, channels),
            ];
        }

        var patchMajor = Run(CpuBackend.Instance);
        var positionMajor = Run(CpuBackend.WithPositionMajorConvolutions());
        string[] names = ["conv y", "conv dx", "conv dw", "conv db", "transposed y", "transposed dx", "transposed dw", "transposed db"];
        for (int i = 0; i < names.Length; i++)
            for (int j = 0; j < patchMajor[i].Length; j++)
                Assert.True(MathF.Abs(patchMajor[i][j] - positionMajor[i][j]) <= 1e-5f * (1 + MathF.Abs(positionMajor[i][j])),
                    $"{names[i]} element {j}: patch-major {patchMajor[i][j]}, position-major {positionMajor[i][j]}");
    }

    [Fact]
    public void Dilated_or_wide_geometries_stay_position_major()
    {
        Assert.False(PatchMajorColumns.Fits(new ConvGeometry(2, 9, 9, 3, 3, 2, 2, 1, 1, 2, 2)));
        Assert.False(PatchMajorColumns.Fits(new ConvGeometry(2, 40, 40, 4, 4, 2, 2, 1, 1)));
        Assert.False(PatchMajorColumns.Fits(new ConvGeometry(2, 20, 20, 3, 3, 1, 1, 0, 0)));
    }
}
