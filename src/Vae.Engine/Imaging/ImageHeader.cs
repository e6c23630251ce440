namespace Vae.Engine.Imaging;

/// <summary>
/// What a file's header says, read before any pixel is decoded: its format and its size as it will
/// be seen, that is after the EXIF orientation is applied (a portrait photo stored sideways is
/// <see cref="Width"/> narrow and <see cref="Height"/> tall).
/// </summary>
public sealed record ImageHeader(ImageFormat Format, int Width, int Height)
{
    public long Pixels => (long)Width * Height;

    public override string ToString() => $"{ImageFormats.Name(Format)} {Width}x{Height}";
}
