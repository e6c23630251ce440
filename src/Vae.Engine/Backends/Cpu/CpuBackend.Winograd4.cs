using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// 3x3 convolutions with stride 1 and padding 1 by Winograd's F(4x4, 3x3) (Lavin and Gray 2015,
/// interpolation points 0, 1, -1, 2, -2): each 4x4 block of outputs comes from a 6x6 window of
/// inputs through 36 elementwise products, where direct convolution needs 144, so the 36 GEMMs
/// M_k = U_k V_k do 4 times fewer multiply-adds than im2col. The data transforms move 2.25 values
/// per pixel (F(2x2, 3x3) moves 4), which matters as much on a memory-bound CPU. Used for layers
/// with many channels, where the GEMMs dominate; the round-off of its larger transform constants
/// stays far below what float32 training notices.
/// </summary>
/// <remarks>
/// Every transform works on groups of 8 neighbouring tiles (a tile row of a wide image, or several
/// tile rows and images of a narrow one): the group's windows are gathered into a small scratch
/// (36 values per lane), transformed with vector arithmetic, and stored as 36 contiguous runs.
/// Tile t = (image, tile row, tile column); U (36, O, C), V (36, C, T), M (36, O, T).
/// </remarks>

public sealed unsafe partial class CpuBackend
{
    private const int Tile4 = 4, Window4 = 6, Points4 = 36;

    private void Conv3x3Forward4(float* x, float* weight, float* y, int n, int inC, int outC, int h, int w)
    {
        var plan = new WinogradPlan(n, inC, outC, h, w, Tile4);
        using var u = ScratchBuffer(Points4 * outC * inC);
        FilterTransform4(weight, u.Pointer, outC, inC, flip: false);
        RunForward4(plan, x, u.Pointer, y, inC, outC, accumulate: false);
    }

    private void Conv3x3Backward4(float* x, float* weight, float* dy, int n, int inC, int outC, int h, int w, float* dx, float* dWeight)
    {
        var plan = new WinogradPlan(n, inC, outC, h, w, Tile4);
        if (dx != null)
        {
            using var flipped = ScratchBuffer(Points4 * inC * outC);
            FilterTransform4(weight, flipped.Pointer, outC, inC, flip: true);
            RunForward4(plan, dy, flipped.Pointer, dx, outC, inC, accumulate: true);
        }
        if (dWeight == null) return;
        using var du = ScratchBuffer(Points4 * outC * inC);
        int chunk = plan.ChunkImages;
        using var v = ScratchBuffer(Points4 * inC * chunk * plan.TilesPerImage);
        using var dm = ScratchBuffer(Points4 * outC * chunk * plan.TilesPerImage);
        for (int first = 0; first < n; first += chunk)
        {
            int count = Math.Min(chunk, n - first), tiles = count * plan.TilesPerImage;
            Transform4(plan, x + (long)first * inC * h * w, v.Pointer, count, inC, Direction.Input, accumulate: false);
            Transform4(plan, dy + (long)first * outC * h * w, dm.Pointer, count, outC, Direction.OutputAdjoint, accumulate: false);
            // dU_k (O, C) += dM_k (O, T) @ V_k^T (T, C)
            Cpu.Gemm.Batched(false, true, outC, inC, tiles, dm.Pointer, tiles, (long)outC * tiles, v.Pointer, tiles, (long)inC * tiles,
                first == 0 ? 0f : 1f, du.Pointer, inC, (long)outC * inC, Points4, ThreadBudget.Current);
        }
        FilterTransformAdjoint4(du.Pointer, dWeight, outC, inC);
    }

    private void RunForward4(in WinogradPlan plan, float* x, float* u, float* y, int inC, int outC, bool accumulate)
    {
        int chunk = plan.ChunkImages;
        using var v = ScratchBuffer(Points4 * inC * chunk * plan.TilesPerImage);
        using var m = ScratchBuffer(Points4 * outC * chunk * plan.TilesPerImage);
        for (int first = 0; first < plan.Images; first += chunk)
        {
            int count = Math.Min(chunk, plan.Images - first), tiles = count * plan.TilesPerImage;
            Transform4(plan, x + (long)first * inC * plan.Height * plan.Width, v.Pointer, count, inC, Direction.Input, accumulate: false);
            Cpu.Gemm.Batched(false, false, outC, tiles, inC, u, inC, (long)outC * inC, v.Pointer, tiles, (long)inC * tiles,
                0f, m.Pointer, tiles, (long)outC * tiles, Points4, ThreadBudget.Current);
            Transform4(plan, y + (long)first * outC * plan.Height * plan.Width, m.Pointer, count, outC, Direction.Output, accumulate);
        }
    }

    private enum Direction { Input, Output, OutputAdjoint }

    private struct Job4
    {
        public float* Images, Matrix;
        public int Channels, Height, Width, TileRows, TileColumns, Count, ImagesPerUnit;
        public Direction Direction;
        public bool Accumulate;
    }

