using System.Text.Json;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Ops;

/// <summary>
/// Every op against values PyTorch computed (Fixtures/golden_ops.json, written by
/// make_golden_ops.py): forward outputs, and the gradients of sum(output * upstream) with
/// respect to each input, on every backend.
/// </summary>
public abstract class GoldenOpTests(string backend) : BackendTests(backend)
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden_ops.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Value.Keys) data.Add(name);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(CaseNames))]
    public void Matches_pytorch(string name)
    {
        var c = Cases.Value[name];
        string op = c.GetProperty("op").GetString()!;
        var args = c.GetProperty("args");
        var grads = c.TryGetProperty("grads", out var g) ? g : default;
        var inputs = new Dictionary<string, Tensor>();
        foreach (var input in c.GetProperty("inputs").EnumerateObject())
        {
            bool wantsGrad = grads.ValueKind == JsonValueKind.Object && grads.TryGetProperty(input.Name, out _);
            var (shape, data) = Read(input.Value);
            inputs[input.Name] = wantsGrad ? Init.Parameter(shape, data, Backend) : Tensor.FromArray(data, shape, Backend);
        }

        var outputs = Run(op, args, inputs);
        foreach (var expected in c.GetProperty("outputs").EnumerateObject())
            Close($"{name} output {expected.Name}", expected.Value, outputs[expected.Name]);

        if (!c.TryGetProperty("upstream", out var upstream)) return;
        Tensor? objective = null;
        foreach (var u in upstream.EnumerateObject())
        {
            var (shape, data) = Read(u.Value);
            var term = F.Sum(F.Mul(outputs[u.Name], Tensor.FromArray(data, shape, Backend)));
            objective = objective is null ? term : F.Add(objective, term);
        }
        objective!.Backward();
        foreach (var expected in grads.EnumerateObject())
        {
            var grad = inputs[expected.Name].Grad;
            Assert.True(grad is not null, $"{name}: input {expected.Name} received no gradient");
            Close($"{name} gradient of {expected.Name}", expected.Value, grad!);
        }
    }

    private Dictionary<string, Tensor> Run(string op, JsonElement a, Dictionary<string, Tensor> t)
    {
        Dictionary<string, Tensor> Out(Tensor y, string key = "y") => new() { [key] = y };
        Size2 Pair(string key) { var e = a.GetProperty(key); return (e[0].GetInt32(), e[1].GetInt32()); }
        int[] Ints(string key) => a.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] Labels(string key) => t[key].ToArray().Select(v => (int)v).ToArray();
        Reduction Reduce() => a.GetProperty("reduction").GetString() == "sum" ? Reduction.Sum : Reduction.Mean;

        switch (op)
        {
            case "conv2d":
                return Out(F.Conv2d(t["x"], t["weight"], t.GetValueOrDefault("bias"), Pair("stride"), Pair("padding"), Pair("dilation")));
            case "conv_transpose2d":
                return Out(F.ConvTranspose2d(t["x"], t["weight"], t.GetValueOrDefault("bias"), Pair("stride"), Pair("padding"), Pair("output_padding")));
            case "batch_norm":
            {
                var mean = t["running_mean_before"]; var variance = t["running_var_before"];
                var y = F.BatchNorm(t["x"], mean, variance, t["weight"], t["bias"], a.GetProperty("training").GetBoolean(),
                    a.GetProperty("momentum").GetSingle(), a.GetProperty("eps").GetSingle());
                return new() { ["y"] = y, ["running_mean_after"] = mean, ["running_var_after"] = variance };
            }
            case "upsample_nearest": return Out(F.UpsampleNearest(t["x"], a.GetProperty("scale_factor").GetInt32()));
            case "adaptive_avg_pool2d": return Out(F.AdaptiveAvgPool2d(t["x"], Pair("output_size")));
            case "mean_hw": return Out(F.GlobalAvgPool2d(t["x"]));
            case "max_pool2d": return Out(F.MaxPool2d(t["x"], Pair("kernel"), Pair("stride"), Pair("padding")));
            case "dropout_with_mask": return Out(F.DropoutWithMask(t["x"], t["mask"], a.GetProperty("p").GetSingle()));
            case "flatten": return Out(F.Flatten(t["x"], a.GetProperty("start_dim").GetInt32(), a.GetProperty("end_dim").GetInt32()));
            case "unflatten": return Out(F.Unflatten(t["x"], a.GetProperty("dim").GetInt32(), Ints("sizes")));
            case "one_hot": return Out(F.OneHot(Labels("labels"), a.GetProperty("num_classes").GetInt32(), Backend));
            case "embedding": return Out(F.Embedding(Labels("labels"), t["weight"]));
            case "leaky_relu": return Out(F.LeakyRelu(t["x"], a.GetProperty("negative_slope").GetSingle()));
            case "tanh": return Out(F.Tanh(t["x"]));
            case "sigmoid": return Out(F.Sigmoid(t["x"]));
            case "softplus": return Out(F.Softplus(t["x"]));
            case "gaussian_nll_fixed": return Out(F.GaussianNll(t["mean"], t["x"], a.GetProperty("sigma").GetSingle(), Reduce()), "value");
            case "gaussian_nll_learned": return Out(F.GaussianNllLearnedScale(t["mean"], t["log_scale"], t["x"], Reduce()), "value");
            case "kl_monte_carlo": return Out(F.KlMonteCarlo(t["z"], t["mu"], t["std"], Reduce()), "value");
            case "kl_closed_form": return Out(F.KlStandardNormal(t["mu"], t["logvar"], Reduce()), "value");
            case "bce_with_logits": return Out(F.BinaryCrossEntropyWithLogits(t["logits"], t["target"], Reduce()), "value");
            case "cross_entropy": return Out(F.CrossEntropy(t["logits"], Labels("labels"), Reduce()), "value");
            case "log_softmax": return Out(F.LogSoftmax(t["x"], a.GetProperty("dim").GetInt32()));
            case "cat": return Out(F.Cat(t.Where(kv => kv.Key.StartsWith('x')).Select(kv => kv.Value).ToList(), a.GetProperty("dim").GetInt32()));
            case "bmm":
            case "matmul": return Out(F.MatMul(t["a"], t["b"]));
            case "transpose": return Out(F.Mul(F.Transpose(t["x"], Ints("dims")[0], Ints("dims")[1]), t["w"]));
            case "permute": return Out(F.Mul(F.Permute(t["x"], Ints("dims")), t["w"]));
            case "narrow": return Out(F.Mul(F.Narrow(t["x"], a.GetProperty("dim").GetInt32(), a.GetProperty("start").GetInt32(), a.GetProperty("length").GetInt32()), t["w"]));
            case "expand": return Out(F.Mul(F.Expand(t["x"], Ints("size")), t["w"]));
            case "sum_dims": return Out(F.Sum(t["x"], Ints("dims"), a.GetProperty("keepdim").GetBoolean()));
            case "mean_all": return Out(F.Mean(t["x"]));
            case "mean_dims": return Out(F.Mean(t["x"], Ints("dims"), a.GetProperty("keepdim").GetBoolean()));
            case "adam":
            case "sgd":
            {
                var p = Init.Parameter(t["p"].Shape, t["p"].ToArray(), Backend);
                float[] betas = op == "adam" ? a.GetProperty("betas").EnumerateArray().Select(e => e.GetSingle()).ToArray() : [];
                Optimizer opt = op == "adam"
                    ? new Adam([p], a.GetProperty("lr").GetSingle(), betas[0], betas[1], a.GetProperty("eps").GetSingle(), a.GetProperty("weight_decay").GetSingle())
                    : new Sgd([p], a.GetProperty("lr").GetSingle(), a.GetProperty("momentum").GetSingle(), a.GetProperty("dampening").GetSingle(),
                        a.GetProperty("weight_decay").GetSingle(), a.GetProperty("nesterov").GetBoolean());
                var result = new Dictionary<string, Tensor>();
                for (int step = 1; step <= 3; step++)
                {
                    p.Grad = Init.Parameter(p.Shape, t[$"g{step}"].ToArray(), Backend);
                    opt.Step();
                    result[$"p{step}"] = Tensor.FromArray(p.ToArray(), p.Shape, Backend);
                }
                return result;
            }
            default: throw new InvalidOperationException($"The fixture has an op '{op}' this test does not know.");
        }
    }

    private static (int[] Shape, float[] Data) Read(JsonElement tensor)
        => (tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            tensor.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());

    private static void Close(string what, JsonElement expected, Tensor actual)
    {
        var (shape, data) = Read(expected);
        Assert.True(shape.AsSpan().SequenceEqual(actual.Shape), $"{what}: shape {ShapeOf.Format(actual.Shape)}, PyTorch has {ShapeOf.Format(shape)}");
        var values = actual.ToArray();
        double scale = data.Length == 0 ? 1 : Math.Max(1, data.Max(v => Math.Abs(v)));
        double worst = 0; int at = -1;
        for (int i = 0; i < data.Length; i++)
        {
            double error = Math.Abs(values[i] - data[i]);
            if (error > worst) { worst = error; at = i; }
        }
        Assert.True(worst <= 2e-5 * scale + 1e-6, $"{what}: largest difference {worst:G3} at element {at} ({(at >= 0 ? values[at] : 0)} against PyTorch's {(at >= 0 ? data[at] : 0)})");
    }
}

public sealed class CpuGoldenOpTests() : GoldenOpTests("cpu");

public sealed class CpuComposedGoldenOpTests() : GoldenOpTests("cpu-composed");

public sealed class IlgpuCpuGoldenOpTests() : GoldenOpTests("ilgpu-cpu");

/// <summary>Skipped, with the reason, where no CUDA device answers.</summary>
public sealed class CudaGoldenOpTests() : GoldenOpTests("cuda");
