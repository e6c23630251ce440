using Vae.Engine.Backends.Cpu;
using Vae.Engine.Checkpoints;
using Vae.Engine.Models;
using Vae.Engine.Models.Mlp;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Models;

public class ModelCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vae-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_saved_model_loads_back_with_its_configuration_weights_and_metrics()
    {
        var config = ModelPresets.GaussianVae(0.5f) with { Beta = 2f };
        var model = ModelRegistry.Create(config, seed: 3, CpuBackend.Instance);
        string path = Path.Combine(_dir, "m.safetensors");
        var metrics = new[] { new Vae.Engine.Training.EpochMetrics(1, new(100, 90, 10), new(101, 91, 10), 1.5) };
        ModelCheckpoint.Save(path, model, metrics);

        var loaded = ModelCheckpoint.Load(path, CpuBackend.Instance);
        Assert.Equal(config.ToJson(), loaded.Model.Config.ToJson());
        Assert.Equal(metrics, loaded.Metrics);
        var z = Tensor.FromArray([0.3f, -1.2f], 1, 2);
        Assert.Equal(model.Decode(z).ToArray(), loaded.Model.Decode(z).ToArray());
    }

    [Fact]
    public void A_truncated_model_file_is_rejected_with_the_file_named()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        ModelCheckpoint.Save(path, ModelRegistry.Create(ModelPresets.Vae2D, 0, CpuBackend.Instance));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, CpuBackend.Instance));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_file_with_weights_of_another_shape_is_rejected_naming_the_tensor()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        var model = ModelRegistry.Create(ModelPresets.Vae2D, 0, CpuBackend.Instance);
        var entries = model.NamedParameters().Select(p => new SafeTensorsEntry(p.Name, p.Name == "mu.weight" ? [3, 512] : p.Parameter.Shape, p.Name == "mu.weight" ? new float[3 * 512] : p.Parameter.ToArray())).ToList();
        SafeTensors.Write(path, entries, new Dictionary<string, string> { ["config"] = model.Config.ToJson() });
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, CpuBackend.Instance));
        Assert.Contains("mu.weight", e.Message);
    }

    [Fact]
    public void A_safetensors_file_without_our_configuration_says_so()
    {
        string path = Path.Combine(_dir, "foreign.safetensors");
        SafeTensors.Write(path, [new SafeTensorsEntry("w", [2], [1f, 2f])]);
        var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(path, CpuBackend.Instance));
        Assert.Contains("config", e.Message);
    }
}