    /// <summary>
    /// One of the three data transforms between images (count, channels, h, w) and a transformed
    /// matrix (36, channels, T): Input and OutputAdjoint write the matrix from images, Output
    /// writes (or adds into) images from the matrix. A unit is one channel of a block of images.
    /// </summary>
    private static void Transform4(in WinogradPlan plan, float* images, float* matrix, int count, int channels, Direction direction, bool accumulate)
    {
        int imagesPerUnit = Math.Max(1, 256 / plan.TilesPerImage);
        var job = new Job4
        {
            Images = images, Matrix = matrix, Channels = channels, Height = plan.Height, Width = plan.Width,
            TileRows = plan.TileRows, TileColumns = plan.TileColumns, Count = count, ImagesPerUnit = imagesPerUnit,
            Direction = direction, Accumulate = accumulate,
        };
        int units = channels * ((count + imagesPerUnit - 1) / imagesPerUnit);
        CpuParallel.For(units, ThreadBudget.Current, job, &TransformUnit4);
    }

    private static void TransformUnit4(int unit, ref Job4 s)
    {
        int lanes = Vector<float>.Count, c = unit % s.Channels, block = unit / s.Channels;
        int perImage = s.TileRows * s.TileColumns, firstImage = block * s.ImagesPerUnit;
        long first = (long)firstImage * perImage, end = (long)Math.Min(s.Count, firstImage + s.ImagesPerUnit) * perImage;
        long tiles = (long)s.Count * perImage, plane36 = (long)s.Channels * tiles;
        float* row = s.Matrix + (long)c * tiles;
        float* window = stackalloc float[Points4 * lanes];
        float* tail = stackalloc float[Points4 * lanes];
        for (long t0 = first; t0 < end; t0 += lanes)
        {
            int valid = (int)Math.Min(lanes, end - t0);
            bool partial = valid < lanes;
            if (s.Direction == Direction.Output)
            {
                float* from = row + t0;
                long stride = plane36;
                if (partial)
                {
                    for (int k = 0; k < Points4; k++)
                        for (int i = 0; i < lanes; i++) tail[k * lanes + i] = i < valid ? from[k * plane36 + i] : 0f;
                    from = tail;
                    stride = lanes;
                }
                OutputValues4(from, stride, window, lanes);
                if (!partial && RowSegments(ref s, t0) is { } rows) ScatterRows(ref s, c, t0, rows, window);
                else Scatter(ref s, c, t0, valid, window);
                continue;
            }
            if (!partial && RowSegments(ref s, t0) is { } segments)
            {
                if (s.Direction == Direction.Input) GatherWindowRows(ref s, c, t0, segments, window);
                else GatherBlockRows(ref s, c, t0, segments, window);
            }
            else if (s.Direction == Direction.Input) GatherWindows(ref s, c, t0, valid, window);
            else GatherBlocks(ref s, c, t0, valid, window);
            float* to = partial ? tail : row + t0;
            long step = partial ? lanes : plane36;
            if (s.Direction == Direction.Input) InputValues4(window, to, step, lanes);
            else AdjointValues4(window, to, step, lanes);
            if (partial)
                for (int k = 0; k < Points4; k++)
                    for (int i = 0; i < valid; i++) row[k * plane36 + t0 + i] = tail[k * lanes + i];
        }
    }

    // ---- groups of 8 tiles that lie along whole rows of pixels ----
    //
    // When the 8 tiles of a group are 1, 2 or 4 runs ("segments") of neighbouring tiles along tile
    // rows, and the image is a whole number of tiles wide, row r of their windows (or blocks) is 32
    // consecutive pixels per segment run: loaded as four vectors and split into the four pixel
    // columns of every tile by one 8x4 transpose, instead of 8 x 6 scalar moves, each with its own
    // division to find its tile. The per-lane paths stay for every other group (narrow or ragged
    // images, 4x4 images of one tile, a short last group) and are what these are tested against.

    /// <summary>Tiles per segment (8, 4 or 2) when the group at t0 can take the row paths; null otherwise.</summary>
    private static int? RowSegments(ref Job4 s, long t0)
    {
        if (Vector<float>.Count != 8 || !Avx2.IsSupported) return null;
        int tw = s.TileColumns;
        if (s.Width != Tile4 * tw) return null;
        if (tw % 8 == 0) return 8;
        if (tw is 4 or 2 && t0 % tw == 0) return tw; // groups start on a tile row: whole rows of 4 or 2 tiles
        return null;
    }

    private static readonly Vector256<int> GatherOrder = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
    private static readonly Vector256<int> ScatterOrder = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
    private static readonly Vector256<int> LaneRight = Vector256.Create(7, 0, 1, 2, 3, 4, 5, 6);
    private static readonly Vector256<int> LaneLeft = Vector256.Create(1, 2, 3, 4, 5, 6, 7, 0);

