using System.Net.Http.Headers;
using System.Text.Json;
using Vae.Engine.Checkpoints;

namespace Vae.Api.Tests.Models;

/// <summary>
/// The import fixture (Fixtures/make_seed003_import.py): seed 003's VAE as PyTorch saved it, and
/// what PyTorch computes with it, with the form that imports it.
/// </summary>
internal static class Seed003
{
    public const string Config = """{"dataset":"mnist","model":{"family":"mlp","hiddenSizes":[400],"latentDim":20},"name":"seed 003 from pytorch"}""";

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static readonly Lazy<byte[]> WeightsFile = new(() => File.ReadAllBytes(Path.Combine(Folder, "seed003_vae.safetensors")));
    private static readonly Lazy<Reference> ReferenceFile = new(() => JsonSerializer.Deserialize<Reference>(
        File.ReadAllText(Path.Combine(Folder, "seed003_reference.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    /// <summary>
    /// The fixture is made by PyTorch, not kept in the repository (2.5 MB of weights): test.sh runs
    /// the generator before building. Without it, the tests that import it skip and say how to make it.
    /// </summary>
    public static void SkipIfMissing() => Skip.IfNot(
        File.Exists(Path.Combine(Folder, "seed003_vae.safetensors")) && File.Exists(Path.Combine(Folder, "seed003_reference.json")),
        "The import fixture is not made: run /usr/bin/python3 tests/Vae.Api.Tests/Fixtures/make_seed003_import.py tests/Vae.Api.Tests/Fixtures (needs Debian's python3-torch), as test.sh does, and build again.");

    /// <summary>The safetensors file as PyTorch's names and shapes have it.</summary>
    public static byte[] Weights => WeightsFile.Value;

    public static Reference Expected => ReferenceFile.Value;

    /// <summary>The fixture's tensors, to be changed by a test and written again with <see cref="Write"/>.</summary>
    public static List<SafeTensorsEntry> Tensors() => [.. SafeTensors.Read(new MemoryStream(Weights), "fixture").Tensors];

    public static byte[] Write(IReadOnlyList<SafeTensorsEntry> tensors)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors);
        return stream.ToArray();
    }

    /// <summary>The import form: the weights as a file part, the configuration as a text part.</summary>
    public static MultipartFormDataContent Form(byte[]? weights = null, string? config = Config, string fileName = "seed003_vae.safetensors")
    {
        var form = new MultipartFormDataContent();
        if (weights is not null)
        {
            var file = new ByteArrayContent(weights);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "weights", fileName);
        }
        if (config is not null) form.Add(new StringContent(config, System.Text.Encoding.UTF8, "application/json"), "config");
        return form;
    }

    public sealed record Reference(float[][] Latents, float[][] Decoded, float[][] Images, float[][] Mu, float[][] Logvar, string Torch);
}
