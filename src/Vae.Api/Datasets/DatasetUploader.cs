using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Vae.Engine.Imaging;

namespace Vae.Api.Datasets;

/// <summary>
/// Turns the body of POST /api/datasets into a stored dataset: a zip (images, see
/// <see cref="ImageZipUpload"/>, or IDX files, see <see cref="IdxUpload"/>), or a multipart form of IDX
/// files. The body goes to a file in the upload's work folder as it arrives, never past
/// Datasets:Uploads:MaxUploadBytes, and is read from there; the dataset's files are written beside it
/// and handed to the store (<see cref="IDatasetUploads"/>: renamed into place, or sent to the
/// database) only when everything was accepted. Whatever goes wrong, the work folder is removed:
/// a refused upload leaves nothing. One upload is decoded at a time per process, as decoding holds
/// the images in memory; others wait their turn.
/// </summary>
public sealed class DatasetUploader(IDatasetUploads store, IOptions<UploadOptions> options, IImageCodec codec)
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1000;
    public const string DefaultName = "uploaded dataset";
    public static readonly string[] ZipTypes = ["application/zip", "application/x-zip-compressed"];
    public const string FormType = "multipart/form-data";

    private const int MaxFieldBytes = 16 * 1024;
    private readonly SemaphoreSlim _decoding = new(1, 1);

    private sealed record Read(UploadContent Content, string? FileName, string? Name, string? Description);

    /// <exception cref="UploadRejectedException">The upload is not accepted; nothing was kept.</exception>
    public async Task<DatasetInfo> UploadAsync(HttpRequest request, string? name, string? description, CancellationToken ct)
    {
        var o = options.Value;
        CheckText("name", name, MaxNameLength);
        CheckText("description", description, MaxDescriptionLength);
        bool zip;
        string? boundary = null;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) throw WrongType(request.ContentType);
        if (ZipTypes.Any(t => type.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase))) zip = true;
        else if (type.MediaType.Equals(FormType, StringComparison.OrdinalIgnoreCase))
        {
            zip = false;
            boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
            if (string.IsNullOrEmpty(boundary)) throw UploadRejectedException.Malformed("The multipart/form-data Content-Type has no boundary parameter.");
        }
        else throw WrongType(request.ContentType);

        if (request.ContentLength > o.MaxUploadBytes) throw TooLarge(o);
        // The server's own cap (30 MB by default) would cut large uploads short with a bare error.
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = o.MaxUploadBytes + 1;

        string work = store.CreateWorkFolder();
        try
        {
            string body = Path.Combine(work, "body");
            long length = await SpoolAsync(request.Body, body, o.MaxUploadBytes, ct);
            if (length == 0)
                throw UploadRejectedException.Unprocessable($"The body is empty. Send a zip ({ZipTypes[0]}) of images ({ImageFormats.Names}) or IDX files, or the IDX files as a {FormType} form.");

            await _decoding.WaitAsync(ct);
            Read read;
            try
            {
                read = zip
                    ? await Task.Run(() => ReadZip(body, o, request.Headers.ContentDisposition, codec), ct)
                    : await ReadFormAsync(body, boundary!, o, ct);
            }
            finally
            {
                _decoding.Release();
            }
            CheckText("name", read.Name, MaxNameLength);
            CheckText("description", read.Description, MaxDescriptionLength);
            File.Delete(body);

            string chosenName = Clean(name) ?? Clean(read.Name) ?? NameFromFile(read.FileName) ?? DefaultName;
            string chosenDescription = Clean(description) ?? Clean(read.Description) ?? read.Content.Describe();
            return await store.PublishAsync(work, read.Content, chosenName, chosenDescription, ct);
        }
        catch
        {
            store.Discard(work);
            throw;
        }
    }

    private static Read ReadZip(string body, UploadOptions o, string? contentDisposition, IImageCodec codec)
    {
        using var file = new FileStream(body, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var zip = UploadZip.Open(file, o);
        var budget = new ExpansionBudget(o);
        bool images = zip.Files.Count == 0 || zip.Files.Any(ImageZipUpload.IsImage);
        var content = images
            ? ImageZipUpload.Read(zip, o, budget, codec)
            : IdxUpload.Assemble(IdxUpload.FromZip(zip, budget), o, "IDX files in a zip");
        string? fileName = ContentDispositionHeaderValue.TryParse(contentDisposition, out var cd)
            ? HeaderUtilities.RemoveQuotes(cd.FileNameStar.HasValue ? cd.FileNameStar : cd.FileName).Value
            : null;
        return new Read(content, fileName, null, null);
    }

    private static async Task<Read> ReadFormAsync(string body, string boundary, UploadOptions o, CancellationToken ct)
    {
        await using var file = new FileStream(body, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var reader = new MultipartReader(boundary, file) { BodyLengthLimit = o.MaxUploadBytes };
        var budget = new ExpansionBudget(o);
        var parts = new List<IdxPart>();
        string? name = null, description = null, fileName = null;
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
            {
                // Files and text fields alike are "form-data" parts (IsFormDisposition is true only for fields).
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) || StringSegment.IsNullOrEmpty(disposition.Name))
                    throw UploadRejectedException.Malformed("A part of the form has no 'Content-Disposition: form-data' header naming it.");
                string part = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                byte[] bytes = await ReadSectionAsync(section.Body, o.MaxUploadBytes, ct);
                if (string.Equals(part, "name", StringComparison.OrdinalIgnoreCase) || string.Equals(part, "description", StringComparison.OrdinalIgnoreCase))
                {
                    if (bytes.Length > MaxFieldBytes) throw UploadRejectedException.Unprocessable($"Form field '{part}' is {bytes.Length} bytes; it is text of at most {MaxDescriptionLength} characters.");
                    string text = System.Text.Encoding.UTF8.GetString(bytes);
                    if (part.Equals("name", StringComparison.OrdinalIgnoreCase)) name = text;
                    else description = text;
                    continue;
                }
                var role = IdxUpload.RoleOfPart(part) ?? throw UploadRejectedException.Unprocessable(
                    $"Form part '{part}' is not one this upload takes: the files are {IdxUpload.FormParts} (IDX, plain or gzipped), the text fields 'name' and 'description'.");
                if (parts.Any(p => p.Role == role)) throw UploadRejectedException.Unprocessable($"The form has more than one '{part}' part; send each file once.");
                string what = disposition.FileName.HasValue ? $"{part} ({HeaderUtilities.RemoveQuotes(disposition.FileName).Value})" : part;
                if (role == IdxRole.Images && disposition.FileName.HasValue) fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                parts.Add(new IdxPart(role, what, IdxUpload.Parse(bytes, what, budget)));
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw UploadRejectedException.Malformed($"The multipart/form-data body cannot be read ({e.Message}).");
        }
        return new Read(IdxUpload.Assemble(parts, o, "IDX files in a form"), fileName, name, description);
    }

    private static async Task<byte[]> ReadSectionAsync(Stream section, long max, CancellationToken ct)
    {
        using var memory = new MemoryStream();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await section.ReadAsync(buffer, ct)) > 0)
            {
                if (memory.Length + read > max) throw TooLarge(max);
                memory.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return memory.ToArray();
    }

    /// <summary>Copies the body to a file, refusing it at the first byte past the limit.</summary>
    private static async Task<long> SpoolAsync(Stream body, string path, long max, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        long length = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                length += read;
                if (length > max) throw TooLarge(max);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(max);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return length;
    }

    private static void CheckText(string field, string? text, int max)
    {
        if (text is null) return;
        string trimmed = text.Trim();
        if (trimmed.Length > max) throw UploadRejectedException.Unprocessable($"The {field} is {trimmed.Length} characters; it may be at most {max}.");
        if (trimmed.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            throw UploadRejectedException.Unprocessable($"The {field} has control characters; send plain text.");
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>"mnist.zip" → "mnist"; a path's folders and the usual extensions are dropped.</summary>
    private static string? NameFromFile(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName)) return null;
        string name = fileName.Replace('\\', '/').Split('/')[^1];
        foreach (string extension in new[] { ".gz", ".zip", ".idx" })
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) name = name[..^extension.Length];
        }
        name = name.Trim();
        if (name.Length > MaxNameLength) name = name[..MaxNameLength];
        return name.Length == 0 || name.Any(char.IsControl) ? null : name;
    }

    private static UploadRejectedException WrongType(string? contentType) => UploadRejectedException.UnsupportedMedia(
        $"Content-Type '{contentType ?? "none"}' is not accepted. Send a zip as {ZipTypes[0]} (images: PNG, JPEG, WebP or BMP; or IDX files), " +
        $"or IDX files as {FormType} with parts {IdxUpload.FormParts}.");

    private static UploadRejectedException TooLarge(long max) => UploadRejectedException.TooLarge(
        $"The upload is larger than the {max} bytes accepted (Datasets:Uploads:MaxUploadBytes). Upload fewer or smaller images.");

    private static UploadRejectedException TooLarge(UploadOptions o) => TooLarge(o.MaxUploadBytes);
}
