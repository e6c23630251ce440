using Vae.Api.Infrastructure;

namespace Vae.Api.Tests.Infrastructure;

public class RecentlyUsedTests
{
    [Fact]
    public void Adding_past_the_budget_drops_the_least_recently_used_and_a_lookup_counts_as_use()
    {
        var recent = new RecentlyUsed<string>(budget: 3, _ => 1);
        recent.Add("a", "A");
        recent.Add("b", "B");
        recent.Add("c", "C");
        Assert.True(recent.TryGet("a", out _)); // b is now the least recently used

        recent.Add("d", "D");

        Assert.False(recent.TryGet("b", out _));
        Assert.Equal(3, recent.Count);
        Assert.True(recent.TryGet("a", out string? a));
        Assert.Equal("A", a);
    }

    [Fact]
    public void Adding_a_key_again_replaces_its_value_and_its_weight()
    {
        var recent = new RecentlyUsed<byte[]>(budget: 100, bytes => bytes.Length);
        recent.Add("x", new byte[60]);
        recent.Add("x", new byte[30]);
        recent.Add("y", new byte[70]);

        Assert.Equal(100, recent.Weight);
        Assert.True(recent.TryGet("x", out var x));
        Assert.Equal(30, x.Length);
        Assert.True(recent.Remove("y", out _));
        Assert.Equal(30, recent.Weight);
    }
}
