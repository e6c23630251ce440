namespace Vae.Api.Infrastructure;

/// <summary>
/// Values by key, most recently used first, within a budget: each value weighs what
/// <c>weigh</c> says (1 for a count of entries, its bytes for a byte budget), and adding one drops
/// the least recently used until the rest fit. Not thread-safe: its owner holds a lock around it.
/// </summary>
public sealed class RecentlyUsed<TValue>(long budget, Func<TValue, long> weigh)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, TValue Value)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, TValue Value)> _order = new(); // most recently used first

    public int Count => _entries.Count;

    /// <summary>What the values held weigh together.</summary>
    public long Weight { get; private set; }

    /// <summary>The value under <paramref name="key"/>, now the most recently used.</summary>
    public bool TryGet(string key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> as the most recently used, dropping the least recently used ones until all fit the budget.</summary>
    public void Add(string key, TValue value)
    {
        Remove(key, out _);
        _entries[key] = _order.AddFirst((key, value));
        Weight += weigh(value);
        while (Weight > budget && _order.Last is { } oldest)
        {
            _order.RemoveLast();
            _entries.Remove(oldest.Value.Key);
            Weight -= weigh(oldest.Value.Value);
        }
    }

    public bool Remove(string key, out TValue value)
    {
        if (_entries.Remove(key, out var node))
        {
            _order.Remove(node);
            Weight -= weigh(node.Value.Value);
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }
}
