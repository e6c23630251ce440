using System.Buffers;
using System.Numerics.Tensors;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Models;

namespace Vae.Api.Models;

/// <summary>
/// Conversions between pictures and a model's rows of values: an uploaded image (PNG, JPEG, WebP or
/// BMP, through <see cref="IImageCodec"/>) into the model's input, decoded rows (channel-major, CHW,
/// values in [0, 1]) into a PNG or WebP grid, or JSON.
/// </summary>
public static class ModelImages
{
    /// <summary>
    /// The side an image for an MNIST model is shrunk to at most before its digit is found: plenty
    /// for a digit that ends up 20 pixels tall, and it keeps a 32-megapixel photo's gray copy small.
    /// </summary>
    public const int MnistWorkingSide = 512;

    /// <summary>
    /// An uploaded image as one input row of the record's model, or why it cannot be one: 400 for
    /// an empty or malformed file, 415 for a format that is not read, 422 for one over a limit
    /// (<see cref="ImageProblems"/>).
    /// </summary>
    public static ProblemHttpResult? ReadUpload(IImageCodec codec, ReadOnlyMemory<byte> file, bool? invert, ModelRecord record, out float[] input)
    {
        input = [];
        if (file.IsEmpty)
            return Problems.BadRequest($"The body is empty; send the image's bytes as the body, with its Content-Type ({ImageFormats.MediaTypeNames}).");
        try
        {
            input = ToModelInput(codec, file, invert, record.Config, record.Dataset);
            return null;
        }
        catch (ImageException e)
        {
            return ImageProblems.For(e);
        }
    }

    /// <summary>
    /// An image file as one input row of the model, whatever its size, format and orientation (EXIF
    /// rotation is applied). A colour model (3 channels) reads red, green and blue, the image scaled
    /// with a bicubic resampler to cover the model's size and centre-cropped to it (a gray image
    /// gives three equal planes), transparency flattened onto <see cref="Background"/>, inverted
    /// only when <paramref name="invert"/> is true. A gray model reads luminance, transparency
    /// flattened onto black (see <see cref="ImageOps.ToGray"/>), inverted to white on black when
    /// <paramref name="invert"/> says so or, when it is null, when the border is light; a model of
    /// MNIST's digits then gets MNIST's preprocessing (cropped to the ink, fitted into 20/28 of the
    /// square, centred by mass), any other gray model the image scaled and cropped as a colour model's.
    /// Other channel counts get the gray values in every channel.
    /// </summary>
    /// <exception cref="ImageException">The file is not an image the codec reads, or is over its limits.</exception>
    public static float[] ToModelInput(IImageCodec codec, ReadOnlyMemory<byte> file, bool? invert, ModelConfig config, string dataset)
    {
        ArgumentNullException.ThrowIfNull(codec);
        var input = new float[config.InputSize];
        var cover = ImageFit.Cover(config.Width, config.Height);
        if (config.Channels == RgbImage.Channels)
        {
            ImageOps.ToRgb(codec.Decode(file, cover), Background(dataset), invert == true).CopyPlanarTo(input);
            return input;
        }

        bool mnist = string.Equals(dataset, Mnist.Name, StringComparison.OrdinalIgnoreCase);
        var gray = ImageOps.ToGray(codec.Decode(file, mnist ? ImageFit.Within(MnistWorkingSide, MnistWorkingSide) : cover), invert);
        GrayImage plane;
        if (!mnist) plane = gray;
        else if (config.Width == config.Height) plane = ImageOps.ToMnistInput(gray, config.Width);
        else plane = ImageOps.ResizeArea(ImageOps.ToMnistInput(gray), config.Width, config.Height);
        for (int c = 0; c < config.Channels; c++) plane.Pixels.CopyTo(input.AsSpan(c * plane.Pixels.Length));
        return input;
    }

    /// <summary>
    /// What transparent areas of an image become for a colour model of <paramref name="dataset"/>:
    /// white for CIFAR-10 (its photos have no background of their own, and a cut-out object is seen
    /// on a white page), black for uploaded datasets (their training images were flattened onto
    /// black when they were uploaded). Gray models always flatten onto black, the background of
    /// MNIST's and Fashion-MNIST's images.
    /// </summary>
    public static float Background(string dataset)
        => string.Equals(dataset, Cifar10.Name, StringComparison.OrdinalIgnoreCase) ? 1f : 0f;

