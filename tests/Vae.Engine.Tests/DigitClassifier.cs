using Vae.Engine.Backends.Cpu;
using Vae.Engine.Backends;
using Vae.Engine.Data;
using Vae.Engine.Nn;
using Vae.Engine.Ops;
using Vae.Engine.Optim;
using Vae.Engine.Tensors;

namespace Vae.Engine.Tests;

/// <summary>
/// An independent judge of generated digits: a 784-512-10 classifier trained here with the engine
/// on the MNIST training set (three epochs, about 98% on the test set), so tests can ask what digit
/// a model drew without trusting the model itself.
/// </summary>
public sealed class DigitClassifier
{
    private readonly Linear _hidden, _output;

    public DigitClassifier()
    {
        string dir = DatasetFolders.Ensure(Mnist.Name, Mnist.FilesPresent);
        var train = Mnist.Load(dir, DatasetSplit.Train);
        var test = Mnist.Load(dir, DatasetSplit.Test);
        var g = new Generator(17);
        _hidden = new Linear(784, 512, g, CpuBackend.Instance, activation: Activation.Relu);
        _output = new Linear(512, 10, g, CpuBackend.Instance);
        var optimizer = new Adam([.. _hidden.Parameters(), .. _output.Parameters()], 1e-3f);
        var loader = new BatchLoader(train, 128);
        using var threads = ThreadBudget.Use(2);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            loader.Arrange(Generator.ForStream(17, (ulong)epoch));
            for (int b = 0; b < loader.BatchCount; b++)
            {
                using var scope = TensorScope.Begin();
                var (x, labels) = loader.Load(b, CpuBackend.Instance);
                optimizer.ZeroGrad();
                F.CrossEntropy(Logits(x), labels).Backward();
                optimizer.Step();
            }
        }
        var images = new float[test.Count * 784];
        test.CopyBatch(Enumerable.Range(0, test.Count).ToArray(), images);
        var predicted = Predict(images);
        TestAccuracy = predicted.Where((p, i) => p == test.GetLabel(i)).Count() / (double)test.Count;
    }

    /// <summary>Accuracy on the 10,000 MNIST test digits.</summary>
    public double TestAccuracy { get; }

    /// <summary>The most likely digit for each image of 784 values in [0, 1].</summary>
    public int[] Predict(ReadOnlySpan<float> images)
    {
        int n = images.Length / 784;
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var logits = Logits(Tensor.FromArray(images, [n, 784], CpuBackend.Instance));
        return F.ArgMax(logits, 1).ToArray().Select(v => (int)v).ToArray();
    }

    private Tensor Logits(Tensor x) => _output.Forward(_hidden.Forward(F.Flatten(x)));
}
