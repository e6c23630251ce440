using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// A tree of named parameters. Parameters are created outside any <see cref="TensorScope"/> and
/// live as long as the module; <see cref="NamedParameters"/> gives them stable dotted names
/// ("encoder.0.weight") used by checkpoints.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Module Module)> _children = [];

    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        parameter.RequiresGrad = true;
        _parameters.Add((name, parameter));
        return parameter;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var (name, p) in _parameters) yield return (name, p);
        foreach (var (prefix, child) in _children)
            foreach (var (name, p) in child.NamedParameters())
                yield return ($"{prefix}.{name}", p);
    }

    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    public long ParameterCount() => NamedParameters().Sum(p => (long)p.Parameter.Count);

    public void ZeroGrad()
    {
        foreach (var (_, p) in NamedParameters()) p.ZeroGrad();
    }

    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    public void Eval() => Train(false);

    /// <summary>Copies values into the parameters by name; every parameter must be present with its shape.</summary>
    public void LoadParameters(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> values, string source)
    {
        foreach (var (name, p) in NamedParameters())
        {
            if (!values.TryGetValue(name, out var v))
                throw new InvalidDataException($"{source} has no tensor named '{name}', which this model needs.");
            if (!v.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape {ShapeOf.Format(v.Shape)}, the model expects {ShapeOf.Format(p.Shape)}.");
            p.CopyFrom(v.Data);
        }
    }
}

/// <summary>A module with one input and one output.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor input);
}
