using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Storage;
using Vae.Engine.Imaging;

namespace Vae.Api.Models;

/// <summary>
/// One image in a JSON body, written either way a client has it: a base64 image string (PNG, JPEG,
/// WebP or BMP, read as an image body is) or a list of Channels*Height*Width pixel values in
/// [0, 1], channel-major, as encode's JSON takes them.
/// </summary>
[JsonConverter(typeof(ImageInputConverter))]
public sealed record ImageInput(string? Png, float[]? Pixels)
{
    /// <summary>
    /// The images as rows of the record's model input, or the problem with the first one that is
    /// not: 400 for base64 that does not decode, the problems of an image body, 422 for pixel
    /// lists of the wrong length or out of range. Problems name the item, e.g. "images[2]".
    /// </summary>
    public static (float[] Rows, ProblemHttpResult? Problem) ReadAll(IImageCodec codec, IReadOnlyList<ImageInput?> images, string field, bool? invert, ModelRecord record)
    {
        int features = record.Config.InputSize;
        var rows = new float[images.Count * features];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i] is not { } image)
                return ([], Problems.Invalid(field, $"{field}[{i}] is null; each image is a base64 image string ({ImageFormats.Names}) or a list of {features} pixel values in [0, 1]."));
            if (image.Read(codec, $"{field}[{i}]", invert, record, rows.AsSpan(i * features, features)) is { } bad) return ([], bad);
        }
        return (rows, null);
    }

    /// <summary>Writes this image as one row of the model's input into <paramref name="row"/>, or answers why it cannot.</summary>
    public ProblemHttpResult? Read(IImageCodec codec, string where, bool? invert, ModelRecord record, Span<float> row)
    {
        int features = record.Config.InputSize;
        if (Pixels is { } pixels)
        {
            if (BodyRows.CheckRows([pixels], features, where, "pixel values", unitRange: true, single: true) is { } bad) return bad;
            pixels.CopyTo(row);
            return null;
        }

        byte[] file;
        try { file = Convert.FromBase64String(Png ?? ""); }
        catch (FormatException) { return Problems.BadRequest($"{where} is not valid base64; send the image file's bytes ({ImageFormats.Names}) base64-encoded (no data: prefix), or a list of {features} pixel values."); }
        if (ModelImages.ReadUpload(codec, file, invert, record, out var input) is { } badImage)
        {
            badImage.ProblemDetails.Detail = $"{where}: {badImage.ProblemDetails.Detail}";
            return badImage;
        }
        input.CopyTo(row);
        return null;
    }
}

/// <summary>Reads an <see cref="ImageInput"/> from a JSON string (a base64 image) or array (pixel values).</summary>
public sealed class ImageInputConverter : JsonConverter<ImageInput>
{
    public override ImageInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => new ImageInput(reader.GetString(), null),
        JsonTokenType.StartArray => new ImageInput(null, JsonSerializer.Deserialize<float[]>(ref reader, options)),
        _ => throw new JsonException($"An image is a base64 image string ({ImageFormats.Names}) or a list of pixel values in [0, 1], not {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, ImageInput value, JsonSerializerOptions options)
    {
        if (value.Pixels is { } pixels) JsonSerializer.Serialize(writer, pixels, options);
        else writer.WriteStringValue(value.Png);
    }
}
