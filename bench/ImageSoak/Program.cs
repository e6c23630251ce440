// A long soak of the image codec: damaged PNG, JPEG, WebP and BMP files (the fuzz tests' seeds and
// mutations, from a fixed seed) decoded one after another with the service's default limits, as the
// endpoints decode them. Prints how many were tried, read, and refused by the status the service
// answers each refusal with, the slowest decode and the process's peak memory; exits 1 if anything
// other than a refusal escaped the codec (which the service would answer with a 500).
// usage: ImageSoak [FILES] [SEED]   (defaults: 50000 files, seed 20250601)
using System.Diagnostics;
using Vae.Engine.Imaging;
using Vae.Engine.Tests.Imaging;

int files = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 50_000;
int seed = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_250_601;

var codec = new ImageSharpCodec(ImageLimits.Default);
var seeds = ImageMutator.Seeds();
var mutator = new ImageMutator(seed);
var statuses = new SortedDictionary<string, int>();
var escaped = new List<string>();
TimeSpan slowest = TimeSpan.Zero;
string slowestFile = "";
long bytes = 0;
var wall = Stopwatch.StartNew();

for (int i = 0; i < files; i++)
{
    var (name, file) = seeds[i % seeds.Count];
    var (damaged, damage) = mutator.Mutate(file);
    bytes += damaged.Length;
    string outcome;
    var clock = Stopwatch.StartNew();
    try
    {
        // Every third file is fitted to a model's input, as encode does; the rest decoded whole.
        codec.Decode(damaged, i % 3 == 0 ? ImageFit.Cover(28, 28) : null);
        outcome = "200 read";
    }
    catch (UnsupportedImageException)
    {
        outcome = "415 unsupported";
    }
    catch (ImageOverLimitException e)
    {
        outcome = e.Message.Contains("took longer", StringComparison.Ordinal) ? "422 over the time limit" : "422 over a size or memory limit";
    }
    catch (InvalidImageException)
    {
        outcome = "400 malformed";
    }
    catch (Exception e)
    {
        outcome = "500 escaped";
        if (escaped.Count < 20) escaped.Add($"file {i} ({name}: {damage}): {e.GetType().Name}: {e.Message}");
    }

    clock.Stop();
    statuses[outcome] = statuses.GetValueOrDefault(outcome) + 1;
    if (clock.Elapsed > slowest) (slowest, slowestFile) = (clock.Elapsed, $"file {i}, {name}: {damage}");
    if ((i + 1) % 10_000 == 0) Console.Error.WriteLine($"# {i + 1} files, {wall.Elapsed.TotalSeconds:F0} s");
}

wall.Stop();
using var process = Process.GetCurrentProcess();
Console.WriteLine($"files tried      {files} ({bytes / 1024.0 / 1024.0:F1} MiB, from {seeds.Count} seed files, mutation seed {seed})");
foreach (var (outcome, count) in statuses) Console.WriteLine($"  {outcome,-30} {count,7}");
Console.WriteLine($"slowest decode   {slowest.TotalMilliseconds:F1} ms ({slowestFile})");
Console.WriteLine($"peak memory      {process.PeakWorkingSet64 / 1024.0 / 1024.0:F0} MiB working set; managed heap at the end {GC.GetTotalMemory(false) / 1024.0 / 1024.0:F0} MiB");
Console.WriteLine($"wall time        {wall.Elapsed.TotalSeconds:F1} s ({files / wall.Elapsed.TotalSeconds:F0} files/s)");
foreach (string line in escaped) Console.WriteLine($"ESCAPED {line}");
return escaped.Count == 0 && !statuses.ContainsKey("500 escaped") ? 0 : 1;
