using Vae.Engine.Backends;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// Parameter initialisers, drawn on the host from a seeded generator so a model is the same on
/// every backend. Parameters are created outside any tensor scope: they live with their module.
/// </summary>
public static class Init
{
    public static Tensor Uniform(int[] shape, float bound, Generator generator, IBackend backend)
    {
        var values = new float[ShapeOf.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (2f * generator.NextFloat() - 1f) * bound;
        return Parameter(shape, values, backend);
    }

    public static Tensor Constant(int[] shape, float value, IBackend backend)
    {
        var values = new float[ShapeOf.Count(shape)];
        Array.Fill(values, value);
        return Parameter(shape, values, backend);
    }

    /// <summary>A leaf tensor that requires a gradient and belongs to no scope.</summary>
    public static Tensor Parameter(int[] shape, ReadOnlySpan<float> values, IBackend backend)
    {
        var t = Tensor.EmptyUntracked(shape, backend);
        t.CopyFrom(values);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>A leaf tensor for module state that is not trained (a buffer).</summary>
    public static Tensor Buffer(int[] shape, float value, IBackend backend)
    {
        var t = Tensor.EmptyUntracked(shape, backend);
        t.FillInPlace(value);
        return t;
    }
}
