namespace Vae.Engine.Imaging;

/// <summary>The colour counterparts of the gray operations, each applied plane by plane.</summary>
public static partial class ImageOps
{
    /// <summary>
    /// Red, green and blue as values 0..1, with transparent areas flattened onto
    /// <paramref name="background"/> (0 black .. 1 white, the same in every channel);
    /// <paramref name="invert"/> turns every value v into 1 - v.
    /// </summary>
    public static RgbImage ToRgb(RgbaImage img, float background, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (!(background is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(background), background, "The background is a value in [0, 1].");
        var rgb = new RgbImage(img.Width, img.Height);
        ReadOnlySpan<byte> rgba = img.Pixels;
        float[] red = rgb.Red.Pixels, green = rgb.Green.Pixels, blue = rgb.Blue.Pixels;
        float paper = 255f * background;
        for (int i = 0; i < red.Length; i++)
        {
            int at = 4 * i;
            float alpha = rgba[at + 3] / 255f;
            red[i] = Composite(rgba[at], alpha, paper, invert);
            green[i] = Composite(rgba[at + 1], alpha, paper, invert);
            blue[i] = Composite(rgba[at + 2], alpha, paper, invert);
        }

        return rgb;

        static float Composite(byte value, float alpha, float paper, bool invert)
        {
            float v = Math.Clamp(((value * alpha) + (paper * (1f - alpha))) / 255f, 0f, 1f);
            return invert ? 1f - v : v;
        }
    }

    /// <summary>Resamples every plane; see <see cref="ResizeArea(GrayImage, int, int)"/>.</summary>
    public static RgbImage ResizeArea(RgbImage img, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(img);
        return new RgbImage(ResizeArea(img.Red, width, height), ResizeArea(img.Green, width, height), ResizeArea(img.Blue, width, height));
    }

    /// <summary>Tiles colour images; see <see cref="Grid(IReadOnlyList{GrayImage}, int, int, float)"/>.</summary>
    public static RgbImage Grid(IReadOnlyList<RgbImage> tiles, int columns, int padding = 2, float background = 0f)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        return new RgbImage(
            Grid(tiles.Select(t => t.Red).ToArray(), columns, padding, background),
            Grid(tiles.Select(t => t.Green).ToArray(), columns, padding, background),
            Grid(tiles.Select(t => t.Blue).ToArray(), columns, padding, background));
    }

    /// <summary>Enlarges every plane; see <see cref="Scale(GrayImage, int)"/>.</summary>
    public static RgbImage Scale(RgbImage img, int factor)
    {
        ArgumentNullException.ThrowIfNull(img);
        return new RgbImage(Scale(img.Red, factor), Scale(img.Green, factor), Scale(img.Blue, factor));
    }
}
