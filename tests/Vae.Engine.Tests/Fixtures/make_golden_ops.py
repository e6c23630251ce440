"""Writes golden_ops.json: reference forward and backward values of single
tensor ops (convolutions, normalisation, pooling, activations, losses, views,
optimizer steps...), computed by PyTorch in float32 on the CPU.

usage: /usr/bin/python3 make_golden_ops.py [OUTPUT_JSON]

The output is deterministic: every case seeds torch with crc32(case name) before
drawing its inputs (randn / rand, scaled per case) and then its upstream
gradients (randn), and torch runs on one thread. Running the script twice gives
identical bytes.

Format
------
{
  "generator": "make_golden_ops.py",
  "torch": "<torch.__version__>",
  "cases": [
    {
      "name": "conv2d_k3_s1_p1_bias",       unique, snake_case
      "op": "conv2d",                       op family, see the table below
      "args": {...},                        op settings: ints, floats, bools, lists, strings
      "inputs": {"x": T, "weight": T, ...}, every tensor input, in the op's argument order
      "outputs": {"y": T, ...},             forward results
      "upstream": {"y": T},                 dL/d(output), only for differentiable outputs
      "grads": {"x": T, ...}                dL/d(input) for each input that requires grad
    }, ...
  ]
}

T is {"shape": [d0, d1, ...], "data": [flat row-major values]}. A scalar
(shape []) has exactly one value in "data". Values are float32 numbers printed
with 9 significant digits: parsing one as float32, or as float64 and then
rounding to float32, gives back the exact float32. Integer inputs (class labels)
are stored as floats; such cases have "labels_are_integers": true in "args".

L = sum over the outputs k listed in "upstream" of sum(outputs[k] * upstream[k]),
and "grads" holds dL/d(input) for exactly the inputs that require grad. Inputs
absent from "grads" (targets, labels, masks, running statistics, the "w" of the
view cases) do not require grad. Cases without gradients (one_hot and the
optimizer cases) have neither "upstream" nor "grads". Loss cases output a scalar
"value" whose upstream is a random scalar too (not 1).

Tensor layouts are PyTorch's: NCHW activations, conv2d weight (Cout, Cin, kh, kw),
conv_transpose2d weight (Cin, Cout, kh, kw). F is torch.nn.functional,
N is torch.distributions.Normal, a = case["args"], and the names are the keys of
"inputs"; outputs are named on the left.

op                    torch call
--------------------  ------------------------------------------------------------
conv2d                y = F.conv2d(x, weight, bias or None, stride=a.stride,
                          padding=a.padding, dilation=a.dilation)
conv_transpose2d      y = F.conv_transpose2d(x, weight, bias or None, stride=a.stride,
                          padding=a.padding, output_padding=a.output_padding)
batch_norm            rm = running_mean_before.clone(); rv = running_var_before.clone()
                      y = F.batch_norm(x, rm, rv, weight, bias, training=a.training,
                          momentum=a.momentum, eps=a.eps)
                      running_mean_after = rm; running_var_after = rv (updated in
                      place when training: r = (1 - momentum) * r + momentum * batch
                      stat, the variance stat being the UNBIASED batch variance,
                      while y is normalised with the biased one). Statistics are
                      per channel (dim 1) over all other dims.
upsample_nearest      y = F.interpolate(x, scale_factor=a.scale_factor, mode="nearest")
adaptive_avg_pool2d   y = F.adaptive_avg_pool2d(x, a.output_size); output cell i
                          averages input rows floor(i*H/oh) .. ceil((i+1)*H/oh)-1
                          (same for columns), so windows may overlap
mean_hw               y = x.mean(dim=(2, 3))
max_pool2d            y = F.max_pool2d(x, a.kernel, a.stride, a.padding) (padding is
                          -inf; the gradient goes to the arg-max of each window,
                          summed where windows overlap)
dropout_with_mask     y = x * (mask / (1 - a.p)): the scale is applied to the mask
                          first (as torch's dropout does), 1 - p is taken in float64
flatten               y = torch.flatten(x, a.start_dim, a.end_dim)
unflatten             y = x.unflatten(a.dim, a.sizes)
one_hot               y = F.one_hot(labels.long(), a.num_classes).float()
embedding             y = F.embedding(labels.long(), weight)
leaky_relu            y = F.leaky_relu(x, a.negative_slope)
tanh                  y = torch.tanh(x)
sigmoid               y = torch.sigmoid(x)
softplus              y = F.softplus(x, beta=a.beta, threshold=a.threshold):
                          x if x*beta > threshold else log1p(exp(x*beta)) / beta;
                          the gradient is g if x*beta > threshold else
                          (g * z) / (z + 1) with z = exp(x*beta), in that float32
                          order (x = 20 exactly takes the log1p branch)
gaussian_nll_fixed    value = -N(mean, a.sigma).log_prob(x).sum()
gaussian_nll_learned  value = -N(mean, torch.exp(log_scale)).log_prob(x).sum(),
                          log_scale broadcast against x
                      (N.log_prob(v) = -(v - loc)**2 / (2 * scale**2) - log(scale)
                          - log(sqrt(2*pi)))
kl_monte_carlo        value = (N(mu, std).log_prob(z) - N(0.0, 1.0).log_prob(z)).sum()
kl_closed_form        value = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
cat                   y = torch.cat([x0, x1, (x2)], dim=a.dim)
bce_with_logits       value = F.binary_cross_entropy_with_logits(logits, target,
                          reduction=a.reduction)
cross_entropy         value = F.cross_entropy(logits, labels.long(), reduction=a.reduction)
log_softmax           y = F.log_softmax(x, dim=a.dim)
bmm                   y = torch.bmm(a, b)
matmul                y = torch.matmul(a, b) (b broadcast over the batch of a)
transpose             y = x.transpose(*a.dims) * w
permute               y = x.permute(*a.dims) * w
narrow                y = x.narrow(a.dim, a.start, a.length) * w
expand                y = x.expand(*a.size) * w
sum_dims              y = x.sum(dim=a.dims, keepdim=a.keepdim)
mean_all              y = x.mean()
mean_dims             y = x.mean(dim=a.dims, keepdim=a.keepdim)
adam                  opt = torch.optim.Adam([p], lr=a.lr, betas=a.betas, eps=a.eps,
                          weight_decay=a.weight_decay); for each k in 1..3:
                          p.grad = g<k>; opt.step(); p<k> = p. One step is
                          g += weight_decay * p (L2, not AdamW);
                          m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
                          p -= (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
sgd                   opt = torch.optim.SGD([p], lr=a.lr, momentum=a.momentum,
                          dampening=a.dampening, nesterov=a.nesterov,
                          weight_decay=a.weight_decay); steps as for adam. One step is
                          g += weight_decay * p; buf = g on the first step (no
                          dampening), else buf = momentum*buf + (1-dampening)*g;
                          d = g + momentum*buf if nesterov else buf; p -= lr * d
"""
import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Normal

