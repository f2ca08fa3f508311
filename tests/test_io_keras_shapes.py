"""Keras shape rules on hand-computed cases: output shapes, MACs and weights
(the shapes of whole networks are checked against Keras in test_io_keras.py)."""

from __future__ import annotations

import pytest

from prism_cp.io.keras_shapes import Call, ShapeError, Work, broadcast, infer, reshaped


def run(class_name: str, config: dict, *inputs: tuple[int, ...], constants=(), **kwargs) -> Work:
    return infer(class_name, config, Call(tuple(inputs), tuple(constants), kwargs))


def test_conv_arithmetic():
    # 3x3 'valid' stride 2 on 9x10: floor((9-3)/2)+1 = 4, floor((10-3)/2)+1 = 4; 'same': ceil(9/2) = 5, ceil(10/2) = 5
    valid = run("Conv2D", {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "valid"}, (9, 10, 2))
    assert valid == Work((4, 4, 4), macs=4 * 4 * 4 * 3 * 3 * 2, params=3 * 3 * 2 * 4 + 4)
    same = run("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False}, (9, 10, 2))
    assert same == Work((5, 5, 4), macs=5 * 5 * 4 * 18, params=72)
    # dilation 2 widens a 3-tap kernel to 5: 9 - 5 + 1 = 5; groups split 4 input channels in 2
    grouped = run("Conv2D", {"filters": 6, "kernel_size": 3, "dilation_rate": 2, "groups": 2}, (9, 9, 4))
    assert grouped == Work((5, 5, 6), macs=5 * 5 * 6 * 9 * 2, params=9 * 2 * 6 + 6)
    first = run("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "same", "data_format": "channels_first"}, (2, 9, 10))
    assert first.shape == (4, 9, 10)


def test_depthwise_separable_and_transposed():
    dw = run("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "depth_multiplier": 2, "padding": "valid"}, (7, 7, 3))
    assert dw == Work((3, 3, 6), macs=3 * 3 * 6 * 9, params=9 * 6 + 6)
    sep = run("SeparableConv2D", {"filters": 8, "kernel_size": 3, "padding": "same", "use_bias": False}, (5, 5, 4))
    assert sep == Work((5, 5, 8), macs=25 * 4 * 9 + 25 * 4 * 8, params=9 * 4 + 4 * 8)
    # transposed: 'same' gives n * stride, 'valid' n * stride + max(k - stride, 0),
    # with output_padding (n - 1) * stride + k - 2 * (k // 2 for 'same') + output_padding
    config = {"filters": 2, "kernel_size": 3, "strides": 2}
    assert run("Conv2DTranspose", config | {"padding": "same"}, (4, 5, 3)) == Work((8, 10, 2), macs=20 * 3 * 9 * 2, params=9 * 3 * 2 + 2)
    assert run("Conv2DTranspose", config | {"padding": "valid"}, (4, 5, 3)).shape == (9, 11, 2)
    assert run("Conv2DTranspose", config | {"padding": "same", "output_padding": 1}, (4, 5, 3)).shape == (8, 10, 2)
    assert run("Conv1D", {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "causal"}, (10, 2)).shape == (4, 3)


def test_pooling_padding_cropping_resampling():
    assert run("MaxPooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}, (7, 8, 5)).shape == (4, 4, 5)
    assert run("AveragePooling2D", {"pool_size": [2, 2], "strides": None, "padding": "valid"}, (7, 8, 5)).shape == (3, 4, 5)
    assert run("GlobalAveragePooling2D", {"keepdims": True}, (7, 8, 5)).shape == (1, 1, 5)
    assert run("GlobalMaxPooling1D", {}, (7, 5)).shape == (5,)
    assert run("ZeroPadding2D", {"padding": [[1, 0], [2, 3]]}, (7, 8, 5)).shape == (8, 13, 5)
    assert run("ZeroPadding2D", {"padding": 1}, (7, 8, 5)).shape == (9, 10, 5)
    assert run("Cropping2D", {"cropping": [[1, 2], [0, 1]]}, (7, 8, 5)).shape == (4, 7, 5)
    assert run("UpSampling2D", {"size": [2, 3]}, (7, 8, 5)).shape == (14, 24, 5)
    assert run("Resizing", {"height": 3, "width": 4}, (7, 8, 5)).shape == (3, 4, 5)


def test_dense_reshape_merges():
    assert run("Dense", {"units": 10}, (4, 6)) == Work((4, 10), macs=4 * 6 * 10, params=6 * 10 + 10)
    assert run("Flatten", {}, (2, 3, 4)).shape == (24,)
    assert reshaped((2, 3, 4), (-1, 8)) == (3, 8)
    assert run("Permute", {"dims": [2, 1]}, (3, 8)).shape == (8, 3)
    assert run("Concatenate", {"axis": 1}, (2, 3, 4), (5, 3, 4)).shape == (7, 3, 4)
    assert run("Concatenate", {"axis": -1}, (2, 3, 4), (2, 3, 1)).shape == (2, 3, 5)
    assert run("Multiply", {}, (6, 6, 8), (1, 1, 8)).shape == (6, 6, 8)
    assert run("TFOpLambda", {"function": "__operators__.add"}, (6, 8), constants=[3.0]).shape == (6, 8)
    assert run("Add", {}, (6, 8), constants=[[1.0] * 8]).shape == (6, 8)
    assert run("BatchNormalization", {"axis": [3]}, (6, 6, 8)) == Work((6, 6, 8), params=4 * 8)
    assert run("Lambda", {"output_shape": [3, 2]}, (6,)).shape == (3, 2)


def test_shaping_functions():
    """TFOpLambda functions take their arguments from the call; Keras 3 ops from their config."""
    tf = {"function": "math.reduce_mean"}
    assert run("TFOpLambda", tf, (6, 5, 4), axis=[1, 2], keepdims=True).shape == (1, 1, 4)
    assert run("TFOpLambda", tf, (6, 5, 4), axis=-1).shape == (6, 5)
    assert run("Mean", {"axis": [1, 2], "keepdims": False}, (6, 5, 4)).shape == (4,)
    assert run("TFOpLambda", {"function": "reshape"}, (6, 5, 4), shape=[-1, 20, 6]).shape == (20, 6)
    assert run("Reshape", {"newshape": [None, -1]}, (6, 5, 4)).shape == (120,)
    assert run("ExpandDims", {"axis": -1}, (6, 5)).shape == (6, 5, 1)
    assert run("TFOpLambda", {"function": "expand_dims"}, (6, 5), axis=1).shape == (1, 6, 5)
    assert run("Transpose", {"axes": [0, 3, 1, 2]}, (6, 5, 4)).shape == (4, 6, 5)
    assert run("TFOpLambda", {"function": "concat"}, (6, 5), (6, 2), axis=-1).shape == (6, 7)
    split = run("TFOpLambda", {"function": "split"}, (6, 5, 4), num_or_size_splits=[1, -1], axis=-1)
    assert split.outputs == ((6, 5, 1), (6, 5, 3))
    assert run("Split", {"indices_or_sections": [1, 4], "axis": 1}, (6, 5)).outputs == ((1, 5), (3, 5), (2, 5))
    assert run("Split", {"indices_or_sections": 2, "axis": -1}, (6, 4)).outputs == ((6, 2), (6, 2))
    assert run("Unstack", {"axis": 2}, (3, 2, 4)).outputs == ((3, 4), (3, 4))
    with pytest.raises(ShapeError, match="does not split into 3 equal parts"):
        run("Split", {"indices_or_sections": 3, "axis": -1}, (6, 4))
    with pytest.raises(ShapeError, match="batch axis 0"):
        run("TFOpLambda", {"function": "unstack"}, (6, 5, 4))
    with pytest.raises(ShapeError, match="batch dimension first"):
        run("TFOpLambda", {"function": "reshape"}, (6, 5, 4), shape=[20, 6])
    with pytest.raises(ShapeError, match="batch axis 0"):
        run("TFOpLambda", tf, (6, 5, 4), axis=0)
    with pytest.raises(ShapeError, match="keeping the batch axis 0 first"):
        run("Transpose", {"axes": [1, 0, 2, 3]}, (6, 5, 4))


@pytest.mark.parametrize(
    "class_name, config, inputs, match",
    [
        ("Add", {}, [(6, 8), (6, 4)], r"\(6, 8\) and \(6, 4\) do not line up"),
        ("Concatenate", {"axis": -1}, [(2, 3, 4), (2, 4, 4)], "do not line up outside axis -1"),
        ("Concatenate", {"axis": 5}, [(2, 3, 4), (2, 3, 4)], "out of range"),
        ("Reshape", {"target_shape": [-1, 5]}, [(2, 3, 4)], "cannot reshape"),
        ("Reshape", {"target_shape": [-1, -1]}, [(2, 3, 4)], "cannot reshape"),
        ("Conv2D", {"filters": 4, "kernel_size": 5}, [(3, 3, 2)], "too small"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 3}, [(9, 9, 4)], "groups"),
        ("Conv2D", {"filters": 4, "kernel_size": 3}, [(9, 4)], "2-D feature map"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "full"}, [(9, 9, 4)], "unknown padding"),
        ("Dense", {"units": 3}, [(4,), (4,)], "one input tensor"),
        ("Dense", {}, [(4,)], "unexpected config"),
        ("Lambda", {"function": "..."}, [(4,)], "output_shape"),
        ("Cropping2D", {"cropping": [[4, 4], [0, 0]]}, [(7, 8, 5)], "removes all"),
        ("MyLayer", {}, [(4,)], "no shape rule"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 0}, [(9, 9, 4)], "ZeroDivisionError"),
        ("Dense", {"units": -2}, [(4,)], r"output shape \(-2,\)"),
    ],
)
def test_shape_errors(class_name, config, inputs, match):
    with pytest.raises(ShapeError, match=match):
        run(class_name, config, *inputs)


def test_broadcast():
    assert broadcast([(3, 1, 5), (4, 1), ()]) == (3, 4, 5)
    with pytest.raises(ShapeError):
        broadcast([(3, 2), (3,)])
