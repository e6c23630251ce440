using System.Text;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Datasets;

/// <summary>Uploads built in memory (PNGs, zips, IDX files) and the calls that send them.</summary>
internal static class UploadFiles
{
    /// <summary>A PNG whose pixels depend on <paramref name="seed"/>: gray (R=G=B) or colour.</summary>
    public static byte[] Png(int width, int height, bool colour, int seed)
    {
        if (!colour)
        {
            var gray = new byte[width * height];
            for (int i = 0; i < gray.Length; i++) gray[i] = (byte)((i * 37) + (seed * 101));
            return TestImages.Gray8Png(gray, width, height);
        }
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) image.SetPixel(x, y, (byte)((x * 30) + seed), (byte)((y * 30) + (seed * 7)), (byte)(seed * 13));
        }
        return TestImages.Png(image);
    }

    public static byte[] Zip(params (string Path, byte[] Content)[] files)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
                using var stream = entry.Open();
                stream.Write(content);
            }
        }
        return output.ToArray();
    }

    /// <summary>
    /// <paramref name="perClass"/> PNGs in each of the class folders, the first image of the first
    /// class in colour when <paramref name="colour"/> (so the dataset is RGB), the rest gray.
    /// </summary>
    public static (string Path, byte[] Content)[] ClassFolders(string[] classes, int perClass, int size = 8, bool colour = false, string prefix = "")
        => [.. classes.SelectMany((name, c) => Enumerable.Range(0, perClass).Select(i =>
            ($"{prefix}{name}/{i:00}.png", Png(size, size, colour && c == 0 && i == 0, (c * 10) + i))))];

    /// <summary>An IDX file of unsigned bytes with the given dimensions.</summary>
    public static byte[] Idx(int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dimensions[i]);
        data.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary><paramref name="count"/> images of size x size pixels and their labels, label i % classes.</summary>
    public static (byte[] Images, byte[] Labels) IdxPair(int count, int size, int classes)
    {
        var pixels = new byte[count * size * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % classes)).ToArray();
        return (Idx([count, size, size], pixels), Idx([count], labels));
    }

    public static Task<HttpResponseMessage> PostZipAsync(this HttpClient client, byte[] zip, string query = "", string contentType = "application/zip")
    {
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return client.PostAsync("/api/datasets" + query, content);
    }

    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient client, params (string Part, byte[] Content)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (part, bytes) in parts)
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, part, part + ".idx");
        }
        return client.PostAsync("/api/datasets", form);
    }

    /// <summary>The dataset view of a 201 answer, after checking its Location.</summary>
    public static async Task<JsonElement> CreatedAsync(this HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        var dataset = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"/api/datasets/{dataset.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
        return dataset;
    }

    /// <summary>What is in the uploads folder of the service's state (nothing when it does not exist).</summary>
    public static string[] StoredEntries(this ServiceFactory factory)
    {
        string folder = Path.Combine(factory.StateDirectory, "datasets");
        return Directory.Exists(folder) ? [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order()!] : [];
    }

    /// <summary>Rewrites the uncompressed size of one entry in its local header and the central directory.</summary>
    public static void Forge(byte[] zip, string name, uint uncompressedSize)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        int patched = 0;
        for (int at = 0; at + 46 < zip.Length; at++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at));
            (int sizeAt, int nameLengthAt, int nameAt) = signature switch
            {
                0x04034b50 => (22, 26, 30),
                0x02014b50 => (24, 28, 46),
                _ => (-1, -1, -1),
            };
            if (sizeAt < 0) continue;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + nameLengthAt));
            if (at + nameAt + length > zip.Length || !zip.AsSpan(at + nameAt, length).SequenceEqual(wanted)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(at + sizeAt), uncompressedSize);
            patched++;
        }
        Assert.Equal(2, patched);
    }
}
