using System.Buffers.Binary;
using System.IO.Compression;
using Vae.Engine.Data;

namespace Vae.Engine.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-idx-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Reading_a_raw_file_returns_its_dimensions_and_bytes()
    {
        byte[] data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        string path = Save("raw", Idx([2, 3, 4], data));

        IdxArray array = IdxReader.Read(path);

        Assert.Equal([2, 3, 4], array.Dimensions);
        Assert.Equal(3, array.Rank);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void Reading_a_gzipped_file_is_recognised_by_content_not_by_name()
    {
        byte[] data = Enumerable.Range(0, 5 * 6).Select(i => (byte)(255 - i)).ToArray();
        string path = Save("no-gz-suffix", Gzip(Idx([5, 6], data)));

        IdxArray array = IdxReader.Read(path);

        Assert.Equal([5, 6], array.Dimensions);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void Reading_a_rank_one_file_works()
    {
        string path = Save("labels", Idx([4], [3, 1, 4, 1]));

        IdxArray array = IdxReader.Read(path);

        Assert.Equal([4], array.Dimensions);
        Assert.Equal(new byte[] { 3, 1, 4, 1 }, array.Data);
    }

    [Fact]
    public void Reading_from_a_non_seekable_stream_works_for_raw_and_gzipped_content()
    {
        byte[] file = Idx([2, 2], [1, 2, 3, 4]);

        IdxArray raw = IdxReader.Read(new ForwardOnlyStream(file), "raw stream");
        IdxArray gz = IdxReader.Read(new ForwardOnlyStream(Gzip(file)), "gz stream");

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, raw.Data);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, gz.Data);
    }

    [Fact]
    public void Reading_a_missing_file_throws_file_not_found_naming_the_file()
    {
        string path = Path.Combine(_folder, "absent-idx3-ubyte");

        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(path));

        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Reading_a_file_too_short_for_the_magic_number_names_the_file_and_the_problem(int length)
    {
        string path = Save("short", new byte[length]);

        AssertInvalid(path, "too short", $"{length} byte");
    }

    [Fact]
    public void Reading_a_file_too_short_for_its_dimensions_names_the_file_and_the_problem()
    {
        byte[] file = Idx([10, 28, 28], new byte[10 * 28 * 28]);

        string path = Save("short-dims", file[..9]);

        AssertInvalid(path, "too short for the header", "16-byte header", "only 9 byte");
    }

    [Fact]
    public void Reading_a_file_with_a_bad_magic_number_names_the_file_and_the_bytes_found()
    {
        byte[] file = Idx([2], [1, 2]);
        file[1] = 0x42;

        AssertInvalid(Save("bad-magic", file), "bad magic", "0x00 0x42");
    }

    [Fact]
    public void Reading_a_png_is_reported_as_not_an_idx_file()
    {
        string path = Save("image.png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

        AssertInvalid(path, "bad magic", "not an IDX file");
    }

    [Theory]
    [InlineData(0x0D, "32-bit float")]
    [InlineData(0x09, "signed byte")]
    [InlineData(0x01, "not a type code")]
    public void Reading_an_unsupported_element_type_names_the_type(byte type, string described)
    {
        byte[] file = Idx([2], [1, 2]);
        file[2] = type;

        AssertInvalid(Save("float", file), $"0x{type:x2}", described, "only 0x08");
    }

    [Fact]
    public void Reading_a_file_declaring_no_dimensions_is_rejected()
    {
        AssertInvalid(Save("rank0", [0, 0, 8, 0]), "0 dimensions");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Reading_a_zero_or_negative_dimension_names_the_dimension(int bad)
    {
        byte[] file = Idx([3, 1], [1, 2, 3]);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), bad);

        AssertInvalid(Save("bad-dim", file), "dimension 1", $"is {bad}");
    }

    [Fact]
    public void Reading_dimensions_whose_product_overflows_is_rejected_before_allocating()
    {
        byte[] file = Idx([1, 1, 1], [7]);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), 1 << 20);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), 1 << 20);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(12), 1 << 20);

        AssertInvalid(Save("huge", file), "more than", "elements");
    }

    [Fact]
    public void Reading_a_truncated_file_says_how_many_bytes_were_expected_and_found()
    {
        byte[] file = Idx([4, 5], new byte[20]);

        AssertInvalid(Save("truncated", file[..^3]), "shorter", "expected 20 bytes", "found 17");
    }

    [Fact]
    public void Reading_a_file_with_trailing_bytes_says_how_many_bytes_were_expected_and_found()
    {
        byte[] file = [.. Idx([4, 5], new byte[20]), 9, 9];

        AssertInvalid(Save("long", file), "longer", "expected 20 bytes", "found 22", "2 extra");
    }

    [Fact]
    public void Reading_a_gzipped_file_with_trailing_bytes_inside_the_compressed_data_counts_them()
    {
        byte[] file = [.. Idx([2, 2], new byte[4]), 1, 2, 3];

        AssertInvalid(Save("long.gz", Gzip(file)), "after gzip decompression", "longer", "expected 4 bytes", "found 7");
    }

    [Fact]
    public void Reading_a_gzipped_file_with_corrupt_compressed_data_names_the_file_and_gzip()
    {
        byte[] gz = Gzip(Idx([64, 64], Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251)).ToArray()));
        for (int i = 12; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0x5a;
        }

        string path = Save("corrupt.gz", gz);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void Reading_a_truncated_gzipped_file_names_the_file()
    {
        byte[] gz = Gzip(Idx([64, 64], Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251)).ToArray()));
        string path = Save("truncated.gz", gz[..(gz.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
    }

    internal static byte[] Idx(int[] dims, byte[] data)
    {
        var file = new byte[4 + 4 * dims.Length + data.Length];
        file[2] = 0x08;
        file[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * i), dims[i]);
        }

        data.CopyTo(file, 4 + 4 * dims.Length);
        return file;
    }

    internal static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    private string Save(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertInvalid(string path, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message);
        }
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
