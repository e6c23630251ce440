namespace Vae.Engine.Imaging;

/// <summary>
/// The file as a read-only stream that stops with <see cref="OperationCanceledException"/> once its
/// token is cancelled. Only the JPEG decoder watches a cancellation token; every decoder reads its
/// input as it goes, so this is where a decode past its time limit is stopped whatever the format.
/// </summary>
internal sealed class DeadlineStream(ArraySegment<byte> file, CancellationToken token)
    : MemoryStream(file.Array!, file.Offset, file.Count, writable: false)
{
    public override int Read(byte[] buffer, int offset, int count)
    {
        token.ThrowIfCancellationRequested();
        return base.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        token.ThrowIfCancellationRequested();
        return base.Read(buffer);
    }

    public override int ReadByte()
    {
        token.ThrowIfCancellationRequested();
        return base.ReadByte();
    }
}
