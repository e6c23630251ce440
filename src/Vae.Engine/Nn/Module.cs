using Vae.Engine.Backends;
using Vae.Engine.Export;
using Vae.Engine.Tensors;

namespace Vae.Engine.Nn;

/// <summary>
/// A tree of named parameters (trained) and buffers (state that is not trained, such as batch
/// norm's running statistics). Both are created outside any <see cref="TensorScope"/>, live as
/// long as the module, and have stable dotted names ("encoder.0.weight") used by checkpoints.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Tensor Tensor)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    /// <summary>Training mode (the default) or evaluation mode; batch norm and dropout behave differently.</summary>
    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        parameter.RequiresGrad = true;
        _parameters.Add((name, parameter));
        return parameter;
    }

    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        buffer.RequiresGrad = false;
        _buffers.Add((name, buffer));
        return buffer;
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

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (name, b) in _buffers) yield return (name, b);
        foreach (var (prefix, child) in _children)
            foreach (var (name, b) in child.NamedBuffers())
                yield return ($"{prefix}.{name}", b);
    }

    /// <summary>Parameters then buffers: everything a checkpoint holds (PyTorch's state_dict).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedState() => NamedParameters().Concat(NamedBuffers());

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    public long ParameterCount() => NamedParameters().Sum(p => (long)p.Parameter.Count);

    /// <summary>The backend the parameters live on; a module with no state has none, and its caller must say where to work.</summary>
    public IBackend Backend => NamedState().Select(s => s.Tensor.Backend).FirstOrDefault()
        ?? throw new InvalidOperationException($"{GetType().Name} has no parameters or buffers, so it lives on no backend.");

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

    /// <summary>True once <see cref="Freeze"/> has been called.</summary>
    public bool Frozen { get; private set; }

    /// <summary>
    /// Declares that the parameters will not change again, as for a model loaded to be served, so
    /// layers may keep copies of them laid out for forward passes alone (see
    /// <see cref="Linear"/>). Gradients still flow, through the parameters themselves;
    /// <see cref="LoadState"/> and <see cref="To"/> refresh the copies.
    /// </summary>
    public void Freeze()
    {
        Frozen = true;
        OnFreeze();
        foreach (var (_, child) in _children) child.Freeze();
    }

    /// <summary>Makes this module's forward-only copies of its parameters, or refreshes them; see <see cref="Freeze"/>.</summary>
    protected virtual void OnFreeze()
    {
    }

    /// <summary>
    /// Moves every parameter and buffer to <paramref name="backend"/> in place and returns this
    /// module. Create optimizers after moving, since their state lives beside the parameters.
    /// </summary>
    public Module To(IBackend backend)
    {
        foreach (var (_, t) in NamedState()) t.MoveTo(backend);
        if (Frozen) Freeze();
        return this;
    }

    /// <summary>Copies values into the parameters and buffers by name; every one must be present with its shape.</summary>
    public void LoadState(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> values, string source)
    {
        foreach (var (name, p) in NamedState())
        {
            if (!values.TryGetValue(name, out var v))
                throw new InvalidDataException($"{source} has no tensor named '{name}', which this model needs.");
            if (!v.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape {ShapeOf.Format(v.Shape)}, the model expects {ShapeOf.Format(p.Shape)}.");
            p.CopyFrom(v.Data);
        }
        if (Frozen) Freeze();
    }
}

/// <summary>A module with one input and one output.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor input);

    /// <summary>
    /// Adds what <see cref="Forward"/> computes in eval mode to an export graph, for the value named
    /// <paramref name="input"/>; returns the name of the output value.
    /// </summary>
    public virtual string Export(GraphBuilder graph, string input)
        => throw new NotSupportedException($"A {GetType().Name} layer cannot be exported as a graph.");
}
