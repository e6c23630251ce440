namespace Vae.Engine.Tensors;

/// <summary>
/// Disposes every tensor created on this thread while it is open, returning their memory to the
/// backend's pool. A training step runs inside one, so steady-state training reuses buffers
/// instead of allocating. Tensors that must outlive the scope are passed to <see cref="Keep"/>.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly List<Tensor> _tensors = new(64);
    private TensorScope? _parent;
    private bool _open;

    private TensorScope() { }

    public static TensorScope Begin()
    {
        var scope = new TensorScope { _parent = _current, _open = true };
        _current = scope;
        return scope;
    }

    internal static void Track(Tensor tensor) => _current?._tensors.Add(tensor);

    /// <summary>Moves a tensor out of this scope, to the enclosing one if any.</summary>
    public Tensor Keep(Tensor tensor)
    {
        int i = _tensors.LastIndexOf(tensor);
        if (i >= 0) _tensors.RemoveAt(i);
        _parent?._tensors.Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        if (!_open) return;
        _open = false;
        if (_current == this) _current = _parent;
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }
}
