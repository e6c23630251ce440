using Vae.Engine.Diagnostics;

namespace Vae.Engine.Tensors;

/// <summary>One recorded op: its inputs and the function that pushes the output's gradient back to them.</summary>
internal sealed class GradNode(string name, Tensor[] inputs, Action<Tensor> backward)
{
    public string Name { get; } = name;
    public Tensor[] Inputs { get; } = inputs;
    /// <summary>Receives the output's gradient; adds into the inputs' gradients.</summary>
    public Action<Tensor> Backward { get; } = backward;
    /// <summary>The FLOPs of the backward pass, for the step profile (0 when not profiling).</summary>
    public long Work { get; set; }
}

/// <summary>Reverse-mode automatic differentiation over the graph the ops record.</summary>
public static class Autograd
{
    [ThreadStatic] private static int _noGradDepth;
    private static int _lastMark;

    /// <summary>True when ops should record a graph on this thread.</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Inference: no graph is recorded while the returned scope is open.</summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope();
    }

    public readonly struct NoGradScope : IDisposable
    {
        public void Dispose() => _noGradDepth--;
    }

    /// <summary>Whether an op over these inputs must record itself.</summary>
    internal static bool Needs(Tensor a) => _noGradDepth == 0 && a.RequiresGrad;
    internal static bool Needs(Tensor a, Tensor b) => _noGradDepth == 0 && (a.RequiresGrad || b.RequiresGrad);
    internal static bool Needs(Tensor a, Tensor b, Tensor c) => _noGradDepth == 0 && (a.RequiresGrad || b.RequiresGrad || c.RequiresGrad);
    internal static bool Needs(ReadOnlySpan<Tensor> inputs)
    {
        if (_noGradDepth != 0) return false;
        foreach (var t in inputs) if (t.RequiresGrad) return true;
        return false;
    }

    internal static void Record(Tensor output, string name, Tensor[] inputs, Action<Tensor> backward)
    {
        output.RequiresGrad = true;
        output.Node = new GradNode(name, inputs, backward);
        // The op's forward work ran since the previous op recorded itself.
        if (StepProfiler.Active)
        {
            output.Node.Work = StepProfiler.TakeBackwardWork();
            StepProfiler.Mark(ProfileLabel("fwd", name, inputs, output));
        }
    }

    /// <summary>
    /// Accumulates d(root)/d(leaf) into every leaf's <see cref="Tensor.Grad"/>. The root must hold one
    /// element unless <paramref name="gradient"/> is given. The graph is released afterwards, and so
    /// are the gradients of the tensors in it that are not leaves. With <paramref name="freeIntermediates"/>
    /// the values of those tensors go too, each as soon as the ops that use it have run their backward
    /// pass, as PyTorch frees saved tensors: training's memory then falls during the backward pass
    /// instead of staying at the forward pass's peak. Read any value you need before calling it.
    /// </summary>
    public static void Backward(Tensor root, Tensor? gradient = null, bool freeIntermediates = false)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException("Backward() was called on a tensor that does not require a gradient: no parameter took part in computing it.");
        if (gradient is null && root.Count != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor; this one has shape {ShapeOf.Format(root.Shape)}.");

        var order = TopologicalOrder(root);
        var seed = root.GradForAccumulation();
        if (gradient is null) seed.FillInPlace(1f);
        else seed.CopyFrom(gradient);

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var node = t.Node!;
            if (t.Grad is not null)
            {
                if (StepProfiler.Active) StepProfiler.Mark("bwd bookkeeping");
                node.Backward(t.Grad);
                if (StepProfiler.Active)
                {
                    StepProfiler.Work(node.Work);
                    StepProfiler.Mark(ProfileLabel("bwd", node.Name, node.Inputs, t));
                }
            }
            t.Node = null;
            // Every op that uses t came later in the forward pass, so its gradient is complete and
            // now consumed: its memory goes back to the pool for the ops still to run, as in PyTorch,
            // where only leaves keep a gradient.
            t.Grad?.Dispose();
            t.Grad = null;
            // Everything that reads t ran before it in this order, and t's own backward has run.
            if (freeIntermediates && !ReferenceEquals(t, root)) t.Dispose();
        }
    }

    /// <summary>"fwd conv2d 128x1x28x28>128x32x14x14": the op and its first input's and output's shapes tell the layers apart.</summary>
    private static string ProfileLabel(string pass, string name, Tensor[] inputs, Tensor output)
        => $"{pass} {name} {(inputs.Length > 0 ? Dims(inputs[0].Shape) : "-")}>{Dims(output.Shape)}";

    private static string Dims(int[] shape) => shape.Length == 0 ? "1" : string.Join('x', shape);

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        int mark = Interlocked.Increment(ref _lastMark);
        var order = new List<Tensor>();
        var stack = new Stack<(Tensor Tensor, int Next)>();
        root.VisitMark = mark;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.Node?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (input.Node is not null && input.VisitMark != mark)
                {
                    input.VisitMark = mark;
                    stack.Push((input, 0));
                }
            }
            else if (t.Node is not null)
            {
                order.Add(t);
            }
        }
        return order;
    }
}

public sealed partial class Tensor
{
    /// <summary>Computes gradients of this tensor with respect to every leaf that requires one.</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    /// <summary>As <see cref="Backward(Tensor?)"/>, also freeing every intermediate value as soon as it is no longer needed (training steps).</summary>
    public void Backward(bool freeIntermediates) => Autograd.Backward(this, null, freeIntermediates);
}
