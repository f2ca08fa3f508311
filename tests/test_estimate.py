"""The roofline time estimate: work from shapes, time = overhead + the slower
of compute and memory, the platform's or the default's roofline, and the
agreement figures."""

from __future__ import annotations

import math

import pytest

from prism_cp import PrismError
from prism_cp.cost.agreement import agreement, r_squared, rank_correlation_significant, spearman
from prism_cp.cost.roofline import MacShape, OpWork, estimate_times, op_time, op_work
from prism_cp.io import load_platform, read_network
from prism_cp.network import Layer, Network
from prism_cp.platform import Platform, Roofline


def _net() -> Network:
    """input (8x8x3) -> conv (8x8x4, 3x3) -> add(conv, conv) -> dense (10)."""
    layers = (
        Layer("in", "InputLayer", (8, 8, 3)),
        Layer("conv", "Conv2D", (8, 8, 4), macs=8 * 8 * 4 * 27, params=4 * 27 + 4),
        Layer("add", "Add", (8, 8, 4)),
        Layer("fc", "Dense", (10,), macs=256 * 10, params=2570),
    )
    return Network("n", layers, ((0, 1, 192), (1, 2, 256), (1, 2, 256), (2, 3, 256)))


def test_work_counts_inputs_once_per_producer():
    work = op_work(_net())
    assert work[0] == OpWork("InputLayer", 0, 192)
    assert work[1] == OpWork("Conv2D", 8 * 8 * 4 * 27, 192 + 256 + 112, 112, MacShape(64, 4, 3, 9))
    assert work[2] == OpWork("Add", 0, 256 + 256)  # reads conv's output once, though through two edges
    assert work[3] == OpWork("Dense", 2560, 256 + 10 + 2570, 2570, MacShape(1, 10, 4, 64))  # 8x8x4 flattened: 4 channels x 64


def test_op_time_is_overhead_plus_the_slower_side():
    roof = Roofline(peak_macs_per_us=100.0, utilisation=0.5, bytes_per_us=40.0, overhead_us=5.0, bytes_per_element=2)
    assert op_time(OpWork("Conv2D", 1000, 100), roof) == 5.0 + 1000 / 50.0  # compute 20 us > memory 5 us
    assert op_time(OpWork("Conv2D", 100, 1000), roof) == 5.0 + 2000 / 40.0  # memory 50 us > compute 2 us
    assert op_time(OpWork("Add", 0, 10), roof) == 5.0 + 20 / 40.0  # no MACs: memory-bound


def test_utilisation_by_type_overrides_the_typical_one():
    roof = Roofline(100.0, 0.5, 1e9, 0.0, 1, (("DepthwiseConv2D", 0.1),))
    assert op_time(OpWork("DepthwiseConv2D", 1000, 1), roof) == 1000 / 10.0
    assert op_time(OpWork("Conv2D", 1000, 1), roof) == 1000 / 50.0


def test_estimate_uses_the_platform_or_the_default_roofline():
    net = _net()
    fast = Roofline(1000.0, 1.0, 1000.0, 1.0)
    plat = Platform("p", frozenset(), rooflines=(("npu", fast),))
    grai = load_platform("grai")
    times = estimate_times(net, plat, grai)
    assert times["npu"] == tuple(op_time(w, fast) for w in op_work(net))
    assert times["cpu"] == tuple(op_time(w, grai.roofline("cpu")) for w in op_work(net))
    with pytest.raises(PrismError, match=r"states no \[roofline.cpu\]"):
        estimate_times(net, plat)


def test_bytes_per_element_is_the_rooflines_or_float32():
    assert load_platform("imx93").bytes_per_element("npu") == 1
    assert load_platform("imx93").bytes_per_element("cpu") == 4
    assert Platform("p", frozenset()).bytes_per_element("npu") == 4


def test_estimated_times_follow_op_size_on_every_bundled_platform():
    """The problem the roofline solves: times that grow with MACs."""
    net = read_network("resnet50")
    convs = [i for i, layer in enumerate(net.layers) if layer.type == "Conv2D"]
    for name in ("grai", "mubrain", "speck", "imx93"):
        times = estimate_times(net, load_platform(name))
        for core in ("cpu", "npu"):
            assert spearman([times[core][i] for i in convs], [net.layers[i].macs for i in convs]) > 0.5, (name, core)


def test_spearman_r_squared_and_agreement():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)  # ties share rank 1.5
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    a = agreement({"cpu": [1.0, 2.0], "npu": [3.0, 1.0]}, {"cpu": [2.0, 4.0], "npu": [1.0, 3.0]})
    assert a["cpu"].total_ratio == 0.5 and a["cpu"].spearman == pytest.approx(1.0)
    assert a["npu"].total_ratio == 1.0 and a["npu"].spearman == pytest.approx(-1.0)
    assert r_squared([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert r_squared([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0  # the mean explains nothing
    assert math.isnan(r_squared([1.0, 2.0], [3.0, 3.0]))


def test_rank_correlation_significance_rule():
    assert rank_correlation_significant(0.2, 100)  # 0.2 * sqrt(99) = 1.99 > 1.645
    assert not rank_correlation_significant(0.15, 100)  # 1.49
    assert not rank_correlation_significant(-0.9, 100)
    assert not rank_correlation_significant(float("nan"), 100)
