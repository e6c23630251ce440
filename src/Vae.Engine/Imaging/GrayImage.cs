namespace Vae.Engine.Imaging;

/// <summary>A single-channel image: <see cref="Pixels"/> row-major, 0 = black .. 1 = white.</summary>
public sealed class GrayImage
{
    /// <summary>A black image.</summary>
    public GrayImage(int width, int height)
        : this(width, height, new float[CheckedArea(width, height)])
    {
    }

    /// <summary>Wraps <paramref name="pixels"/> (row-major, <c>width * height</c> values) without copying.</summary>
    public GrayImage(int width, int height, float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int area = CheckedArea(width, height);
        if (pixels.Length != area)
        {
            throw new ArgumentException(
                $"A {width}x{height} image needs {area} pixels, but {pixels.Length} were given.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Pixels { get; }

    public float this[int x, int y]
    {
        get => Pixels[Index(x, y)];
        set => Pixels[Index(x, y)] = value;
    }

    public Span<float> Row(int y)
    {
        if ((uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, $"Row must be in [0, {Height}).");
        }

        return Pixels.AsSpan(y * Width, Width);
    }

    public GrayImage Clone() => new(Width, Height, (float[])Pixels.Clone());

    public override string ToString() => $"GrayImage {Width}x{Height}";

    private int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}x{Height} image.");
        }

        return y * Width + x;
    }

    internal static int CheckedArea(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} is invalid; both sides must be positive.");
        }

        long area = (long)width * height;
        if (area > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} has more pixels than an array can hold.");
        }

        return (int)area;
    }
}
