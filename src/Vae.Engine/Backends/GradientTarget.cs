namespace Vae.Engine.Backends;

/// <summary>
/// Where a backward kernel puts the gradient of one input: added to what <see cref="Buffer"/> holds,
/// or, with <see cref="Overwrite"/>, written in place of it. A gradient's first contribution in a
/// step overwrites: its buffer is new, or was cleared by <see cref="Tensors.Tensor.ZeroGrad"/>
/// without being filled, and holds whatever it held before. A kernel given Overwrite must write
/// every element, zero where it has nothing to add.
/// </summary>
public readonly record struct GradientTarget(BufferRef Buffer, bool Overwrite);
