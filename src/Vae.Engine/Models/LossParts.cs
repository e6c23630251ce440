using Vae.Engine.Tensors;

namespace Vae.Engine.Models;

/// <summary>
/// One batch's loss, summed over the batch in nats: Total = Reconstruction + Beta * Kl.
/// Total is the tensor to differentiate; the parts are for reporting.
/// </summary>
public sealed record LossParts(Tensor Total, Tensor Reconstruction, Tensor Kl);
