using System.Text;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Tensors;

namespace Vae.Api.Models;

/// <summary>
/// How import and ONNX export are described in the OpenAPI document. The import handler reads its
/// multipart body itself, so the form is declared here, with the tensor names each family's model
/// takes (listed from the family registry when the document is made).
/// </summary>
public static class ModelTransferDocs
{
    public const string ImportDescription =
        $"The body is {ModelImporter.FormType} with two parts: '{ModelImporter.WeightsPart}', a safetensors file of float32 tensors, and "
        + $"'{ModelImporter.ConfigPart}', JSON {ModelImporter.ConfigShape}. \"model\" is the object a training request takes (GET /api/families "
        + "lists each family's fields); fields left out take the family's defaults, and the image shape and class count come from \"dataset\" "
        + "(default mnist), which is also the dataset the model's latents and scores are read against. \"name\" is optional. "
        + "The weights must hold every parameter and buffer of the model the configuration describes, with the shapes it has and finite values, "
        + "under the names GET /api/models/{id}/weights uses for a model of the same configuration (listed below for each family's defaults). "
        + "A family may take other names for some configurations, shown as 'or ...': PyTorch's module names of the tutorial model the "
        + "configuration matches, so that model's state_dict, saved with safetensors, imports as it is. Batch norm layers need their "
        + "running_mean and running_var; PyTorch's num_batches_tracked counters (int64) are passed over. Answers 201 with the model and its "
        + "Location; the model then works with every model endpoint. A 422 names each tensor that is missing, unexpected, of another shape "
        + "(the expected and the given shape), of another dtype, or holding NaN or infinite values; nothing is stored then. "
        + "Limit: Models:Import:MaxBytes.";

    public const string EncoderDescription =
        "ONNX (IR version 8, opset 17, float32), with the batch dimension free ('batch'). Input 'images': (batch, channels, height, width) "
        + "pixel values in [0, 1], channel-major like encode's JSON pixels. Outputs 'mu' and 'logvar' (batch, latentDim), the posterior mean and "
        + "log-variance encode gives; a plain autoencoder has one output, 'code'. A conditional model has a second input, 'label': "
        + "(batch) int64 class numbers, one-hot encoded inside the graph (a number outside 0..classCount-1 encodes as no class). "
        + "Batch norm is folded into the convolution before it (the model in eval mode). The file's metadata holds the model's configuration "
        + "under 'config'. The file name is in Content-Disposition.";

    public const string DecoderDescription =
        "ONNX (IR version 8, opset 17, float32), with the batch dimension free ('batch'). Input 'z': (batch, latentDim) codes. Output 'images': "
        + "(batch, channels, height, width), what decode gives: pixel probabilities (Bernoulli models) or means (Gaussian ones) clipped to [0, 1]. "
        + "A conditional model has a second input, 'label': (batch) int64 class numbers, one-hot encoded inside the graph. "
        + "Batch norm is folded into the convolution before it (the model in eval mode). The file's metadata holds the model's configuration "
        + "under 'config'. The file name is in Content-Disposition.";

    /// <summary>Marks the import endpoint, whose multipart body <see cref="Filter"/> describes.</summary>
    public sealed record ImportBody;

    /// <summary>Marks an endpoint that answers an ONNX file with its name in Content-Disposition.</summary>
    public sealed record OnnxFile;

    // Made once per process, when a document first asks: building a family's default model takes a moment.
    private static readonly Lazy<string> TensorNames = new(ListTensorNames);

    /// <summary>Each family's tensors for its default configuration, from the registry; long lists are cut short.</summary>
    private static string ListTensorNames()
    {
        const int shown = 14;
        var text = new StringBuilder(" The tensors of each family's default configuration:");
        foreach (var family in ModelRegistry.Families)
        {
            var expected = WeightsImport.Expected(family.DefaultConfig);
            var names = expected.Take(shown).Select(t => $"{t.Name} {ShapeOf.Format(t.Shape)}" + (t.Alias is null ? "" : $" (or {t.Alias})"));
            text.Append($" {family.Name}: {string.Join(", ", names)}{(expected.Count > shown ? $", ... ({expected.Count} in all)" : "")}.");
        }
        return text.ToString();
    }

    public sealed class Filter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<ImportBody>().Any())
            {
                operation.Description += TensorNames.Value;
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The weights and the configuration, as a multipart form.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        [ModelImporter.FormType] = new OpenApiMediaType
                        {
                            Schema = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Required = new HashSet<string> { ModelImporter.WeightsPart, ModelImporter.ConfigPart },
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    [ModelImporter.WeightsPart] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "A safetensors file of float32 tensors." },
                                    [ModelImporter.ConfigPart] = new OpenApiSchema { Type = JsonSchemaType.String, Description = $"JSON: {ModelImporter.ConfigShape}." },
                                },
                            },
                        },
                    },
                };
            }
            if (metadata.OfType<OnnxFile>().Any() && operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers["Content-Disposition"] = new OpenApiHeader
                {
                    Description = $"attachment; filename=<model id>-encoder.onnx or -decoder.onnx.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
                response.Description = "The ONNX file.";
            }
        }
    }
}
