using Microsoft.Playwright;

namespace Vae.Web.Tests;

/// <summary>
/// The browser the tests drive: the system's Chromium (Debian's package), never a downloaded one.
/// VAE_CHROMIUM names another executable.
/// </summary>
public static class Chromium
{
    public const string DefaultPath = "/usr/bin/chromium";

    public static string Path => Environment.GetEnvironmentVariable("VAE_CHROMIUM") is { Length: > 0 } custom ? custom : DefaultPath;

    public static string MissingMessage =>
        $"The browser tests need Chromium at {Path}, and it is not there. Install it with `apt-get install chromium` " +
        "(./test.sh does so when run as root), or set VAE_CHROMIUM to a Chromium executable.";

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(Path)) throw new InvalidOperationException(MissingMessage);
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            Timeout = 60_000,
        });
    }
}
