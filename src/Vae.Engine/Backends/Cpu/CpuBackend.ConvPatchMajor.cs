namespace Vae.Engine.Backends.Cpu;

/// <summary>
/// The chunk steps of <see cref="CpuBackend.ConvForward"/> and its kin over a patch-major column
/// matrix (<see cref="PatchMajorColumns"/>), for the geometries it fits. The steps and their order
/// are those of the position-major ones; what changes is which products read their operands in
/// place: no product packs the column matrix (the weight gradients are made transposed, packing
/// only the small operand, and summed back over the chunks transposed), and the folds write each
/// pixel once.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    private partial struct ConvJob
    {
        /// <summary>Y (O, chunk * P) = W (O, C*kh*kw) @ columns, then bias and activation on the way into NCHW.</summary>
        private static void ConvForwardPatchMajor(int chunk, ref ConvJob s, float* scratch)
        {
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, rows = count * positions, output = s.Out * positions;
            float* columns = scratch, product = scratch + (long)s.ChunkImages * s.G.ColumnSize;
            PatchMajorColumns.Unfold(s.X + (long)first * s.G.ImageSize, count, s.G, columns, rows);
            s.Gemm(false, false, s.Out, rows, patch, s.Weight, patch, columns, rows, 0f, product, rows);
            for (int i = 0; i < count; i++)
                BiasActivation(product + (long)i * positions, rows, s.Y + (long)(first + i) * output, s.Bias, s.Out, positions, s.Activation, s.Slope);
        }

        /// <summary>dW_chunk^T = columns @ dZ^T; dColumns = W^T @ dZ, folded back onto dX.</summary>
        private static void ConvBackwardPatchMajor(int chunk, ref ConvJob s, float* scratch)
        {
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, rows = count * positions;
            float* dz = scratch, columns = scratch + (long)s.Out * s.ChunkImages * positions;
            float* weightPartial = s.OutputGradients(chunk, first, count, dz, transposed: false);
            if (s.WeightGradient)
            {
                // dW^T (C*kh*kw, O) = columns @ dZ^T reads the columns in place and packs only dZ.
                PatchMajorColumns.Unfold(s.X + (long)first * s.G.ImageSize, count, s.G, columns, rows);
                s.Gemm(false, true, patch, s.Out, rows, columns, rows, dz, rows, 0f, weightPartial, s.Out);
            }
            if (s.DX != null)
            {
                s.Gemm(true, false, patch, rows, s.Out, s.Weight, patch, dz, rows, 0f, columns, rows);
                PatchMajorColumns.Fold(columns, rows, count, s.G, s.DX + (long)first * s.G.ImageSize, accumulate: !s.OverwriteDX);
            }
        }

        /// <summary>columns = W^T @ X with X as (Cin, chunk * P), folded onto the chunk's outputs; then bias and activation in place.</summary>
        private static void TransposeForwardPatchMajor(int chunk, ref ConvJob s, float* scratch)
        {
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, image = s.G.ImageSize, pixels = s.G.Height * s.G.Width, rows = count * positions;
            float* inputs = scratch, columns = scratch + (long)s.In * s.ChunkImages * positions;
            GatherImages(s.X + (long)first * s.In * positions, count, s.In, positions, inputs);
            s.Gemm(true, false, patch, rows, s.In, s.Weight, patch, inputs, rows, 0f, columns, rows);
            PatchMajorColumns.Fold(columns, rows, count, s.G, s.Y + (long)first * image, accumulate: false);
            for (int i = 0; i < count; i++)
            {
                float* y = s.Y + (long)(first + i) * image;
                BiasActivation(y, pixels, y, s.Bias, s.Out, pixels, s.Activation, s.Slope);
            }
        }

        /// <summary>columns = dZ unfolded; dW_chunk^T = columns @ X^T with X as (Cin, chunk * P); dX += W @ columns.</summary>
        private static void TransposeBackwardPatchMajor(int chunk, ref ConvJob s, float* scratch)
        {
            var (first, count) = s.ChunkRange(chunk);
            int positions = s.G.Positions, patch = s.G.Patch, image = s.G.ImageSize, rows = count * positions;
            float* dz = scratch, columns = dz + (long)s.ChunkImages * image, inputs = columns + (long)s.ChunkImages * s.G.ColumnSize;
            float* weightPartial = s.OutputGradients(chunk, first, count, dz, transposed: true);
            if (!s.WeightGradient && s.DX == null) return;
            PatchMajorColumns.Unfold(dz, count, s.G, columns, rows);
            if (s.WeightGradient)
            {
                GatherImages(s.X + (long)first * s.In * positions, count, s.In, positions, inputs);
                s.Gemm(false, true, patch, s.In, rows, columns, rows, inputs, rows, 0f, weightPartial, s.In);
            }
            if (s.DX != null)
            {
                s.Gemm(false, false, s.In, rows, patch, s.Weight, patch, columns, rows, 0f, inputs, rows);
                s.AddInputGradients(inputs, first, count);
            }
        }
    }
}
