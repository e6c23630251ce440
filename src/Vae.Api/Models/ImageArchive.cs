using Microsoft.AspNetCore.Http.HttpResults;
using Vae.Api.Datasets;
using Vae.Api.Infrastructure;
using Vae.Engine.Imaging;

namespace Vae.Api.Models;

/// <summary>
/// A zip of images (PNG, JPEG, WebP or BMP, by their names' extensions) sent as one request body
/// (to score several images at once). It is opened
/// as dataset uploads are (<see cref="UploadZip"/>: entry names checked, inflation bounded), with
/// limits of its own: at most Models:MaxBatch images, inflating to at most twice Models:MaxBodyBytes.
/// Files come back in ordinal order of their paths, so the answer's order does not depend on the tool that zipped them.
/// </summary>
internal static class ImageArchive
{
    public const string ContentType = "application/zip";

    public static (IReadOnlyList<(string Name, byte[] Bytes)> Files, ProblemHttpResult? Problem) Read(ReadOnlySpan<byte> body, ModelsOptions limits)
    {
        if (body.IsEmpty) return ([], Problems.BadRequest($"The body is empty; send a zip of images ({ImageFormats.Names}) with Content-Type application/zip."));
        // Folders and files that systems add (__MACOSX/, .DS_Store) are entries too: leave room for them.
        var options = new UploadOptions { MaxZipEntries = (2 * limits.MaxBatch) + 64, MaxExpandedBytes = 2 * limits.MaxBodyBytes, MaxCompressionRatio = 100 };
        UploadZip zip;
        try
        {
            zip = UploadZip.Open(new MemoryStream(body.ToArray(), writable: false), options);
        }
        catch (UploadRejectedException e) when (e.Status == StatusCodes.Status413PayloadTooLarge)
        {
            return ([], Problems.Invalid("images", $"The zip has more entries than a request of at most {limits.MaxBatch} images (Models:MaxBatch) needs; send fewer images."));
        }
        catch (UploadRejectedException e)
        {
            return ([], Problem(e));
        }

        using (zip)
        {
            var files = zip.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            if (files.Count == 0) return ([], Problems.Invalid("images", $"The zip holds no images; put the image files to score ({ImageFormats.Extensions}) in it."));
            if (files.FirstOrDefault(f => ImageFormats.FromFileName(f.FileName) is null) is { } other)
                return ([], Problems.UnsupportedMedia($"Zip entry '{other.Path}' is not a {ImageFormats.Names} image (by its name); the zip may hold {ImageFormats.Extensions} files only."));
            if (BodyRows.CheckCount(files.Count, limits.MaxBatch, "images", "images") is { } tooMany) return ([], tooMany);

            var budget = new ExpansionBudget(options);
            var read = new List<(string, byte[])>(files.Count);
            try
            {
                foreach (var file in files)
                {
                    read.Add((file.Path, UploadZip.Read(file, budget, options.MaxExpandedBytes, size => UploadRejectedException.TooLarge(""))));
                }
            }
            catch (UploadRejectedException e) when (e.Status == StatusCodes.Status413PayloadTooLarge)
            {
                return ([], Problems.TooLarge($"The zip's files inflate to more than {options.MaxExpandedBytes} bytes (twice Models:MaxBodyBytes); send fewer or smaller images."));
            }
            catch (UploadRejectedException e)
            {
                return ([], Problem(e));
            }
            return (read, null);
        }
    }

    private static ProblemHttpResult Problem(UploadRejectedException e) => e.Status switch
    {
        StatusCodes.Status400BadRequest => Problems.Make(e.Status, "The zip cannot be read", e.Message),
        StatusCodes.Status413PayloadTooLarge => Problems.TooLarge(e.Message),
        _ => Problems.Make(e.Status, "The zip holds something other than images", e.Message),
    };
}
