using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Engine.Models;

namespace Vae.Api.Models;

/// <summary>
/// How a grid of images is drawn: tile k in column k % Columns and row k / Columns, with Padding
/// black pixels around and between tiles, then every pixel enlarged to Scale x Scale. Every grid
/// (PNG or WebP) carries this in its X-Grid-* headers, measured in the image's own pixels (scale
/// included), so that clients cut tiles out without assuming the server's layout: tile (c, r)
/// starts at x = padding + c * (tileWidth + padding), y = padding + r * (tileHeight + padding).
/// </summary>
/// <param name="Count">Tiles drawn; the last row may be short.</param>
/// <param name="Columns">Tiles per row.</param>
/// <param name="Rows">Rows of tiles.</param>
/// <param name="TileWidth">Width of one tile in model pixels.</param>
/// <param name="TileHeight">Height of one tile in model pixels.</param>
/// <param name="Padding">Pixels around and between tiles, before scaling.</param>
/// <param name="Scale">PNG pixels per model pixel along each axis.</param>
public sealed record GridLayout(int Count, int Columns, int Rows, int TileWidth, int TileHeight, int Padding, int Scale)
{
    /// <summary>Pixels between and around the tiles of sample grids and strips, before scaling (as torchvision's make_grid).</summary>
    public const int DefaultPadding = 2;

    /// <summary>Largest image the service renders, 16 megapixels (4096x4096): the encoder's time and the answer's size stay bounded.</summary>
    public const long MaxPixels = 16L * 1024 * 1024;

    public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
    {
        ["X-Grid-Columns"] = "Tiles per row.",
        ["X-Grid-Rows"] = "Rows of tiles (the last may be short).",
        ["X-Grid-Tile-Width"] = "Width of one tile in PNG pixels (scale included).",
        ["X-Grid-Tile-Height"] = "Height of one tile in PNG pixels (scale included).",
        ["X-Grid-Padding"] = "Pixels around and between tiles, in PNG pixels (scale included): tile (column c, row r) starts at x = padding + c * (tileWidth + padding), y = padding + r * (tileHeight + padding).",
        ["X-Grid-Scale"] = "PNG pixels per model pixel.",
    };

    /// <summary><paramref name="count"/> images of the model's size in <paramref name="columns"/> columns (fewer if there are fewer images).</summary>
    public static GridLayout For(int count, ModelConfig config, int columns, int scale, int padding)
    {
        int across = Math.Min(columns, count);
        int down = (count + across - 1) / across;
        return new(count, across, down, config.Width, config.Height, padding, scale);
    }

    /// <summary>As many columns as make the grid about square.</summary>
    public static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    /// <summary>Width of the PNG in pixels.</summary>
    public long Width => (((long)Columns * (TileWidth + Padding)) + Padding) * Scale;

    /// <summary>Height of the PNG in pixels.</summary>
    public long Height => (((long)Rows * (TileHeight + Padding)) + Padding) * Scale;

    /// <summary>422 when the PNG would be larger than the service draws.</summary>
    public ProblemHttpResult? CheckSize()
        => Width * Height > MaxPixels
            ? Problems.Unprocessable($"The image would be {Width}x{Height} pixels, more than the {MaxPixels} the service draws; ask for fewer images or a smaller scale.")
            : null;

    public void WriteHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers["X-Grid-Columns"] = Text(Columns);
        headers["X-Grid-Rows"] = Text(Rows);
        headers["X-Grid-Tile-Width"] = Text(TileWidth * Scale);
        headers["X-Grid-Tile-Height"] = Text(TileHeight * Scale);
        headers["X-Grid-Padding"] = Text(Padding * Scale);
        headers["X-Grid-Scale"] = Text(Scale);

        static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
