
namespace Vae.Api.Datasets;

/// <summary>
/// Inflates the compressed parts of one upload (zip entries, gzip files) while counting the bytes
/// that actually come out, never the sizes the headers claim: all of them together stay within
/// Datasets:Uploads:MaxExpandedBytes, and a part that inflates past a mebibyte at more than
/// Datasets:Uploads:MaxCompressionRatio times its compressed size is stopped as a likely zip bomb.
/// Inflation stops at the first byte over a limit, so a bomb costs no more than the limit.
/// </summary>
internal sealed class ExpansionBudget(UploadOptions options)
{
    /// <summary>Parts smaller than this are not held to the ratio: tiny files compress oddly without harm.</summary>
    public const long RatioFloor = 1024 * 1024;

    private long _inflated;

    public long Inflated => _inflated;

    public long Remaining => options.MaxExpandedBytes - _inflated;

    /// <summary>
    /// Reads all of <paramref name="inflating"/>. <paramref name="declared"/> is what the container
    /// says the result is (null when it says nothing): the content must match it exactly.
    /// <paramref name="tooLong"/> makes the rejection for a part longer than <paramref name="max"/>.
    /// </summary>
    public byte[] ReadAll(Stream inflating, string what, long compressed, long? declared, long max, Func<long, UploadRejectedException> tooLong)
    {
        // The declared size is only a first look: inflation below stops at the limits whatever it says.
        CheckRatio(what, declared ?? 0, compressed);
        if (declared > max) throw tooLong(declared.Value);
        if (declared > Remaining) throw OverTotal(what, declared.Value);

        // One part is held in one array.
        long cap = Math.Min(Math.Min(max, Remaining), Array.MaxLength - 1);
        var buffer = new byte[(int)Math.Min(declared ?? 64 * 1024, cap) + 1];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > cap) break; // one byte past what may come out: that is enough to refuse
                    Array.Resize(ref buffer, (int)Math.Min(Math.Max(2L * buffer.Length, 64 * 1024), cap + 1));
                }
                int read = inflating.Read(buffer, length, buffer.Length - length);
                if (read == 0) break;
                length += read;
                CheckRatio(what, length, compressed);
                if (declared is { } d && length > d)
                    throw UploadRejectedException.Unprocessable($"'{what}' inflates to more bytes than the {d} its zip header declares; the archive is corrupt or forged.");
            }
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.Unprocessable($"'{what}' is corrupt: its compressed data cannot be inflated ({e.Message}).");
        }

        if (length > cap) throw length > Remaining ? OverTotal(what, length) : tooLong(length);
        if (declared is { } expected && length < expected)
            throw UploadRejectedException.Unprocessable($"'{what}' inflates to {length} bytes, fewer than the {expected} its zip header declares; the archive is corrupt or cut short.");
        _inflated += length;
        Array.Resize(ref buffer, length);
        return buffer;
    }

    private void CheckRatio(string what, long inflated, long compressed)
    {
        if (inflated > RatioFloor && inflated > options.MaxCompressionRatio * Math.Max(1, compressed))
        {
            throw UploadRejectedException.Unprocessable(
                $"'{what}' inflates to more than {options.MaxCompressionRatio:0.#} times its compressed size of {compressed} bytes. " +
                $"Parts that compress that well are refused as likely zip bombs (Datasets:Uploads:MaxCompressionRatio allows {options.MaxCompressionRatio:0.#} for parts over {RatioFloor} bytes).");
        }
    }

    private UploadRejectedException OverTotal(string what, long size) => UploadRejectedException.TooLarge(
        $"The upload expands to more than {options.MaxExpandedBytes} bytes (Datasets:Uploads:MaxExpandedBytes) once inflated: " +
        $"'{what}' alone is {size} bytes and {_inflated} came before it. Upload fewer or smaller images.");
}
