using System.Net;
using System.Net.Http.Json;
using Vae.Api.Models;
using Vae.Engine.Export;
using Vae.Engine.Tests.Export;
using Xunit.Abstractions;

namespace Vae.Api.Tests.Models;

/// <summary>
/// GET /api/models/{id}/encoder.onnx and decoder.onnx: each family's files, run by ONNX Runtime, give
/// what the service's own encode and decode endpoints give, for one row and for several.
/// </summary>
[Collection(FamiliesCollection.Name)]
public sealed class ModelExportTests(FamiliesFixture fx, ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<string> Families => FamiliesFixture.Names;

    [Theory]
    [MemberData(nameof(Families))]
    public async Task The_encoder_file_gives_the_codes_encode_gives_at_batch_sizes_one_and_three(string key)
    {
        var m = fx.Models[key];
        using var session = new OnnxSession(await DownloadAsync(m, "encoder"));
        foreach (int batch in new[] { 1, 3 })
        {
            var rows = Enumerable.Range(0, batch).Select(m.Pixels).ToArray();
            int[]? labels = m.Config.Conditional ? [.. Enumerable.Range(0, batch).Select(i => i % m.Config.ClassCount)] : null;
            var response = await fx.Client.PostAsync($"/api/models/{m.Id}/encode", JsonContent.Create(new { batch = rows, labels }));
            var codes = (await response.ReadJsonAsync<EncodeResponse>()).Results;

            var onnx = session.Run(new Dictionary<string, (float[], int[])> { [ModelGraphs.Images] = ([.. rows.SelectMany(r => r)], [batch, m.Config.Channels, m.Config.Height, m.Config.Width]) },
                labels is null ? null : (ModelGraphs.Labels, labels.Select(l => (long)l).ToArray()));
            AssertClose(codes.Select(c => c.Mu), onnx[ModelGraphs.Mean], $"{key}: mu at batch {batch}");
            AssertClose(codes.Select(c => c.LogVar!), onnx[ModelGraphs.LogVar], $"{key}: logvar at batch {batch}");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task The_decoder_file_gives_the_images_decode_gives_at_batch_sizes_one_and_three(string key)
    {
        var m = fx.Models[key];
        using var session = new OnnxSession(await DownloadAsync(m, "decoder"));
        foreach (int batch in new[] { 1, 3 })
        {
            var latents = Enumerable.Range(0, batch).Select(i => Enumerable.Range(0, m.Config.LatentDim).Select(d => 0.7f * MathF.Sin(1 + i + 2 * d)).ToArray()).ToArray();
            int[]? labels = m.Config.Conditional ? [.. Enumerable.Range(0, batch).Select(i => (i + 2) % m.Config.ClassCount)] : null;
            var response = await fx.Client.PostAsync($"/api/models/{m.Id}/decode", JsonContent.Create(new { latents, labels }), "application/json");
            var images = (await response.ReadJsonAsync<ImagesResponse>()).Images;

            var onnx = session.Run(new Dictionary<string, (float[], int[])> { [ModelGraphs.Latents] = ([.. latents.SelectMany(r => r)], [batch, m.Config.LatentDim]) },
                labels is null ? null : (ModelGraphs.Labels, labels.Select(l => (long)l).ToArray()));
            AssertClose(images, onnx[ModelGraphs.Decoded], $"{key}: images at batch {batch}");
        }
    }

    [Fact]
    public async Task The_file_is_an_octet_stream_named_for_the_model_and_part_and_a_client_that_has_it_gets_304()
    {
        string url = $"/api/models/{fx.Mlp.Id}/decoder.onnx";
        var response = await fx.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{fx.Mlp.Id}-decoder.onnx", response.Content.Headers.ContentDisposition?.FileName);

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await fx.Client.SendAsync(again)).StatusCode);
    }

    [Theory]
    [InlineData("encoder")]
    [InlineData("decoder")]
    public async Task The_files_of_a_model_that_does_not_exist_are_a_404_problem(string part)
    {
        var response = await fx.Client.GetAsync($"/api/models/m000000000000/{part}.onnx");
        await response.AssertProblemAsync(404, "m000000000000", "GET /api/models");
    }

    private async Task<byte[]> DownloadAsync(TrainedModel m, string part)
    {
        var response = await fx.Client.GetAsync($"/api/models/{m.Id}/{part}.onnx");
        Assert.True(response.IsSuccessStatusCode, $"{part}.onnx of {m.Key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private void AssertClose(IEnumerable<float[]> expected, float[] actual, string what)
    {
        var flat = expected.SelectMany(r => r).ToArray();
        Assert.Equal(flat.Length, actual.Length);
        float worst = flat.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{what}: largest difference {worst:E2}");
        Assert.True(worst <= Tolerance, $"{what}: the ONNX file differs from the endpoint by {worst}");
    }
}
