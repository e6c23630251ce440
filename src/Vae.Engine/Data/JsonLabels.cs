using System.Text.Json;

namespace Vae.Engine.Data;

/// <summary>Reads a labels file that is one JSON array of class numbers, <c>[6, 9, 9, 4, ...]</c>.</summary>
internal static class JsonLabels
{
    /// <summary>
    /// The labels in <paramref name="path"/>, each checked to be below <paramref name="classCount"/>.
    /// Error messages start with <paramref name="kind"/> and end with <paramref name="advice"/>.
    /// </summary>
    public static byte[] Read(string path, int classCount, string kind, string advice)
    {
        // Label files are small (100 KB for 50,000 labels): one read, one pass of the reader.
        byte[] json = File.ReadAllBytes(path);
        string name = $"{kind} labels file '{path}'";
        var labels = new List<byte>(json.Length / 2);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                throw new InvalidDataException($"{name} must hold one JSON array of class numbers, but it starts with {JsonTokenNames.Describe(reader.TokenType)}. {advice}");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetByte(out byte label) || label >= classCount)
                {
                    string value = reader.TokenType == JsonTokenType.Number ? System.Text.Encoding.UTF8.GetString(reader.ValueSpan) : JsonTokenNames.Describe(reader.TokenType);
                    throw new InvalidDataException(
                        $"{name}: label {labels.Count} is {value}; labels must be integers from 0 to {classCount - 1}. {advice}");
                }

                labels.Add(label);
            }

            // Anything after the array (or a missing end) makes the reader throw here.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name} is not valid JSON: {e.Message} The file is damaged or truncated. {advice}", e);
        }

        return [.. labels];
    }
}
