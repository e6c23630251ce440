namespace Vae.Engine.Imaging;

/// <summary>How a decoded image is resampled to the size it is wanted at.</summary>
public enum FitMode
{
    /// <summary>Exactly Width x Height: scaled to cover the box, then the overflow cropped evenly from both sides (the centre is kept).</summary>
    Cover,

    /// <summary>Scaled down, aspect kept, until it fits inside Width x Height; an image that fits already is left as it is.</summary>
    Within,
}

/// <summary>A target size for a decoded image, reached with a proper resampler (bicubic, widened when it shrinks so every source pixel counts).</summary>
public readonly record struct ImageFit(int Width, int Height, FitMode Mode)
{
    /// <summary>Exactly <paramref name="width"/> x <paramref name="height"/>, centre-cropped to that aspect.</summary>
    public static ImageFit Cover(int width, int height) => new(Positive(width), Positive(height), FitMode.Cover);

    /// <summary>At most <paramref name="width"/> x <paramref name="height"/>, aspect kept, never enlarged.</summary>
    public static ImageFit Within(int width, int height) => new(Positive(width), Positive(height), FitMode.Within);

    private static int Positive(int side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 1);
        return side;
    }
}
