"""The roofline's optional refinements: a weight port of its own and the share
of the MAC array an op's shapes fill (after Vela's Ethos-U cycle model), and
estimates that do not move where a platform states neither."""

from __future__ import annotations

import itertools
import math

import pytest

from prism_cp.cost.roofline import MacShape, array_share, estimate_times, mac_shape, op_sides, op_work
from prism_cp.io import load_platform, read_network
from prism_cp.network import Layer, Network
from prism_cp.platform import Platform, Roofline

ETHOS = Roofline(256.0, 0.5, 16.0, 1.0, 1, weight_bytes_per_us=1.0, channel_granule_in=32, channel_granule_out=8,
                 kernel_granule=4, min_positions=32)


def _net() -> Network:
    """input 8x8x3 -> conv 3x3 to 16 channels -> conv 1x1 to 36 -> global pool -> dense to 10."""
    layers = (
        Layer("in", "InputLayer", (8, 8, 3)),
        Layer("c1", "Conv2D", (8, 8, 16), macs=64 * 16 * 27, params=27 * 16 + 16),
        Layer("c2", "Conv2D", (8, 8, 36), macs=64 * 36 * 16, params=16 * 36 + 36),
        Layer("pool", "GlobalAveragePooling2D", (36,)),
        Layer("fc", "Dense", (10,), macs=360, params=370),
    )
    return Network("small", layers, ((0, 1, 192), (1, 2, 1024), (2, 3, 2304), (3, 4, 36)))


def test_a_small_network_estimates_as_computed_by_hand():
    times = estimate_times(_net(), Platform("p", frozenset(), rooflines=(("cpu", ETHOS), ("npu", ETHOS))))["npu"]
    # MAC rate 256 x 0.5 = 128 per us; activations at 16 bytes/us, weights at 1.
    # c1: 3 channels fill 3/8 of 8-channel steps and 9 kernel elements 9/12 of
    # 4-element steps (part kernel, better than 3/32 depth first): 27648 MACs / (128 x 0.28125) = 768 us.
    # c2: 16 channels fill 16/32 depth first (16/16 x 1/4 part kernel), 36
    # output channels 36/40: 36864 / (128 x 0.45) = 640 us, above 612 us of weights.
    # pool: (2304 + 36) bytes / 16 = 146.25 us. fc: 370 weights at 1 byte/us
    # exceed the compute, 360 / (128 x 10/16 x 1/32 x 36/64) = 256 us.
    expected = (1.0 + 192 / 16, 1.0 + 768.0, 1.0 + 640.0, 1.0 + 146.25, 1.0 + 370.0)
    assert times == pytest.approx(expected, rel=1e-12)
    sides = op_sides(op_work(_net())[4], ETHOS)
    assert sides == pytest.approx({"compute": 256.0, "activations": 46 / 16, "weights": 370.0}, rel=1e-12)


def test_shapes_are_read_on_either_channel_end():
    channels_last = _net()
    assert [w.shape for w in op_work(channels_last)] == [None, MacShape(64, 16, 3, 9), MacShape(64, 36, 16, 1), None, MacShape(1, 10, 36, 1)]
    first = Network("onnx-like", (
        Layer("x", "Relu", (3, 8, 8)),
        Layer("conv", "Conv", (16, 8, 8), macs=64 * 16 * 27, params=27 * 16),  # no bias
    ), ((0, 1, 192),))
    assert op_work(first)[1].shape == MacShape(64, 16, 3, 9)


def test_shapes_that_do_not_explain_the_macs_leave_the_rate_alone():
    matmul = Layer("mm", "MatMul", (4, 5), macs=4 * 5 * 6)  # two activations: no weights to find the channels by
    assert mac_shape(matmul, [Layer("a", "Relu", (4, 6)), Layer("b", "Relu", (6, 5))]) is None
    from_graph_input = Layer("conv", "Conv", (16, 8, 8), macs=64 * 16 * 27, params=27 * 16 + 16)
    shape = mac_shape(from_graph_input, [])
    assert shape == MacShape(64, 16)  # input channels unknown: only outputs and positions count
    assert array_share(shape, ETHOS) == 1.0
    assert array_share(MacShape(9, 12), ETHOS) == pytest.approx(12 / 16 * 9 / 32)
    assert array_share(None, ETHOS) == 1.0


def test_depthwise_convolutions_read_as_one_channel_per_group():
    dw = Layer("dw", "DepthwiseConv2D", (8, 8, 32), macs=64 * 32 * 9, params=32 * 9 + 32)
    assert mac_shape(dw, [Layer("x", "ReLU", (8, 8, 32))]) == MacShape(64, 32, 1, 9)


def _vela_cycles_share(positions: int, c_out: int, c_in: int, kernel: int) -> float:
    """Oracle: useful MACs over 256 x the cycles of Vela's Ethos-U65-256 conv
    model on one block (positions a multiple of 4: whole 2x2 micro-blocks),
    the faster of depth first (32 channels per 4-cycle step, each kernel
    element) and part kernel (8 channels x 4 kernel elements per step)."""
    per_step = max(32, positions)  # cycles_wb = 32 against 4 cycles per micro-block
    z = math.ceil(c_out / 8)
    depth_first = z * math.ceil(c_in / 32) * kernel * per_step
    part_kernel = z * math.ceil(c_in / 8) * math.ceil(kernel / 4) * per_step
    return positions * c_out * c_in * kernel / (256 * min(depth_first, part_kernel))


def test_array_share_is_the_cycle_count_of_vela_conv_model():
    for positions, c_out, c_in, kernel in itertools.product((4, 8, 36, 144), (3, 8, 36, 64), (1, 3, 8, 16, 36, 64), (1, 4, 9, 25, 49)):
        assert array_share(MacShape(positions, c_out, c_in, kernel), ETHOS) == pytest.approx(
            _vela_cycles_share(positions, c_out, c_in, kernel), rel=1e-12), (positions, c_out, c_in, kernel)


@pytest.mark.parametrize("platform", ["grai", "speck", "mubrain"])
def test_estimates_do_not_move_where_a_platform_states_no_refinement(platform):
    """Recomputed with the plain roofline, bit for bit."""
    plat = load_platform(platform)
    for model in ("resnet50", "xception", "mobilenetv2"):
        net = read_network(model)
        times = estimate_times(net, plat)
        for core in ("cpu", "npu"):
            roof = plat.roofline(core)
            assert (roof.weight_bytes_per_us, roof.channel_granule_in, roof.channel_granule_out, roof.kernel_granule, roof.min_positions) == (None, 1, 1, 1, 1)
            plain = tuple(roof.overhead_us + max(w.macs / (roof.peak_macs_per_us * dict(roof.utilisation_by_type).get(w.type, roof.utilisation)),
                                                 w.elements * roof.bytes_per_element / roof.bytes_per_us)
                          for w in op_work(net))
            assert times[core] == plain, (model, core)


def test_imx93_weight_bound_ops_are_those_with_few_positions_per_weight():
    """On imx93's NPU an op is bound by the DRAM weight port when its output
    positions (MACs per weight) fall below the MAC rate over the weight
    bandwidth: resnet50's stages at 6x6 and 3x3 (and its Dense), not those at 12x12 and up."""
    net = read_network("resnet50")
    roof = load_platform("imx93").roofline("npu")
    for layer, work in zip(net.layers, op_work(net)):
        if layer.type in ("Conv2D", "Dense"):
            sides = op_sides(work, roof)
            assert (max(sides, key=sides.__getitem__) == "weights") == (work.shape.positions <= 36), layer.name
