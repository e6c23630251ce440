using System.Diagnostics;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Export;
using Vae.Engine.Export.Onnx;
using Vae.Engine.Models;
using Vae.Engine.Tensors;
using Xunit.Abstractions;

namespace Vae.Engine.Tests.Export;

/// <summary>
/// The exported encoder and decoder of every family and kind, run by ONNX Runtime, against the
/// engine's own Encode and Decode (with decode's clipping to [0, 1]) on the same weights and inputs.
/// Batch norms get running statistics and affine terms away from 0 and 1, so folding them is tested.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    /// <summary>Each family at its tutorial sizes where that is cheap, and small members of every kind.</summary>
    public static TheoryData<string, string> Models() => new()
    {
        { "mlp compact vae", """{"family":"mlp"}""" },
        { "mlp leaky gaussian", """{"family":"mlp","hiddenSizes":[64,32],"latentDim":2,"activation":"leakyRelu","negativeSlope":0.2,"likelihood":"gaussian"}""" },
        { "mlp tanh", """{"family":"mlp","hiddenSizes":[32],"latentDim":3,"activation":"tanh"}""" },
        { "mlp sigmoid learned scale", """{"family":"mlp","hiddenSizes":[32],"latentDim":3,"activation":"sigmoid","likelihood":"gaussianLearnedScale"}""" },
        { "mlp ae", """{"family":"mlp","kind":"ae","hiddenSizes":[64],"latentDim":2}""" },
        { "mlp conditional", """{"family":"mlp","conditional":true,"hiddenSizes":[64],"latentDim":4}""" },
        { "conv gray vae", """{"family":"conv"}""" },
        { "conv 32x32 colour", """{"family":"conv","channels":3,"height":32,"width":32,"likelihood":"gaussianLearnedScale"}""" },
        { "conv ae", """{"family":"conv","kind":"ae","convChannels":[8,16],"denseSize":32,"latentDim":4}""" },
        { "conv conditional", """{"family":"conv","conditional":true,"convChannels":[8,16],"denseSize":32,"latentDim":4}""" },
        { "resnet colour", """{"family":"resnet","widths":[8,16,32],"blocksPerStage":2,"latentDim":16}""" },
        { "resnet 28x28 gray", """{"family":"resnet","widths":[8,16,32],"blocksPerStage":1,"latentDim":8,"channels":1,"height":28,"width":28}""" },
        { "resnet ae bernoulli", """{"family":"resnet","kind":"ae","widths":[4,8],"blocksPerStage":1,"latentDim":4,"channels":1,"height":12,"width":12,"likelihood":"bernoulli","kl":"closedForm"}""" },
        { "resnet conditional", """{"family":"resnet","conditional":true,"classCount":3,"widths":[8,16],"blocksPerStage":1,"latentDim":4,"height":8,"width":8}""" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_exported_encoder_gives_the_engines_codes_at_batch_sizes_one_and_three(string name, string json)
    {
        var model = Build(json);
        var c = model.Config;
        using var session = new OnnxSession(Write(ModelGraphs.Encoder(model)));
        foreach (int batch in new[] { 1, 3 })
        {
            var g = new Generator((ulong)(17 + batch));
            var images = Tensor.Rand(g, [batch, c.Channels, c.Height, c.Width], CpuBackend.Instance).ToArray();
            var labels = Labels(c, batch);
            var (mean, logVar) = Encode(model, images, labels);
            var onnx = session.Run(new Dictionary<string, (float[], int[])> { [ModelGraphs.Images] = (images, [batch, c.Channels, c.Height, c.Width]) }, LabelInput(labels));
            if (c.IsVariational)
            {
                AssertClose(mean, onnx[ModelGraphs.Mean], $"{name}: mu at batch {batch}");
                AssertClose(logVar!, onnx[ModelGraphs.LogVar], $"{name}: logvar at batch {batch}");
            }
            else
            {
                Assert.Equal([ModelGraphs.Code], onnx.Keys);
                AssertClose(mean, onnx[ModelGraphs.Code], $"{name}: code at batch {batch}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_exported_decoder_gives_the_engines_images_at_batch_sizes_one_and_three(string name, string json)
    {
        var model = Build(json);
        var c = model.Config;
        using var session = new OnnxSession(Write(ModelGraphs.Decoder(model)));
        foreach (int batch in new[] { 1, 3 })
        {
            // Codes of spread 2 reach the sigmoid's flat ends and, for Gaussian models, past [0, 1], where the clip acts.
            var z = Tensor.RandN(new Generator((ulong)(29 + batch)), [batch, c.LatentDim], CpuBackend.Instance).ToArray().Select(v => 2f * v).ToArray();
            var labels = Labels(c, batch);
            var ours = Decode(model, z, labels);
            var onnx = session.Run(new Dictionary<string, (float[], int[])> { [ModelGraphs.Latents] = (z, [batch, c.LatentDim]) }, LabelInput(labels));
            AssertClose(ours, onnx[ModelGraphs.Decoded], $"{name}: images at batch {batch}");
            // Many pixels are inside (0, 1), so the comparison is of what the network computes, not of the clip's
            // ends (an untrained Gaussian decoder's means sit around 0, so about half of them are clipped).
            int inside = ours.Count(v => v is > 0f and < 1f);
            output.WriteLine($"{name}: {inside} of {ours.Length} pixels inside (0, 1) at batch {batch}");
            Assert.True(inside > ours.Length / 4, $"{name}: {ours.Length - inside} of {ours.Length} decoded pixels are clipped, which leaves too little to compare");
        }
    }

    [Fact]
    public void Every_batch_norm_of_a_resnet_is_folded_into_its_convolution()
    {
        var model = Build("""{"family":"resnet","widths":[8,16],"blocksPerStage":2,"latentDim":4,"height":8,"width":8}""");
        var encoder = ModelGraphs.Encoder(model);
        var decoder = ModelGraphs.Decoder(model);
        int batchNorms = model.NamedBuffers().Count(b => b.Name.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.True(batchNorms > 0);
        Assert.DoesNotContain(encoder.Nodes.Concat(decoder.Nodes), n => n.Op == "BatchNormalization");
        // Every convolution of the model is in the graphs once, biased by its folded batch norm.
        int convolutions = model.NamedParameters().Count(p => p.Parameter.Rank == 4);
        Assert.Equal(convolutions, encoder.Nodes.Concat(decoder.Nodes).Count(n => n.Op == "Conv"));
    }

    [Fact]
    public void A_batch_norm_after_something_other_than_a_convolution_stays_in_the_graph()
    {
        var graph = new GraphBuilder();
        var x = graph.Input("x", ElementType.Float32, [null, 2, 1, 1], "x");
        var ones = Tensor.FromArray([1f, 1f], 2);
        var zeros = Tensor.FromArray([0f, 0f], 2);
        graph.Output(graph.BatchNorm(graph.Activate(x, Vae.Engine.Backends.Activation.Relu), ones, zeros, zeros, ones, 1e-5f), "y", [null, 2, 1, 1], "y");
        var folded = BatchNormFolding.Apply(graph.Build("g", "g", new Dictionary<string, string>()));
        Assert.Contains(folded.Nodes, n => n.Op == "BatchNormalization");
    }

    [Fact]
    public void The_files_declare_opset_17_float32_values_and_a_batch_dimension_of_any_size()
    {
        var model = Build("""{"family":"conv","conditional":true,"convChannels":[4],"denseSize":8,"latentDim":3}""");
        using var encoder = new OnnxSession(Write(ModelGraphs.Encoder(model)));
        using var decoder = new OnnxSession(Write(ModelGraphs.Decoder(model)));

        Assert.Equal([-1, 1, 28, 28], encoder.Inputs[ModelGraphs.Images].Dimensions);
        Assert.Equal(OnnxWriter.BatchDimension, encoder.Inputs[ModelGraphs.Images].SymbolicDimensions[0]);
        Assert.Equal(typeof(float), encoder.Inputs[ModelGraphs.Images].ElementType);
        Assert.Equal(typeof(long), encoder.Inputs[ModelGraphs.Labels].ElementType);
        Assert.Equal([-1], encoder.Inputs[ModelGraphs.Labels].Dimensions);
        Assert.Equal([-1, 3], encoder.Outputs[ModelGraphs.Mean].Dimensions);
        Assert.Equal([-1, 3], decoder.Inputs[ModelGraphs.Latents].Dimensions);
        Assert.Equal([-1, 1, 28, 28], decoder.Outputs[ModelGraphs.Decoded].Dimensions);

        var proto = OnnxWriter.ToModel(ModelGraphs.Decoder(model));
        Assert.Equal(17, Assert.Single(proto.OpsetImport).Version);
        Assert.Equal(model.Config.ToJson(), proto.MetadataProps.Single(p => p.Key == "config").Value);
    }

    [Fact]
    public void A_label_outside_the_classes_decodes_as_no_class_rather_than_failing()
    {
        var model = Build("""{"family":"mlp","conditional":true,"hiddenSizes":[8],"latentDim":2}""");
        using var session = new OnnxSession(Write(ModelGraphs.Decoder(model)));
        var images = session.Run(new Dictionary<string, (float[], int[])> { [ModelGraphs.Latents] = ([0f, 0f], [1, 2]) }, (ModelGraphs.Labels, [42L]));
        Assert.Equal(784, images[ModelGraphs.Decoded].Length);
    }

    [SkippableFact]
    public void The_onnx_checker_accepts_the_graphs_of_every_family_and_kind()
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), $"{python} is not installed, so the ONNX checker cannot run.");
        Skip.IfNot(Run(python, "-c \"import onnx\"").Code == 0, "python3-onnx is not installed (apt-get install python3-onnx), so the ONNX checker cannot run.");

        var folder = Directory.CreateTempSubdirectory("vae-onnx-");
        try
        {
            var files = new List<string>();
            foreach (var row in Models())
            {
                var model = Build((string)row[1]);
                foreach (var (part, graph) in new[] { ("encoder", ModelGraphs.Encoder(model)), ("decoder", ModelGraphs.Decoder(model)) })
                {
                    string path = Path.Combine(folder.FullName, $"{files.Count}-{part}.onnx");
                    File.WriteAllBytes(path, Write(graph));
                    files.Add(path);
                }
            }
            // full_check also infers every value's shape and type, as a strict consumer would.
            string script = "import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1, 'models checked')";
            string scriptPath = Path.Combine(folder.FullName, "check.py");
            File.WriteAllText(scriptPath, script);
            var (code, text) = Run(python, $"{scriptPath} {string.Join(' ', files)}");
            output.WriteLine(text);
            Assert.True(code == 0, text);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // ---- helpers ----

    /// <summary>The model of a configuration with batch norms moved away from the identity, in eval mode.</summary>
    internal static AutoencoderModel Build(string json)
    {
        var model = ModelRegistry.Create(ModelConfig.FromJson(json), seed: 3, CpuBackend.Instance);
        var g = new Generator(11);
        var state = model.NamedState().ToDictionary(s => s.Name, s => s.Tensor);
        foreach (var name in state.Keys.Where(n => n.EndsWith("running_mean", StringComparison.Ordinal)).ToList())
        {
            string prefix = name[..^"running_mean".Length];
            Fill(state[prefix + "running_mean"], g, -0.5f, 0.5f);
            Fill(state[prefix + "running_var"], g, 0.5f, 2f);
            Fill(state[prefix + "weight"], g, 0.5f, 1.5f);
            Fill(state[prefix + "bias"], g, -0.3f, 0.3f);
        }
        model.Eval();
        return model;
    }

    private static void Fill(Tensor t, Generator g, float low, float high)
    {
        var values = new float[t.Count];
        for (int i = 0; i < values.Length; i++) values[i] = low + ((high - low) * g.NextFloat());
        t.CopyFrom(values);
    }

    internal static byte[] Write(Graph graph)
    {
        using var stream = new MemoryStream();
        new OnnxWriter().Write(graph, stream);
        return stream.ToArray();
    }

    private static int[]? Labels(ModelConfig c, int batch) => c.Conditional ? [.. Enumerable.Range(0, batch).Select(i => (2 * i + 1) % c.ClassCount)] : null;

    private static (string, long[])? LabelInput(int[]? labels) => labels is null ? null : (ModelGraphs.Labels, labels.Select(l => (long)l).ToArray());

    private static (float[] Mean, float[]? LogVar) Encode(AutoencoderModel model, float[] images, int[]? labels)
    {
        using (Autograd.NoGrad())
        {
            var c = model.Config;
            var x = Tensor.FromArray(images, [images.Length / c.InputSize, c.Channels, c.Height, c.Width], CpuBackend.Instance);
            var (mean, logVar) = model.Encode(x, labels);
            return (mean.ToArray(), logVar?.ToArray());
        }
    }

    /// <summary>Decoded images as the decode endpoint gives them: clipped to [0, 1].</summary>
    private static float[] Decode(AutoencoderModel model, float[] z, int[]? labels)
    {
        using (Autograd.NoGrad())
        {
            var images = model.Decode(Tensor.FromArray(z, [z.Length / model.LatentDim, model.LatentDim], CpuBackend.Instance), labels).ToArray();
            return [.. images.Select(v => Math.Clamp(v, 0f, 1f))];
        }
    }

    private void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0f;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        output.WriteLine($"{what}: largest difference {worst:E2} at {at}");
        Assert.True(worst <= Tolerance, $"{what}: ONNX Runtime differs from the engine by {worst} at index {at} (engine {expected[at]}, ONNX {actual[at]}).");
    }

    private static (int Code, string Output) Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
