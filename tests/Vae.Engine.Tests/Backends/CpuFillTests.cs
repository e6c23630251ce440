using Vae.Engine.Backends;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Backends;

/// <summary>Fill writes its value's exact bits over whatever a pooled buffer held, small or split over threads.</summary>
public class CpuFillTests
{
    private const int NegativeZero = unchecked((int)0x80000000);

    [Theory]
    [InlineData(1000, 0)]
    [InlineData(1000, NegativeZero)]
    [InlineData(1000, 0x40200000)]      // 2.5
    [InlineData(700_001, 0)]            // over four chunks: split over the threads
    [InlineData(700_001, NegativeZero)]
    [InlineData(700_001, unchecked((int)0xBF800000))] // -1
    public void Fill_writes_the_values_bits_everywhere(int count, int bits)
    {
        float value = BitConverter.Int32BitsToSingle(bits);
        var backend = CpuBackend.Instance;
        using var t = Tensor.Empty([count], backend);
        backend.Upload(Enumerable.Repeat(float.NaN, count).ToArray(), t.Buffer);

        backend.Fill(t.Buffer, count, value);

        Assert.All(t.ToArray(), v => Assert.Equal(bits, BitConverter.SingleToInt32Bits(v)));
    }
}