    /// <summary>
    /// The four pixel columns of 8 tiles, e_j[lane] = pixel 4 lane + j, from their 32 pixels in
    /// four vectors (tiles 0-1, 2-3, 4-5, 6-7).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitColumns(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        out Vector256<float> e0, out Vector256<float> e1, out Vector256<float> e2, out Vector256<float> e3)
    {
        Vector256<double> l02 = Avx.UnpackLow(a0, a1).AsDouble(), h02 = Avx.UnpackHigh(a0, a1).AsDouble();
        Vector256<double> l46 = Avx.UnpackLow(a2, a3).AsDouble(), h46 = Avx.UnpackHigh(a2, a3).AsDouble();
        e0 = Avx2.PermuteVar8x32(Avx.UnpackLow(l02, l46).AsSingle(), GatherOrder);
        e1 = Avx2.PermuteVar8x32(Avx.UnpackHigh(l02, l46).AsSingle(), GatherOrder);
        e2 = Avx2.PermuteVar8x32(Avx.UnpackLow(h02, h46).AsSingle(), GatherOrder);
        e3 = Avx2.PermuteVar8x32(Avx.UnpackHigh(h02, h46).AsSingle(), GatherOrder);
    }

    /// <summary>The inverse of <see cref="SplitColumns"/>: 8 tiles' 32 pixels from their four pixel columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void JoinColumns(Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3,
        out Vector256<float> a0, out Vector256<float> a1, out Vector256<float> a2, out Vector256<float> a3)
    {
        Vector256<double> f0 = Avx2.PermuteVar8x32(e0, ScatterOrder).AsDouble(), f1 = Avx2.PermuteVar8x32(e1, ScatterOrder).AsDouble();
        Vector256<double> f2 = Avx2.PermuteVar8x32(e2, ScatterOrder).AsDouble(), f3 = Avx2.PermuteVar8x32(e3, ScatterOrder).AsDouble();
        Vector256<float> l02 = Avx.UnpackLow(f0, f1).AsSingle(), l46 = Avx.UnpackHigh(f0, f1).AsSingle();
        Vector256<float> h02 = Avx.UnpackLow(f2, f3).AsSingle(), h46 = Avx.UnpackHigh(f2, f3).AsSingle();
        a0 = Avx.Shuffle(l02, h02, 0x88);
        a1 = Avx.Shuffle(l02, h02, 0xDD);
        a2 = Avx.Shuffle(l46, h46, 0x88);
        a3 = Avx.Shuffle(l46, h46, 0xDD);
    }

    /// <summary>
    /// For segments of <c>size</c> tiles: the segment of each tile's lane (to spread a register of
    /// per-segment values, lane j for segment j, over the tiles), and masks of every segment's first
    /// and last tile.
    /// </summary>
    private readonly struct SegmentEdges(int size)
    {
        private static readonly SegmentEdges Two = new(2), Four = new(4), Eight = new(8);

        public readonly Vector256<int> Segment = Lanes(lane => lane / size);
        public readonly Vector256<float> FirstMask = Lanes(lane => lane % size == 0 ? -1 : 0).AsSingle();
        public readonly Vector256<float> LastMask = Lanes(lane => lane % size == size - 1 ? -1 : 0).AsSingle();

        private static Vector256<int> Lanes(Func<int, int> value) => Vector256.Create(Enumerable.Range(0, 8).Select(value).ToArray());

        /// <summary>The edges for segments of 2, 4 or 8 tiles.</summary>
        public static SegmentEdges For(int size) => size switch { 2 => Two, 4 => Four, _ => Eight };
    }

    /// <summary>Where one segment of a group starts: its channel plane, tile row and first tile column.</summary>
    private struct SegmentStart
    {
        public float* Plane;
        public int TileRow, Column;
    }

    /// <summary>The starts of the 8 / size segments of the group at t0, in <paramref name="starts"/>.</summary>
    private static void Segments(ref Job4 s, int c, long t0, int size, SegmentStart* starts)
    {
        int perImage = s.TileRows * s.TileColumns;
        for (int j = 0; j < 8 / size; j++)
        {
            long t = t0 + (long)j * size;
            int image = (int)(t / perImage), rem = (int)(t % perImage);
            starts[j] = new SegmentStart
            {
                Plane = s.Images + ((long)image * s.Channels + c) * s.Height * s.Width, TileRow = rem / s.TileColumns, Column = rem % s.TileColumns,
            };
        }
    }

    /// <summary>Pixel row <paramref name="row"/> of a segment from its first tile column on, or null when the row is outside the image.</summary>
    private static float* PixelRow(in SegmentStart segment, int row, ref Job4 s)
        => (uint)row < (uint)s.Height ? segment.Plane + (long)row * s.Width + Tile4 * segment.Column : null;

    /// <summary>Where the pixels of tiles 2i and 2i + 1 of the group start in their segment's row (null outside the image).</summary>
    private static float* TilePair(float** rows, int i, int size)
    {
        int segment = 2 * i / size;
        return rows[segment] == null ? null : rows[segment] + Tile4 * (2 * i - segment * size);
    }

    private static Vector256<float> LoadOrZero(float* p) => p == null ? Vector256<float>.Zero : Avx.LoadVector256(p);

    /// <summary><see cref="GatherWindows"/> for a group of whole row segments: window row by window row, 6 vectors each.</summary>
    private static void GatherWindowRows(ref Job4 s, int c, long t0, int size, float* window)
    {
        int segments = 8 / size, w = s.Width;
        var starts = stackalloc SegmentStart[4];
        Segments(ref s, c, t0, size, starts);
        var rows = stackalloc float*[4];
        var edges = SegmentEdges.For(size);
        for (int r = 0; r < Window4; r++)
        {
            for (int j = 0; j < segments; j++) rows[j] = PixelRow(starts[j], Tile4 * starts[j].TileRow - 1 + r, ref s);
            SplitColumns(LoadOrZero(TilePair(rows, 0, size)), LoadOrZero(TilePair(rows, 1, size)), LoadOrZero(TilePair(rows, 2, size)), LoadOrZero(TilePair(rows, 3, size)),
                out var e0, out var e1, out var e2, out var e3);
            // The window's first column is the pixel left of each tile (the previous tile's last), its
            // sixth the pixel right of it (the next tile's first); at a segment's ends they come from
            // outside the segment: the image, or the zero padding. Segment j's two are gathered as lane j
            // of two registers and moved to its first and last tile's lanes in registers: setting a lane
            // picked at run time would go through memory and stall on every row.
            var before = Vector128.Create(Before(0), Before(1), Before(2), Before(3));
            var after = Vector128.Create(After(0), After(1), After(2), After(3));
            var first = Avx.BlendVariable(Avx2.PermuteVar8x32(e3, LaneRight), Avx2.PermuteVar8x32(before.ToVector256Unsafe(), edges.Segment), edges.FirstMask);
            var last = Avx.BlendVariable(Avx2.PermuteVar8x32(e0, LaneLeft), Avx2.PermuteVar8x32(after.ToVector256Unsafe(), edges.Segment), edges.LastMask);
            float* dst = window + Window4 * r * 8;
            Avx.Store(dst, first);
            Avx.Store(dst + 8, e0);
            Avx.Store(dst + 16, e1);
            Avx.Store(dst + 24, e2);
            Avx.Store(dst + 32, e3);
            Avx.Store(dst + 40, last);
        }

        // Segment j's pixels left and right of it in the current row, zero outside the image and past the last segment.
        float Before(int j) => j < segments && rows[j] != null && Tile4 * starts[j].Column > 0 ? rows[j][-1] : 0f;
        float After(int j) => j < segments && rows[j] != null && Tile4 * (starts[j].Column + size) < w ? rows[j][Tile4 * size] : 0f;
    }

    /// <summary><see cref="GatherBlocks"/> for a group of whole row segments.</summary>
    private static void GatherBlockRows(ref Job4 s, int c, long t0, int size, float* window)
    {
        int segments = 8 / size;
        var starts = stackalloc SegmentStart[4];
        Segments(ref s, c, t0, size, starts);
        var rows = stackalloc float*[4];
        for (int a = 0; a < Tile4; a++)
        {
            for (int j = 0; j < segments; j++) rows[j] = PixelRow(starts[j], Tile4 * starts[j].TileRow + a, ref s);
            SplitColumns(LoadOrZero(TilePair(rows, 0, size)), LoadOrZero(TilePair(rows, 1, size)), LoadOrZero(TilePair(rows, 2, size)), LoadOrZero(TilePair(rows, 3, size)),
                out var e0, out var e1, out var e2, out var e3);
            float* dst = window + 4 * a * 8;
            Avx.Store(dst, e0);
            Avx.Store(dst + 8, e1);
            Avx.Store(dst + 16, e2);
            Avx.Store(dst + 24, e3);
        }
    }

    /// <summary><see cref="Scatter"/> for a group of whole row segments: each output row of the 8 tiles as four vectors.</summary>
    private static void ScatterRows(ref Job4 s, int c, long t0, int size, float* window)
    {
        int segments = 8 / size;
        var starts = stackalloc SegmentStart[4];
        Segments(ref s, c, t0, size, starts);
        var rows = stackalloc float*[4];
        for (int a = 0; a < Tile4; a++)
        {
            for (int j = 0; j < segments; j++) rows[j] = PixelRow(starts[j], Tile4 * starts[j].TileRow + a, ref s);
            float* src = window + 4 * a * 8;
            JoinColumns(Avx.LoadVector256(src), Avx.LoadVector256(src + 8), Avx.LoadVector256(src + 16), Avx.LoadVector256(src + 24),
                out var a0, out var a1, out var a2, out var a3);
            Put(TilePair(rows, 0, size), a0, s.Accumulate);
            Put(TilePair(rows, 1, size), a1, s.Accumulate);
            Put(TilePair(rows, 2, size), a2, s.Accumulate);
            Put(TilePair(rows, 3, size), a3, s.Accumulate);
        }

        static void Put(float* p, Vector256<float> v, bool accumulate)
        {
            if (p == null) return; // a row below the image (its last tile row is cut short)
            Avx.Store(p, accumulate ? Avx.Add(Avx.LoadVector256(p), v) : v);
        }
    }

    /// <summary>window[(6 r + q) * lanes + lane] = the 6x6 input window of tile t0 + lane (zero outside the image).</summary>
    private static void GatherWindows(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < lanes; lane++)
        {
            if (lane >= valid)
            {
                for (int k = 0; k < Points4; k++) window[k * lanes + lane] = 0f;
                continue;
            }
            long t = t0 + lane;
            int image = (int)(t / perImage), rem = (int)(t % perImage), top = 4 * (rem / tw) - 1, left = 4 * (rem % tw) - 1;
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            bool inside = top >= 0 && top + Window4 <= h && left >= 0 && left + Window4 <= w;
            for (int r = 0; r < Window4; r++)
            {
                int ir = top + r;
                float* src = plane + (long)ir * w + left;
                float* dst = window + Window4 * r * lanes + lane;
                if (inside)
                {
                    dst[0] = src[0]; dst[lanes] = src[1]; dst[2 * lanes] = src[2];
                    dst[3 * lanes] = src[3]; dst[4 * lanes] = src[4]; dst[5 * lanes] = src[5];
                    continue;
                }
                bool rowInside = (uint)ir < (uint)h;
                for (int q = 0; q < Window4; q++)
                    dst[q * lanes] = rowInside && (uint)(left + q) < (uint)w ? src[q] : 0f;
            }
        }
    }

    /// <summary>window[(4 a + b) * lanes + lane] = the 4x4 block of dY tile t0 + lane covers (zero outside the image).</summary>
    private static void GatherBlocks(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < lanes; lane++)
        {
            long t = t0 + lane;
            int image = (int)(Math.Min(t, t0 + valid - 1) / perImage), rem = (int)(Math.Min(t, t0 + valid - 1) % perImage);
            int top = 4 * (rem / tw), left = 4 * (rem % tw);
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            for (int a = 0; a < Tile4; a++)
                for (int b = 0; b < Tile4; b++)
                    window[(4 * a + b) * lanes + lane] = lane < valid && top + a < h && left + b < w ? plane[(long)(top + a) * w + left + b] : 0f;
        }
    }

    /// <summary>images (+)= the 4x4 output blocks in window[(4 a + b) * lanes + lane], clipped to the image.</summary>
    private static void Scatter(ref Job4 s, int c, long t0, int valid, float* window)
    {
        int lanes = Vector<float>.Count, h = s.Height, w = s.Width, tw = s.TileColumns, perImage = s.TileRows * tw;
        for (int lane = 0; lane < valid; lane++)
        {
            long t = t0 + lane;
            int image = (int)(t / perImage), rem = (int)(t % perImage), top = 4 * (rem / tw), left = 4 * (rem % tw);
            float* plane = s.Images + ((long)image * s.Channels + c) * h * w;
            int rows = Math.Min(Tile4, h - top), columns = Math.Min(Tile4, w - left);
            for (int a = 0; a < rows; a++)
            {
                float* dst = plane + (long)(top + a) * w + left;
                float* src = window + 4 * a * lanes + lane;
                if (s.Accumulate) for (int b = 0; b < columns; b++) dst[b] += src[b * lanes];
                else for (int b = 0; b < columns; b++) dst[b] = src[b * lanes];
            }
        }
    }

    /// <summary>V = B^T d B for 8 windows d (36 vectors at window + k * lanes), row k of V to dst + k * stride.</summary>
    private static void InputValues4(float* window, float* dst, long stride, int lanes)
    {
        // e = d B, row by row (in place), then V = B^T e, column by column.
        for (int r = 0; r < Window4; r++) BTransposeTimes(window + Window4 * r * lanes, lanes, window + Window4 * r * lanes, lanes);
        for (int j = 0; j < Window4; j++) BTransposeTimes(window + j * lanes, Window4 * lanes, dst + j * stride, Window4 * stride);
    }

    /// <summary>
    /// out[i] = (B^T d)[i] for a 6-vector d of lanes at src + i * srcStep, written to dst + i * dstStep
    /// (in place is fine: every input is read before any output is written).
    /// </summary>
    private static void BTransposeTimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var d0 = Vector.Load(src); var d1 = Vector.Load(src + srcStep); var d2 = Vector.Load(src + 2 * srcStep);
        var d3 = Vector.Load(src + 3 * srcStep); var d4 = Vector.Load(src + 4 * srcStep); var d5 = Vector.Load(src + 5 * srcStep);
        Vector<float> four = new(4f), five = new(5f), two = new(2f);
        Vector.Store(four * d0 - five * d2 + d4, dst);
        Vector.Store(d3 + d4 - four * (d1 + d2), dst + dstStep);
        Vector.Store(four * (d1 - d2) - d3 + d4, dst + 2 * dstStep);
        Vector.Store(two * (d3 - d1) - d2 + d4, dst + 3 * dstStep);
        Vector.Store(two * (d1 - d3) - d2 + d4, dst + 4 * dstStep);
        Vector.Store(four * d1 - five * d3 + d5, dst + 5 * dstStep);
    }

    /// <summary>Y = A^T m A for 8 tiles, m row k at from + k * stride; Y[a][b] to block + (4 a + b) * lanes.</summary>
    private static void OutputValues4(float* from, long stride, float* block, int lanes)
    {
        // s = A^T m (4 rows of 6), then Y = s A.
        float* rows = stackalloc float[24 * Vector<float>.Count];
        for (int j = 0; j < Window4; j++) ATransposeTimes(from + j * stride, Window4 * stride, rows + j * lanes, Window4 * lanes);
        for (int a = 0; a < Tile4; a++) ATransposeTimes(rows + Window4 * a * lanes, lanes, block + 4 * a * lanes, lanes);
    }

    /// <summary>out[a] = (A^T m)[a] for a 6-vector m at src + i * srcStep, written to dst + a * dstStep.</summary>
    private static void ATransposeTimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var m0 = Vector.Load(src); var m1 = Vector.Load(src + srcStep); var m2 = Vector.Load(src + 2 * srcStep);
        var m3 = Vector.Load(src + 3 * srcStep); var m4 = Vector.Load(src + 4 * srcStep); var m5 = Vector.Load(src + 5 * srcStep);
        Vector<float> plus12 = m1 + m2, minus12 = m1 - m2, plus34 = m3 + m4, minus34 = m3 - m4;
        Vector.Store(m0 + plus12 + plus34, dst);
        Vector.Store(minus12 + new Vector<float>(2f) * minus34, dst + dstStep);
        Vector.Store(plus12 + new Vector<float>(4f) * plus34, dst + 2 * dstStep);
        Vector.Store(minus12 + new Vector<float>(8f) * minus34 + m5, dst + 3 * dstStep);
    }

    /// <summary>dM = A dY A^T for 8 tiles' 4x4 blocks (window + (4 a + b) * lanes); row k of dM to dst + k * stride.</summary>
    private static void AdjointValues4(float* window, float* dst, long stride, int lanes)
    {
        // q = A dY (6 rows of 4), then dM = q A^T (6 columns).
        float* rows = stackalloc float[24 * Vector<float>.Count];
        for (int b = 0; b < Tile4; b++) ATimes(window + b * lanes, 4 * lanes, rows + b * lanes, 4 * lanes);
        for (int i = 0; i < Window4; i++) ATimes(rows + 4 * i * lanes, lanes, dst + Window4 * i * stride, stride);
    }

    /// <summary>out[i] = (A y)[i] for a 4-vector y at src + a * srcStep, written to dst + i * dstStep (6 values).</summary>
    private static void ATimes(float* src, long srcStep, float* dst, long dstStep)
    {
        var y0 = Vector.Load(src); var y1 = Vector.Load(src + srcStep); var y2 = Vector.Load(src + 2 * srcStep); var y3 = Vector.Load(src + 3 * srcStep);
        Vector<float> even = y0 + y2, odd = y1 + y3, two = new(2f), four = new(4f), eight = new(8f);
        Vector.Store(y0, dst);
        Vector.Store(even + odd, dst + dstStep);
        Vector.Store(even - odd, dst + 2 * dstStep);
        var quad = y0 + four * y2;
        var oct = two * y1 + eight * y3;
        Vector.Store(quad + oct, dst + 3 * dstStep);
        Vector.Store(quad - oct, dst + 4 * dstStep);
        Vector.Store(y3, dst + 5 * dstStep);
    }

    /// <summary>
    /// U[k, o, c] = (G g G^T)[k] for g = W[o, c] (or, flipped, U[k, c, o] for W[o, c] rotated 180
    /// degrees), filters split over the thread budget.
    /// </summary>
    private static void FilterTransform4(float* weight, float* u, int outC, int inC, bool flip)
    {
        var job = new FilterJob { Weight = weight, U = u, Out = outC, In = inC, Flip = flip };
        int threads = outC * inC >= 4096 ? ThreadBudget.Current : 1;
        // Eight filters at a time, along the dimension that is contiguous in U: input channels
        // for U (36, O, C), output channels for the flipped U (36, C, O).
        if (flip) CpuParallel.For(inC, threads, job, &FilterJob.Flipped);
        else CpuParallel.For(outC, threads, job, &FilterJob.Forward);
    }

    /// <summary>dW[o, c] += G^T dU[., o, c] G, the adjoint of <see cref="FilterTransform4"/>.</summary>
    private static void FilterTransformAdjoint4(float* du, float* dWeight, int outC, int inC)
    {
        var job = new FilterJob { Weight = dWeight, U = du, Out = outC, In = inC };
        CpuParallel.For(outC, outC * inC >= 4096 ? ThreadBudget.Current : 1, job, &FilterJob.Adjoint);
    }

    /// <summary>Whether the filter transforms take eight filters per vector here.</summary>
    private static bool VectorFilters => Avx2.IsSupported;

    /// <summary>
    /// U[k] for 8 filters at once: g element e of lane l at first + l * laneStride + e (the flip
    /// reads element 8 - e), U row k stored as 8 contiguous values at u + k * plane. The same
    /// arithmetic, in the same order, as the scalar form.
    /// </summary>
    private static void FilterVector(float* first, int laneStride, bool flip, float* u, long plane)
    {
        var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * laneStride;
        var g = stackalloc Vector256<float>[9];
        for (int e = 0; e < 9; e++) g[e] = Avx2.GatherVector256(first + (flip ? 8 - e : e), index, 4);
        var t = stackalloc Vector256<float>[18];
        for (int j = 0; j < 3; j++) GTimes(g[j], g[3 + j], g[6 + j], t + j, 3);
        var row = stackalloc Vector256<float>[6];
        for (int i = 0; i < 6; i++)
        {
            GTimes(t[3 * i], t[3 * i + 1], t[3 * i + 2], row, 1);
            for (int j = 0; j < 6; j++) Avx.Store(u + (6 * i + j) * plane, row[j]);
        }
    }

    /// <summary>output[i * step] = (G (g0, g1, g2))[i], i = 0..5, for 8 filters.</summary>
    private static void GTimes(Vector256<float> g0, Vector256<float> g1, Vector256<float> g2, Vector256<float>* output, int step)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = Vector256.Create(0.25f) * g0;
        output[step] = Vector256.Create(-Sixth) * (g0 + g1 + g2);
        output[2 * step] = Vector256.Create(-Sixth) * (g0 - g1 + g2);
        output[3 * step] = Vector256.Create(TwentyFourth) * g0 + Vector256.Create(Twelfth) * g1 + Vector256.Create(Sixth) * g2;
        output[4 * step] = Vector256.Create(TwentyFourth) * g0 - Vector256.Create(Twelfth) * g1 + Vector256.Create(Sixth) * g2;
        output[5 * step] = g2;
    }

    /// <summary>(G^T u) for 8 6-vectors u: 3 vectors.</summary>
    private static void GTransposeTimes(Vector256<float> u0, Vector256<float> u1, Vector256<float> u2, Vector256<float> u3, Vector256<float> u4, Vector256<float> u5,
        Vector256<float>* output)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = Vector256.Create(0.25f) * u0 - Vector256.Create(Sixth) * (u1 + u2) + Vector256.Create(TwentyFourth) * (u3 + u4);
        output[1] = Vector256.Create(Sixth) * (u2 - u1) + Vector256.Create(Twelfth) * (u3 - u4);
        output[2] = Vector256.Create(Sixth) * (u3 + u4 - u1 - u2) + u5;
    }

    private struct FilterJob
    {
        public float* Weight, U;
        public int Out, In;
        public bool Flip;

        /// <summary>U[., o, c] for every c: 8 at a time, then the rest one by one.</summary>
        public static void Forward(int o, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            int c0 = 0;
            if (VectorFilters)
                for (; c0 + 8 <= s.In; c0 += 8)
                    FilterVector(s.Weight + ((long)o * s.In + c0) * 9, 9, flip: false, s.U + (long)o * s.In + c0, plane);
            Scalar(o, c0, s.In, ref s);
        }

        /// <summary>The flipped U[., c, o] for every o: 8 at a time, then the rest one by one.</summary>
        public static void Flipped(int c, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            int o0 = 0;
            if (VectorFilters)
                for (; o0 + 8 <= s.Out; o0 += 8)
                    FilterVector(s.Weight + ((long)o0 * s.In + c) * 9, 9 * s.In, flip: true, s.U + (long)c * s.Out + o0, plane);
            for (int o = o0; o < s.Out; o++) Scalar(o, c, c + 1, ref s);
        }

        /// <summary>U (or the flipped U) of filters (o, c) for c in [from, to), one at a time.</summary>
        private static void Scalar(int o, int from, int to, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            float* t = stackalloc float[18];
            float* row = stackalloc float[6];
            for (int c = from; c < to; c++)
            {
                float* g = s.Weight + ((long)o * s.In + c) * 9;
                long at = s.Flip ? (long)c * s.Out + o : (long)o * s.In + c;
                // t = G g (6x3) column by column, then U = t G^T row by row.
                for (int j = 0; j < 3; j++)
                {
                    float g0 = s.Flip ? g[8 - j] : g[j], g1 = s.Flip ? g[5 - j] : g[3 + j], g2 = s.Flip ? g[2 - j] : g[6 + j];
                    GTimes(g0, g1, g2, t + j, 3);
                }
                for (int i = 0; i < 6; i++)
                {
                    GTimes(t[3 * i], t[3 * i + 1], t[3 * i + 2], row, 1);
                    for (int j = 0; j < 6; j++) s.U[(6 * i + j) * plane + at] = row[j];
                }
            }
        }

        public static void Adjoint(int o, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            int c0 = 0;
            if (VectorFilters)
            {
                // Eight filters at a time: dU[k, o, c..c+7] are contiguous; the 8 x 9 results are added
                // into the filters' 72 contiguous weights through a small transposing buffer.
                var r = stackalloc Vector256<float>[18];
                var column = stackalloc Vector256<float>[3];
                var result = stackalloc float[9 * 8];
                for (; c0 + 8 <= s.In; c0 += 8)
                {
                    float* du = s.U + (long)o * s.In + c0;
                    for (int j = 0; j < 6; j++)
                    {
                        GTransposeTimes(Avx.LoadVector256(du + j * plane), Avx.LoadVector256(du + (6 + j) * plane), Avx.LoadVector256(du + (12 + j) * plane),
                            Avx.LoadVector256(du + (18 + j) * plane), Avx.LoadVector256(du + (24 + j) * plane), Avx.LoadVector256(du + (30 + j) * plane), column);
                        r[j] = column[0]; r[6 + j] = column[1]; r[12 + j] = column[2];
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        GTransposeTimes(r[6 * k], r[6 * k + 1], r[6 * k + 2], r[6 * k + 3], r[6 * k + 4], r[6 * k + 5], column);
                        for (int e = 0; e < 3; e++) Avx.Store(result + (3 * k + e) * 8, column[e]);
                    }
                    float* dst = s.Weight + ((long)o * s.In + c0) * 9;
                    for (int lane = 0; lane < 8; lane++)
                        for (int e = 0; e < 9; e++) dst[lane * 9 + e] += result[e * 8 + lane];
                }
            }
            AdjointScalar(o, c0, ref s);
        }

        private static void AdjointScalar(int o, int from, ref FilterJob s)
        {
            long plane = (long)s.Out * s.In;
            float* r = stackalloc float[18];
            float* column = stackalloc float[3];
            for (int c = from; c < s.In; c++)
            {
                long at = (long)o * s.In + c;
                float* du = s.U + at;
                // r = G^T dU (3x6) column by column; then dg = r G (3x3) row by row.
                for (int j = 0; j < 6; j++)
                {
                    GTransposeTimes(du[j * plane], du[(6 + j) * plane], du[(12 + j) * plane], du[(18 + j) * plane], du[(24 + j) * plane], du[(30 + j) * plane], column);
                    r[j] = column[0]; r[6 + j] = column[1]; r[12 + j] = column[2];
                }
                float* dst = s.Weight + at * 9;
                for (int k = 0; k < 3; k++)
                {
                    GTransposeTimes(r[6 * k], r[6 * k + 1], r[6 * k + 2], r[6 * k + 3], r[6 * k + 4], r[6 * k + 5], column);
                    dst[3 * k] += column[0]; dst[3 * k + 1] += column[1]; dst[3 * k + 2] += column[2];
                }
            }
        }
    }

    /// <summary>output[i * step] = (G (g0, g1, g2))[i], i = 0..5.</summary>
    private static void GTimes(float g0, float g1, float g2, float* output, int step)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = 0.25f * g0;
        output[step] = -Sixth * (g0 + g1 + g2);
        output[2 * step] = -Sixth * (g0 - g1 + g2);
        output[3 * step] = TwentyFourth * g0 + Twelfth * g1 + Sixth * g2;
        output[4 * step] = TwentyFourth * g0 - Twelfth * g1 + Sixth * g2;
        output[5 * step] = g2;
    }

    /// <summary>(G^T u) for a 6-vector u: 3 values.</summary>
    private static void GTransposeTimes(float u0, float u1, float u2, float u3, float u4, float u5, float* output)
    {
        const float Sixth = 1f / 6, Twelfth = 1f / 12, TwentyFourth = 1f / 24;
        output[0] = 0.25f * u0 - Sixth * (u1 + u2) + TwentyFourth * (u3 + u4);
        output[1] = Sixth * (u2 - u1) + Twelfth * (u3 - u4);
        output[2] = Sixth * (u3 + u4 - u1 - u2) + u5;
    }
}
