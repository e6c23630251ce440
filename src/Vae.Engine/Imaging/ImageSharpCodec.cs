using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Vae.Engine.Imaging;

/// <summary>
/// <see cref="IImageCodec"/> over SixLabors.ImageSharp 2.1, in a <see cref="Configuration"/> of its
/// own: only the PNG, JPEG, WebP and BMP modules are registered (the library's GIF, TIFF, TGA and PBM
/// decoders are never reached), its allocator refuses any buffer over the limits' size, and it runs
/// on the caller's thread (the caller owns the thread budget).
/// </summary>
public sealed class ImageSharpCodec : IImageCodec
{
    // Memory the allocator keeps between images for reuse; small, so a burst of photos does not stay resident.
    private const int PoolMegabytes = 32;

    // Images of more than a megapixel, and every WebP, are decoded on threads of their own when there
    // is a time limit (see Aside); smaller ones take milliseconds, on the caller's thread.
    private const long AsideAbovePixels = 1L << 20;

    // At most this many decodes aside at once, so those that outlast their limit and are left to
    // finish take at most half the cores.
    private static readonly int AsideSlots = Math.Max(1, Environment.ProcessorCount / 2);

    // ImageSharp's deflater is managed and about three times slower than zlib: at its fastest level
    // a 64-digit grid (57 KiB of pixels) takes 0.86 ms to compress to 31 KiB, three times what the
    // whole request costs elsewhere, while storing it takes 0.13 ms. So images up to this many bytes
    // of pixels, every grid a request can ask for at the default sizes, are written with stored
    // (uncompressed) deflate blocks: a little more on the wire, a third of the processor time.
    // Larger ones are compressed at the fastest level (bench/README.md has the figures).
    internal const int StoredUpToBytes = 256 * 1024;

    private static readonly PngEncoder GrayPngStored = Png(PngColorType.Grayscale, PngCompressionLevel.Level0, PngFilterMethod.None);

    // Grids are mostly flat fields: the fastest level with no filter compresses them as well as a
    // stronger level with adaptive filters, in a third of the time.
    private static readonly PngEncoder GrayPng = Png(PngColorType.Grayscale, PngCompressionLevel.BestSpeed, PngFilterMethod.None);

    private static readonly PngEncoder RgbPngStored = Png(PngColorType.Rgb, PngCompressionLevel.Level0, PngFilterMethod.None);

    // Colour tiles are photographs: the Sub filter pays for itself there, still at the fastest level.
    private static readonly PngEncoder RgbPng = Png(PngColorType.Rgb, PngCompressionLevel.BestSpeed, PngFilterMethod.Sub);

    // Lossless, so tiles cut out of a WebP grid hold the same pixels as the PNG's.
    private static readonly WebpEncoder LosslessWebp = new()
    {
        FileFormat = WebpFileFormatType.Lossless,
        Method = WebpEncodingMethod.Fastest,
    };

    private readonly Configuration _configuration;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _aside = new(AsideSlots, AsideSlots);

