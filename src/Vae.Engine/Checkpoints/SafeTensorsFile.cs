using System.Diagnostics.CodeAnalysis;

namespace Vae.Engine.Checkpoints;

/// <summary>The contents of a safetensors file: its tensors in file order and its string metadata.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensorsEntry> _byName;

    public SafeTensorsFile(string source, IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tensors);
        Source = source;
        Tensors = tensors;
        Metadata = metadata ?? new Dictionary<string, string>();
        _byName = new Dictionary<string, SafeTensorsEntry>(tensors.Count, StringComparer.Ordinal);
        foreach (SafeTensorsEntry entry in tensors)
        {
            if (!_byName.TryAdd(entry.Name, entry))
            {
                throw new ArgumentException($"Tensor name '{entry.Name}' appears more than once.", nameof(tensors));
            }
        }
    }

    /// <summary>Where the contents came from (a path, usually); used in error messages.</summary>
    public string Source { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyList<SafeTensorsEntry> Tensors { get; }

    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    public SafeTensorsEntry this[string name]
    {
        get
        {
            if (TryGet(name, out SafeTensorsEntry? entry))
            {
                return entry;
            }

            const int shown = 20;
            string names = string.Join(", ", Names.Take(shown)) + (Tensors.Count > shown ? $", ... ({Tensors.Count} in all)" : "");
            throw new KeyNotFoundException($"Safetensors file '{Source}' has no tensor named '{name}'. It has: {(names.Length > 0 ? names : "no tensors")}.");
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGet(string name, [NotNullWhen(true)] out SafeTensorsEntry? entry) => _byName.TryGetValue(name, out entry);
}
