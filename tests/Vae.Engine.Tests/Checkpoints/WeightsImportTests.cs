using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Vae.Engine.Backends.Cpu;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Checkpoints;

/// <summary>Weights saved elsewhere: what the families accept, what the reader passes over, what is reported.</summary>
public class WeightsImportTests
{
    private const string SmallResNet = """{"family":"resnet","widths":[4,8],"blocksPerStage":1,"latentDim":4,"height":8,"width":8}""";

    [Fact]
    public void A_pytorch_state_dict_of_a_resnet_imports_with_its_int64_batch_counters_passed_over()
    {
        var config = ModelConfig.FromJson(SmallResNet);
        var source = ModelRegistry.Create(config, seed: 5, CpuBackend.Instance);
        // PyTorch's state_dict: every parameter and buffer, and after each batch norm's buffers its int64 counter.
        var tensors = new List<(string, string, int[], byte[])>();
        foreach (var (name, tensor) in source.NamedState())
        {
            tensors.Add((name, "F32", tensor.Shape, MemoryMarshal.AsBytes(tensor.ToArray().AsSpan()).ToArray()));
            if (name.EndsWith("running_var", StringComparison.Ordinal))
                tensors.Add((name[..^"running_var".Length] + "num_batches_tracked", "I64", [], BitConverter.GetBytes(1234L)));
        }
        Assert.Contains(tensors, t => t.Item2 == "I64");

        var file = SafeTensors.Read(new MemoryStream(Raw(tensors)), "resnet.safetensors", WeightsImport.IsIgnored);
        Assert.DoesNotContain(file.Names, n => n.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        var (model, problems) = WeightsImport.Load(config, file, CpuBackend.Instance);
        Assert.Empty(problems);
        foreach (var ((name, expected), (_, actual)) in source.NamedState().Zip(model!.NamedState()))
            Assert.True(expected.ToArray().AsSpan().SequenceEqual(actual.ToArray()), $"{name} was loaded as saved");
        Assert.False(model.Training);
    }

    [Fact]
    public void Without_the_skip_the_int64_counter_is_refused_by_name_and_dtype()
    {
        var tensors = new List<(string, string, int[], byte[])> { ("stem.1.num_batches_tracked", "I64", [], BitConverter.GetBytes(3L)) };
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(Raw(tensors)), "f"));
        Assert.Contains("'stem.1.num_batches_tracked' has dtype I64", e.Message);
    }

    [Fact]
    public void A_skipped_tensor_must_still_have_the_bytes_its_shape_and_dtype_need()
    {
        var tensors = new List<(string, string, int[], byte[])> { ("x.num_batches_tracked", "I64", [], new byte[4]) };
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(Raw(tensors)), "f", WeightsImport.IsIgnored));
        Assert.Contains("of I64 needs 1 x 8 = 8 bytes", e.Message);
    }

    [Fact]
    public void Seed_003s_pytorch_names_are_taken_for_a_one_hidden_layer_mlp_vae_only()
    {
        var aliases = ModelConfig.FromJson("""{"family":"mlp"}""").Owner.ImportAliases(ModelConfig.FromJson("""{"family":"mlp"}"""));
        Assert.Equal("mu.weight", aliases["fc21.weight"]);
        Assert.Equal("logvar.bias", aliases["fc22.bias"]);
        Assert.Equal("output.weight", aliases["fc4.weight"]);
        foreach (string json in new[] { """{"family":"mlp","hiddenSizes":[16,8]}""", """{"family":"mlp","kind":"ae"}""", """{"family":"conv"}""" })
        {
            var config = ModelConfig.FromJson(json);
            Assert.Empty(config.Owner.ImportAliases(config));
        }
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_with_its_tensor()
    {
        var config = ModelConfig.FromJson("""{"family":"mlp","hiddenSizes":[8],"latentDim":2}""");
        var entries = ModelRegistry.Create(config, 1, CpuBackend.Instance).NamedState()
            .Select(s => new SafeTensorsEntry(s.Name, s.Tensor.Shape, s.Tensor.ToArray())).ToList();
        entries.RemoveAll(e => e.Name == "mu.bias");
        entries[0] = entries[0] with { Data = [.. entries[0].Data.Select((v, i) => i == 3 ? float.NaN : v)] };
        entries.Add(new SafeTensorsEntry("fc22.bias", [2], [0f, 0f])); // seed 003's name for logvar.bias, which the file has already
        entries.Add(new SafeTensorsEntry("mu.weight.extra", [1], [0f]));
        var file = new SafeTensorsFile("f", entries);

        var (model, problems) = WeightsImport.Load(config, file, CpuBackend.Instance);
        Assert.Null(model);
        var byTensor = problems.ToDictionary(p => p.Tensor, p => p.Message);
        Assert.Equal(["encoder.0.weight", "fc22.bias", "mu.bias", "mu.weight.extra"], byTensor.Keys.Order());
        Assert.Contains("1 NaN and 0 infinite value, the first at index 3", byTensor["encoder.0.weight"]);
        Assert.Contains("same tensor as 'logvar.bias'", byTensor["fc22.bias"]);
        Assert.Contains("missing: the model needs 'mu.bias' (or 'fc21.bias') with shape (2)", byTensor["mu.bias"]);
        Assert.Contains("not a tensor of this mlp model", byTensor["mu.weight.extra"]);
    }

    /// <summary>A safetensors file of raw tensors of any dtype, as another program writes one.</summary>
    private static byte[] Raw(IReadOnlyList<(string Name, string Dtype, int[] Shape, byte[] Bytes)> tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, dtype, shape, bytes) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + bytes.Length } };
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        foreach (var t in tensors) stream.Write(t.Bytes);
        return stream.ToArray();
    }
}
