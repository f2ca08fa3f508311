"""Keras shape rules: the output shape of a layer call from its config and the
shapes of its inputs (batch dimension left out), with its multiply-accumulates
and weight count. Keras 2 JSON stores no shapes, so the importer needs these
to count tokens; they follow Keras's own `compute_output_shape` arithmetic
(floor/ceil of 'valid'/'same' padding, dilation, transposed convolutions).

A rule raises ShapeError when it cannot give the exact shape; the importer
turns that into an error naming the layer, so no guessed number gets out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]


class ShapeError(Exception):
    """A layer call whose output shape cannot be inferred (message says why)."""


@dataclass(frozen=True)
class Call:
    """One call of a layer: the shapes of its tensor arguments in call order,
    its non-tensor operands (Keras 3 positional constants such as the 3.0 of
    `x + 3`, Keras 2's TFOpLambda `y`) and its other keyword arguments."""

    inputs: tuple[Shape, ...]
    constants: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Work:
    """A call's output shape, multiply-accumulates and weight elements; `more`
    holds the shapes of its other outputs (tf.split...)."""

    shape: Shape
    macs: int = 0
    params: int = 0
    more: tuple[Shape, ...] = ()

    @property
    def outputs(self) -> tuple[Shape, ...]:
        return (self.shape, *self.more)


Rule = Callable[[Mapping[str, Any], Call], Work]


def infer(class_name: str, config: Mapping[str, Any], call: Call) -> Work:
    """The Work of calling a layer of `class_name` with `config`; ShapeError if unknown."""
    rule = RULES.get(class_name)
    if rule is None:
        raise ShapeError("no shape rule for this layer type")
    try:
        work = rule(config, call)
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as e:
        raise ShapeError(f"unexpected config or inputs ({type(e).__name__}: {e})") from None
    if not all(isinstance(d, int) and d > 0 for shape in work.outputs for d in shape) or work.macs < 0 or work.params < 0:
        raise ShapeError(f"the config gives output shape {work.shape}, {work.macs} MACs, {work.params} weights")
    return work


# --- helpers -----------------------------------------------------------------------


def _one_input(call: Call) -> Shape:
    if len(call.inputs) != 1:
        raise ShapeError(f"expected one input tensor, got {len(call.inputs)}")
    return call.inputs[0]


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    """Keras's normalize_tuple: an int or a list of n ints."""
    if isinstance(value, int):
        return (value,) * n
    if len(value) != n or not all(isinstance(v, int) for v in value):
        raise ShapeError(f"expected {n} integers, got {value!r}")
    return tuple(value)


def _channels_last(config: Mapping[str, Any]) -> bool:
    fmt = config.get("data_format") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ShapeError(f"unknown data_format {fmt!r}")
    return fmt == "channels_last"


def _split(shape: Shape, rank: int, config: Mapping[str, Any]) -> tuple[Shape, int]:
    """(spatial dims, channels) of a `rank`-D feature map."""
    if len(shape) != rank + 1:
        raise ShapeError(f"expected a {rank}-D feature map with channels, got shape {shape}")
    return (shape[:-1], shape[-1]) if _channels_last(config) else (shape[1:], shape[0])


def _join(spatial: Sequence[int], channels: int, config: Mapping[str, Any]) -> Shape:
    return (*spatial, channels) if _channels_last(config) else (channels, *spatial)


def _conv_length(length: int, kernel: int, padding: str, stride: int, dilation: int = 1) -> int:
    """Keras conv_output_length: 'valid' floors, 'same'/'causal' ceil."""
    span = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = -(-length // stride)
    elif padding == "valid":
        out = (length - span) // stride + 1
    else:
        raise ShapeError(f"unknown padding {padding!r}")
    if out <= 0:
        raise ShapeError(f"input length {length} is too small for a window of {span} with padding {padding!r}")
    return out


def _deconv_length(length: int, kernel: int, padding: str, stride: int, dilation: int, output_padding: int | None) -> int:
    """Keras deconv_output_length (Conv*DTranspose)."""
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(span - stride, 0)
        if padding == "same":
            return length * stride
        raise ShapeError(f"unknown padding {padding!r}")
    pad = {"same": span // 2, "valid": 0}.get(padding)
    if pad is None:
        raise ShapeError(f"unknown padding {padding!r}")
    return (length - 1) * stride + span - 2 * pad + output_padding


def _bias(config: Mapping[str, Any], n: int) -> int:
    return n if config.get("use_bias", True) else 0


# --- convolutions -------------------------------------------------------------------


def _window(config: Mapping[str, Any], rank: int) -> tuple[Shape, Shape, Shape, str]:
    """(kernel, strides, dilation, padding) of a convolution config."""
    return (
        _tuple(config["kernel_size"], rank),
        _tuple(config.get("strides", 1), rank),
        _tuple(config.get("dilation_rate", 1), rank),
        config.get("padding", "valid"),
    )


def _conv_spatial(spatial: Shape, config: Mapping[str, Any], rank: int) -> Shape:
    kernel, strides, dilation, padding = _window(config, rank)
    return tuple(_conv_length(n, k, padding, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation))


def conv(rank: int) -> Rule:
    """ConvND: `filters` output channels over `groups` channel groups."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, cin = _split(_one_input(call), rank, config)
        filters, groups = config["filters"], config.get("groups", 1)
        if cin % groups or filters % groups:
            raise ShapeError(f"{cin} input channels and {filters} filters do not split into {groups} groups")
        out = _conv_spatial(spatial, config, rank)
        per_output = math.prod(_tuple(config["kernel_size"], rank)) * (cin // groups)
        return Work(_join(out, filters, config), math.prod(out) * filters * per_output, per_output * filters + _bias(config, filters))

    return rule


def depthwise_conv(rank: int) -> Rule:
    """DepthwiseConvND: `depth_multiplier` filters per input channel."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, cin = _split(_one_input(call), rank, config)
        cout = cin * config.get("depth_multiplier", 1)
        out = _conv_spatial(spatial, config, rank)
        k = math.prod(_tuple(config["kernel_size"], rank))
        return Work(_join(out, cout, config), math.prod(out) * cout * k, k * cout + _bias(config, cout))

    return rule


def separable_conv(rank: int) -> Rule:
    """SeparableConvND: a depthwise convolution, then a 1x1 convolution to `filters`."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, cin = _split(_one_input(call), rank, config)
        mid, filters = cin * config.get("depth_multiplier", 1), config["filters"]
        out = _conv_spatial(spatial, config, rank)
        k = math.prod(_tuple(config["kernel_size"], rank))
        macs = math.prod(out) * mid * (k + filters)
        return Work(_join(out, filters, config), macs, k * mid + mid * filters + _bias(config, filters))

    return rule


def conv_transpose(rank: int) -> Rule:
    """ConvNDTranspose: each input pixel spreads a kernel over `filters` channels."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, cin = _split(_one_input(call), rank, config)
        kernel, strides, dilation, padding = _window(config, rank)
        out_pad = config.get("output_padding")
        out_pad = (None,) * rank if out_pad is None else _tuple(out_pad, rank)
        out = tuple(
            _deconv_length(n, k, padding, s, d, p) for n, k, s, d, p in zip(spatial, kernel, strides, dilation, out_pad)
        )
        filters, groups = config["filters"], config.get("groups", 1)
        per_input = math.prod(kernel) * filters // groups
        return Work(_join(out, filters, config), math.prod(spatial) * cin * per_input, per_input * cin + _bias(config, filters))

    return rule


# --- pooling, padding, cropping, resampling ------------------------------------------


def pooling(rank: int) -> Rule:
    """MaxPoolingND / AveragePoolingND: windows of `pool_size`, strides default to it."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, c = _split(_one_input(call), rank, config)
        pool = _tuple(config.get("pool_size", 2), rank)
        strides = _tuple(config.get("strides") or pool, rank)
        padding = config.get("padding", "valid")
        out = tuple(_conv_length(n, p, padding, s) for n, p, s in zip(spatial, pool, strides))
        return Work(_join(out, c, config))

    return rule


def global_pooling(rank: int) -> Rule:
    """GlobalMax/AveragePoolingND: one value per channel (1-sized spatial dims with keepdims)."""

    def rule(config: Mapping[str, Any], call: Call) -> Work:
        _, c = _split(_one_input(call), rank, config)
        return Work(_join((1,) * rank, c, config) if config.get("keepdims") else (c,))

    return rule


def _pairs(value: Any, rank: int) -> tuple[tuple[int, int], ...]:
    """ZeroPadding/Cropping amounts: int, per-dim ints, or per-dim (before, after) pairs."""
    if isinstance(value, int):
        return ((value, value),) * rank
    if len(value) != rank:
        raise ShapeError(f"expected {rank} padding/cropping entries, got {value!r}")
    return tuple((v, v) if isinstance(v, int) else (int(v[0]), int(v[1])) for v in value)


def zero_padding(rank: int) -> Rule:
    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, c = _split(_one_input(call), rank, config)
        return Work(_join(tuple(n + a + b for n, (a, b) in zip(spatial, _pairs(config["padding"], rank))), c, config))

    return rule


def cropping(rank: int) -> Rule:
    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, c = _split(_one_input(call), rank, config)
        out = tuple(n - a - b for n, (a, b) in zip(spatial, _pairs(config["cropping"], rank)))
        if min(out) <= 0:
            raise ShapeError(f"cropping {config['cropping']!r} removes all of {spatial}")
        return Work(_join(out, c, config))

    return rule


def upsampling(rank: int) -> Rule:
    def rule(config: Mapping[str, Any], call: Call) -> Work:
        spatial, c = _split(_one_input(call), rank, config)
        return Work(_join(tuple(n * s for n, s in zip(spatial, _tuple(config.get("size", 2), rank))), c, config))

    return rule


def _resize_to(config: Mapping[str, Any], call: Call) -> Work:
    """Resizing / CenterCrop: spatial size set to (height, width)."""
    _, c = _split(_one_input(call), 2, config)
    return Work(_join((config["height"], config["width"]), c, config))


# --- element-wise, normalization, merges ----------------------------------------------


def _same_shape(config: Mapping[str, Any], call: Call) -> Work:
    """Layers that keep their input's shape (activations, dropout, noise, scaling...)."""
    return Work(_one_input(call))


def _normalization_params(config: Mapping[str, Any], call: Call, per_channel: int) -> Work:
    shape = _one_input(call)
    axes = config.get("axis", -1)
    axes = [axes] if isinstance(axes, int) else list(axes)
    # config axes count the batch dimension: 3 and -1 both mean the last of (H, W, C)
    size = math.prod(shape[a - 1 if a > 0 else a] for a in axes)
    return Work(shape, 0, per_channel * size)


def _batch_norm(config: Mapping[str, Any], call: Call) -> Work:
    """BatchNormalization: gamma, beta (when scale, center) and the moving mean and variance."""
    return _normalization_params(config, call, 2 + bool(config.get("center", True)) + bool(config.get("scale", True)))


def _layer_norm(config: Mapping[str, Any], call: Call) -> Work:
    return _normalization_params(config, call, bool(config.get("center", True)) + bool(config.get("scale", True)))


def broadcast(shapes: Sequence[Shape]) -> Shape:
    """Numpy broadcasting of `shapes` (Keras merges and element-wise ops)."""
    rank = max(map(len, shapes))
    out = []
    for dims in zip(*((1,) * (rank - len(s)) + tuple(s) for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(f"input shapes {' and '.join(map(str, shapes))} do not line up")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _constant_shape(value: Any) -> Shape:
    """Shape of a numeric constant (a number or nested lists of numbers)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ()
    if isinstance(value, list) and value:
        inner = {_constant_shape(v) for v in value}
        if len(inner) == 1:
            return (len(value), *inner.pop())
    raise ShapeError(f"operand {value!r} is not a number or an array of numbers")


def _elementwise(config: Mapping[str, Any], call: Call) -> Work:
    """Merge layers and element-wise ops: inputs and constant operands broadcast together."""
    shapes = list(call.inputs) + [_constant_shape(c) for c in call.constants]
    if not call.inputs:
        raise ShapeError("no input tensor")
    return Work(broadcast(shapes))


def _axis(axis: Any, rank: int) -> int:
    """A Keras/TensorFlow axis (0 is the batch, negatives count from the end) as
    an index into a shape of `rank` dims without the batch."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ShapeError(f"axis {axis!r} is not an integer")
    a = axis - 1 if axis > 0 else axis + rank
    if axis == 0 or not 0 <= a < rank:
        raise ShapeError(f"axis {axis} is out of range for a shape of {rank} dims (the batch axis 0 cannot be used)")
    return a


def _concatenate(config: Mapping[str, Any], call: Call) -> Work:
    """Concatenate along `axis` (counted with the batch dimension); the other dims must agree."""
    shapes = call.inputs
    if len(shapes) < 2 or len({len(s) for s in shapes}) != 1:
        raise ShapeError(f"needs two or more inputs of one rank, got {' and '.join(map(str, shapes))}")
    axis = config.get("axis", call.kwargs.get("axis", -1))
    a = _axis(axis, len(shapes[0]))
    rest = {s[:a] + s[a + 1 :] for s in shapes}
    if len(rest) != 1:
        raise ShapeError(f"input shapes {' and '.join(map(str, shapes))} do not line up outside axis {axis}")
    return Work(shapes[0][:a] + (sum(s[a] for s in shapes),) + shapes[0][a + 1 :])


# --- dense, reshaping ------------------------------------------------------------------


def _dense(config: Mapping[str, Any], call: Call) -> Work:
    """Dense acts on the last axis."""
    shape = _one_input(call)
    if not shape:
        raise ShapeError("Dense needs an input with at least one dimension")
    units = config["units"]
    return Work(shape[:-1] + (units,), math.prod(shape) * units, shape[-1] * units + _bias(config, units))


def _flatten(config: Mapping[str, Any], call: Call) -> Work:
    return Work((math.prod(_one_input(call)),))


def reshaped(shape: Shape, target: Sequence[int]) -> Shape:
    """`target` with one -1 resolved so that the element count is kept."""
    size, known = math.prod(shape), math.prod(d for d in target if d != -1)
    if list(target).count(-1) > 1 or any(d < -1 or d == 0 for d in target):
        raise ShapeError(f"cannot reshape to {tuple(target)}")
    out = tuple(size // known if d == -1 else d for d in target) if known else ()
    if not known or math.prod(out) != size:
        raise ShapeError(f"cannot reshape {shape} ({size} elements) to {tuple(target)}")
    return out


def _reshape(config: Mapping[str, Any], call: Call) -> Work:
    """The Reshape layer (`target_shape` without the batch) or tf.reshape /
    keras.ops.reshape (a target that counts the batch, which must stay first)."""
    if "target_shape" in config:
        return Work(reshaped(_one_input(call), config["target_shape"]))
    target = _argument(config, call, "shape", "newshape")
    if not isinstance(target, list) or not target or target[0] not in (-1, None):
        raise ShapeError(f"target shape {target!r} does not keep the batch dimension first (as -1 or None)")
    return Work(reshaped(_one_input(call), [-1 if d is None else d for d in target[1:]]))


def _argument(config: Mapping[str, Any], call: Call, *names: str) -> Any:
    """An argument given by keyword (one of `names`) to the call (TFOpLambda)
    or to the op's constructor (Keras 3 ops keep it in their config), or as the
    call's first constant."""
    for where in (call.kwargs, config):
        for name in names:
            if name in where:
                return where[name]
    if call.constants:
        return call.constants[0]
    raise ShapeError(f"the call gives no {names[0]}")


def _reduce(config: Mapping[str, Any], call: Call) -> Work:
    """tf.math.reduce_* / keras.ops mean, sum, max...: the `axis` dims dropped (1 with keepdims)."""
    shape = _one_input(call)
    axis = _argument(config, call, "axis")
    axes = {_axis(a, len(shape)) for a in ([axis] if isinstance(axis, int) else axis)}
    keep = bool(call.kwargs.get("keepdims", config.get("keepdims")))
    return Work(tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes))


def _expand_dims(config: Mapping[str, Any], call: Call) -> Work:
    shape = _one_input(call)
    a = _axis(_argument(config, call, "axis"), len(shape) + 1)
    return Work(shape[:a] + (1,) + shape[a:])


def _transpose(config: Mapping[str, Any], call: Call) -> Work:
    """tf.transpose / keras.ops.transpose with a permutation that counts the batch, kept first."""
    shape, perm = _one_input(call), _argument(config, call, "perm", "axes")
    if not isinstance(perm, list) or sorted(perm) != list(range(len(shape) + 1)) or perm[0] != 0:
        raise ShapeError(f"perm {perm!r} is not a permutation of 0..{len(shape)} keeping the batch axis 0 first")
    return Work(tuple(shape[p - 1] for p in perm[1:]))


def _permute(config: Mapping[str, Any], call: Call) -> Work:
    shape, dims = _one_input(call), config["dims"]
    if sorted(dims) != list(range(1, len(shape) + 1)):
        raise ShapeError(f"dims {dims} are not a permutation of 1..{len(shape)}")
    return Work(tuple(shape[d - 1] for d in dims))


def _repeat_vector(config: Mapping[str, Any], call: Call) -> Work:
    shape = _one_input(call)
    if len(shape) != 1:
        raise ShapeError(f"expected a vector, got shape {shape}")
    return Work((config["n"], shape[0]))


def _lambda(config: Mapping[str, Any], call: Call) -> Work:
    """Lambda: only the `output_shape` it declares (batch dimension left out) is known."""
    shape = config.get("output_shape")
    if not (isinstance(shape, list) and shape and all(isinstance(d, int) and d > 0 for d in shape)):
        raise ShapeError("a Lambda layer's output shape is known only when it declares output_shape (a list of sizes)")
    return Work(tuple(shape))


def _sequential(config: Mapping[str, Any], call: Call) -> Work:
    """A Sequential model used as one layer (ConvNeXt's stem and downsampling
    blocks): its layers applied in a chain; their MACs and weights add up."""
    shape, macs, params = _one_input(call), 0, 0
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            continue
        try:
            work = infer(layer["class_name"], layer["config"], Call((shape,)))
        except ShapeError as e:
            raise ShapeError(f"inner layer {layer['config'].get('name')!r} ({layer['class_name']}): {e}") from None
        shape, macs, params = work.shape, macs + work.macs, params + work.params
    return Work(shape, macs, params)


def _input(config: Mapping[str, Any], call: Call) -> Work:
    """InputLayer: the declared shape (Keras 2 `batch_input_shape`, Keras 3 `batch_shape`)."""
    batch_shape = config.get("batch_shape") or config.get("batch_input_shape")
    if batch_shape is None:
        raise ShapeError("the input declares no shape")
    dims = tuple(batch_shape[1:])
    if not all(isinstance(d, int) and d > 0 for d in dims):
        raise ShapeError(f"input shape {tuple(batch_shape)} has unknown dimensions; save the model with a fixed input shape")
    return Work(dims)


# --- Keras 2 TFOpLambda --------------------------------------------------------------

#: TFOpLambda functions (config.function) that act element by element; Keras 2
#: writes these for `x + 3`, `x * y`, `tf.nn.relu6(x)`...
ELEMENTWISE_TF_FUNCTIONS = frozenset(
    {
        "__operators__.add", "math.add", "math.add_n", "math.subtract", "math.multiply", "math.truediv",
        "math.divide", "math.divide_no_nan", "math.maximum", "math.minimum", "math.pow", "math.squared_difference",
        "math.negative", "math.abs", "math.exp", "math.log", "math.sqrt", "math.rsqrt", "math.square",
        "math.sigmoid", "math.tanh", "math.reciprocal", "math.erf", "math.softplus", "nn.relu", "nn.relu6",
        "nn.elu", "nn.selu", "nn.gelu", "nn.silu", "nn.swish", "nn.leaky_relu", "nn.softmax", "nn.sigmoid",
        "identity", "cast", "clip_by_value", "compat.v1.math.multiply",
    }
)  # fmt: skip


def _split_tensor(config: Mapping[str, Any], call: Call) -> Work:
    """tf.split (`num_or_size_splits`: a count or the part sizes, one may be -1)
    and keras.ops.split (`indices_or_sections`: a count or the split points),
    along `axis` (default 0, the batch: refused)."""
    shape = _one_input(call)
    a = _axis(call.kwargs.get("axis", config.get("axis", 0)), len(shape))
    parts, n = _argument(config, call, "num_or_size_splits", "indices_or_sections"), shape[a]
    if isinstance(parts, int):
        if parts <= 0 or n % parts:
            raise ShapeError(f"{n} does not split into {parts} equal parts")
        sizes = [n // parts] * parts
    elif "indices_or_sections" in config or "indices_or_sections" in call.kwargs:
        points = [0, *parts, n]
        sizes = [b - a_ for a_, b in zip(points, points[1:])]
    else:
        known = sum(p for p in parts if p != -1)
        sizes = [n - known if p == -1 else p for p in parts]
    if sum(sizes) != n or min(sizes) < 0:
        raise ShapeError(f"parts {parts!r} do not split a dimension of {n}")
    outs = [shape[:a] + (size,) + shape[a + 1 :] for size in sizes]
    return Work(outs[0], more=tuple(outs[1:]))


def _unstack(config: Mapping[str, Any], call: Call) -> Work:
    """tf.unstack / keras.ops.unstack: one output per index along `axis` (default 0, refused)."""
    shape = _one_input(call)
    a = _axis(call.kwargs.get("axis", config.get("axis", 0)), len(shape))
    out = shape[:a] + shape[a + 1 :]
    return Work(out, more=(out,) * (shape[a] - 1))


_REDUCTIONS = ("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all")
#: TFOpLambda functions that change shapes
SHAPING_TF_FUNCTIONS: dict[str, Rule] = {
    **{f"math.{name}": _reduce for name in _REDUCTIONS},
    "reshape": _reshape,
    "concat": _concatenate,
    "split": _split_tensor,
    "unstack": _unstack,
    "expand_dims": _expand_dims,
    "transpose": _transpose,
    "compat.v1.transpose": _transpose,
}


def _tf_op_lambda(config: Mapping[str, Any], call: Call) -> Work:
    function = config.get("function")
    if function in ELEMENTWISE_TF_FUNCTIONS:
        return _elementwise(config, call)
    if function in SHAPING_TF_FUNCTIONS:
        return SHAPING_TF_FUNCTIONS[function](config, call)
    raise ShapeError(f"no shape rule for the TensorFlow function tf.{function}")


_SAME_SHAPE = (
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "Rescaling", "Normalization", "Identity", "Masking", "UnitNormalization",
    # keras.applications' ConvNeXt: x * gamma per channel, and residual-branch dropping
    "LayerScale", "StochasticDepth",
    # Keras 3 functional ops (keras.src.ops.*) of one tensor
    "Relu", "Relu6", "Sigmoid", "HardSigmoid", "HardSwish", "Silu", "Swish", "Gelu", "Tanh", "Exp", "Sqrt", "Square",
    "Negative", "Absolute", "Abs", "Log", "Erf", "Softplus", "Cast", "Clip",
)  # fmt: skip
_MERGES = (
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    # Keras 3 functional ops of two operands
    "Divide", "TrueDivide", "Power", "Mod",
    # keras.applications' InceptionResNetV2 (Keras 3): inputs[0] + inputs[1] * scale
    "CustomScaleLayer",
)  # fmt: skip

RULES: dict[str, Rule] = {
    "InputLayer": _input,
    "Dense": _dense,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Concatenate": _concatenate,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    "Resizing": _resize_to,
    "CenterCrop": _resize_to,
    "TFOpLambda": _tf_op_lambda,
    "Lambda": _lambda,
    "Sequential": _sequential,
    # Keras 3 functional ops that change shapes
    **{name: _reduce for name in ("Mean", "Sum", "Max", "Min", "Prod", "Any", "All")},
    "ExpandDims": _expand_dims,
    "Split": _split_tensor,
    "Unstack": _unstack,
    "Transpose": _transpose,
    **{name: _same_shape for name in _SAME_SHAPE},
    **{name: _elementwise for name in _MERGES},
}
def _rank_rules(rank: int) -> dict[str, Rule]:
    """The rules of the 1-D, 2-D or 3-D variant of each spatial layer."""
    d = f"{rank}D"
    return {
        f"Conv{d}": conv(rank),
        f"DepthwiseConv{d}": depthwise_conv(rank),
        f"SeparableConv{d}": separable_conv(rank),
        f"Conv{d}Transpose": conv_transpose(rank),
        f"MaxPooling{d}": pooling(rank),
        f"AveragePooling{d}": pooling(rank),
        f"GlobalMaxPooling{d}": global_pooling(rank),
        f"GlobalAveragePooling{d}": global_pooling(rank),
        f"ZeroPadding{d}": zero_padding(rank),
        f"Cropping{d}": cropping(rank),
        f"UpSampling{d}": upsampling(rank),
    }


RULES |= _rank_rules(1) | _rank_rules(2) | _rank_rules(3)
