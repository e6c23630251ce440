using System.Buffers.Binary;
using System.Net;
using System.Text;
using Vae.Api.Tests.Jobs;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Datasets;

/// <summary>
/// Uploads that are refused: each answers a problem that says what is wrong and what is allowed,
/// and leaves nothing in the datasets folder.
/// </summary>
public sealed class DatasetUploadRefusalTests(ITestOutputHelper output) : IDisposable
{
    private readonly ServiceFactory _factory = new(output, settings: new Dictionary<string, string?>
    {
        ["Datasets:Uploads:MaxUploadBytes"] = "200000",
        ["Datasets:Uploads:MaxImages"] = "12",
        ["Datasets:Uploads:MaxClasses"] = "4",
        ["Datasets:Uploads:MaxZipEntries"] = "30",
        ["Datasets:Uploads:MaxWidth"] = "16",
        ["Datasets:Uploads:MaxHeight"] = "16",
    });

    public void Dispose() => _factory.Dispose();

    private async Task<string> AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, params string[] phrases)
    {
        var problem = await response.ProblemAsync();
        string detail = problem.GetProperty("detail").GetString()!;
        output.WriteLine($"{(int)response.StatusCode}: {detail}");
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {detail}");
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        foreach (string phrase in phrases) Assert.Contains(phrase, detail);
        Assert.Empty(_factory.StoredEntries());
        return detail;
    }

    private static byte[] Png(int size = 8, int seed = 0) => UploadFiles.Png(size, size, colour: false, seed);

    [Fact]
    public async Task A_zip_bomb_is_refused_before_it_is_inflated()
    {
        byte[] zip = UploadFiles.Zip(("cat/0.png", Png()), ("cat/1.png", Png(seed: 1)), ("dog/0.png", Png()), ("dog/bomb.png", new byte[64 * 1024 * 1024]));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity,
            "dog/bomb.png", "zip bombs", "Datasets:Uploads:MaxCompressionRatio");
    }

    [Fact]
    public async Task A_zip_bomb_whose_headers_understate_its_size_is_read_no_further_than_they_say()
    {
        byte[] zip = UploadFiles.Zip(("cat/0.png", Png()), ("cat/1.png", Png(seed: 1)), ("dog/0.png", Png()), ("dog/bomb.png", new byte[64 * 1024 * 1024]));
        UploadFiles.Forge(zip, "dog/bomb.png", uncompressedSize: 300);

        // Its first 300 bytes (zeros) are all that is inflated, and they are no image.
        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.BadRequest, "dog/bomb.png", "not a readable image");
    }

    [Fact]
    public async Task Idx_files_that_inflate_past_the_expansion_limit_are_refused_as_too_large()
    {
        using var small = _factory.Restart(new Dictionary<string, string?> { ["Datasets:Uploads:MaxExpandedBytes"] = "20000" });
        var (images, labels) = UploadFiles.IdxPair(count: 12, size: 16, classes: 2); // 3088 bytes a file: under the limit alone
        byte[] zip = UploadFiles.Zip(("train-images", UploadFiles.Gzip(images)), ("train-labels", labels), ("t10k-images", UploadFiles.Gzip([.. images, .. new byte[20000]])));

        var response = await small.CreateClient().PostZipAsync(zip);

        var problem = await response.ProblemAsync();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Datasets:Uploads:MaxExpandedBytes", problem.GetProperty("detail").GetString());
        Assert.Empty(small.StoredEntries());
    }

    [Theory]
    [InlineData("../cat/0.png", "'..' segment")]
    [InlineData("cat/../../0.png", "'..' segment")]
    [InlineData("/cat/0.png", "absolute path")]
    [InlineData("cat\\0.png", "backslashes")]
    [InlineData("C:/cat/0.png", "drive letter")]
    public async Task A_zip_entry_whose_path_could_leave_the_archive_is_refused(string path, string why)
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png()), ("dog/1.png", Png()), (path, Png()));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity, path, why);
    }

    [Fact]
    public async Task Images_of_different_sizes_are_refused_naming_both()
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png(8)), ("dog/1.png", Png(8)), ("dog/2.png", Png(9)));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity,
            "'dog/2.png' is 9x9", "is 8x8", "same size");
    }

    [Fact]
    public async Task An_image_larger_than_the_limit_is_refused_with_the_allowed_sizes()
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png(17)), ("cat/2.png", Png(17)), ("dog/1.png", Png(17)), ("dog/2.png", Png(17)));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity, "17x17", "4 to 16 pixels wide");
    }

    [Fact]
    public async Task A_body_over_the_upload_limit_is_413_whether_or_not_its_length_is_declared()
    {
        var noise = new byte[250_000];
        new Random(1).NextBytes(noise);
        byte[] zip = UploadFiles.Zip(("cat/1.png", noise));
        var client = _factory.CreateClient();

        await AssertRefusedAsync(await client.PostZipAsync(zip), HttpStatusCode.RequestEntityTooLarge, "200000 bytes", "Datasets:Uploads:MaxUploadBytes");

        var unsized = new UnsizedContent(zip, "application/zip");
        await AssertRefusedAsync(await client.PostAsync("/api/datasets", unsized), HttpStatusCode.RequestEntityTooLarge, "200000 bytes");
    }

    [Fact]
    public async Task A_body_that_is_not_a_zip_is_refused_as_unreadable()
    {
        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(Encoding.UTF8.GetBytes("these are not the images you are looking for")),
            HttpStatusCode.BadRequest, "not a zip archive");
    }

    [Fact]
    public async Task Images_outside_class_folders_are_refused_with_the_layout_that_works()
    {
        byte[] zip = UploadFiles.Zip(("1.png", Png()), ("2.png", Png(seed: 1)), ("3.png", Png(seed: 2)));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity,
            "'1.png' is not in a class folder", "one folder per class");
    }

    [Fact]
    public async Task A_single_class_folder_is_refused_as_too_few_classes()
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["cat"], perClass: 3));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity, "only one class ('cat')", "at least 2 classes");
    }

    [Fact]
    public async Task More_images_than_allowed_are_refused_as_too_large()
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["cat", "dog"], perClass: 7));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.RequestEntityTooLarge,
            "14 images", "12 allowed", "Datasets:Uploads:MaxImages");
    }

    [Fact]
    public async Task More_classes_than_allowed_are_refused()
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["a", "b", "c", "d", "e"], perClass: 2));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity, "5 classes", "at most 4", "MaxClasses");
    }

    [Fact]
    public async Task A_zip_with_more_entries_than_allowed_is_refused_before_its_directory_is_read()
    {
        byte[] zip = UploadFiles.Zip([.. Enumerable.Range(0, 31).Select(i => ($"cat/{i}.txt", new byte[] { 1 }))]);

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.RequestEntityTooLarge, "31 entries", "30 allowed");
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_refused_by_name_naming_the_formats_read()
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png()), ("dog/1.png", Png()), ("dog/notes.txt", Encoding.UTF8.GetBytes("good dog")));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnsupportedMediaType, "'dog/notes.txt' is not a PNG, JPEG, WebP or BMP image");
    }

    [Fact]
    public async Task A_file_named_png_that_is_no_image_is_refused_as_malformed()
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png()), ("cat/2.png", Png()), ("dog/1.png", Encoding.UTF8.GetBytes("not really a picture")), ("dog/2.png", Png()));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.BadRequest, "'dog/1.png' is not a readable image");
    }

    [Fact]
    public async Task Images_of_formats_that_are_not_read_are_415_naming_the_formats_that_are()
    {
        var photo = Vae.Engine.Tests.Imaging.TestImages.Photo(8, 8);
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png()), ("dog/1.png", Png()), ("dog/2.gif", Vae.Engine.Tests.Imaging.TestImages.Gif(photo)));
        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnsupportedMediaType, "'dog/2.gif'", "PNG, JPEG, WebP or BMP");

        byte[] renamed = UploadFiles.Zip(("cat/1.png", Png()), ("dog/1.png", Png()), ("dog/2.jpg", Vae.Engine.Tests.Imaging.TestImages.Tiff(photo)));
        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(renamed), HttpStatusCode.UnsupportedMediaType, "'dog/2.jpg'", "This is a TIFF image");
    }

    [Fact]
    public async Task A_truncated_jpeg_in_a_class_folder_is_400_naming_it()
    {
        byte[] jpeg = Vae.Engine.Tests.Imaging.TestImages.Jpeg(Vae.Engine.Tests.Imaging.TestImages.Photo(8, 8));
        byte[] zip = UploadFiles.Zip(("cat/1.jpg", jpeg), ("cat/2.jpg", jpeg), ("dog/1.jpg", jpeg), ("dog/2.jpg", jpeg[..(jpeg.Length / 2)]));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.BadRequest, "'dog/2.jpg'", "truncated");
    }

    [Fact]
    public async Task A_png_that_inflates_to_60000x60000_in_a_class_folder_is_refused_before_it_is_decoded()
    {
        byte[] zip = UploadFiles.Zip(("cat/1.png", Png()), ("cat/2.png", Png()), ("dog/1.png", Png()), ("dog/bomb.png", Vae.Engine.Tests.Imaging.TestImages.Bomb));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip), HttpStatusCode.UnprocessableEntity, "'dog/bomb.png'");
    }

    [Fact]
    public async Task Idx_images_without_their_label_file_are_refused()
    {
        var (images, _) = UploadFiles.IdxPair(count: 10, size: 6, classes: 2);

        await AssertRefusedAsync(await _factory.CreateClient().PostFormAsync(("images", images)), HttpStatusCode.UnprocessableEntity,
            "has no labels", "'labels' part");
    }

    [Fact]
    public async Task Idx_labels_that_do_not_match_the_images_one_to_one_are_refused()
    {
        var (images, _) = UploadFiles.IdxPair(count: 10, size: 6, classes: 2);
        var (_, labels) = UploadFiles.IdxPair(count: 9, size: 6, classes: 2);

        await AssertRefusedAsync(await _factory.CreateClient().PostFormAsync(("images", images), ("labels", labels)), HttpStatusCode.UnprocessableEntity,
            "9 labels", "10 images");
    }

    [Fact]
    public async Task Another_content_type_is_refused_with_the_ones_accepted()
    {
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["cat", "dog"], perClass: 2));

        await AssertRefusedAsync(await _factory.CreateClient().PostZipAsync(zip, contentType: "application/json"), HttpStatusCode.UnsupportedMediaType,
            "application/zip", "multipart/form-data");
    }

    /// <summary>A body sent without Content-Length, as a client streaming it would.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes, string type)
        {
            _bytes = bytes;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
