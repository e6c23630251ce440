using System.Diagnostics;
using Vae.Engine.Imaging;
using Xunit.Abstractions;

namespace Vae.Engine.Tests.Imaging;

/// <summary>
/// Damaged files of every accepted format through the codec from a fixed seed: each is read or
/// refused with an <see cref="ImageException"/>, nothing else escapes, and no decode takes a second:
/// the codec's time limit is set to half a second, and each decode's own stopwatch is checked against
/// one second (a limit check, not a wait; the margin is for a loaded machine to wake the caller).
/// </summary>
public sealed class ImageFuzzTests(ITestOutputHelper output)
{
    public const int Files = 2000;
    public const int Seed = 20_250_601;

    [Fact]
    public void Two_thousand_damaged_files_are_each_read_or_refused_with_a_reason_within_the_time_limit()
    {
        var limit = TimeSpan.FromMilliseconds(500);
        var slowestAllowed = TimeSpan.FromSeconds(1);
        var codec = new ImageSharpCodec(ImageLimits.Default with { DecodeTimeLimit = limit });
        var seeds = ImageMutator.Seeds();
        var mutator = new ImageMutator(Seed);
        var outcomes = new Dictionary<string, int>();
        TimeSpan slowest = TimeSpan.Zero;
        string slowestFile = "";

        for (int i = 0; i < Files; i++)
        {
            var (name, file) = seeds[i % seeds.Count];
            var (damaged, damage) = mutator.Mutate(file);
            var clock = Stopwatch.StartNew();
            string outcome;
            try
            {
                codec.Decode(damaged, i % 3 == 0 ? ImageFit.Cover(28, 28) : null);
                outcome = "read";
            }
            catch (ImageException e)
            {
                outcome = e.GetType().Name;
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"file {i} ({name}: {damage}) was refused without a reason");
            }
            catch (Exception e)
            {
                Assert.Fail($"file {i} ({name}: {damage}) escaped the codec as {e.GetType().Name}: {e.Message}");
                return;
            }

            clock.Stop();
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (clock.Elapsed > slowest) (slowest, slowestFile) = (clock.Elapsed, $"file {i} ({name}: {damage})");
            Assert.True(clock.Elapsed < slowestAllowed, $"file {i} ({name}: {damage}) took {clock.Elapsed.TotalMilliseconds:F0} ms to decode");
        }

        output.WriteLine($"{Files} files: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; slowest {slowest.TotalMilliseconds:F1} ms, {slowestFile}");
        Assert.True(outcomes.GetValueOrDefault("read") > Files / 20, "hardly any damaged file was still read: the mutations do not reach the decoders");
        Assert.True(outcomes.GetValueOrDefault(nameof(InvalidImageException)) > Files / 4, "hardly any damaged file was refused");
    }
}
