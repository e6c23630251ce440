using Xunit.Abstractions;

namespace Vae.Api.Tests.Security;

/// <summary>A mistake in the access settings stops the start with a message naming the setting.</summary>
public sealed class SecurityOptionsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Security:Keys:0:Hash", "0123abcd", "Security:Keys:0 ('ci'): Hash must be the SHA-256 of the key as 64 hexadecimal digits")]
    [InlineData("Security:Keys:0:Hash", "the key itself, pasted by mistake, which is no hash at all!!", "not all hexadecimal")]
    [InlineData("Security:Keys:0:Scopes:0", "writer", "Security:Keys:0 ('ci'): unknown scope 'writer'; scopes are read, write, admin")]
    [InlineData("Security:Keys:0:Name", "", "Security:Keys:0: Name is required")]
    [InlineData("Security:KnownProxies:0", "proxy.local", "Security:KnownProxies: 'proxy.local' is not an IP address")]
    [InlineData("Security:KnownNetworks:0", "10.0.0.0", "Security:KnownNetworks: '10.0.0.0' is not a network in CIDR notation")]
    [InlineData("Cors:AllowedOrigins:0", "https://app.example.com/", "Cors:AllowedOrigins: each entry must be an origin")]
    public void A_bad_access_setting_fails_the_start_naming_it(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Security:Keys:0:Name"] = "ci",
            ["Security:Keys:0:Hash"] = TestKeys.Hash("ci-key"),
            ["Security:Keys:0:Scopes:0"] = "write",
            [key] = value,
        };
        using var factory = new ServiceFactory(output, settings: settings);

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        string text = failure.ToString();
        Assert.Contains(message, text);
        Assert.DoesNotContain("ci-key", text);
    }

    [Fact]
    public void Two_keys_of_one_name_fail_the_start()
    {
        var settings = TestKeys.Settings(("Security:Keys:1:Name", "reader"));
        using var factory = new ServiceFactory(output, settings: settings);

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("the name 'reader' is used twice", failure.ToString());
    }
}
