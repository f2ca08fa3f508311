"""The analytic time estimate: work from shapes, times from rates, rates
recovered by the fit from times they generated, and the agreement figures."""

from __future__ import annotations

import math

import pytest

from prism_cp import PrismError
from prism_cp.estimate import OpWork, agreement, estimate_times, fit_speed, op_time, op_work, spearman
from prism_cp.io import load_platform, load_workload, read_network
from prism_cp.network import Layer, Network
from prism_cp.platform import CoreSpeed, Platform


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
    assert work[0] == OpWork(0, 192, 4 * 192)
    assert work[1] == OpWork(8 * 8 * 4 * 27, 256, 4 * (192 + 256 + 112))
    assert work[2] == OpWork(0, 256, 4 * (256 + 256))  # reads conv's output once, though through two edges
    assert work[3] == OpWork(2560, 10, 4 * (256 + 10 + 2570))


def test_op_time_leaves_out_zero_rates():
    w = OpWork(macs=1000, elements=200, bytes=4000)
    assert op_time(w, CoreSpeed(10.0, 20.0, 400.0, 5.0)) == 5.0 + 100.0 + 10.0 + 10.0
    assert op_time(w, CoreSpeed(0.0, 0.0, 400.0, 5.0)) == 15.0


def test_fit_recovers_the_rates_that_made_the_times():
    speed = CoreSpeed(macs_per_us=250.0, elements_per_us=40.0, bytes_per_us=1000.0, overhead_us=12.0)
    work = [OpWork(m, e, b) for m, e, b in [(0, 100, 800), (5000, 300, 4000), (100000, 50, 900), (0, 7000, 30000), (2500, 2500, 2500), (40, 1, 64000)]]
    fitted = fit_speed(work, [op_time(w, speed) for w in work])
    for key, value in vars(speed).items():
        assert getattr(fitted, key) == pytest.approx(value, rel=1e-9)


def test_fit_never_gives_negative_rates():
    work = [OpWork(m, 10, 40) for m in (0, 100, 200, 300)]
    fitted = fit_speed(work, [40.0, 30.0, 20.0, 10.0])  # time falls with MACs: no non-negative MAC rate explains it
    assert fitted.macs_per_us == 0.0 and all(v >= 0 for v in vars(fitted).values())


def test_estimate_uses_the_platform_or_the_default_speeds():
    net = _net()
    fast = CoreSpeed(1000.0, 1000.0, 1000.0, 1.0)
    plat = Platform("p", frozenset(), speeds=(("npu", fast),))
    grai = load_platform("grai")
    times = estimate_times(net, plat, grai)
    assert times["npu"] == tuple(op_time(w, fast) for w in op_work(net))
    assert times["cpu"] == tuple(op_time(w, grai.speed("cpu")) for w in op_work(net))
    with pytest.raises(PrismError, match=r"states no \[speed.cpu\]"):
        estimate_times(net, plat)


def test_spearman_and_agreement():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)  # ties share rank 1.5
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    a = agreement({"cpu": [1.0, 2.0], "npu": [3.0, 1.0]}, {"cpu": [2.0, 4.0], "npu": [1.0, 3.0]})
    assert a["cpu"].total_ratio == 0.5 and a["cpu"].spearman == pytest.approx(1.0)
    assert a["npu"].total_ratio == 1.0 and a["npu"].spearman == pytest.approx(-1.0)


def test_grai_speeds_are_the_fit_on_the_measured_xception_times():
    """platforms/grai.toml holds what benchmarks/calibrate_estimate.py fits."""
    work = op_work(read_network("xception"))
    measured = load_workload("xception").times
    grai = load_platform("grai")
    for core in ("cpu", "npu"):
        assert vars(fit_speed(work, measured[core])) == pytest.approx(vars(grai.speed(core)), rel=1e-9)
    # a fit with an overhead term has residuals summing to 0: the totals agree
    for a in agreement(estimate_times(read_network("xception"), grai), measured).values():
        assert a.total_ratio == pytest.approx(1.0, rel=1e-12)
