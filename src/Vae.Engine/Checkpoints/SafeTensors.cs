using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Vae.Engine.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (F32 tensors only): an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON describing each tensor's dtype, shape and byte range, then the
/// tensors' raw little-endian bytes, back to back.
/// </summary>
public static class SafeTensors
{
    public const string MetadataKey = "__metadata__";

    /// <summary>Headers beyond this size are rejected as corrupt, as the reference implementation does.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string F32 = "F32";

    // The data section starts aligned to this many bytes so readers can map it in place.
    private const int Alignment = 8;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Tensor names are not embedded in HTML; escaping '+' or non-ASCII letters would only obscure them.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the tensors, in the order given, to <paramref name="path"/>. The file appears under its
    /// name only once it is complete and flushed to disk: a crash leaves either the old file or the new one.
    /// </summary>
    public static void Write(string path, IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = BuildHeader(tensors, metadata);

        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        string temporary = $"{full}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteBody(file, header, tensors);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    public static void Write(Stream stream, IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteBody(stream, BuildHeader(tensors, metadata), tensors);
    }

    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path, e);
        }

        using (file)
        {
            return Read(file, path);
        }
    }

    /// <summary>Reads a whole safetensors file from <paramref name="stream"/>; <paramref name="nameForErrors"/> names it in error messages.</summary>
    public static SafeTensorsFile Read(Stream stream, string nameForErrors) => Read(stream, nameForErrors, skip: null);

    /// <summary>
    /// As <see cref="Read(Stream, string)"/>, leaving out the tensors <paramref name="skip"/> picks
    /// by name, whatever their dtype (their bytes are checked for length and passed over): files
    /// saved elsewhere carry state this engine has no use for, such as PyTorch's int64 batch counters.
    /// </summary>
    public static SafeTensorsFile Read(Stream stream, string nameForErrors, Func<string, bool>? skip)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(nameForErrors);
        string name = nameForErrors;
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;

        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
        {
            throw Fail(name, $"the file is only {got} byte(s) long; a safetensors file starts with an 8-byte header length. " +
                "It is empty, truncated or not a safetensors file.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw Fail(name, $"the header length field says {headerLength} bytes, more than the {MaxHeaderLength}-byte limit. " +
                "This is not a safetensors file, or its first 8 bytes are corrupt.");
        }

        if (available is long total && (long)headerLength > total - 8)
        {
            throw Fail(name, $"the header length field says {headerLength} bytes but only {total - 8} byte(s) follow it. " +
                "The file is truncated or not a safetensors file.");
        }

        var headerBytes = new byte[headerLength];
        got = stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        if (got < headerBytes.Length)
        {
            throw Fail(name, $"the header length field says {headerLength} bytes but only {got} byte(s) follow it. The file is truncated.");
        }

        Header header = ParseHeader(headerBytes, name, skip);
        long dataLength = header.DataLength;

        if (available is long all)
        {
            long actual = all - 8 - (long)headerLength;
            if (actual < dataLength)
            {
                throw Fail(name, $"the tensors need a {dataLength}-byte data section but the file has only {actual} byte(s) after the header. " +
                    "The file is truncated; it was probably not completely written or copied.");
            }

            if (actual > dataLength)
            {
                throw Fail(name, $"the file has {actual - dataLength} trailing byte(s) after the last tensor " +
                    $"(data section is {actual} bytes, the tensors account for {dataLength}). The file is corrupt.");
            }
        }

        // Tensors are contiguous in offset order, so one forward pass fills them all.
        foreach (Slot slot in header.ByOffset)
        {
            if (slot.Skipped)
            {
                Pass(stream, slot, name);
                continue;
            }

            slot.Data = new float[slot.Count];
            Span<byte> bytes = MemoryMarshal.AsBytes(slot.Data.AsSpan());
            got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (got < bytes.Length)
            {
                throw Fail(name, $"the data of tensor '{slot.Name}' (bytes {slot.Begin}..{slot.End} of the data section) is cut short " +
                    $"after {got} byte(s). The file is truncated.");
            }

            if (!BitConverter.IsLittleEndian)
            {
                Span<int> words = MemoryMarshal.Cast<float, int>(slot.Data.AsSpan());
                BinaryPrimitives.ReverseEndianness(words, words);
            }
        }

        if (available is null && stream.ReadByte() >= 0)
        {
            throw Fail(name, $"there are trailing bytes after the last tensor, which ends at byte {dataLength} of the data section. The file is corrupt.");
        }

        var entries = header.InFileOrder.Where(s => !s.Skipped).Select(s => new SafeTensorsEntry(s.Name, s.Shape, s.Data)).ToArray();
        return new SafeTensorsFile(name, entries, header.Metadata);
    }

    /// <summary>Reads past a skipped tensor's bytes, failing as a cut-short tensor does.</summary>
    private static void Pass(Stream stream, Slot slot, string name)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            for (long left = slot.End - slot.Begin; left > 0;)
            {
                int got = stream.ReadAtLeast(buffer.AsSpan(0, (int)Math.Min(buffer.Length, left)), 1, throwOnEndOfStream: false);
                if (got == 0)
                {
                    throw Fail(name, $"the data of tensor '{slot.Name}' (bytes {slot.Begin}..{slot.End} of the data section) is cut short. The file is truncated.");
                }

                left -= got;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }

    private static byte[] BuildHeader(IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                    if (value is null)
                    {
                        throw new ArgumentException($"Metadata value for '{key}' is null; metadata values must be strings.", nameof(metadata));
                    }

                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensorsEntry tensor in tensors)
            {
                ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
                long bytes = CheckEntry(tensor, names) * sizeof(float);
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", F32);
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Pad with spaces (still valid JSON) so that 8 + header length is a multiple of the alignment.
        int padded = (buffer.WrittenCount + Alignment - 1) / Alignment * Alignment;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static long CheckEntry(SafeTensorsEntry tensor, HashSet<string> names)
    {
        if (string.IsNullOrEmpty(tensor.Name))
        {
            throw new ArgumentException("A tensor name is empty.", "tensors");
        }

        if (tensor.Name == MetadataKey)
        {
            throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor.", "tensors");
        }

        if (!names.Add(tensor.Name))
        {
            throw new ArgumentException($"Tensor name '{tensor.Name}' appears more than once.", "tensors");
        }

        ArgumentNullException.ThrowIfNull(tensor.Shape, $"{tensor.Name}.Shape");
        ArgumentNullException.ThrowIfNull(tensor.Data, $"{tensor.Name}.Data");
        foreach (int dim in tensor.Shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' has a negative dimension in shape [{string.Join(", ", tensor.Shape)}].", "tensors");
            }
        }

        long count = ElementCount(tensor.Shape);
        if (count != tensor.Data.Length)
        {
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({count} values) but {tensor.Data.Length} values.", "tensors");
        }

        return count;
    }

    private static void WriteBody(Stream stream, byte[] header, IReadOnlyList<SafeTensorsEntry> tensors)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);

        foreach (SafeTensorsEntry tensor in tensors)
        {
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
                continue;
            }

            var chunk = new int[4096];
            ReadOnlySpan<int> words = MemoryMarshal.Cast<float, int>(tensor.Data.AsSpan());
            for (int i = 0; i < words.Length; i += chunk.Length)
            {
                ReadOnlySpan<int> part = words.Slice(i, Math.Min(chunk.Length, words.Length - i));
                BinaryPrimitives.ReverseEndianness(part, chunk);
                stream.Write(MemoryMarshal.AsBytes(chunk.AsSpan(0, part.Length)));
            }
        }

        stream.Flush();
    }

    private static Header ParseHeader(byte[] bytes, string name, Func<string, bool>? skip)
    {
        if (!Utf8.IsValid(bytes))
        {
            throw Fail(name, "the header is not valid UTF-8 text, so it cannot be the JSON a safetensors file starts with. The file is corrupt or not a safetensors file.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw Fail(name, $"the header is not valid JSON ({e.Message}). The file is corrupt or not a safetensors file.");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(name, $"the header is a JSON {Describe(root.ValueKind)}, but it must be a JSON object mapping tensor names to their descriptions.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var slots = new List<Slot>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Fail(name, $"the header names '{property.Name}' more than once.");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata, name);
                }
                else
                {
                    slots.Add(ReadSlot(property.Name, property.Value, name, skip?.Invoke(property.Name) == true));
                }
            }

            Slot[] byOffset = [.. slots.OrderBy(s => s.Begin).ThenBy(s => s.End)];
            long end = 0;
            Slot? previous = null;
            foreach (Slot slot in byOffset)
            {
                if (slot.Begin < end)
                {
                    throw Fail(name, $"tensor '{slot.Name}' (bytes {slot.Begin}..{slot.End}) overlaps tensor '{previous!.Name}' " +
                        $"(bytes {previous.Begin}..{previous.End}) in the data section.");
                }

                if (slot.Begin > end)
                {
                    throw Fail(name, $"bytes {end}..{slot.Begin} of the data section belong to no tensor " +
                        $"(the next tensor, '{slot.Name}', starts at {slot.Begin}); tensors must be stored back to back.");
                }

                end = slot.End;
                previous = slot;
            }

            return new Header(slots, byOffset, metadata, end);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(name, $"'{MetadataKey}' is a JSON {Describe(value.ValueKind)}; it must be an object of string values.");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(name, $"metadata value '{item.Name}' is a JSON {Describe(item.Value.ValueKind)}; metadata values must be strings.");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Fail(name, $"metadata key '{item.Name}' appears more than once.");
            }
        }
    }

    private static Slot ReadSlot(string tensor, JsonElement value, string name, bool skipped)
    {
        string where = $"tensor '{tensor}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(name, $"{where} is described by a JSON {Describe(value.ValueKind)}; it must be an object with dtype, shape and data_offsets.");
        }

        JsonElement dtype = Required(value, "dtype", where, name);
        if (dtype.ValueKind != JsonValueKind.String)
        {
            throw Fail(name, $"{where}: dtype is a JSON {Describe(dtype.ValueKind)}; it must be a string such as \"F32\".");
        }

        string type = dtype.GetString()!;
        int width = sizeof(float);
        if (skipped)
        {
            width = ElementSizes.TryGetValue(type, out int known) ? known
                : throw Fail(name, $"{where} has dtype {type}, which is not a safetensors dtype.");
        }
        else if (type != F32)
        {
            throw Fail(name, $"{where} has dtype {type}; only F32 (32-bit float) tensors can be read. Convert the checkpoint to float32.");
        }

        JsonElement shapeElement = Required(value, "shape", where, name);
        if (shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Fail(name, $"{where}: shape is a JSON {Describe(shapeElement.ValueKind)}; it must be an array of dimensions.");
        }

        var shape = new int[shapeElement.GetArrayLength()];
        int d = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size))
            {
                throw Fail(name, $"{where}: dimension {d} of its shape is {dim.GetRawText()}, not an integer.");
            }

            if (size < 0)
            {
                throw Fail(name, $"{where}: dimension {d} of its shape is negative ({size}).");
            }

            if (size > int.MaxValue)
            {
                throw Fail(name, $"{where}: dimension {d} of its shape ({size}) is too large.");
            }

            shape[d++] = (int)size;
        }

        JsonElement offsets = Required(value, "data_offsets", where, name);
        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Fail(name, $"{where}: data_offsets is {offsets.GetRawText()}; it must be an array [begin, end] of two byte offsets.");
        }

        long begin = Offset(offsets[0], "begin", where, name);
        long end = Offset(offsets[1], "end", where, name);
        if (end < begin)
        {
            throw Fail(name, $"{where}: data_offsets [{begin}, {end}] end before they begin.");
        }

        long count;
        try
        {
            count = ElementCount(shape);
            _ = checked(count * width);
        }
        catch (OverflowException)
        {
            throw Fail(name, $"{where}: shape [{string.Join(", ", shape)}] describes more values than can be counted.");
        }

        if (end - begin != count * width)
        {
            throw Fail(name, $"{where}: data_offsets [{begin}, {end}] cover {end - begin} bytes, but shape [{string.Join(", ", shape)}] " +
                $"of {type} needs {count} x {width} = {count * width} bytes.");
        }

        if (count > Array.MaxLength)
        {
            throw Fail(name, $"{where}: shape [{string.Join(", ", shape)}] has {count} values, more than one array can hold.");
        }

        return new Slot(tensor, shape, begin, end, count) { Skipped = skipped };
    }

    /// <summary>Bytes per value of the format's dtypes, for tensors that are passed over.</summary>
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1, ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private static JsonElement Required(JsonElement value, string property, string where, string name)
    {
        if (!value.TryGetProperty(property, out JsonElement element))
        {
            throw Fail(name, $"{where} has no \"{property}\"; every tensor needs dtype, shape and data_offsets.");
        }

        return element;
    }

    private static long Offset(JsonElement element, string which, string where, string name)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset) || offset < 0)
        {
            throw Fail(name, $"{where}: the {which} of data_offsets is {element.GetRawText()}, not a non-negative integer.");
        }

        return offset;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    private static InvalidDataException Fail(string name, string problem) => new($"Safetensors file '{name}': {problem}");

    private sealed record Slot(string Name, int[] Shape, long Begin, long End, long Count)
    {
        // Allocated only once the file is known to hold the bytes, so a lying header cannot force a huge allocation.
        public float[] Data { get; set; } = [];

        /// <summary>Left out of what is read: its bytes are passed over.</summary>
        public bool Skipped { get; init; }
    }

    private sealed record Header(IReadOnlyList<Slot> InFileOrder, IReadOnlyList<Slot> ByOffset, Dictionary<string, string> Metadata, long DataLength);
}
