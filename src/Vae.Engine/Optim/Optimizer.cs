using Vae.Engine.Tensors;

namespace Vae.Engine.Optim;

/// <summary>Updates parameters from their gradients. State (moments, step count) can be saved and restored to resume training.</summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<Tensor> parameters)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0) throw new ArgumentException("An optimizer needs at least one parameter.");
        foreach (var p in Parameters)
            if (!p.RequiresGrad) throw new ArgumentException($"Parameter {p} does not require a gradient.");
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Number of updates done so far.</summary>
    public long StepCount { get; protected set; }

    public abstract void Step();

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Named state tensors (index of the parameter in the name) for checkpoints.</summary>
    public abstract IEnumerable<(string Name, Tensor Tensor)> StateTensors();

    /// <summary>Restores state saved by <see cref="StateTensors"/>, after which training continues as if never stopped.</summary>
    public void LoadState(long stepCount, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state, string source)
    {
        foreach (var (name, t) in StateTensors())
        {
            if (!state.TryGetValue(name, out var v)) throw new InvalidDataException($"{source} lacks optimizer state '{name}'.");
            if (v.Data.Length != t.Count) throw new InvalidDataException($"{source}: optimizer state '{name}' has {v.Data.Length} values, expected {t.Count}.");
            t.CopyFrom(v.Data);
        }
        StepCount = stepCount;
    }

    protected static Tensor StateLike(Tensor p)
    {
        var t = Tensor.EmptyUntracked(p.Shape, p.Backend);
        t.FillInPlace(0f);
        return t;
    }
}
