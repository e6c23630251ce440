using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Infrastructure;
using Vae.Api.Security;
using Vae.Engine.Export;
using Vae.Engine.Models;

namespace Vae.Api.Models;

/// <summary>
/// Models into and out of the service: import of weights trained elsewhere (POST /api/models, see
/// <see cref="ModelImporter"/>) and the encoder and decoder as ONNX files (see <see cref="ModelGraphs"/>).
/// </summary>
internal static class ModelTransferApi
{
    public const string OnnxType = "application/octet-stream";

    // Part of the export's ETag: bump it when the exported graphs change, so caches drop old files.
    private const string ExportVersion = "1";

    public static RouteGroupBuilder MapModelTransfer(this RouteGroupBuilder models)
    {
        models.MapPost("/", ImportAsync)
            .WithSummary("Registers a model trained elsewhere from its safetensors weights and its configuration (needs write access).")
            .WithDescription(ModelTransferDocs.ImportDescription)
            .WithMetadata(new ModelTransferDocs.ImportBody())
            .RequireWriteAccess()
            .Produces<ModelView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        models.MapGet("/{id}/encoder.onnx", EncoderAsync)
            .WithSummary("The model's encoder as an ONNX file: images in, mu and logvar out (an autoencoder: its code).")
            .WithDescription(ModelTransferDocs.EncoderDescription)
            .ProducesOnnx();
        models.MapGet("/{id}/decoder.onnx", DecoderAsync)
            .WithSummary("The model's decoder as an ONNX file: codes in, images in [0, 1] out, as decode gives them.")
            .WithDescription(ModelTransferDocs.DecoderDescription)
            .ProducesOnnx();
        return models;
    }

    public static async Task<Results<Created<ModelView>, ProblemHttpResult>> ImportAsync(HttpRequest request, ModelImporter importer, CancellationToken ct)
    {
        var (record, problem) = await importer.ImportAsync(request, ct);
        return problem ?? (Results<Created<ModelView>, ProblemHttpResult>)TypedResults.Created($"/api/models/{record!.Id}", record.AsView());
    }

    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> EncoderAsync(
        string id, HttpContext http, IGraphWriter writer, [AsParameters] ModelServices models, CancellationToken ct)
        => ExportAsync(id, "encoder", ModelGraphs.Encoder, http, writer, models, ct);

    public static Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> DecoderAsync(
        string id, HttpContext http, IGraphWriter writer, [AsParameters] ModelServices models, CancellationToken ct)
        => ExportAsync(id, "decoder", ModelGraphs.Decoder, http, writer, models, ct);

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> ExportAsync(
        string id, string part, Func<AutoencoderModel, Graph> build, HttpContext http, IGraphWriter writer, ModelServices models, CancellationToken ct)
    {
        if (await models.Cache.ResolveAsync(id, ct) is not { } record) return await models.MissingAsync(id, ct);
        if (ModelServices.Cached(http, id, record, $"{part}.{writer.Extension}|{ExportVersion}")) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        using var file = new MemoryStream();
        writer.Write(build(models.Cache.Get(record)), file);
        return TypedResults.File(file.ToArray(), OnnxType, $"{record.Id}-{part}.{writer.Extension}");
    }

    /// <summary>The file (with its name in Content-Disposition), 304 for a client that has it, 404 or 409 for the model's id.</summary>
    private static RouteHandlerBuilder ProducesOnnx(this RouteHandlerBuilder builder) => builder
        .Produces(StatusCodes.Status200OK, typeof(byte[]), OnnxType)
        .Produces(StatusCodes.Status304NotModified)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .WithMetadata(new ModelTransferDocs.OnnxFile());
}
