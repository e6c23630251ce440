namespace Vae.Engine.Backends;

/// <summary>Pointwise functions of one tensor. Alpha is the slope of LeakyRelu and the factor of Scale.</summary>
public enum UnaryKind { Neg, Scale, AddScalar, Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Softplus, Square, Sqrt, Abs }

/// <summary>Pointwise functions of two broadcast tensors.</summary>
public enum BinaryKind { Add, Sub, Mul, Div }

/// <summary>Activations that can be fused into a linear layer; their derivative is a function of the output.</summary>
public enum Activation { None, Relu, LeakyRelu, Sigmoid, Tanh }
