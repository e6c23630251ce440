using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Data;
using Vae.Engine.Imaging;
using Vae.Engine.Models;

namespace Vae.Api.Models;

/// <summary>
/// Conversions between pictures and a model's rows of values: an uploaded image into the model's
/// input, decoded rows (channel-major, CHW, values in [0, 1]) into a PNG grid or JSON.
/// </summary>
public static class ModelImages
{
    /// <summary>
    /// An uploaded PNG as one input row of the record's model, or why it cannot be one: the
    /// problems of <see cref="PngUpload.Decode"/>, and 422 when a colour model is sent another
    /// size than its own (its input is not resampled: a CIFAR model's 32x32 pixels are the picture,
    /// not a drawing to be fitted).
    /// </summary>
    public static ProblemHttpResult? ReadUpload(ReadOnlySpan<byte> png, bool? invert, ModelRecord record, out float[] input)
    {
        input = [];
        if (PngUpload.Decode(png, out var image) is { } bad) return bad;
        var config = record.Config;
        if (config.Channels == RgbImage.Channels && (image.Width != config.Width || image.Height != config.Height))
            return Problems.Unprocessable($"Model '{record.Id}' takes {config.Width}x{config.Height} colour images but the PNG is {image.Width}x{image.Height}; "
                + $"resize it to {config.Width}x{config.Height} pixels first.");
        input = ToModelInput(image, invert, config, record.Dataset);
        return null;
    }

    /// <summary>
    /// An uploaded image as one input row of the model. A colour model (3 channels) reads red,
    /// green and blue of an image of its own size (a gray image gives three equal planes),
    /// inverted only when <paramref name="invert"/> is true. A gray model reads luminance, inverted
    /// to white on black when <paramref name="invert"/> says so or, when it is null, when the border
    /// is light; a model of MNIST's digits then gets MNIST's preprocessing (cropped to the ink,
    /// fitted into 20/28 of the square, centred by mass) from an image of any size, any other gray
    /// model the whole image resized. Other channel counts get the gray values in every channel.
    /// </summary>
    /// <exception cref="ArgumentException">A colour model is given an image of another size (see <see cref="ReadUpload"/>).</exception>
    public static float[] ToModelInput(RgbaImage image, bool? invert, ModelConfig config, string dataset)
    {
        ArgumentNullException.ThrowIfNull(image);
        var input = new float[config.InputSize];
        if (config.Channels == RgbImage.Channels)
        {
            if (image.Width != config.Width || image.Height != config.Height)
                throw new ArgumentException($"The model takes {config.Width}x{config.Height} images, not {image.Width}x{image.Height}.", nameof(image));
            ImageOps.ToRgb(image, invert == true).CopyPlanarTo(input);
            return input;
        }

        var gray = ImageOps.ToGray(image, invert);
        GrayImage plane;
        if (!string.Equals(dataset, Mnist.Name, StringComparison.OrdinalIgnoreCase)) plane = Resize(gray, config.Width, config.Height);
        else if (config.Width == config.Height) plane = ImageOps.ToMnistInput(gray, config.Width);
        else plane = ImageOps.ResizeArea(ImageOps.ToMnistInput(gray), config.Width, config.Height);
        for (int c = 0; c < config.Channels; c++) plane.Pixels.CopyTo(input.AsSpan(c * plane.Pixels.Length));
        return input;

        static GrayImage Resize(GrayImage gray, int width, int height)
            => gray.Width == width && gray.Height == height ? gray : ImageOps.ResizeArea(gray, width, height);
    }

    /// <summary>
    /// Rows of decoded values as one PNG laid out by <paramref name="layout"/>: RGB for a colour
    /// model, gray for a gray one; a model of another channel count is drawn as its channels' mean.
    /// </summary>
    public static byte[] RenderPng(ReadOnlySpan<float> images, ModelConfig config, GridLayout layout)
    {
        int count = layout.Count, features = config.InputSize, width = config.Width, height = config.Height;
        bool single = count == 1 && layout.Padding == 0;
        if (config.Channels == RgbImage.Channels)
        {
            var tiles = new RgbImage[count];
            for (int i = 0; i < count; i++) tiles[i] = RgbImage.FromPlanar(images.Slice(i * features, features), width, height);
            var grid = single ? tiles[0] : ImageOps.Grid(tiles, layout.Columns, layout.Padding);
            return PngEncoder.EncodeRgb(layout.Scale > 1 ? ImageOps.Scale(grid, layout.Scale) : grid);
        }
        else
        {
            var tiles = new GrayImage[count];
            for (int i = 0; i < count; i++) tiles[i] = ChannelMean(images.Slice(i * features, features), config);
            var grid = single ? tiles[0] : ImageOps.Grid(tiles, layout.Columns, layout.Padding);
            return PngEncoder.EncodeGray(layout.Scale > 1 ? ImageOps.Scale(grid, layout.Scale) : grid);
        }
    }

    /// <summary>Images as rows of a JSON array.</summary>
    public static float[][] Rows(ReadOnlySpan<float> values, int count, int length)
    {
        var rows = new float[count][];
        for (int i = 0; i < count; i++) rows[i] = values.Slice(i * length, length).ToArray();
        return rows;
    }

    private static GrayImage ChannelMean(ReadOnlySpan<float> image, ModelConfig config)
    {
        int area = config.Width * config.Height;
        var pixels = image[..area].ToArray();
        if (config.Channels > 1)
        {
            for (int c = 1; c < config.Channels; c++)
                System.Numerics.Tensors.TensorPrimitives.Add(pixels, image.Slice(c * area, area), pixels);
            System.Numerics.Tensors.TensorPrimitives.Multiply(pixels, 1f / config.Channels, pixels);
        }
        return new GrayImage(config.Width, config.Height, pixels);
    }
}
