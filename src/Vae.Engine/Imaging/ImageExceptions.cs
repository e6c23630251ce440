namespace Vae.Engine.Imaging;

/// <summary>An image could not be read; catch this to handle every kind of failure below.</summary>
public abstract class ImageException : Exception
{
    protected ImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The bytes are not a well-formed image of an accepted format: unknown bytes, truncated, corrupt data or checksums.</summary>
public sealed class InvalidImageException : ImageException
{
    public InvalidImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The file is an image, but of a format (GIF, TIFF, SVG...) or a kind (arithmetic-coded JPEG) that is not read.</summary>
public sealed class UnsupportedImageException : ImageException
{
    public UnsupportedImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The image is well-formed but over a limit: its size, the decoder's memory, or the decode time.</summary>
public sealed class ImageOverLimitException : ImageException
{
    public ImageOverLimitException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
