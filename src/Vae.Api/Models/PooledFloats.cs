using System.Buffers;

namespace Vae.Api.Models;

/// <summary>A float buffer rented from the shared pool for one request and returned when disposed; it may be longer than asked.</summary>
internal readonly struct PooledFloats(int length) : IDisposable
{
    public float[] Array { get; } = ArrayPool<float>.Shared.Rent(length);

    public void Dispose() => ArrayPool<float>.Shared.Return(Array);
}
