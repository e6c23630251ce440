using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Vae.Api.Models;
using Vae.Engine.Imaging;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Tests.Imaging;

namespace Vae.Api.Tests.Models;

/// <summary>
/// Hostile and broken images through the endpoints: each is a 400, 413, 415 or 422 whose detail
/// says what is wrong (and names the accepted formats or the limit), never a 5xx.
/// </summary>
[Collection(ModelsCollection.Name)]
public class ImageRefusalApiTests(ModelsFixture fx)
{
    private static readonly RgbaImage Photo = TestImages.Photo(40, 30);

    private string Url(string endpoint) => $"/api/models/{fx.Vae.Id}/{endpoint}";

    public static TheoryData<string, string> Endpoints() => new()
    {
        { "encode", "image/png" },
        { "reconstruct", "image/jpeg" },
        { "score", "image/webp" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Truncated_files_of_every_format_are_400_saying_they_are_truncated(string endpoint, string contentType)
    {
        foreach (byte[] file in new[] { TestImages.Png(Photo), TestImages.Jpeg(Photo), TestImages.Webp(Photo), TestImages.Bmp(Photo) })
        {
            await (await fx.Client.PostAsync(Url(endpoint), Http.Body(file[..(file.Length * 2 / 3)], contentType))).AssertProblemAsync(400, "truncated");
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_bad_crc_and_wrong_magic_bytes_are_400_saying_what_is_wrong(string endpoint, string contentType)
    {
        byte[] png = TestImages.Png(Photo);
        png[TestImages.IndexOf(png, "IDAT") + 10] ^= 0x40;
        await (await fx.Client.PostAsync(Url(endpoint), Http.Body(png, contentType))).AssertProblemAsync(400, "CRC");

        byte[] renamed = TestImages.Jpeg(Photo);
        renamed[0] = (byte)'X';
        await (await fx.Client.PostAsync(Url(endpoint), Http.Body(renamed, contentType))).AssertProblemAsync(400, "JPEG", "start-of-image marker", "58D8FF");
        await (await fx.Client.PostAsync(Url(endpoint), Http.Body([.. "GIF87"u8, .. TestImages.Png(Photo)], contentType))).AssertProblemAsync(400, "not a PNG, JPEG, WebP or BMP image", "4749463837");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Gif_tiff_and_svg_are_415_naming_the_format_and_the_ones_accepted(string endpoint, string contentType)
    {
        var files = new (string Name, byte[] Bytes)[]
        {
            ("GIF", TestImages.Gif(Photo)),
            ("TIFF", TestImages.Tiff(Photo)),
            ("SVG", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>"u8.ToArray()),
        };
        foreach (var (name, bytes) in files)
        {
            await (await fx.Client.PostAsync(Url(endpoint), Http.Body(bytes, contentType))).AssertProblemAsync(415, $"This is a {name} image", "PNG, JPEG, WebP or BMP");
        }

        await (await fx.Client.PostAsync(Url(endpoint), Http.Body(TestImages.Gif(Photo), "image/gif"))).AssertProblemAsync(415, "image/gif", "image/png, image/jpeg, image/webp or image/bmp");
        await (await fx.Client.PostAsync(Url(endpoint), Http.Body(TestImages.Tiff(Photo), "image/tiff"))).AssertProblemAsync(415, "image/tiff");
    }

    [Fact]
    public async Task Images_in_json_are_refused_with_the_item_they_are()
    {
        string gif = Convert.ToBase64String(TestImages.Gif(Photo));
        string cut = Convert.ToBase64String(TestImages.Jpeg(Photo)[..100]);

        await (await fx.Client.PostAsync(Url("score"), JsonContent.Create(new { images = new[] { Convert.ToBase64String(fx.Png(0)), gif } })))
            .AssertProblemAsync(415, "images[1]", "GIF");
        await (await fx.Client.PostAsync(Url("interpolate"), JsonContent.Create(new { from = new { png = cut }, to = new { latent = new[] { 0f, 0f } } })))
            .AssertProblemAsync(400, "from.png", "truncated");
        string direction = "refusals-" + Guid.NewGuid().ToString("N")[..8];
        var created = await fx.Client.PostAsync(Url("directions"), JsonContent.Create(new { name = direction, from = new { label = 1 }, to = new { label = 7 }, limit = 5 }));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await (await fx.Client.PostAsync(Url("edit"), JsonContent.Create(new { image = Convert.ToBase64String(TestImages.Bomb), direction })))
            .AssertProblemAsync(422, "image", "60000x60000");
        await fx.Client.DeleteAsync($"{Url("directions")}/{direction}");
    }

    [Fact]
    public async Task A_zip_of_images_that_lies_about_their_sizes_is_refused_without_a_5xx()
    {
        byte[] honest = Datasets.UploadFiles.Zip(("a.png", fx.Png(0)), ("b.jpg", TestImages.Jpeg(Photo)));
        byte[] small = (byte[])honest.Clone();
        Datasets.UploadFiles.Forge(small, "b.jpg", uncompressedSize: 50);
        byte[] large = (byte[])honest.Clone();
        Datasets.UploadFiles.Forge(large, "b.jpg", uncompressedSize: 900_000_000);
        byte[] bomb = Datasets.UploadFiles.Zip(("a.png", fx.Png(0)), ("b.png", new byte[32 * 1024 * 1024]));
        Datasets.UploadFiles.Forge(bomb, "b.png", uncompressedSize: 1000);

        await (await fx.Client.PostAsync(Url("score"), Http.Body(small, "application/zip"))).AssertProblemAsync(400, "b.jpg", "truncated");
        await (await fx.Client.PostAsync(Url("score"), Http.Body(large, "application/zip"))).AssertProblemAsync(422, "b.jpg", "zip bombs");
        await (await fx.Client.PostAsync(Url("score"), Http.Body(bomb, "application/zip"))).AssertProblemAsync(400, "b.png");
        var scored = await (await fx.Client.PostAsync(Url("score"), Http.Body(honest, "application/zip"))).ReadJsonAsync<ScoreResponse>();
        Assert.Equal(2, scored.Scores.Count);
    }

    [Fact]
    public async Task An_image_over_the_configured_limits_is_422_naming_them()
    {
        using var factory = new ServiceFactory(settings: new Dictionary<string, string?> { ["Images:MaxWidth"] = "100", ["Images:MaxPixels"] = "3000" });
        var record = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, fx.TestImages, fx.TestImages, "limits");
        using var client = factory.CreateClient();
        string url = $"/api/models/{record.Id}/encode";

        await (await client.PostAsync(url, Http.Body(TestImages.Jpeg(TestImages.Photo(101, 10)), "image/jpeg"))).AssertProblemAsync(422, "101x10", "at most 100 pixels wide");
        await (await client.PostAsync(url, Http.Body(TestImages.Webp(TestImages.Photo(60, 60)), "image/webp"))).AssertProblemAsync(422, "3600 in all", "3000 pixels in all");
        Assert.Single((await (await client.PostAsync(url, Http.Body(TestImages.Bmp(TestImages.Photo(50, 50)), "image/bmp"))).ReadJsonAsync<EncodeResponse>()).Results);
    }

    [Fact]
    public async Task A_decode_past_its_time_limit_is_422_naming_the_limit()
    {
        // The service's codec on a clock whose timers are already due: every decode has used up its time.
        using var factory = new ServiceFactory(services: s => s.AddSingleton<IImageCodec>(new ImageSharpCodec(ImageLimits.Default, new ExpiredClock())));
        var record = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, fx.TestImages, fx.TestImages, "slow");
        using var client = factory.CreateClient();

        await (await client.PostAsync($"/api/models/{record.Id}/encode", Http.Body(TestImages.Jpeg(Photo), "image/jpeg"))).AssertProblemAsync(422, "longer than 4 s");
        await (await client.PostAsync($"/api/models/{record.Id}/reconstruct", Http.PngBody(fx.Png(0)))).AssertProblemAsync(422, "longer than 4 s");
    }

    [Fact]
    public async Task A_decode_needing_more_memory_than_a_buffer_may_take_is_422_saying_so()
    {
        var tight = new ImageSharpCodec(new ImageLimits(4096, 4096, 16L << 20, MaxDecoderMegabytes: 1, TimeSpan.FromSeconds(4)));
        using var factory = new ServiceFactory(services: s => s.AddSingleton<IImageCodec>(tight));
        var record = await ModelsFixture.PublishAsync(factory, new MlpConfig { HiddenSizes = [8], LatentDim = 2 }, fx.TestImages, fx.TestImages, "tight");
        using var client = factory.CreateClient();

        await (await client.PostAsync($"/api/models/{record.Id}/encode", Http.PngBody(TestImages.Gray8Png(new byte[1024 * 1024], 1024, 1024))))
            .AssertProblemAsync(422, "memory", "1 MiB");
    }

    [Fact]
    public void Limits_whose_decoder_memory_cannot_hold_the_largest_image_stop_the_service_at_start()
    {
        using var factory = new ServiceFactory(settings: new Dictionary<string, string?> { ["Images:MaxDecoderMegabytes"] = "16" });

        var e = Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Images:MaxDecoderMegabytes", e.Message);
    }
}