    /// <summary>
    /// Rows of decoded values as one image laid out by <paramref name="layout"/>, in
    /// <paramref name="format"/> (PNG or lossless WebP): RGB for a colour model, gray for a gray one;
    /// a model of another channel count is drawn as its channels' mean.
    /// </summary>
    public static byte[] Render(IImageCodec codec, ReadOnlySpan<float> images, ModelConfig config, GridLayout layout, ImageFormat format = ImageFormat.Png)
    {
        int count = layout.Count, features = config.InputSize, width = config.Width, height = config.Height;
        bool single = count == 1 && layout.Padding == 0;
        if (config.Channels == RgbImage.Channels)
        {
            var tiles = new RgbImage[count];
            for (int i = 0; i < count; i++) tiles[i] = RgbImage.FromPlanar(images.Slice(i * features, features), width, height);
            var grid = single ? tiles[0] : ImageOps.Grid(tiles, layout.Columns, layout.Padding);
            return codec.Encode(layout.Scale > 1 ? ImageOps.Scale(grid, layout.Scale) : grid, format);
        }
        else
        {
            return RenderGray(codec, images, config, layout, format);
        }
    }

    /// <summary>
    /// A gray grid composed from the rows straight into one buffer: no image per tile, and at scale 1
    /// a pooled buffer rather than a new grid each request (64 digits make 230 KB of floats, which
    /// would be a large-object allocation, and a full collection sooner, every time). The same
    /// pixels as the tiles through ImageOps.Grid.
    /// </summary>
    private static byte[] RenderGray(IImageCodec codec, ReadOnlySpan<float> images, ModelConfig config, GridLayout layout, ImageFormat format)
    {
        int gridWidth = (int)(layout.Width / layout.Scale), gridHeight = (int)(layout.Height / layout.Scale); // under GridLayout.MaxPixels
        int pixels = gridWidth * gridHeight;
        if (layout.Scale > 1)
        {
            var grid = new GrayImage(gridWidth, gridHeight);
            ComposeGray(images, config, layout, grid.Pixels, gridWidth);
            return codec.Encode(ImageOps.Scale(grid, layout.Scale), format);
        }

        float[] buffer = ArrayPool<float>.Shared.Rent(pixels);
        try
        {
            var grid = buffer.AsSpan(0, pixels);
            grid.Clear();
            ComposeGray(images, config, layout, grid, gridWidth);
            return codec.Encode(grid, gridWidth, gridHeight, format);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes each image's tile (its channels' mean) into a black grid <paramref name="gridWidth"/> pixels wide.</summary>
    private static void ComposeGray(ReadOnlySpan<float> images, ModelConfig config, GridLayout layout, Span<float> grid, int gridWidth)
    {
        int features = config.InputSize, width = config.Width, height = config.Height, area = width * height;
        int padding = layout.Padding, channels = config.Channels, across = layout.Columns;
        for (int i = 0; i < layout.Count; i++)
        {
            var image = images.Slice(i * features, features);
            int left = ((i % across) * (width + padding)) + padding, top = ((i / across) * (height + padding)) + padding;
            for (int y = 0; y < height; y++)
            {
                var row = grid.Slice(((top + y) * gridWidth) + left, width);
                image.Slice(y * width, width).CopyTo(row);
                if (channels == 1) continue;
                for (int c = 1; c < channels; c++) TensorPrimitives.Add(row, image.Slice((c * area) + (y * width), width), row);
                TensorPrimitives.Multiply(row, 1f / channels, row);
            }
        }
    }

    /// <summary>Images as rows of a JSON array.</summary>
    public static float[][] Rows(ReadOnlySpan<float> values, int count, int length)
    {
        var rows = new float[count][];
        for (int i = 0; i < count; i++) rows[i] = values.Slice(i * length, length).ToArray();
        return rows;
    }
}
