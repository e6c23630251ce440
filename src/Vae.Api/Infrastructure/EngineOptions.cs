namespace Vae.Api.Infrastructure;

/// <summary>The engine's device ("Engine" section).</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";
    /// <summary>auto (CUDA when a device answers, else cpu), cpu, cuda or ilgpu-cpu (ILGPU's CPU accelerator: the GPU kernels on the CPU, for tests).</summary>
    public string Backend { get; set; } = Vae.Engine.Backends.BackendRegistry.Auto;
}