CASES = []


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), dtype=torch.float32) * scale


def uniform(lo, hi, *shape):
    return torch.rand(tuple(shape), dtype=torch.float32) * (hi - lo) + lo


def labels(n, classes):
    return torch.randint(0, classes, (n,)).to(torch.float32)


def record(name, op, args, inputs, forward, grad=(), diff=None):
    """Runs forward(inputs) -> {output name: tensor}, and when grad names inputs,
    the backward pass with a random upstream for the outputs in diff (all by default)."""
    assert all(t.dtype == torch.float32 for t in inputs.values()), name
    leaves = {}
    for k, t in inputs.items():
        t = t.detach().clone()
        if k in grad:
            t.requires_grad_(True)
        leaves[k] = t
    outputs = forward(leaves)
    case = {"name": name, "op": op, "args": args, "inputs": leaves, "outputs": outputs}
    if grad:
        diff = list(outputs) if diff is None else diff
        upstream = {k: randn(*outputs[k].shape) for k in diff}
        grads = torch.autograd.grad([outputs[k] for k in diff], [leaves[k] for k in grad],
                                    grad_outputs=[upstream[k] for k in diff])
        case["upstream"] = upstream
        case["grads"] = dict(zip(grad, grads))
    CASES.append(case)


# ---------------------------------------------------------------- convolutions

