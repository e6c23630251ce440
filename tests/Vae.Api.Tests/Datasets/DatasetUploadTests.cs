using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vae.Api.Datasets;
using Vae.Api.Storage;
using Vae.Api.Tests.Jobs;
using Vae.Engine.Imaging;
using Xunit.Abstractions;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Datasets;

/// <summary>Uploads that are accepted: stored, listed, and trained on.</summary>
public sealed class DatasetUploadTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Pets = ["cat", "dog", "fox"];

    private readonly ServiceFactory _factory = new(output);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_zip_of_class_folders_becomes_a_dataset_that_is_listed_found_and_stored_as_idx_files()
    {
        var client = _factory.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(Pets, perClass: 5, size: 8, colour: true));

        var dataset = await (await client.PostZipAsync(zip, "?name=Pets&description=three%20animals")).CreatedAsync();

        string id = dataset.GetProperty("id").GetString()!;
        Assert.Equal("Pets", dataset.GetProperty("name").GetString());
        Assert.Equal("three animals", dataset.GetProperty("description").GetString());
        Assert.Equal(3, dataset.GetProperty("channels").GetInt32()); // one colour image makes the dataset RGB
        Assert.Equal(8, dataset.GetProperty("height").GetInt32());
        Assert.Equal(8, dataset.GetProperty("width").GetInt32());
        Assert.Equal(Pets, dataset.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
        // Of 5 images a class, the last is held out for testing.
        Assert.Equal(12, dataset.GetProperty("trainImages").GetInt32());
        Assert.Equal(3, dataset.GetProperty("testImages").GetInt32());
        Assert.False(dataset.GetProperty("builtIn").GetBoolean());
        Assert.True(dataset.GetProperty("fetched").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, dataset.GetProperty("createdAt").ValueKind);

        var list = JsonDocument.Parse(await client.GetStringAsync("/api/datasets")).RootElement.GetProperty("datasets").EnumerateArray().ToList();
        Assert.Equal(new[] { "mnist", "fashion-mnist", "cifar10", id }, list.Select(d => d.GetProperty("id").GetString()));
        Assert.False(list[3].GetProperty("builtIn").GetBoolean());
        Assert.True(list[3].GetProperty("fetched").GetBoolean());

        var found = JsonDocument.Parse(await client.GetStringAsync($"/api/datasets/{id}")).RootElement;
        Assert.Equal("Pets", found.GetProperty("name").GetString());
        Assert.Equal(12, found.GetProperty("trainImages").GetInt32());

        Assert.Equal([id], _factory.StoredEntries());
        string folder = Path.Combine(_factory.StateDirectory, "datasets", id);
        Assert.Equal(["dataset.json", "test-images.idx", "test-labels.idx", "train-images.idx", "train-labels.idx"],
            Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order());
        var stored = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "dataset.json"))).RootElement;
        Assert.Equal("Pets", stored.GetProperty("name").GetString());
        Assert.Equal(3, stored.GetProperty("channels").GetInt32());
        Assert.Equal(12, stored.GetProperty("trainImages").GetInt32());
        Assert.True(stored.TryGetProperty("createdAt", out _));
        Assert.Equal(20 + (12 * 3 * 8 * 8), new FileInfo(Path.Combine(folder, "train-images.idx")).Length);
    }

    [Fact]
    public async Task The_catalog_opens_an_upload_with_its_pixels_labels_and_gray_images_repeated_in_three_channels()
    {
        var client = _factory.CreateClient();
        byte[] gray = UploadFiles.Png(8, 8, colour: false, seed: 3);
        byte[] colour = UploadFiles.Png(8, 8, colour: true, seed: 4);
        byte[] zip = UploadFiles.Zip(("train/a/1.png", gray), ("train/b/1.png", colour), ("test/a/2.png", gray), ("test/b/2.png", gray));
        string id = (await (await client.PostZipAsync(zip)).CreatedAsync()).GetProperty("id").GetString()!;

        var splits = await _factory.Services.GetRequiredService<DatasetCatalog>().OpenAsync(id, CancellationToken.None);

        Assert.Equal((2, 2), (splits.Train.Count, splits.Test.Count));
        Assert.Equal((3, 8, 8, 2), (splits.Train.Channels, splits.Train.Height, splits.Train.Width, splits.Train.ClassCount));
        Assert.Equal(new byte[] { 0, 1 }, new[] { splits.Train.GetLabel(0), splits.Train.GetLabel(1) });
        var decodedGray = TestImages.Read(gray).Pixels;
        byte[] expected = [.. Enumerable.Range(0, 3 * 64).Select(i => decodedGray[4 * (i % 64)])];
        Assert.Equal(expected, splits.Train.GetImage(0).ToArray());
        var decodedColour = TestImages.Read(colour).Pixels;
        Assert.Equal(decodedColour[1], splits.Train.GetImage(1)[64]); // green plane, first pixel
    }

    [Fact]
    public async Task Class_folders_of_jpeg_webp_and_bmp_photos_become_a_dataset_read_upright()
    {
        var client = _factory.CreateClient();
        // Lossless files keep their pixels exactly; a photo stored sideways with EXIF orientation 6 is turned upright.
        RgbaImage Photo(int seed) => TestImages.Photo(12, 8, seed);
        RgbaImage upright = Photo(9);
        RgbaImage sideways = TestImages.Rgba(8, 12, (x, y) =>
        {
            var (r, g, b, a) = upright.GetPixel(11 - y, x); // stored a quarter turn anticlockwise
            return (r, g, b, a);
        });
        byte[] zip = UploadFiles.Zip(
            ("train/cat/1.jpg", TestImages.Jpeg(Photo(1))), ("train/cat/2.webp", TestImages.Webp(Photo(2))), ("train/cat/3.jpeg", TestImages.Jpeg(sideways, orientation: 6)),
            ("train/dog/1.bmp", TestImages.Bmp(Photo(4))), ("train/dog/2.png", TestImages.Png(Photo(5))),
            ("test/cat/1.webp", TestImages.Webp(Photo(6))), ("test/dog/1.bmp", TestImages.Bmp(Photo(7))));

        var dataset = await (await client.PostZipAsync(zip)).CreatedAsync();
        string id = dataset.GetProperty("id").GetString()!;

        Assert.Equal((3, 8, 12), (dataset.GetProperty("channels").GetInt32(), dataset.GetProperty("height").GetInt32(), dataset.GetProperty("width").GetInt32()));
        Assert.Equal((5, 2), (dataset.GetProperty("trainImages").GetInt32(), dataset.GetProperty("testImages").GetInt32()));
        var splits = await _factory.Services.GetRequiredService<DatasetCatalog>().OpenAsync(id, CancellationToken.None);
        // Test split, interleaved by class: cat's WebP, then dog's BMP; red plane first.
        Assert.Equal(Planar(Photo(6)), splits.Test.GetImage(0).ToArray());
        Assert.Equal(Planar(Photo(7)), splits.Test.GetImage(1).ToArray());

        static byte[] Planar(RgbaImage image)
            => [.. Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, image.Width * image.Height).Select(p => image.Pixels[(4 * p) + c]))];
    }

    [Fact]
    public async Task A_tiny_job_trains_on_an_upload_and_its_model_names_the_dataset_and_classes()
    {
        var client = _factory.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(Pets, perClass: 5, size: 8, colour: true));
        string id = (await (await client.PostZipAsync(zip)).CreatedAsync()).GetProperty("id").GetString()!;

        var queued = await client.SubmitAsync(new
        {
            dataset = id,
            model = new { family = "mlp", latentDim = 2 },
            epochs = 1,
            batchSize = 4,
            maxTrainImages = 8,
        });
        var job = await client.WaitUntilFinishedAsync(queued.Id, timeoutSeconds: 300);

        Assert.True(job.Status == JobStatus.Succeeded, $"status {job.Status}, error {job.Error}");
        var model = JsonDocument.Parse(await client.GetStringAsync($"/api/models/{job.ModelId}")).RootElement;
        Assert.Equal(id, model.GetProperty("dataset").GetString());
        Assert.Equal((3, 8, 8), (model.GetProperty("channels").GetInt32(), model.GetProperty("height").GetInt32(), model.GetProperty("width").GetInt32()));
        Assert.Equal(Pets, model.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task A_conditional_model_on_an_upload_takes_its_class_count_and_a_different_one_is_refused()
    {
        var client = _factory.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(Pets, perClass: 3));
        string id = (await (await client.PostZipAsync(zip)).CreatedAsync()).GetProperty("id").GetString()!;

        var wrong = await client.PostAsJsonAsync("/api/jobs", new { dataset = id, model = new { family = "mlp", conditional = true, classCount = 10 }, epochs = 1 });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
        var problem = await wrong.ProblemAsync();
        Assert.Contains("3 classes", problem.GetProperty("errors").GetProperty("model.classCount")[0].GetString());

        var job = await client.SubmitAsync(new { dataset = id, model = new { family = "mlp", conditional = true, latentDim = 2 }, epochs = 1, batchSize = 4 });
        await client.CancelQuietlyAsync(job.Id);
        Assert.Equal(id, job.Request.Dataset);
    }

    [Fact]
    public async Task Idx_files_in_a_form_gzipped_or_not_become_a_gray_dataset_with_numbered_classes()
    {
        var client = _factory.CreateClient();
        var (images, labels) = UploadFiles.IdxPair(count: 40, size: 6, classes: 4);
        var (testImages, testLabels) = UploadFiles.IdxPair(count: 8, size: 6, classes: 4);

        var response = await client.PostFormAsync(("images", UploadFiles.Gzip(images)), ("labels", labels), ("testImages", testImages), ("testLabels", UploadFiles.Gzip(testLabels)));

        var dataset = await response.CreatedAsync();
        Assert.Equal((1, 6, 6), (dataset.GetProperty("channels").GetInt32(), dataset.GetProperty("height").GetInt32(), dataset.GetProperty("width").GetInt32()));
        Assert.Equal(["0", "1", "2", "3"], dataset.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal((40, 8), (dataset.GetProperty("trainImages").GetInt32(), dataset.GetProperty("testImages").GetInt32()));
        Assert.Equal("images", dataset.GetProperty("name").GetString()); // from the images part's file name, images.idx

        var splits = await _factory.Services.GetRequiredService<DatasetCatalog>().OpenAsync(dataset.GetProperty("id").GetString()!, CancellationToken.None);
        Assert.Equal(images.AsSpan(16 + 36, 36).ToArray(), splits.Train.GetImage(1).ToArray());
        Assert.Equal(3, splits.Test.GetLabel(3));
    }

    [Fact]
    public async Task Idx_files_in_a_zip_without_a_test_split_have_every_tenth_image_of_each_class_held_out()
    {
        var client = _factory.CreateClient();
        var (images, labels) = UploadFiles.IdxPair(count: 60, size: 5, classes: 3);
        byte[] zip = UploadFiles.Zip(("digits/train-images-idx3-ubyte", images), ("digits/train-labels-idx1-ubyte.gz", UploadFiles.Gzip(labels)));

        var dataset = await (await client.PostZipAsync(zip, "?name=digits")).CreatedAsync();

        // 20 images a class: the 10th and 20th of each are held out.
        Assert.Equal((54, 6), (dataset.GetProperty("trainImages").GetInt32(), dataset.GetProperty("testImages").GetInt32()));
        Assert.Equal(3, dataset.GetProperty("classNames").GetArrayLength());
    }

    [Fact]
    public async Task A_zipped_folder_of_class_folders_is_read_from_inside_that_folder()
    {
        var client = _factory.CreateClient();
        byte[] zip = UploadFiles.Zip([.. UploadFiles.ClassFolders(["a", "b"], perClass: 2, prefix: "letters/"), ("__MACOSX/letters/._a", [1, 2, 3]), ("letters/.DS_Store", [0])]);

        var dataset = await (await client.PostZipAsync(zip)).CreatedAsync();

        Assert.Equal(["a", "b"], dataset.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(1, dataset.GetProperty("channels").GetInt32());
        Assert.Equal((2, 2), (dataset.GetProperty("trainImages").GetInt32(), dataset.GetProperty("testImages").GetInt32()));
    }

    [Fact]
    public async Task Uploads_are_listed_newest_first_after_the_built_in_datasets_and_an_unknown_id_is_404()
    {
        // Upload times come from the service's clock: a fake one puts a second between the two.
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T12:00:00Z"));
        using var service = new ServiceFactory(output, services: s => s.AddSingleton<TimeProvider>(clock));
        var client = service.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["a", "b"], perClass: 2));
        string first = (await (await client.PostZipAsync(zip, "?name=first")).CreatedAsync()).GetProperty("id").GetString()!;
        clock.Advance(TimeSpan.FromSeconds(1));
        string second = (await (await client.PostZipAsync(zip, "?name=second")).CreatedAsync()).GetProperty("id").GetString()!;

        var ids = JsonDocument.Parse(await client.GetStringAsync("/api/datasets")).RootElement.GetProperty("datasets").EnumerateArray()
            .Select(d => d.GetProperty("id").GetString()).Skip(3);
        Assert.Equal([second, first], ids);

        var missing = await client.GetAsync("/api/datasets/d000000000000");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("POST /api/datasets", (await missing.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/datasets/mnist")).StatusCode);
    }

    [Fact]
    public async Task Uploads_survive_a_restart()
    {
        var client = _factory.CreateClient();
        byte[] zip = UploadFiles.Zip(UploadFiles.ClassFolders(["a", "b"], perClass: 2));
        string id = (await (await client.PostZipAsync(zip, "?name=kept")).CreatedAsync()).GetProperty("id").GetString()!;

        using var restarted = _factory.Restart();
        var found = JsonDocument.Parse(await restarted.CreateClient().GetStringAsync($"/api/datasets/{id}")).RootElement;

        Assert.Equal("kept", found.GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_upload_bodies_and_answers()
    {
        var doc = JsonDocument.Parse(await _factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var datasets = doc.GetProperty("paths").GetProperty("/api/datasets");
        var post = datasets.GetProperty("post");
        var content = post.GetProperty("requestBody").GetProperty("content");
        Assert.True(content.TryGetProperty("application/zip", out _));
        var form = content.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties");
        foreach (var part in new[] { "images", "labels", "testImages", "testLabels" }) Assert.True(form.TryGetProperty(part, out _), part);
        foreach (var status in new[] { "201", "400", "413", "415", "422" }) Assert.True(post.GetProperty("responses").TryGetProperty(status, out _), status);
        var delete = doc.GetProperty("paths").GetProperty("/api/datasets/{id}").GetProperty("delete").GetProperty("responses");
        foreach (var status in new[] { "204", "404", "409" }) Assert.True(delete.TryGetProperty(status, out _), status);
    }
}
