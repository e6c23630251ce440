using Vae.Engine.Backends.Cpu;
using Vae.Engine.Nn;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests.Optim;

/// <summary>The optimizers against their textbook (PyTorch) update rules, computed here in double.</summary>
public class OptimizerTests
{
    private static readonly float[] Start = [0.5f, -1.5f, 2f, 0f, 3f, -0.25f, 1f, 7f, -3f, 0.1f];

    /// <summary>A gradient that changes with the parameter, so several steps test the state.</summary>
    private static double Gradient(double p, int i) => 2 * p - 0.3 * i + 0.1;

    private static void SetGradients(Tensor p)
    {
        var values = p.ToArray();
        var g = p.GradForAccumulation();
        g.CopyFrom(values.Select((v, i) => (float)Gradient(v, i)).ToArray());
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.01f)]
    public void Adam_follows_pytorchs_update_with_bias_correction(float weightDecay)
    {
        var p = Init.Parameter([Start.Length], Start, CpuBackend.Instance);
        var adam = new Adam([p], lr: 0.1f, weightDecay: weightDecay);
        double[] x = Start.Select(v => (double)v).ToArray(), m = new double[x.Length], v = new double[x.Length];
        for (int step = 1; step <= 5; step++)
        {
            SetGradients(p);
            adam.Step();
            for (int i = 0; i < x.Length; i++)
            {
                double g = Gradient(x[i], i) + weightDecay * x[i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, step)) + 1e-8;
                x[i] -= 0.1 / (1 - Math.Pow(0.9, step)) * m[i] / denom;
            }
            var actual = p.ToArray();
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], actual[i], 4);
        }
        Assert.Equal(5, adam.StepCount);
    }

    [Theory]
    [InlineData(0f, 0f, false)]
    [InlineData(0.9f, 0f, false)]
    [InlineData(0.9f, 0.1f, false)]
    [InlineData(0.9f, 0f, true)]
    public void Sgd_with_momentum_follows_pytorchs_update(float momentum, float dampening, bool nesterov)
    {
        var p = Init.Parameter([Start.Length], Start, CpuBackend.Instance);
        var sgd = new Sgd([p], lr: 0.05f, momentum: momentum, dampening: dampening, weightDecay: 0.01f, nesterov: nesterov);
        double[] x = Start.Select(v => (double)v).ToArray(), buf = new double[x.Length];
        for (int step = 1; step <= 4; step++)
        {
            SetGradients(p);
            sgd.Step();
            for (int i = 0; i < x.Length; i++)
            {
                double d = Gradient(x[i], i) + 0.01 * x[i];
                if (momentum != 0)
                {
                    buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                x[i] -= 0.05 * d;
            }
            var actual = p.ToArray();
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], actual[i], 4);
        }
    }

    [Fact]
    public void Adam_state_saved_and_restored_continues_identically()
    {
        var a = Init.Parameter([Start.Length], Start, CpuBackend.Instance);
        var adamA = new Adam([a], lr: 0.05f);
        for (int i = 0; i < 3; i++) { SetGradients(a); adamA.Step(); }

        var b = Init.Parameter([Start.Length], a.ToArray(), CpuBackend.Instance);
        var adamB = new Adam([b], lr: 0.05f);
        adamB.LoadState(adamA.StepCount, adamA.StateTensors().ToDictionary(s => s.Name, s => (s.Tensor.Shape, s.Tensor.ToArray())), "test");

        SetGradients(a); adamA.Step();
        SetGradients(b); adamB.Step();
        Assert.Equal(a.ToArray(), b.ToArray());
    }
}
