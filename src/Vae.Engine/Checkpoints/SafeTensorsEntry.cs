namespace Vae.Engine.Checkpoints;

/// <summary>One F32 tensor of a safetensors file: its name, its shape (empty for a scalar) and its values, row-major.</summary>
public sealed record SafeTensorsEntry(string Name, int[] Shape, float[] Data)
{
    /// <summary>The number of values the shape describes: the product of its dimensions, 1 for a scalar.</summary>
    public long ElementCount => SafeTensors.ElementCount(Shape);
}
