using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Vae.Engine.Backends.Ilgpu;

/// <summary>
/// Compiles the backend's kernels to PTX without a card or a driver, as the CUDA backend would
/// when it starts: a kernel that only fails in the CUDA code generator shows up on any machine.
/// </summary>
public static class PtxCompilation
{
    /// <summary>Each kernel's name and PTX text for <paramref name="architecture"/> (default sm_90, PTX ISA 8.8).</summary>
    public static IReadOnlyDictionary<string, string> CompileAll(CudaArchitecture? architecture = null, CudaInstructionSet? instructionSet = null)
    {
        using var context = Context.Create(b => b.EnableAlgorithms());
        using var backend = new PTXBackend(context, architecture ?? CudaArchitecture.SM_90, instructionSet ?? CudaInstructionSet.ISA_88, nvvmAPI: null!);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kernel in IlgpuKernels.EntryPoints)
        {
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
            result[kernel.Name] = compiled.PTXAssembly;
        }
        foreach (var kernel in IlgpuGroupKernels.EntryPoints)
        {
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
            result[kernel.Name] = compiled.PTXAssembly;
        }
        return result;
    }
}
