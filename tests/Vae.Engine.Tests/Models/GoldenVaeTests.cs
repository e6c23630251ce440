using Vae.Engine.Backends.Cpu;
using System.Text.Json;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Nn;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Models;

/// <summary>
/// The compact MNIST VAE against PyTorch: Fixtures/golden_vae.json holds a float64 PyTorch forward
/// and backward pass (made by Fixtures/make_golden_vae.py) for weights, images and noise given by
/// an integer formula reproduced here exactly, so no weights need to be stored.
/// </summary>
public class GoldenVaeTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden_vae.json"))).RootElement;

    // Our parameter names in the order of the fixture's fc1, fc21, fc22, fc3, fc4.
    private static readonly (string Ours, string Torch, int FanIn)[] Names =
    [
        ("encoder.0.weight", "fc1.weight", 784), ("encoder.0.bias", "fc1.bias", 784),
        ("mu.weight", "fc21.weight", 400), ("mu.bias", "fc21.bias", 400),
        ("logvar.weight", "fc22.weight", 400), ("logvar.bias", "fc22.bias", 400),
        ("decoder.0.weight", "fc3.weight", 20), ("decoder.0.bias", "fc3.bias", 20),
        ("output.weight", "fc4.weight", 400), ("output.bias", "fc4.bias", 400),
    ];

    private static double U(long j, long salt) => (double)((ulong)(j * 2654435761L + salt * 40503 + 12345) % 4294967296UL) / 4294967296.0;

    private static (MlpModel Model, Tensor X, Tensor Eps) Build()
    {
        var model = new MlpModel(ModelPresets.CompactVae, new Generator(1), CpuBackend.Instance);
        var parameters = model.NamedParameters().ToList();
        Assert.Equal(Names.Select(n => n.Ours), parameters.Select(p => p.Name));
        for (int k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k].Parameter;
            double bound = 1.0 / Math.Sqrt(Names[k].FanIn);
            var values = new float[p.Count];
            for (int j = 0; j < values.Length; j++) values[j] = (float)(bound * (2 * U(j, 100 + k) - 1));
            p.CopyFrom(values);
        }
        var x = new float[4 * 784];
        for (int j = 0; j < x.Length; j++) x[j] = U(j, 8) < 0.25 ? (float)U(j, 7) : 0f;
        var eps = new float[4 * 20];
        for (int j = 0; j < eps.Length; j++) eps[j] = (float)(4 * U(j, 9) - 2);
        return (model, Init.Parameter([4, 784], x, CpuBackend.Instance), Tensor.FromArray(eps, 4, 20));
    }

    [Fact]
    public void The_formula_reproduces_the_fixtures_parameters_exactly()
    {
        var (model, _, _) = Build();
        var byName = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        foreach (var (ours, torch, _) in Names.Where(n => n.Torch is "fc1.weight" or "fc4.bias"))
        {
            var check = Golden.GetProperty("param_checks").GetProperty(torch);
            var idx = check.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var val = check.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            for (int i = 0; i < idx.Length; i++) Assert.Equal(val[i], byName[ours][idx[i]]);
        }
    }

    [Fact]
    public void Forward_pass_matches_pytorch()
    {
        var (model, x, eps) = Build();
        var loss = model.Loss(x, null, eps);
        AssertClose(Golden.GetProperty("loss").GetDouble(), loss.Total.Item(), 1e-4, "loss");
        AssertClose(Golden.GetProperty("bce").GetDouble(), loss.Reconstruction.Item(), 1e-4, "bce");
        AssertClose(Golden.GetProperty("kld").GetDouble(), loss.Kl.Item(), 1e-3, "kld");

        var (mu, logVar) = model.Encode(x);
        AssertAll(Golden.GetProperty("mu"), mu.ToArray(), 1e-4, "mu");
        AssertAll(Golden.GetProperty("logvar"), logVar!.ToArray(), 1e-4, "logvar");

        var z = Vae.Engine.Ops.F.Reparameterize(mu, logVar, eps);
        var recon = model.Decode(z).ToArray();
        var samples = Golden.GetProperty("recon_samples");
        var idx = samples.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var val = samples.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < idx.Length; i++) AssertClose(val[i], recon[idx[i]], 1e-4, $"recon[{idx[i]}]");
    }

    [Fact]
    public void Backward_pass_matches_pytorch_for_every_parameter_and_the_input()
    {
        var (model, x, eps) = Build();
        model.Loss(x, null, eps).Total.Backward();
        var grads = Golden.GetProperty("grads");
        foreach (var (name, p) in model.NamedParameters())
        {
            string torch = Names.Single(n => n.Ours == name).Torch;
            AssertGradient(grads.GetProperty(torch), p.Grad!.ToArray(), torch);
        }
        AssertGradient(Golden.GetProperty("x_grad"), x.Grad!.ToArray(), "x");
    }

    private static void AssertGradient(JsonElement expected, float[] actual, string name)
    {
        double sum = actual.Sum(v => (double)v), sumsq = actual.Sum(v => (double)v * v);
        double expectedSumsq = expected.GetProperty("sumsq").GetDouble();
        // The sum can cancel to near zero, so compare it on the gradient's own scale.
        double scale = Math.Sqrt(expectedSumsq) + 1e-6;
        Assert.True(Math.Abs(expected.GetProperty("sum").GetDouble() - sum) <= 1e-3 * scale, $"{name}: sum {sum} vs {expected.GetProperty("sum").GetDouble()}");
        AssertClose(expectedSumsq, sumsq, 1e-3, $"{name} sum of squares");
        var idx = expected.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var val = expected.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double maxAbs = val.Max(Math.Abs) + 1e-9;
        for (int i = 0; i < idx.Length; i++)
            Assert.True(Math.Abs(val[i] - actual[idx[i]]) <= 1e-3 * maxAbs + 1e-6, $"{name}[{idx[i]}]: {actual[idx[i]]} vs {val[i]}");
    }

    private static void AssertAll(JsonElement expected, float[] actual, double rel, string name)
    {
        var val = expected.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(val.Length, actual.Length);
        for (int i = 0; i < val.Length; i++) AssertClose(val[i], actual[i], rel, $"{name}[{i}]");
    }

    private static void AssertClose(double expected, double actual, double rel, string what)
        => Assert.True(Math.Abs(expected - actual) <= rel * (Math.Abs(expected) + 1e-2), $"{what}: expected {expected}, got {actual}");
}
