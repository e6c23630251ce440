namespace Vae.Engine.Data;

/// <summary>Which part of a dataset to read: the images to train on, or the held-out images to evaluate on.</summary>
public enum DatasetSplit
{
    Train,
    Test,
}