def conv2d_case(name, x_shape, cout, kernel, stride, padding, dilation, has_bias):
    seed(name)
    cin = x_shape[1]
    fan_in = cin * kernel[0] * kernel[1]
    inputs = {"x": randn(*x_shape), "weight": randn(cout, cin, *kernel, scale=fan_in ** -0.5)}
    if has_bias:
        inputs["bias"] = randn(cout, scale=0.5)
    args = {"stride": stride, "padding": padding, "dilation": dilation, "has_bias": has_bias}
    record(name, "conv2d", args, inputs,
           lambda t: {"y": F.conv2d(t["x"], t["weight"], t.get("bias"), stride=stride,
                                    padding=padding, dilation=dilation)},
           grad=list(inputs))


def conv_transpose2d_case(name, x_shape, cout, kernel, stride, padding, output_padding, has_bias):
    seed(name)
    cin = x_shape[1]
    inputs = {"x": randn(*x_shape), "weight": randn(cin, cout, *kernel, scale=(cin * kernel[0] * kernel[1]) ** -0.5)}
    if has_bias:
        inputs["bias"] = randn(cout, scale=0.5)
    args = {"stride": stride, "padding": padding, "output_padding": output_padding, "has_bias": has_bias}
    record(name, "conv_transpose2d", args, inputs,
           lambda t: {"y": F.conv_transpose2d(t["x"], t["weight"], t.get("bias"), stride=stride,
                                              padding=padding, output_padding=output_padding)},
           grad=list(inputs))


def convolutions():
    conv2d_case("conv2d_k3_s1_p1_bias", (2, 3, 6, 6), 4, [3, 3], [1, 1], [1, 1], [1, 1], True)
    conv2d_case("conv2d_k4_s2_p1_bias", (2, 1, 8, 8), 3, [4, 4], [2, 2], [1, 1], [1, 1], True)
    conv2d_case("conv2d_k3_s2_p1_nobias_odd", (2, 4, 7, 7), 5, [3, 3], [2, 2], [1, 1], [1, 1], False)
    conv2d_case("conv2d_k1_s2_p0_nobias", (2, 4, 6, 6), 6, [1, 1], [2, 2], [0, 0], [1, 1], False)
    conv2d_case("conv2d_k3x2_s1x2_p2_d2_nobias", (1, 2, 7, 9), 3, [3, 2], [1, 2], [2, 2], [2, 2], False)

    conv_transpose2d_case("conv_transpose2d_k4_s2_p1_bias", (2, 4, 3, 3), 2, [4, 4], [2, 2], [1, 1], [0, 0], True)
    conv_transpose2d_case("conv_transpose2d_k3_s2_p1_op1_bias", (2, 3, 4, 4), 2, [3, 3], [2, 2], [1, 1], [1, 1], True)
    conv_transpose2d_case("conv_transpose2d_k3_s1_p1_nobias", (1, 3, 5, 5), 4, [3, 3], [1, 1], [1, 1], [0, 0], False)
    conv_transpose2d_case("conv_transpose2d_k2_s2_p0_nobias_rect", (2, 2, 3, 4), 3, [2, 2], [2, 2], [0, 0], [0, 0], False)


# ---------------------------------------------------------------- batch norm

def batch_norm_case(name, x_shape, training):
    seed(name)
    c = x_shape[1]
    inputs = {
        "x": randn(*x_shape, scale=1.5) + 0.5,
        "running_mean_before": randn(c, scale=0.5),
        "running_var_before": uniform(0.5, 1.5, c),
        "weight": uniform(0.5, 1.5, c),
        "bias": randn(c, scale=0.5),
    }
    momentum, eps = 0.1, 1e-5

    def forward(t):
        rm = t["running_mean_before"].clone()
        rv = t["running_var_before"].clone()
        y = F.batch_norm(t["x"], rm, rv, t["weight"], t["bias"], training=training, momentum=momentum, eps=eps)
        return {"y": y, "running_mean_after": rm, "running_var_after": rv}

    record(name, "batch_norm", {"training": training, "momentum": momentum, "eps": eps}, inputs, forward,
           grad=["x", "weight", "bias"], diff=["y"])


