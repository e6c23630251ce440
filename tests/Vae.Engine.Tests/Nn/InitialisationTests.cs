using System.Text.Json;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Nn;

/// <summary>
/// Every layer type starts as PyTorch's does by default: Fixtures/init_stats.json (written by
/// Fixtures/make_init_stats.py) holds the pooled statistics of PyTorch's initial weights and biases
/// over 8 draws per layer shape; ours, pooled over 8 seeds, must agree within the sampling error of
/// that many uniform draws. So the same model starts from the same distribution on both sides, and
/// learning curves can be compared from the first batch.
/// </summary>
public class InitialisationTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "init_stats.json"))).RootElement.GetProperty("cases");

    private static Layer Make(string name, Generator g) => name switch
    {
        "linear_784_400" => new Linear(784, 400, g, CpuBackend.Instance),
        "linear_20_400" => new Linear(20, 400, g, CpuBackend.Instance),
        "conv2d_1_32_k4" => new Conv2d(1, 32, 4, g, CpuBackend.Instance, stride: 2, padding: 1),
        "conv2d_64_128_k3" => new Conv2d(64, 128, 3, g, CpuBackend.Instance, padding: 1),
        "conv2d_64_64_k1_nobias" => new Conv2d(64, 64, 1, g, CpuBackend.Instance, bias: false),
        "convtranspose2d_64_32_k4" => new ConvTranspose2d(64, 32, 4, g, CpuBackend.Instance, stride: 2, padding: 1),
        "convtranspose2d_32_1_k4" => new ConvTranspose2d(32, 1, 4, g, CpuBackend.Instance, stride: 2, padding: 1),
        "batchnorm2d_64" => new BatchNorm(64, CpuBackend.Instance),
        _ => throw new ArgumentException($"no layer for fixture case {name}"),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Initial_weights_and_biases_follow_pytorchs_default_distribution(string name)
    {
        var golden = Cases.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        int draws = golden.GetProperty("draws").GetInt32();
        var weights = new List<float>();
        var biases = new List<float>();
        bool hasBias = false;
        for (int seed = 0; seed < draws; seed++)
        {
            var layer = Make(name, new Generator((ulong)seed));
            foreach (var (param, tensor) in layer.NamedParameters())
            {
                if (param == "weight") weights.AddRange(tensor.ToArray());
                else if (param == "bias") { biases.AddRange(tensor.ToArray()); hasBias = true; }
            }
        }
        Compare(name + ".weight", weights, golden.GetProperty("weight"));
        Assert.Equal(golden.TryGetProperty("bias", out _), hasBias);
        if (hasBias) Compare(name + ".bias", biases, golden.GetProperty("bias"));
    }

    private static void Compare(string what, List<float> ours, JsonElement torch)
    {
        long n = torch.GetProperty("count").GetInt64();
        Assert.Equal(n, ours.Count);
        double mean = ours.Average(v => (double)v);
        double std = Math.Sqrt(ours.Average(v => ((double)v - mean) * ((double)v - mean)));
        double torchMean = torch.GetProperty("mean").GetDouble();
        double torchStd = torch.GetProperty("std").GetDouble();

        if (torch.GetProperty("bound").ValueKind == JsonValueKind.Null)
        {
            // Constant initialisation (batch norm's scale 1 and shift 0): exactly the same values.
            Assert.Equal(torch.GetProperty("min").GetDouble(), ours.Min());
            Assert.Equal(torch.GetProperty("max").GetDouble(), ours.Max());
            return;
        }

        // Two independent samples of n uniform values: the mean differs by about sqrt(2) * std / sqrt(n),
        // the standard deviation by about sqrt(2) * 0.447 * std / sqrt(n). Five of those is a failure.
        double bound = torch.GetProperty("bound").GetDouble();
        double meanTolerance = 5 * Math.Sqrt(2) * torchStd / Math.Sqrt(n);
        double stdTolerance = 5 * Math.Sqrt(2) * 0.447 * torchStd / Math.Sqrt(n);
        Assert.True(Math.Abs(mean - torchMean) <= meanTolerance, $"{what}: mean {mean:G5}, PyTorch's {torchMean:G5} (±{meanTolerance:G3})");
        Assert.True(Math.Abs(std - torchStd) <= stdTolerance, $"{what}: std {std:G5}, PyTorch's {torchStd:G5} (±{stdTolerance:G3})");

        // The same bound: nothing outside it, and the extremes reach it as closely as n draws do.
        double reach = bound * (1 - 30.0 / n);
        Assert.True(ours.Max() <= bound * (1 + 1e-6) && ours.Min() >= -bound * (1 + 1e-6), $"{what}: values outside ±{bound:G5}");
        Assert.True(ours.Max() >= reach && ours.Min() <= -reach, $"{what}: extremes {ours.Min():G5}..{ours.Max():G5} fall short of ±{bound:G5}");
    }
}
