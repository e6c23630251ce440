namespace Vae.Engine.Imaging;

/// <summary>The image formats the service reads: nothing else is registered with the decoder.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    Webp,
    Bmp,
}

/// <summary>Names, media types and file extensions of the accepted formats, for messages, headers and zip entries.</summary>
public static class ImageFormats
{
    public static IReadOnlyList<ImageFormat> All { get; } = [ImageFormat.Png, ImageFormat.Jpeg, ImageFormat.Webp, ImageFormat.Bmp];

    /// <summary>The accepted media types, in the order of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> MediaTypes { get; } = [.. All.Select(MediaType)];

    /// <summary>"PNG, JPEG, WebP or BMP", for messages.</summary>
    public static string Names { get; } = string.Join(", ", All.Take(All.Count - 1).Select(Name)) + " or " + Name(All[^1]);

    /// <summary>"image/png, image/jpeg, image/webp or image/bmp", for messages.</summary>
    public static string MediaTypeNames { get; } = string.Join(", ", MediaTypes.Take(MediaTypes.Count - 1)) + " or " + MediaTypes[^1];

    public static string Name(ImageFormat format) => format switch
    {
        ImageFormat.Png => "PNG",
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Webp => "WebP",
        ImageFormat.Bmp => "BMP",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string MediaType(ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Webp => "image/webp",
        ImageFormat.Bmp => "image/bmp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The format of a media type (case-insensitive; image/jpg and image/x-ms-bmp, which some tools send, included), or null.</summary>
    public static ImageFormat? FromMediaType(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        "image/png" => ImageFormat.Png,
        "image/jpeg" or "image/jpg" or "image/pjpeg" => ImageFormat.Jpeg,
        "image/webp" => ImageFormat.Webp,
        "image/bmp" or "image/x-ms-bmp" or "image/x-bmp" => ImageFormat.Bmp,
        _ => null,
    };

    /// <summary>The format a file name's extension names (.png, .jpg, .jpeg, .webp, .bmp, any case), or null.</summary>
    public static ImageFormat? FromFileName(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".png" => ImageFormat.Png,
        ".jpg" or ".jpeg" or ".jpe" or ".jfif" => ImageFormat.Jpeg,
        ".webp" => ImageFormat.Webp,
        ".bmp" or ".dib" => ImageFormat.Bmp,
        _ => null,
    };

    /// <summary>".png, .jpg, .jpeg, .webp or .bmp", for messages about file names.</summary>
    public const string Extensions = ".png, .jpg, .jpeg, .webp or .bmp";
}