def batch_norms():
    batch_norm_case("batch_norm_2d_train", (4, 3, 5, 5), True)
    batch_norm_case("batch_norm_2d_eval", (4, 3, 5, 5), False)
    batch_norm_case("batch_norm_1d_train", (8, 5), True)
    batch_norm_case("batch_norm_1d_eval", (8, 5), False)
    batch_norm_case("batch_norm_1d_3d_input_train", (4, 3, 6), True)


# ---------------------------------------------------------------- resampling and pooling

def pooling():
    for name, shape, s in [("upsample_nearest_x2", (2, 3, 3, 4), 2), ("upsample_nearest_x3", (1, 2, 2, 3), 3)]:
        seed(name)
        record(name, "upsample_nearest", {"scale_factor": s}, {"x": randn(*shape)},
               lambda t, s=s: {"y": F.interpolate(t["x"], scale_factor=s, mode="nearest")}, grad=["x"])

    for name, size in [("adaptive_avg_pool2d_1x1", [1, 1]), ("adaptive_avg_pool2d_3x2", [3, 2]),
                       ("adaptive_avg_pool2d_7x5_identity", [7, 5])]:
        seed(name)
        record(name, "adaptive_avg_pool2d", {"output_size": size}, {"x": randn(2, 3, 7, 5)},
               lambda t, size=size: {"y": F.adaptive_avg_pool2d(t["x"], size)}, grad=["x"])

    name = "mean_hw"
    seed(name)
    record(name, "mean_hw", {}, {"x": randn(2, 4, 3, 5)}, lambda t: {"y": t["x"].mean(dim=(2, 3))}, grad=["x"])

    for name, shape, k, s, p in [("max_pool2d_k2_s2_p0", (2, 3, 6, 6), 2, 2, 0),
                                 ("max_pool2d_k3_s2_p1", (1, 2, 7, 7), 3, 2, 1)]:
        seed(name)
        args = {"kernel": [k, k], "stride": [s, s], "padding": [p, p], "dilation": [1, 1], "ceil_mode": False}
        record(name, "max_pool2d", args, {"x": randn(*shape)},
               lambda t, k=k, s=s, p=p: {"y": F.max_pool2d(t["x"], k, s, p)}, grad=["x"])


# ---------------------------------------------------------------- dropout, shapes, labels

def misc():
    name = "dropout_with_mask_p0_3"
    seed(name)
    p = 0.3
    inputs = {"x": randn(4, 6), "mask": (torch.rand(4, 6) >= p).to(torch.float32)}
    record(name, "dropout_with_mask", {"p": p}, inputs, lambda t: {"y": t["x"] * (t["mask"] / (1 - p))}, grad=["x"])

    name = "flatten_start1"
    seed(name)
    record(name, "flatten", {"start_dim": 1, "end_dim": -1}, {"x": randn(2, 3, 4, 5)},
           lambda t: {"y": torch.flatten(t["x"], 1, -1)}, grad=["x"])
    name = "unflatten_dim1_3x4"
    seed(name)
    record(name, "unflatten", {"dim": 1, "sizes": [3, 4]}, {"x": randn(2, 12)},
           lambda t: {"y": t["x"].unflatten(1, (3, 4))}, grad=["x"])

    name = "one_hot_10"
    seed(name)
    record(name, "one_hot", {"num_classes": 10, "labels_are_integers": True}, {"labels": labels(6, 10)},
           lambda t: {"y": F.one_hot(t["labels"].long(), 10).to(torch.float32)})

    name = "embedding_10x4"
    seed(name)
    lab = labels(6, 10)
    lab[5] = lab[1]  # a repeated label: its weight row gathers two upstream rows
    record(name, "embedding", {"labels_are_integers": True}, {"labels": lab, "weight": randn(10, 4)},
           lambda t: {"y": F.embedding(t["labels"].long(), t["weight"])}, grad=["weight"])


# ---------------------------------------------------------------- activations

