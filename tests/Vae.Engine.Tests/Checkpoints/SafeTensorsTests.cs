using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Vae.Engine.Checkpoints;

namespace Vae.Engine.Tests.Checkpoints;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-safetensors-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Writing_then_reading_returns_the_same_tensors_metadata_and_order()
    {
        SafeTensorsEntry[] tensors =
        [
            new("encoder.weight", [2, 3], [1f, -2.5f, 3.25f, float.MaxValue, float.Epsilon, -0f]),
            new("encoder.bias", [3], [float.NaN, float.PositiveInfinity, float.NegativeInfinity]),
            new("step", [], [42f]),
            new("empty", [0, 4], []),
            new("a+b/ü", [1, 1, 1], [7f]),
        ];
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["epochs"] = "12", ["note"] = "quote \" and ünicode" };
        string path = Path.Combine(_folder, "model.safetensors");

        SafeTensors.Write(path, tensors, metadata);
        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        foreach (SafeTensorsEntry expected in tensors)
        {
            SafeTensorsEntry actual = file[expected.Name];
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        }

        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.Equal(1, file["step"].ElementCount);
        Assert.Equal(0, file["empty"].ElementCount);
    }

    [Fact]
    public void Writing_without_tensors_or_metadata_gives_a_readable_file()
    {
        string path = Path.Combine(_folder, "empty.safetensors");

        SafeTensors.Write(path, []);
        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
        Assert.Equal(Encoding.ASCII.GetBytes("\x08\0\0\0\0\0\0\0{}      "), File.ReadAllBytes(path));
    }

    [Fact]
    public void Writing_lays_out_header_padding_offsets_and_data_exactly_as_the_format_specifies()
    {
        SafeTensorsEntry[] tensors = [new("w", [2, 2], [1f, 2f, 3f, 4f]), new("s", [], [0.5f])];
        var stream = new MemoryStream();

        SafeTensors.Write(stream, tensors, new Dictionary<string, string> { ["k"] = "v" });

        string json = """{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"s":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}""";
        int padded = (json.Length + 7) / 8 * 8;
        byte[] expected = Build(json.PadRight(padded), [1f, 2f, 3f, 4f, 0.5f]);
        Assert.Equal(expected, stream.ToArray());
    }

    [Theory]
    [InlineData("x")]
    [InlineData("xy")]
    [InlineData("xyz")]
    [InlineData("a_longer_name")]
    [InlineData("an_even_longer_tensor_name")]
    public void Writing_starts_the_data_section_at_a_multiple_of_eight_bytes(string name)
    {
        var stream = new MemoryStream();

        SafeTensors.Write(stream, [new SafeTensorsEntry(name, [1], [1f])]);

        byte[] bytes = stream.ToArray();
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        Assert.Equal(8 + (long)headerLength + 4, bytes.Length);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)headerLength)));
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{", header);
        using JsonDocument parsed = JsonDocument.Parse(header);
        Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
    }

    [Fact]
    public void Reading_a_file_built_by_hand_accepts_any_key_order_whitespace_and_an_unaligned_header()
    {
        string json = """
            { "b" : {"data_offsets": [8, 12], "shape": [], "dtype": "F32"},
              "__metadata__": {"format": "pt"},
              "a": {"shape": [2], "dtype": "F32", "data_offsets": [0, 8]} }
            """;
        string path = Save("hand.safetensors", Build(json, [1.5f, -2f, 3f]));

        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(["b", "a"], file.Names);
        Assert.Equal([1.5f, -2f], file["a"].Data);
        Assert.Equal([2], file["a"].Shape);
        Assert.Equal([3f], file["b"].Data);
        Assert.Empty(file["b"].Shape);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Reading_from_a_non_seekable_stream_works()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, [new SafeTensorsEntry("t", [3], [1f, 2f, 3f])]);

        SafeTensorsFile file = SafeTensors.Read(new ForwardOnlyStream(stream.ToArray()), "piped");

        Assert.Equal([1f, 2f, 3f], file["t"].Data);
    }

    [Fact]
    public void Looking_up_an_absent_tensor_names_the_file_and_the_tensors_it_has()
    {
        string path = Path.Combine(_folder, "m.safetensors");
        SafeTensors.Write(path, [new SafeTensorsEntry("present", [1], [1f])]);
        SafeTensorsFile file = SafeTensors.Read(path);

        var e = Assert.Throws<KeyNotFoundException>(() => file["absent"]);

        Assert.Contains("absent", e.Message);
        Assert.Contains("present", e.Message);
        Assert.False(file.TryGet("absent", out _));
        Assert.True(file.TryGet("present", out SafeTensorsEntry? entry));
        Assert.Equal([1f], entry.Data);
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        string path = Path.Combine(_folder, "ckpt.safetensors");
        SafeTensors.Write(path, [new SafeTensorsEntry("v", [1], [1f])]);

        SafeTensors.Write(path, [new SafeTensorsEntry("v", [2], [2f, 3f])]);

        Assert.Equal([2f, 3f], SafeTensors.Read(path)["v"].Data);
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Writing_invalid_tensors_fails_before_touching_the_existing_file()
    {
        string path = Path.Combine(_folder, "ckpt.safetensors");
        SafeTensors.Write(path, [new SafeTensorsEntry("v", [1], [1f])]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensorsEntry("v", [3], [1f])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("v", [1], [1f]), new("v", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensorsEntry("n", [-1], [])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new SafeTensorsEntry("__metadata__", [1], [1f])]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Writing_into_a_folder_that_does_not_exist_creates_it()
    {
        string path = Path.Combine(_folder, "runs", "one", "model.safetensors");

        SafeTensors.Write(path, [new SafeTensorsEntry("v", [1], [1f])]);

        Assert.Equal([1f], SafeTensors.Read(path)["v"].Data);
    }

    [Fact]
    public void Reading_a_missing_file_throws_file_not_found_naming_the_file()
    {
        string path = Path.Combine(_folder, "nope.safetensors");

        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(path));

        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Reading_a_file_shorter_than_eight_bytes_names_the_file_and_the_problem(int length)
    {
        AssertInvalid(Save("tiny", new byte[length]), $"only {length} byte");
    }

    [Fact]
    public void Reading_a_header_length_beyond_the_end_of_the_file_is_rejected()
    {
        byte[] bytes = Build("{}      ", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);

        AssertInvalid(Save("long-header", bytes), "1000 bytes", "only 8 byte(s) follow");
    }

    [Fact]
    public void Reading_an_absurd_header_length_is_rejected()
    {
        byte[] bytes = Build("{}      ", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 5);

        AssertInvalid(Save("absurd", bytes), "limit");
    }

    [Fact]
    public void Reading_a_truncated_file_names_the_file_and_the_problem()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, [new("a", [4], [1f, 2f, 3f, 4f]), new("b", [2], [5f, 6f])]);
        byte[] whole = stream.ToArray();

        AssertInvalid(Save("cut-data", whole[..^5]), "truncated");
        AssertInvalid(Save("cut-header", whole[..20]), "truncated");

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(whole[..^5]), "piped"));
        Assert.Contains("'piped'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Reading_a_file_with_trailing_bytes_is_rejected()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, [new SafeTensorsEntry("a", [1], [1f])]);
        byte[] bytes = [.. stream.ToArray(), 0, 0, 0, 0];

        AssertInvalid(Save("trailing", bytes), "4 trailing byte");
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes), "piped"));
    }

    [Theory]
    [InlineData("{\"a\": ", "not valid JSON")]
    [InlineData("[1, 2]", "JSON array")]
    [InlineData("\"text\"", "JSON string")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},}", "not valid JSON")]
    public void Reading_a_header_that_is_not_a_json_object_is_rejected(string json, string problem)
    {
        AssertInvalid(Save("bad-json", Build(json, [1f])), problem);
    }

    [Fact]
    public void Reading_a_header_that_is_not_utf8_is_rejected()
    {
        byte[] bytes = Build("{\"a\": 1}", []);
        bytes[10] = 0xff;

        AssertInvalid(Save("not-utf8", bytes), "UTF-8");
    }

    [Theory]
    [InlineData("dtype", """{"a": {"shape": [1], "data_offsets": [0, 4]}}""")]
    [InlineData("shape", """{"a": {"dtype": "F32", "data_offsets": [0, 4]}}""")]
    [InlineData("data_offsets", """{"a": {"dtype": "F32", "shape": [1]}}""")]
    public void Reading_an_entry_missing_a_field_names_the_tensor_and_the_field(string field, string json)
    {
        AssertInvalid(Save("missing", Build(json, [1f])), "tensor 'a'", $"no \"{field}\"");
    }

    [Fact]
    public void Reading_a_dtype_other_than_f32_names_the_dtype()
    {
        string json = """{"half": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}""";

        AssertInvalid(Save("f16", Build(json, [1f])), "tensor 'half'", "F16", "only F32");
    }

    [Fact]
    public void Reading_a_negative_dimension_is_rejected()
    {
        string json = """{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""";

        AssertInvalid(Save("negative", Build(json, [1f])), "negative");
    }

    [Theory]
    [InlineData("[1.5]", "not an integer")]
    [InlineData("[\"2\"]", "not an integer")]
    [InlineData("3", "must be an array")]
    public void Reading_a_malformed_shape_is_rejected(string shape, string problem)
    {
        string json = $$$"""{"a": {"dtype": "F32", "shape": {{{shape}}}, "data_offsets": [0, 4]}}""";

        AssertInvalid(Save("shape", Build(json, [1f])), problem);
    }

    [Fact]
    public void Reading_offsets_that_end_before_they_begin_is_rejected()
    {
        string json = """{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}""";

        AssertInvalid(Save("reversed", Build(json, [1f])), "end before they begin");
    }

    [Fact]
    public void Reading_overlapping_tensors_names_both()
    {
        string json = """
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
            """;

        AssertInvalid(Save("overlap", Build(json, [1f, 2f, 3f])), "overlaps", "'a'", "'b'");
    }

    [Fact]
    public void Reading_a_gap_between_tensors_is_rejected()
    {
        string json = """
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}
            """;

        AssertInvalid(Save("gap", Build(json, [1f, 2f, 3f])), "belong to no tensor");
    }

    [Fact]
    public void Reading_offsets_beyond_the_data_section_is_rejected()
    {
        string json = """{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}""";

        AssertInvalid(Save("outside", Build(json, [1f, 2f])), "16-byte data section", "only 8 byte");
    }

    [Fact]
    public void Reading_a_byte_range_that_does_not_match_the_shape_is_rejected()
    {
        string json = """{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""";

        AssertInvalid(Save("size", Build(json, [1f, 2f])), "cover 8 bytes", "needs 3 x 4 = 12 bytes");
    }

    [Fact]
    public void Reading_duplicate_tensor_names_is_rejected()
    {
        string json = """
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
            """;

        AssertInvalid(Save("duplicate", Build(json, [1f, 2f])), "'a' more than once");
    }

    [Theory]
    [InlineData("""{"epochs": 12}""", "metadata value 'epochs'")]
    [InlineData("""{"nested": {"x": "y"}}""", "metadata value 'nested'")]
    [InlineData("""["x"]""", "must be an object")]
    public void Reading_metadata_that_is_not_string_valued_is_rejected(string metadata, string problem)
    {
        string json = $$$"""{"__metadata__": {{{metadata}}}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""";

        AssertInvalid(Save("metadata", Build(json, [1f])), problem);
    }

    [Fact]
    public void Python_safetensors_reads_our_file_when_it_is_installed()
    {
        // The reference implementation is optional on test machines; the hand-built layout tests above cover the format either way.
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || Run(python, "-c \"import safetensors.numpy\"").ExitCode != 0)
        {
            return;
        }

        string path = Path.Combine(_folder, "interop.safetensors");
        SafeTensors.Write(path, [new("w", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]), new("s", [], [0.25f])], new Dictionary<string, string> { ["k"] = "v" });

        string script = $"from safetensors.numpy import load_file; t = load_file('{path}'); print(t['w'].shape, float(t['w'].sum()), t['s'].shape, float(t['s']))";
        (int exitCode, string output) = Run(python, $"-c \"{script}\"");

        Assert.Equal(0, exitCode);
        Assert.Equal("(2, 3) 21.0 () 0.25", output.Trim());
    }

    private static (int ExitCode, string Output) Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>A safetensors file with exactly this header text (no padding added) followed by these values.</summary>
    private static byte[] Build(string headerJson, float[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + 4 * data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length + 4 * i), data[i]);
        }

        return bytes;
    }

    private string Save(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertInvalid(string path, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }

    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
