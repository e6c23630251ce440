namespace Vae.Engine.Backends;

/// <summary>
/// The scalar rules of the binary maps and their gradients, shared by every backend: the CPU's
/// element loops call them, and ILGPU compiles the same methods into its kernels.
/// </summary>
internal static class BinaryRules
{
    public static float Apply(BinaryKind kind, float a, float b) => kind switch
    {
        BinaryKind.Add => a + b,
        BinaryKind.Sub => a - b,
        BinaryKind.Mul => a * b,
        BinaryKind.Div => a / b,
        _ => a == b ? 1f : 0f,
    };

    /// <summary>dL/da of y = a op b, given dL/dy = g.</summary>
    public static float GradLeft(BinaryKind kind, float a, float b, float g) => kind switch
    {
        BinaryKind.Add or BinaryKind.Sub => g,
        BinaryKind.Mul => g * b,
        _ => g / b,
    };

    /// <summary>dL/db of y = a op b, given dL/dy = g.</summary>
    public static float GradRight(BinaryKind kind, float a, float b, float g) => kind switch
    {
        BinaryKind.Add => g,
        BinaryKind.Sub => -g,
        BinaryKind.Mul => g * a,
        _ => -g * a / (b * b),
    };
}
