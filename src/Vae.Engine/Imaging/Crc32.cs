using System.Buffers.Binary;

namespace Vae.Engine.Imaging;

/// <summary>
/// CRC-32 as used by PNG chunks (and zip, gzip): reflected polynomial 0xEDB88320, register
/// preset to all ones and inverted at the end. Eight tables let the loop consume eight bytes per step.
/// </summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;

    // Table k maps a byte to its contribution after it has been shifted through k further zero bytes.
    private static readonly uint[] Tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Advances a raw (not inverted) CRC register over <paramref name="data"/>.</summary>
    public static uint Append(uint register, ReadOnlySpan<byte> data)
    {
        uint[] t = Tables;
        uint crc = register;
        while (data.Length >= 8)
        {
            uint low = crc ^ BinaryPrimitives.ReadUInt32LittleEndian(data);
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)]
                ^ t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)]
                ^ t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)]
                ^ t[256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTables()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            }

            t[n] = c;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int n = 0; n < 256; n++)
            {
                uint previous = t[((k - 1) * 256) + n];
                t[(k * 256) + n] = (previous >> 8) ^ t[previous & 0xFF];
            }
        }

        return t;
    }
}
