using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Vae.Api.Datasets;

/// <summary>
/// How POST /api/datasets is described in the OpenAPI document. The handler reads the body itself
/// (to bound it and to answer a wrong type with a detail), so its two forms are declared here.
/// </summary>
public static class UploadDocs
{
    public const string Description =
        "The body is one of: (1) a zip (Content-Type: application/zip) of images (.png, .jpg, .jpeg, .webp or .bmp files: PNG, JPEG, WebP or BMP), in one folder per class (the folder names, sorted, " +
        "are the class names and give labels 0..n-1), optionally inside train/ and test/ folders. " +
        "(2) IDX files (the MNIST format, plain or gzipped): as multipart/form-data with file parts 'images' and 'labels', and optionally 'testImages' and " +
        "'testLabels', or in a zip, where an IDX file with one dimension is labels and with three images, and a name starting with 't10k' or containing " +
        "'test' marks the test split. Without a test split, every 10th image of each class (in name or file order) is held out for testing, and the last " +
        "of a class of 2 to 9 images. All images must have one size (after their EXIF rotation); gray images give 1 channel, and any colour image makes the dataset RGB " +
        "(transparency is flattened onto black). A file of another type (GIF, TIFF, text...) is 415; a truncated or corrupt image is 400. " +
        "__MACOSX/, dotfiles, Thumbs.db and desktop.ini in a zip are ignored; anything else that is not an image is refused. The name comes from the " +
        "'name' query parameter or form field, else the file name, else \"uploaded dataset\". Limits (Datasets:Uploads options): MaxUploadBytes, " +
        "MaxExpandedBytes, MaxImages, MinWidth, MaxWidth, MinHeight, MaxHeight, MaxClasses, MaxZipEntries, MaxCompressionRatio. Answers 201 with the dataset " +
        "and its Location; a refused upload leaves nothing behind.";

    /// <summary>Marks the endpoint whose request body <see cref="Filter"/> describes.</summary>
    public sealed record UploadBody;

    /// <summary>Adds the zip and multipart bodies to the operation marked with <see cref="UploadBody"/>.</summary>
    public sealed class Filter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<UploadBody>().Any()) return;
            var binary = () => new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
            var text = (string description) => new OpenApiSchema { Type = JsonSchemaType.String, Description = description };
            var form = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "images", "labels" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["images"] = Describe(binary(), "Training images: IDX, unsigned bytes, (count, height, width); plain or gzipped."),
                    ["labels"] = Describe(binary(), "Training labels: IDX, unsigned bytes, (count), each image's class number."),
                    ["testImages"] = Describe(binary(), "Test images, like 'images'; left out, a test split is held out of the training images."),
                    ["testLabels"] = Describe(binary(), "Test labels, like 'labels'."),
                    ["name"] = text("A name for the dataset (the 'name' query parameter wins)."),
                    ["description"] = text("What the images are (the 'description' query parameter wins)."),
                },
            };
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "A zip of images (PNG, JPEG, WebP or BMP) or IDX files, or IDX files as a multipart form.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [DatasetUploader.ZipTypes[0]] = new OpenApiMediaType { Schema = binary() },
                    [DatasetUploader.FormType] = new OpenApiMediaType { Schema = form },
                },
            };
        }

        private static OpenApiSchema Describe(OpenApiSchema schema, string description)
        {
            schema.Description = description;
            return schema;
        }
    }
}
