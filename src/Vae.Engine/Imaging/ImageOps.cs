namespace Vae.Engine.Imaging;

/// <summary>Conversions, resampling and layout of images on the host, before or after the model.</summary>
public static partial class ImageOps
{
    /// <summary>
    /// Luminance (0.299 R + 0.587 G + 0.114 B) with transparent areas flattened onto the digit
    /// datasets' black background, whatever colour the ink is: dark ink on a transparent canvas is
    /// laid on white paper (and then inverted like a scan, below), light ink is laid on black.
    /// MNIST digits are white on black, so <paramref name="invert"/> null inverts when the image's
    /// border is mostly light (a dark digit on a light page); true or false forces it.
    /// </summary>
    public static GrayImage ToGray(RgbaImage img, bool? invert = null)
    {
        ArgumentNullException.ThrowIfNull(img);
        var gray = new GrayImage(img.Width, img.Height);
        ReadOnlySpan<byte> rgba = img.Pixels;
        float[] pixels = gray.Pixels;
        float paper = InkIsDark(rgba) ? 255f : 0f;
        for (int i = 0; i < pixels.Length; i++)
        {
            int at = 4 * i;
            float luminance = (0.299f * rgba[at]) + (0.587f * rgba[at + 1]) + (0.114f * rgba[at + 2]);
            float alpha = rgba[at + 3] / 255f;
            float value = ((luminance * alpha) + (paper * (1f - alpha))) / 255f;
            pixels[i] = Math.Clamp(value, 0f, 1f);
        }

        if (invert ?? BorderMean(gray) > 0.5f)
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                pixels[i] = 1f - pixels[i];
            }
        }

        return gray;
    }

    /// <summary>
    /// Whether what is drawn (each pixel weighted by its opacity) is darker than mid-gray. An opaque
    /// image has no transparency to flatten, so the answer does not matter there and is false.
    /// </summary>
    private static bool InkIsDark(ReadOnlySpan<byte> rgba)
    {
        double ink = 0, opacity = 0;
        bool transparent = false;
        for (int at = 0; at < rgba.Length; at += 4)
        {
            int alpha = rgba[at + 3];
            transparent |= alpha < 255;
            ink += ((0.299 * rgba[at]) + (0.587 * rgba[at + 1]) + (0.114 * rgba[at + 2])) * alpha;
            opacity += alpha;
        }

        return transparent && opacity > 0 && ink / opacity < 127.5;
    }

    /// <summary>Mean of the pixels on the outermost ring of the image.</summary>
    public static float BorderMean(GrayImage img)
    {
        ArgumentNullException.ThrowIfNull(img);
        int w = img.Width;
        int h = img.Height;
        double sum = 0;
        int count = 0;
        for (int y = 0; y < h; y++)
        {
            bool edgeRow = y == 0 || y == h - 1;
            int step = edgeRow || w == 1 ? 1 : w - 1;
            for (int x = 0; x < w; x += step)
            {
                sum += img.Pixels[(y * w) + x];
                count++;
            }
        }

        return (float)(sum / count);
    }

    /// <summary>
    /// Resamples to <paramref name="width"/> x <paramref name="height"/>, each axis on its own:
    /// area averaging (every source pixel weighted by how much of it an output pixel covers) where
    /// the axis shrinks, bilinear interpolation between pixel centres where it grows.
    /// </summary>
    public static GrayImage ResizeArea(GrayImage img, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(img);
        GrayImage.CheckedArea(width, height);
        if (width == img.Width && height == img.Height)
        {
            return img.Clone();
        }

        Taps horizontal = Taps.For(img.Width, width);
        Taps vertical = Taps.For(img.Height, height);

        // Horizontal pass first: tmp is (img.Height, width).
        var tmp = new float[img.Height * width];
        for (int y = 0; y < img.Height; y++)
        {
            ReadOnlySpan<float> source = img.Pixels.AsSpan(y * img.Width, img.Width);
            Span<float> target = tmp.AsSpan(y * width, width);
            for (int x = 0; x < width; x++)
            {
                target[x] = horizontal.Apply(x, source, 1);
            }
        }

        var result = new GrayImage(width, height);
        for (int y = 0; y < height; y++)
        {
            Span<float> target = result.Row(y);
            for (int x = 0; x < width; x++)
            {
                target[x] = vertical.Apply(y, tmp.AsSpan(x), width);
            }
        }

        return result;
    }

    /// <summary>
    /// Normalises a white-on-black digit the way MNIST was made: crops to the pixels brighter than 0.1,
    /// scales that box (aspect kept) to fit <c>size * 20 / 28</c> pixels, and pastes it into a black
    /// <paramref name="size"/> square so that its centre of mass lands on the square's centre.
    /// </summary>
    public static GrayImage ToMnistInput(GrayImage img, int size = 28)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        const float Ink = 0.1f;

        int left = img.Width, top = img.Height, right = -1, bottom = -1;
        for (int y = 0; y < img.Height; y++)
        {
            ReadOnlySpan<float> row = img.Row(y);
            for (int x = 0; x < img.Width; x++)
            {
                if (row[x] > Ink)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        var canvas = new GrayImage(size, size);
        if (right < 0)
        {
            return canvas;
        }

        GrayImage box = Crop(img, left, top, right - left + 1, bottom - top + 1);
        int fit = Math.Max(1, size * 20 / 28);
        double scale = (double)fit / Math.Max(box.Width, box.Height);
        int w = Math.Clamp((int)Math.Round(box.Width * scale), 1, fit);
        int h = Math.Clamp((int)Math.Round(box.Height * scale), 1, fit);
        GrayImage digit = ResizeArea(box, w, h);
        for (int i = 0; i < digit.Pixels.Length; i++)
        {
            digit.Pixels[i] = Math.Clamp(digit.Pixels[i], 0f, 1f);
        }

        (double cx, double cy) = CentreOfMass(digit);

        // Shift by whole pixels, as the MNIST preprocessing did, so strokes stay sharp; keep the digit inside the square.
        int dx = Math.Clamp((int)Math.Round((size / 2.0) - cx), 0, size - w);
        int dy = Math.Clamp((int)Math.Round((size / 2.0) - cy), 0, size - h);
        for (int y = 0; y < h; y++)
        {
            digit.Row(y).CopyTo(canvas.Pixels.AsSpan(((y + dy) * size) + dx, w));
        }

        return canvas;
    }

    /// <summary>
    /// Tiles equally sized images left to right, top to bottom, in <paramref name="columns"/> columns
    /// (fewer if there are fewer tiles), with <paramref name="padding"/> pixels of
    /// <paramref name="background"/> around and between them, as torchvision's make_grid does.
    /// </summary>
    public static GrayImage Grid(IReadOnlyList<GrayImage> tiles, int columns, int padding = 2, float background = 0f)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (tiles.Count == 0)
        {
            throw new ArgumentException("A grid needs at least one tile.", nameof(tiles));
        }

        int tileWidth = tiles[0].Width;
        int tileHeight = tiles[0].Height;
        for (int i = 0; i < tiles.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(tiles[i], nameof(tiles));
            if (tiles[i].Width != tileWidth || tiles[i].Height != tileHeight)
            {
                throw new ArgumentException($"All tiles must be the same size: tile 0 is {tileWidth}x{tileHeight} " +
                    $"but tile {i} is {tiles[i].Width}x{tiles[i].Height}.", nameof(tiles));
            }
        }

        int across = Math.Min(columns, tiles.Count);
        int down = (tiles.Count + across - 1) / across;
        int cellWidth = tileWidth + padding;
        int cellHeight = tileHeight + padding;
        var grid = new GrayImage((across * cellWidth) + padding, (down * cellHeight) + padding);
        if (background != 0f)
        {
            Array.Fill(grid.Pixels, background);
        }

        for (int i = 0; i < tiles.Count; i++)
        {
            int left = ((i % across) * cellWidth) + padding;
            int top = ((i / across) * cellHeight) + padding;
            for (int y = 0; y < tileHeight; y++)
            {
                tiles[i].Row(y).CopyTo(grid.Pixels.AsSpan(((top + y) * grid.Width) + left, tileWidth));
            }
        }

        return grid;
    }

    /// <summary>One row of tiles; see <see cref="Grid"/>.</summary>
    public static GrayImage Strip(IReadOnlyList<GrayImage> tiles, int padding = 2)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        return Grid(tiles, Math.Max(1, tiles.Count), padding);
    }

    /// <summary>Copies row-major pixels into a new image.</summary>
    public static GrayImage FromPixels(ReadOnlySpan<float> pixels, int width, int height)
    {
        int area = GrayImage.CheckedArea(width, height);
        if (pixels.Length != area)
        {
            throw new ArgumentException($"A {width}x{height} image needs {area} pixels, but {pixels.Length} were given.", nameof(pixels));
        }

        return new GrayImage(width, height, pixels.ToArray());
    }

    /// <summary>Enlarges by a whole factor, each pixel becoming a factor x factor block, so previews stay crisp.</summary>
    public static GrayImage Scale(GrayImage img, int factor)
    {
        ArgumentNullException.ThrowIfNull(img);
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        var result = new GrayImage(checked(img.Width * factor), checked(img.Height * factor));
        for (int y = 0; y < img.Height; y++)
        {
            ReadOnlySpan<float> source = img.Row(y);
            Span<float> first = result.Row(y * factor);
            for (int x = 0; x < img.Width; x++)
            {
                first.Slice(x * factor, factor).Fill(source[x]);
            }

            for (int k = 1; k < factor; k++)
            {
                first.CopyTo(result.Row((y * factor) + k));
            }
        }

        return result;
    }

    private static GrayImage Crop(GrayImage img, int left, int top, int width, int height)
    {
        var crop = new GrayImage(width, height);
        for (int y = 0; y < height; y++)
        {
            img.Pixels.AsSpan(((top + y) * img.Width) + left, width).CopyTo(crop.Row(y));
        }

        return crop;
    }

    /// <summary>Intensity-weighted mean pixel index (x, y); the box centre if the image is all zero.</summary>
    internal static (double X, double Y) CentreOfMass(GrayImage img)
    {
        double mass = 0, sx = 0, sy = 0;
        for (int y = 0; y < img.Height; y++)
        {
            ReadOnlySpan<float> row = img.Row(y);
            for (int x = 0; x < img.Width; x++)
            {
                mass += row[x];
                sx += x * (double)row[x];
                sy += y * (double)row[x];
            }
        }

        return mass > 0 ? (sx / mass, sy / mass) : ((img.Width - 1) / 2.0, (img.Height - 1) / 2.0);
    }

    /// <summary>For each output index along one axis, the source indices it reads and their weights.</summary>
    private sealed class Taps
    {
        private readonly int[] _start;
        private readonly int[] _count;
        private readonly float[] _weights;
        private readonly int _stride;

        private Taps(int outputs, int stride)
        {
            _start = new int[outputs];
            _count = new int[outputs];
            _weights = new float[outputs * stride];
            _stride = stride;
        }

        public static Taps For(int source, int target)
        {
            return target < source ? Area(source, target) : Bilinear(source, target);
        }

        public float Apply(int output, ReadOnlySpan<float> data, int step)
        {
            int start = _start[output];
            ReadOnlySpan<float> weights = _weights.AsSpan(output * _stride, _count[output]);
            float sum = 0;
            for (int k = 0; k < weights.Length; k++)
            {
                sum += weights[k] * data[(start + k) * step];
            }

            return sum;
        }

        // Output pixel j covers source span [j*s, (j+1)*s) with s = source/target; weights are overlaps / s.
        private static Taps Area(int source, int target)
        {
            double s = (double)source / target;
            var taps = new Taps(target, (int)Math.Ceiling(s) + 1);
            for (int j = 0; j < target; j++)
            {
                double from = j * s;
                double to = Math.Min(source, (j + 1) * s);
                int first = (int)Math.Floor(from);
                int last = Math.Min(source - 1, (int)Math.Ceiling(to) - 1);
                taps._start[j] = first;
                taps._count[j] = last - first + 1;
                for (int i = first; i <= last; i++)
                {
                    double overlap = Math.Min(to, i + 1) - Math.Max(from, i);
                    taps._weights[(j * taps._stride) + (i - first)] = (float)(overlap / s);
                }
            }

            return taps;
        }

        // Pixel centres aligned (as align_corners=False): output j samples source position (j + 0.5) * source/target - 0.5.
        private static Taps Bilinear(int source, int target)
        {
            var taps = new Taps(target, 2);
            double s = (double)source / target;
            for (int j = 0; j < target; j++)
            {
                double position = Math.Clamp(((j + 0.5) * s) - 0.5, 0, source - 1);
                int first = Math.Min((int)Math.Floor(position), source - 1);
                double fraction = position - first;
                taps._start[j] = first;
                if (first + 1 < source && fraction > 0)
                {
                    taps._count[j] = 2;
                    taps._weights[2 * j] = (float)(1 - fraction);
                    taps._weights[(2 * j) + 1] = (float)fraction;
                }
                else
                {
                    taps._count[j] = 1;
                    taps._weights[2 * j] = 1f;
                }
            }

            return taps;
        }
    }
}