    /// <param name="limits">What it agrees to decode.</param>
    /// <param name="time">The clock decode time limits are measured on; the system's by default.</param>
    public ImageSharpCodec(ImageLimits limits, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.Problem() is { } problem) throw new ArgumentException($"These image limits cannot work: {problem}.", nameof(limits));
        Limits = limits;
        _time = time ?? TimeProvider.System;
        _configuration = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule(), new BmpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = limits.MaxDecoderMegabytes,
                MaximumPoolSizeMegabytes = Math.Min(PoolMegabytes, limits.MaxDecoderMegabytes),
            }),
            MaxDegreeOfParallelism = 1,
        };
    }

    public ImageLimits Limits { get; }

    public ImageHeader Identify(ReadOnlyMemory<byte> file) => Inspect(file).Header;

    public RgbaImage Decode(ReadOnlyMemory<byte> file, ImageFit? fit = null, CancellationToken ct = default)
    {
        var (header, format) = Inspect(file);
        bool limited = Limits.DecodeTimeLimit != Timeout.InfiniteTimeSpan;
        using var deadline = limited ? new CancellationTokenSource(Limits.DecodeTimeLimit, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, ct);
        CancellationToken token = linked.Token;
        long started = _time.GetTimestamp();

        RgbaImage Work()
        {
            IImageDecoder decoder = _configuration.ImageFormatsManager.FindDecoder(format);
            using var stream = Open(file, token);
            using Image<Rgba32> image = decoder.Decode<Rgba32>(_configuration, stream, token);
            token.ThrowIfCancellationRequested();

            // An EXIF block that does not read is ignored, as browsers do, rather than failing the picture.
            if (Orientation(image.Metadata) is null) image.Metadata.ExifProfile = null;
            image.Mutate(c =>
            {
                c.AutoOrient();
                if (Resize(header, fit) is { } resize) c.Resize(resize);
            });
            token.ThrowIfCancellationRequested();
            var rgba = new RgbaImage(image.Width, image.Height);
            image.CopyPixelDataTo(rgba.Pixels);
            return rgba;
        }

        try
        {
            bool aside = limited && (header.Pixels > AsideAbovePixels || header.Format == ImageFormat.Webp);
            return aside ? Aside(Work, deadline, token, started) : Work();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new ImageOverLimitException(
                $"The {ImageFormats.Name(header.Format)} image ({header.Width}x{header.Height}) took longer than {Limits.DescribeTime()} to decode, " +
                "the limit for one image; send a smaller or simpler image.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Refusal(e, header.Format);
        }
    }

    public byte[] Encode(GrayImage image, ImageFormat format = ImageFormat.Png)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, format);
    }

    public byte[] Encode(ReadOnlySpan<float> gray, int width, int height, ImageFormat format = ImageFormat.Png)
    {
        int area = GrayImage.CheckedArea(width, height);
        if (gray.Length != area) throw new ArgumentException($"A {width}x{height} image needs {area} values, but {gray.Length} were given.", nameof(gray));
        bool stored = format == ImageFormat.Png && area <= StoredUpToBytes;
        IImageEncoder encoder = Encoder(format, stored ? GrayPngStored : GrayPng);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(area);
        try
        {
            ToBytes(gray, bytes.AsSpan(0, area));
            using var wrapped = Image.WrapMemory<L8>(_configuration, bytes.AsMemory(0, area), width, height);
            return Save(wrapped, encoder, area, stored);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    public byte[] Encode(RgbImage image, ImageFormat format = ImageFormat.Png)
    {
        ArgumentNullException.ThrowIfNull(image);
        int area = image.Width * image.Height;
        int length = checked(RgbImage.Channels * area);
        bool stored = format == ImageFormat.Png && length <= StoredUpToBytes;
        IImageEncoder encoder = Encoder(format, stored ? RgbPngStored : RgbPng);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(length);
        byte[] plane = ArrayPool<byte>.Shared.Rent(area);
        try
        {
            // The image is planar (all red, then green, then blue); the pixels interleave R, G, B.
            Span<byte> rgb = bytes.AsSpan(0, length);
            for (int c = 0; c < RgbImage.Channels; c++)
            {
                ToBytes(image.Plane(c).Pixels, plane.AsSpan(0, area));
                for (int i = 0; i < area; i++) rgb[(RgbImage.Channels * i) + c] = plane[i];
            }

            using var wrapped = Image.WrapMemory<Rgb24>(_configuration, bytes.AsMemory(0, length), image.Width, image.Height);
            return Save(wrapped, encoder, length, stored);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<byte>.Shared.Return(plane);
        }
    }

    /// <summary>Values 0..1 as bytes, round(clamp(v, 0, 1) * 255); NaN becomes 0.</summary>
    internal static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        if (bytes.Length < values.Length) throw new ArgumentException("The byte span is shorter than the values.", nameof(bytes));
        int i = 0;

        // A grid of 64 digits is 50,000 values: one at a time, with two branches each, this pass
        // cost as much as the PNG around it. Four vectors at a time, the same arithmetic in the same
        // order, so the bytes are those of the scalar loop below.
        int width = Vector<float>.Count;
        for (; i + 4 * width <= values.Length; i += 4 * width)
        {
            var low = Vector.Narrow(Quantise(values.Slice(i)), Quantise(values.Slice(i + width)));
            var high = Vector.Narrow(Quantise(values.Slice(i + 2 * width)), Quantise(values.Slice(i + 3 * width)));
            Vector.Narrow(low, high).CopyTo(bytes.Slice(i));
        }

        for (; i < values.Length; i++)
        {
            float v = values[i];

            // Written so that NaN fails the first test and lands on 0.
            bytes[i] = v > 0f ? (v < 1f ? (byte)((v * 255f) + 0.5f) : (byte)255) : (byte)0;
        }
    }

    // (uint)(clamp(v, 0, 1) * 255 + 0.5) for one vector from the front of the span: the select
    // zeroes NaN and negatives as the scalar tests do.
    private static Vector<uint> Quantise(ReadOnlySpan<float> values)
    {
        var v = new Vector<float>(values);
        var clamped = Vector.Min(Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero), Vector<float>.One);
        return Vector.ConvertToUInt32(clamped * new Vector<float>(255f) + new Vector<float>(0.5f));
    }

    /// <summary>
    /// Runs the decode of a large image on a thread of its own and waits for it until
    /// <paramref name="token"/> (the time limit, or the caller) is cancelled. Not every step can be
    /// stopped where it is: the WebP decoder reads its whole input first and never looks at a token
    /// (a small file whose header claims many megapixels keeps it busy for seconds), and resampling
    /// runs to its end. The caller is answered at the limit either way, and a decode past it is left
    /// to finish on its own, its pixels thrown away. At most <see cref="AsideSlots"/> run at once, so
    /// while that many are still finishing another waits for a slot within its own limit.
    /// </summary>
    private RgbaImage Aside(Func<RgbaImage> work, CancellationTokenSource deadline, CancellationToken token, long started)
    {
        // The waits time out by themselves as well as on the token: the timer behind the token needs a
        // pool thread, which a busy process may not give it at once.
        if (!_aside.Wait(Remaining(started), token)) Expire(deadline, token);
        Task<RgbaImage> task;
        try
        {
            // A thread of its own, not the pool's: one left running must not starve the timers that end other decodes.
            task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch
        {
            _aside.Release();
            throw;
        }

        task.ContinueWith(t => { _aside.Release(); _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            if (!task.Wait(Remaining(started), token)) Expire(deadline, token);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
        }

        return task.Result;
    }

    /// <summary>Milliseconds left of the time limit of a decode that began at <paramref name="started"/>.</summary>
    private int Remaining(long started)
        => (int)Math.Clamp((Limits.DecodeTimeLimit - _time.GetElapsedTime(started)).TotalMilliseconds, 0, int.MaxValue);

    /// <summary>The time limit has passed: the decode's token says so (a decode left running sees it at its next check), and the caller hears it.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Expire(CancellationTokenSource deadline, CancellationToken token)
    {
        deadline.Cancel();
        throw new OperationCanceledException(token);
    }

    /// <summary>Format, structure, header and limits: everything that is checked before a pixel is decoded.</summary>
    private (ImageHeader Header, IImageFormat Format) Inspect(ReadOnlyMemory<byte> file)
    {
        try
        {
            return InspectUnguarded(file);
        }
        catch (Exception e) when (e is not ImageException and not OperationCanceledException)
        {
            // The checks read whatever the file says; whatever goes wrong in them is the file's fault.
            throw new InvalidImageException($"The file is corrupt: its headers do not read ({e.GetType().Name}: {Tidy(e.Message)}).", e);
        }
    }

    private (ImageHeader Header, IImageFormat Format) InspectUnguarded(ReadOnlyMemory<byte> file)
    {
        ReadOnlySpan<byte> bytes = file.Span;
        if (bytes.IsEmpty) throw new InvalidImageException($"The file is empty; send the bytes of a {ImageFormats.Names} image.");
        IImageFormat? format = Image.DetectFormat(_configuration, bytes);
        if (format is null)
        {
            if (OtherFormats.Recognise(bytes) is { } other)
            {
                throw new UnsupportedImageException($"This is a {other} image; images are read as {ImageFormats.Names} only. " +
                    "Convert it to one of those first (PNG keeps every pixel; JPEG suits photos).");
            }

            throw new InvalidImageException($"The file is not a {ImageFormats.Names} image. {OtherFormats.DescribeUnknown(bytes)}");
        }

        ImageFormat ours = Ours(format);
        ImageStructure.Check(ours, bytes);
        IImageInfo? info;
        try
        {
            using var stream = Open(file, CancellationToken.None);
            info = Image.Identify(_configuration, stream);
        }
        catch (Exception e)
        {
            throw Refusal(e, ours);
        }

        if (info is null || info.Width < 1 || info.Height < 1)
        {
            throw new InvalidImageException($"The {ImageFormats.Name(ours)} is corrupt: its header gives no usable size ({info?.Width ?? 0}x{info?.Height ?? 0}).");
        }

        // Orientations 5 to 8 store the picture turned a quarter: its upright width is the stored height.
        bool turned = Orientation(info.Metadata) is >= 5 and <= 8;
        var header = new ImageHeader(ours, turned ? info.Height : info.Width, turned ? info.Width : info.Height);
        Limits.Check(header);
        if (ours == ImageFormat.Png) ImageStructure.CheckPngData(bytes);
        if (ours == ImageFormat.Webp && header.Pixels > (long)bytes.Length * ImageStructure.MaxLossyWebpPixelsPerByte && ImageStructure.IsLossyWebp(bytes))
        {
            throw new InvalidImageException(
                $"The WebP is corrupt: its header claims {header.Width}x{header.Height} pixels but the file is only {bytes.Length} bytes, more than " +
                $"{ImageStructure.MaxLossyWebpPixelsPerByte} pixels a byte, which no encoder writes for a lossy WebP. The file is damaged.");
        }

        return (header, format);
    }

    /// <summary>The EXIF orientation (1 upright .. 8), 1 when there is none, null when the EXIF block does not read.</summary>
    private static ushort? Orientation(SixLabors.ImageSharp.Metadata.ImageMetadata metadata)
    {
        try
        {
            return metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value ?? 1;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException)
        {
            return null;
        }
    }

    private static ResizeOptions? Resize(ImageHeader upright, ImageFit? fit)
    {
        if (fit is not { } f) return null;
        if (f.Mode == FitMode.Cover && (upright.Width, upright.Height) == (f.Width, f.Height)) return null;
        if (f.Mode == FitMode.Within && upright.Width <= f.Width && upright.Height <= f.Height) return null;
        return new ResizeOptions
        {
            Size = new Size(f.Width, f.Height),
            Mode = f.Mode == FitMode.Cover ? ResizeMode.Crop : ResizeMode.Max,
            Position = AnchorPositionMode.Center,
            Sampler = KnownResamplers.Bicubic,
        };
    }

    /// <summary>What an exception from the library means for the person who sent the file.</summary>
    private ImageException Refusal(Exception e, ImageFormat format)
    {
        string name = ImageFormats.Name(format);
        return e switch
        {
            ImageException ours => ours,
            InvalidMemoryOperationException or OutOfMemoryException or ImageFormatException { InnerException: InvalidMemoryOperationException } =>
                new ImageOverLimitException(
                    $"The {name} image needs more memory to decode than the {Limits.MaxDecoderMegabytes} MiB one buffer may take; " +
                    "its header may claim more than its data holds. Send a smaller image.", e),
            NotSupportedException => new UnsupportedImageException(
                $"The {name} image uses a feature that is not read ({Tidy(e.Message)}). Re-save it as a plain {name}, or as a PNG.", e),
            ImageFormatException => new InvalidImageException($"The {name} is corrupt: {Tidy(e.Message)}.", e),
            _ => new InvalidImageException($"The {name} is corrupt: its data does not decode ({Tidy(e.Message)}).", e),
        };
    }

    private static string Tidy(string message)
    {
        string text = message.Trim().TrimEnd('.', '!', ' ');
        return text.Contains("CRC", StringComparison.Ordinal)
            ? $"{text}; a checksum does not match, so the file was damaged in storage or transfer"
            : text;
    }

    private static ImageFormat Ours(IImageFormat format) => format switch
    {
        PngFormat => ImageFormat.Png,
        JpegFormat => ImageFormat.Jpeg,
        WebpFormat => ImageFormat.Webp,
        BmpFormat => ImageFormat.Bmp,
        _ => throw new InvalidOperationException($"The format {format.Name} is registered but not one the service reads."),
    };

    private static PngEncoder Png(PngColorType color, PngCompressionLevel level, PngFilterMethod filter) => new()
    {
        ColorType = color,
        BitDepth = PngBitDepth.Bit8,
        CompressionLevel = level,
        FilterMethod = filter,
        ChunkFilter = PngChunkFilter.ExcludeAll,
    };

    private static IImageEncoder Encoder(ImageFormat format, PngEncoder png) => format switch
    {
        ImageFormat.Png => png,
        ImageFormat.Webp => LosslessWebp,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Images are written as PNG or WebP."),
    };

    private static byte[] Save(Image image, IImageEncoder encoder, int rawBytes, bool stored)
    {
        // A stored PNG is its pixels plus a filter byte a row and a few dozen bytes of framing: sized
        // for that, the stream is never copied into a larger one while the encoder writes.
        using var output = new MemoryStream(stored ? rawBytes + image.Height + 1024 : Math.Max(256, rawBytes / 4));
        image.Save(output, encoder);
        return output.ToArray();
    }

    private static DeadlineStream Open(ReadOnlyMemory<byte> file, CancellationToken token)
    {
        if (!MemoryMarshal.TryGetArray(file, out ArraySegment<byte> segment)) segment = file.ToArray();
        return new DeadlineStream(segment, token);
    }
}
