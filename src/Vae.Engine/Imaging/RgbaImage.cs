namespace Vae.Engine.Imaging;

/// <summary>An 8-bit RGBA image: <see cref="Pixels"/> holds R, G, B, A per pixel, row-major, alpha not premultiplied.</summary>
public sealed class RgbaImage
{
    public const int Channels = 4;

    /// <summary>A transparent black image.</summary>
    public RgbaImage(int width, int height)
        : this(width, height, new byte[CheckedLength(width, height)])
    {
    }

    /// <summary>Wraps <paramref name="pixels"/> (<c>width * height * 4</c> bytes) without copying.</summary>
    public RgbaImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int length = CheckedLength(width, height);
        if (pixels.Length != length)
        {
            throw new ArgumentException(
                $"A {width}x{height} RGBA image needs {length} bytes, but {pixels.Length} were given.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public (byte R, byte G, byte B, byte A) GetPixel(int x, int y)
    {
        int i = Offset(x, y);
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2], Pixels[i + 3]);
    }

    public void SetPixel(int x, int y, byte r, byte g, byte b, byte a = 255)
    {
        int i = Offset(x, y);
        Pixels[i] = r;
        Pixels[i + 1] = g;
        Pixels[i + 2] = b;
        Pixels[i + 3] = a;
    }

    public override string ToString() => $"RgbaImage {Width}x{Height}";

    private int Offset(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}x{Height} image.");
        }

        return (y * Width + x) * Channels;
    }

    private static int CheckedLength(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} is invalid; both sides must be positive.");
        }

        long length = (long)width * height * Channels;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} has more pixels than an array can hold.");
        }

        return (int)length;
    }
}
