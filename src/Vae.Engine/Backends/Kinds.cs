namespace Vae.Engine.Backends;

/// <summary>
/// Pointwise functions of one tensor. Alpha is the slope of LeakyRelu, the factor of Scale, the
/// addend of AddScalar, the floor of ClampMin and the threshold of Step.
/// </summary>
public enum UnaryKind { Neg, Scale, AddScalar, Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Softplus, Square, Sqrt, Abs, ClampMin, Step }

/// <summary>Pointwise functions of two broadcast tensors. Equal gives 1 or 0 and has no gradient.</summary>
public enum BinaryKind { Add, Sub, Mul, Div, Equal }

/// <summary>How a reduction folds a dimension. ArgMax gives the index of the first largest value, as a float.</summary>
public enum ReduceKind { Sum, Max, ArgMax }

/// <summary>Activations that can be fused into a linear layer; their derivative is a function of the output.</summary>
public enum Activation { None, Relu, LeakyRelu, Sigmoid, Tanh }
