using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Vae.Api.Storage;

namespace Vae.Api.Infrastructure;

/// <summary>
/// How lists are paged: <c>limit</c> records a page (<see cref="DefaultLimit"/> by default, at most
/// <see cref="MaxLimit"/>), and <c>cursor</c>, the <c>nextCursor</c> of the page before. A cursor is
/// opaque to clients: base64url of the last record's creation time and insertion order, so the next
/// page starts right after it however many records were added since.
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public const string LimitDescription = "Records per page, 1 to 500; 50 by default.";
    public const string CursorDescription = "Where to continue: the nextCursor of the previous page, as it was given. Left out: the newest records.";

    public static string Encode(PagePosition position)
        => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{position.CreatedAt.UtcTicks}.{position.Sequence}")));

    /// <summary>The position a cursor holds; null when it is not one this service gave out.</summary>
    public static PagePosition? Decode(string cursor)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return null;
        }
        string[] parts = Encoding.ASCII.GetString(bytes).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
            return null;
        return new PagePosition(new DateTimeOffset(ticks, TimeSpan.Zero), sequence);
    }

    /// <summary>The page a list's <c>limit</c> and <c>cursor</c> ask for, or the parameter at fault and why.</summary>
    public static (PageRequest? Page, QueryProblem? Problem) Read(int? limit, string? cursor)
    {
        int take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit) return (null, new("limit", $"limit must be between 1 and {MaxLimit} (got {take})."));
        if (cursor is null) return (new PageRequest(take), null);
        if (Decode(cursor) is not { } after)
            return (null, new("cursor", $"cursor \"{cursor}\" is not one this service gave out; pass the nextCursor of the previous page as it was, or leave cursor out to start from the newest."));
        return (new PageRequest(take, after), null);
    }

    /// <summary>The cursor of the page after <paramref name="page"/>; null on the last page.</summary>
    public static string? NextCursor<T>(RecordPage<T> page) => page.Next is { } next ? Encode(next) : null;
}