def activations():
    name = "leaky_relu_0_2"
    seed(name)
    x = randn(3, 4)
    x = x + 0.05 * torch.sign(x)  # keeps every value at least 0.05 away from the kink
    assert (x.abs() >= 0.05).all()
    record(name, "leaky_relu", {"negative_slope": 0.2}, {"x": x},
           lambda t: {"y": F.leaky_relu(t["x"], 0.2)}, grad=["x"])

    name = "tanh"
    seed(name)
    record(name, "tanh", {}, {"x": randn(3, 4, scale=2.0)}, lambda t: {"y": torch.tanh(t["x"])}, grad=["x"])

    name = "sigmoid"
    seed(name)
    record(name, "sigmoid", {}, {"x": randn(3, 4, scale=4.0)}, lambda t: {"y": torch.sigmoid(t["x"])}, grad=["x"])

    name = "softplus_beta1_threshold20"
    seed(name)
    x = uniform(-25.0, 25.0, 4, 6)
    # the branch edges: exactly at the threshold (log1p branch), just above (identity), and the extremes
    x.view(-1)[:6] = torch.tensor([20.0, 20.5, 19.5, -25.0, 25.0, 0.0])
    record(name, "softplus", {"beta": 1.0, "threshold": 20.0}, {"x": x},
           lambda t: {"y": F.softplus(t["x"], beta=1.0, threshold=20.0)}, grad=["x"])


# ---------------------------------------------------------------- likelihoods and KL

def likelihoods():
    name = "gaussian_nll_fixed_sigma0_7"
    seed(name)
    sigma = 0.7
    inputs = {"mean": randn(4, 6), "x": uniform(0.0, 1.0, 4, 6)}
    record(name, "gaussian_nll_fixed", {"sigma": sigma, "reduction": "sum"}, inputs,
           lambda t: {"value": -Normal(t["mean"], sigma).log_prob(t["x"]).sum()}, grad=["mean"])

    for name, x_shape, ls_shape in [("gaussian_nll_learned_scalar", (4, 6), (1,)),
                                    ("gaussian_nll_learned_per_channel", (2, 3, 4, 4), (3, 1, 1))]:
        seed(name)
        inputs = {"mean": randn(*x_shape), "log_scale": randn(*ls_shape, scale=0.3), "x": uniform(0.0, 1.0, *x_shape)}
        record(name, "gaussian_nll_learned", {"reduction": "sum"}, inputs,
               lambda t: {"value": -Normal(t["mean"], torch.exp(t["log_scale"])).log_prob(t["x"]).sum()},
               grad=["mean", "log_scale"])

    name = "kl_monte_carlo"
    seed(name)
    inputs = {"z": randn(3, 4), "mu": randn(3, 4, scale=0.5), "std": uniform(0.5, 1.5, 3, 4)}
    record(name, "kl_monte_carlo", {"reduction": "sum"}, inputs,
           lambda t: {"value": (Normal(t["mu"], t["std"]).log_prob(t["z"])
                                - Normal(0.0, 1.0).log_prob(t["z"])).sum()},
           grad=["z", "mu", "std"])

    name = "kl_closed_form"
    seed(name)
    inputs = {"mu": randn(4, 5), "logvar": randn(4, 5, scale=0.5)}
    record(name, "kl_closed_form", {"reduction": "sum"}, inputs,
           lambda t: {"value": -0.5 * torch.sum(1 + t["logvar"] - t["mu"].pow(2) - t["logvar"].exp())},
           grad=["mu", "logvar"])


# ---------------------------------------------------------------- losses on logits

def logit_losses():
    for name, shape, reduction in [("bce_with_logits_sum", (4, 6), "sum"), ("bce_with_logits_mean", (4, 6), "mean"),
                                   ("bce_with_logits_sum_mnist_batch", (5, 784), "sum")]:
        seed(name)
        inputs = {"logits": uniform(-8.0, 8.0, *shape), "target": uniform(0.0, 1.0, *shape)}
        record(name, "bce_with_logits", {"reduction": reduction}, inputs,
               lambda t, r=reduction: {"value": F.binary_cross_entropy_with_logits(t["logits"], t["target"], reduction=r)},
               grad=["logits"])

    for name, reduction in [("cross_entropy_sum", "sum"), ("cross_entropy_mean", "mean")]:
        seed(name)
        inputs = {"logits": randn(6, 10, scale=2.0), "labels": labels(6, 10)}
        record(name, "cross_entropy", {"reduction": reduction, "labels_are_integers": True}, inputs,
               lambda t, r=reduction: {"value": F.cross_entropy(t["logits"], t["labels"].long(), reduction=r)},
               grad=["logits"])

    name = "log_softmax_dim1"
    seed(name)
    record(name, "log_softmax", {"dim": 1}, {"x": randn(6, 10, scale=2.0)},
           lambda t: {"y": F.log_softmax(t["x"], dim=1)}, grad=["x"])


