namespace Vae.Engine.Imaging;

/// <summary>
/// A colour image as three planes of values 0 (dark) .. 1 (full), one per channel: the layout a
/// model's colour input and output have (channel-major, CHW), so grids, scaling and resampling
/// reuse what <see cref="GrayImage"/> has, plane by plane.
/// </summary>
public sealed class RgbImage
{
    public const int Channels = 3;

    /// <summary>Wraps three planes of the same size without copying.</summary>
    public RgbImage(GrayImage red, GrayImage green, GrayImage blue)
    {
        ArgumentNullException.ThrowIfNull(red);
        ArgumentNullException.ThrowIfNull(green);
        ArgumentNullException.ThrowIfNull(blue);
        if (green.Width != red.Width || green.Height != red.Height || blue.Width != red.Width || blue.Height != red.Height)
        {
            throw new ArgumentException($"The planes must be the same size, got {red.Width}x{red.Height}, {green.Width}x{green.Height} and {blue.Width}x{blue.Height}.");
        }

        Red = red;
        Green = green;
        Blue = blue;
    }

    /// <summary>A black image.</summary>
    public RgbImage(int width, int height)
        : this(new GrayImage(width, height), new GrayImage(width, height), new GrayImage(width, height))
    {
    }

    public int Width => Red.Width;

    public int Height => Red.Height;

    public GrayImage Red { get; }

    public GrayImage Green { get; }

    public GrayImage Blue { get; }

    /// <summary>Plane 0 (red), 1 (green) or 2 (blue).</summary>
    public GrayImage Plane(int channel) => channel switch
    {
        0 => Red,
        1 => Green,
        2 => Blue,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "An RGB image has channels 0, 1 and 2."),
    };

    /// <summary>Copies channel-major values (all red, then all green, then all blue: 3 * width * height) into a new image.</summary>
    public static RgbImage FromPlanar(ReadOnlySpan<float> chw, int width, int height)
    {
        int area = GrayImage.CheckedArea(width, height);
        if (chw.Length != Channels * area)
        {
            throw new ArgumentException($"A {width}x{height} RGB image needs {Channels * area} values, but {chw.Length} were given.", nameof(chw));
        }

        return new RgbImage(
            new GrayImage(width, height, chw[..area].ToArray()),
            new GrayImage(width, height, chw.Slice(area, area).ToArray()),
            new GrayImage(width, height, chw.Slice(2 * area, area).ToArray()));
    }

    /// <summary>Writes the planes channel-major into <paramref name="chw"/> (3 * width * height values).</summary>
    public void CopyPlanarTo(Span<float> chw)
    {
        int area = Width * Height;
        if (chw.Length != Channels * area)
        {
            throw new ArgumentException($"A {Width}x{Height} RGB image has {Channels * area} values, but the destination holds {chw.Length}.", nameof(chw));
        }

        Red.Pixels.CopyTo(chw);
        Green.Pixels.CopyTo(chw[area..]);
        Blue.Pixels.CopyTo(chw[(2 * area)..]);
    }

    public override string ToString() => $"RgbImage {Width}x{Height}";
}
