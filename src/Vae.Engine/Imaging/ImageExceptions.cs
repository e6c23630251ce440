namespace Vae.Engine.Imaging;

/// <summary>An image could not be read; catch this to handle both kinds of failure below.</summary>
public abstract class ImageException : Exception
{
    protected ImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The bytes are not a well-formed image: wrong signature, truncated, corrupt data or checksums.</summary>
public sealed class InvalidImageException : ImageException
{
    public InvalidImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The image is well-formed but uses a feature this decoder does not implement (e.g. interlacing).</summary>
public sealed class UnsupportedImageException : ImageException
{
    public UnsupportedImageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