# ---------------------------------------------------------------- cat, matmul, views, reductions

def tensor_ops():
    for name, dim, shapes in [("cat_dim0", 0, [(2, 3, 4), (1, 3, 4), (3, 3, 4)]),
                              ("cat_dim1", 1, [(2, 1, 4), (2, 3, 4)]),
                              ("cat_dim2", 2, [(2, 3, 2), (2, 3, 1), (2, 3, 3)])]:
        seed(name)
        inputs = {f"x{i}": randn(*s) for i, s in enumerate(shapes)}
        record(name, "cat", {"dim": dim}, inputs, lambda t, d=dim: {"y": torch.cat(list(t.values()), dim=d)},
               grad=list(inputs))

    name = "bmm_3x2x4_3x4x5"
    seed(name)
    record(name, "bmm", {}, {"a": randn(3, 2, 4), "b": randn(3, 4, 5)},
           lambda t: {"y": torch.bmm(t["a"], t["b"])}, grad=["a", "b"])
    name = "matmul_broadcast_3x2x4_4x5"
    seed(name)
    record(name, "matmul", {}, {"a": randn(3, 2, 4), "b": randn(4, 5)},
           lambda t: {"y": torch.matmul(t["a"], t["b"])}, grad=["a", "b"])

    views = [
        ("transpose_0_1", "transpose", {"dims": [0, 1]}, (3, 4), lambda x: x.transpose(0, 1)),
        ("permute_2_0_1", "permute", {"dims": [2, 0, 1]}, (2, 3, 4), lambda x: x.permute(2, 0, 1)),
        ("narrow_dim1_start1_len2", "narrow", {"dim": 1, "start": 1, "length": 2}, (3, 4, 5),
         lambda x: x.narrow(1, 1, 2)),
        ("expand_3x1_to_3x4", "expand", {"size": [3, 4]}, (3, 1), lambda x: x.expand(3, 4)),
        ("expand_1x4x1_to_2x4x3", "expand", {"size": [2, 4, 3]}, (1, 4, 1), lambda x: x.expand(2, 4, 3)),
    ]
    for name, op, args, shape, view in views:
        seed(name)
        x = randn(*shape)
        w = randn(*view(x).shape)
        record(name, op, args, {"x": x, "w": w}, lambda t, v=view: {"y": v(t["x"]) * t["w"]}, grad=["x"])

    name = "sum_dim1_keepdim"
    seed(name)
    record(name, "sum_dims", {"dims": [1], "keepdim": True}, {"x": randn(2, 3, 4)},
           lambda t: {"y": t["x"].sum(dim=1, keepdim=True)}, grad=["x"])
    name = "mean_all"
    seed(name)
    record(name, "mean_all", {}, {"x": randn(2, 3, 4)}, lambda t: {"y": t["x"].mean()}, grad=["x"])
    name = "mean_dims_0_2"
    seed(name)
    record(name, "mean_dims", {"dims": [0, 2], "keepdim": False}, {"x": randn(2, 3, 4)},
           lambda t: {"y": t["x"].mean(dim=(0, 2))}, grad=["x"])


# ---------------------------------------------------------------- optimizers

def optimizer_case(name, op, args, make):
    seed(name)
    inputs = {"p": randn(3, 4), "g1": randn(3, 4), "g2": randn(3, 4), "g3": randn(3, 4)}

    def forward(t):
        p = t["p"].clone().requires_grad_(True)
        opt = make([p])
        out = {}
        for k in (1, 2, 3):
            p.grad = t[f"g{k}"].clone()
            opt.step()
            out[f"p{k}"] = p.detach().clone()
        return out

    record(name, op, args, inputs, forward)


def optimizers():
    for name, lr, wd in [("adam_lr0_001", 1e-3, 0.0), ("adam_lr0_01_wd0_01", 1e-2, 0.01)]:
        args = {"lr": lr, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": wd, "amsgrad": False}
        optimizer_case(name, "adam", args,
                       lambda ps, lr=lr, wd=wd: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                                                 weight_decay=wd, foreach=False))
    for name, nesterov, wd, damp in [("sgd_momentum0_9", False, 0.0, 0.0), ("sgd_momentum0_9_nesterov", True, 0.0, 0.0),
                                     ("sgd_momentum0_9_wd0_01_dampening0_1", False, 0.01, 0.1)]:
        args = {"lr": 0.1, "momentum": 0.9, "dampening": damp, "nesterov": nesterov, "weight_decay": wd}
        optimizer_case(name, "sgd", args,
                       lambda ps, n=nesterov, wd=wd, d=damp: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=d,
                                                                            nesterov=n, weight_decay=wd, foreach=False))


# ---------------------------------------------------------------- output

def tensor_values(t):
    a = t.detach().to(torch.float32).contiguous().numpy().reshape(-1)
    assert np.isfinite(a).all()
    return a


def fmt_value(v):
    """9 significant digits; -0.0 keeps its sign (a bare "-0" would read back as the integer 0)."""
    if v == 0.0:
        return "-0.0" if np.signbit(v) else "0"
    return "%.9g" % v


def fmt_tensor(t):
    a = tensor_values(t)
    data = ",".join(fmt_value(v) for v in a.tolist())
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(t.shape)), data)


def fmt_case(case):
    lines = ['  {', f'   "name": {json.dumps(case["name"])},', f'   "op": {json.dumps(case["op"])},',
             f'   "args": {json.dumps(case["args"])}']
    for section in ("inputs", "outputs", "upstream", "grads"):
        if section not in case:
            continue
        lines[-1] += ","
        lines.append(f'   "{section}": {{')
        items = [f'    {json.dumps(k)}: {fmt_tensor(v)}' for k, v in case[section].items()]
        lines.append(",\n".join(items))
        lines.append('   }')
    lines.append('  }')
    return "\n".join(lines)


def self_check(path):
    """Reloads the file: names unique, data length = product of shape, every value
    the exact float32 that was computed, and the sections consistent."""
    with open(path) as f:
        doc = json.load(f)
    assert doc["generator"] == "make_golden_ops.py" and doc["torch"] == torch.__version__
    assert len(doc["cases"]) == len(CASES)
    assert len({c["name"] for c in doc["cases"]}) == len(CASES), "case names must be unique"
    for got, want in zip(doc["cases"], CASES):
        assert got["name"] == want["name"] and got["op"] == want["op"] and got["args"] == want["args"]
        assert list(got) == [k for k in ("name", "op", "args", "inputs", "outputs", "upstream", "grads") if k in want]
        for section in ("inputs", "outputs", "upstream", "grads"):
            if section not in want:
                continue
            assert list(got[section]) == list(want[section]), (want["name"], section)
            for k, t in got[section].items():
                ref = want[section][k]
                assert t["shape"] == list(ref.shape), (want["name"], section, k)
                assert len(t["data"]) == int(np.prod(t["shape"], dtype=np.int64)), (want["name"], section, k)
                back = np.array(t["data"], dtype=np.float64).astype(np.float32)
                assert np.array_equal(back.view(np.uint32), tensor_values(ref).view(np.uint32)), \
                    (want["name"], section, k)
        if "grads" in got:
            assert set(got["upstream"]) <= set(got["outputs"])
            assert set(got["grads"]) <= set(got["inputs"])
            for k in got["upstream"]:
                assert got["upstream"][k]["shape"] == got["outputs"][k]["shape"]
            for k in got["grads"]:
                assert got["grads"][k]["shape"] == got["inputs"][k]["shape"]
        else:
            assert "upstream" not in got


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_ops.json")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)

    convolutions()
    batch_norms()
    pooling()
    misc()
    activations()
    likelihoods()
    logit_losses()
    tensor_ops()
    optimizers()

    text = ('{\n "generator": "make_golden_ops.py",\n "torch": %s,\n "cases": [\n' % json.dumps(torch.__version__)
            + ",\n".join(fmt_case(c) for c in CASES) + "\n ]\n}\n")
    with open(out, "w") as f:
        f.write(text)
    self_check(out)
    print(f"wrote {out}: {os.path.getsize(out)} bytes, {len(CASES)} cases")


if __name__ == "__main__":
    main()
