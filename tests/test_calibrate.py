"""The roofline fit: it recovers the parameters that made a table, and says
that the measured xception times follow no roofline."""

from __future__ import annotations

import random

import pytest

from prism_cp.cost.calibrate import fit_roofline, roofline_toml
from prism_cp.cost.roofline import op_time, op_work
from prism_cp.io import load_platform, load_workload, read_network
from prism_cp.platform import Roofline

TRUTH = Roofline(peak_macs_per_us=51200.0, utilisation=1.0, bytes_per_us=900.0, overhead_us=7.0, bytes_per_element=1)


def test_fit_recovers_the_roofline_that_made_the_times():
    work = op_work(read_network("resnet50"))
    times = [op_time(w, TRUTH) for w in work]
    fit = fit_roofline(work, times, 1)
    assert fit.roofline is not None and fit.explains
    for key in ("peak_macs_per_us", "bytes_per_us", "overhead_us"):
        assert getattr(fit.roofline, key) == pytest.approx(getattr(TRUTH, key), rel=1e-6)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-9)
    # both sides of the roofline are exercised, so both rates are identified
    assert {w.macs / TRUTH.peak_macs_per_us > w.elements / TRUTH.bytes_per_us for w in work} == {True, False}


def test_fit_under_2_percent_noise_gets_the_rates_within_2_percent_and_the_overhead_within_1_us():
    work = op_work(read_network("resnet50"))
    rng = random.Random(7)
    times = [op_time(w, TRUTH) * (1 + rng.uniform(-0.02, 0.02)) for w in work]
    fit = fit_roofline(work, times, 1)
    assert fit.roofline is not None and fit.explains and fit.r_squared > 0.99
    for key in ("peak_macs_per_us", "bytes_per_us"):
        assert getattr(fit.roofline, key) == pytest.approx(getattr(TRUTH, key), rel=0.02)
    assert fit.roofline.overhead_us == pytest.approx(TRUTH.overhead_us, abs=1.0)


def test_a_size_blind_table_is_explained_by_nothing():
    work = op_work(read_network("resnet50"))
    rng = random.Random(1)
    fit = fit_roofline(work, [rng.uniform(100.0, 200.0) for _ in work], 4)
    assert not fit.explains
    constant = fit_roofline(work, [50.0] * len(work), 4)
    assert constant.roofline is None and not constant.explains


def test_the_measured_xception_times_follow_no_roofline():
    work = op_work(read_network("xception"))
    grai = load_platform("grai")
    for core, times in load_workload("xception").times.items():
        fit = fit_roofline(work, times, grai.bytes_per_element(core))
        assert not fit.explains, core


def test_the_written_table_loads_back(tmp_path):
    text = 'name = "p"\nnpu_ops = []\n' + roofline_toml("npu", TRUTH)
    (tmp_path / "p.toml").write_text(text)
    assert load_platform(tmp_path / "p.toml").roofline("npu") == TRUTH


def test_cli_writes_the_fitted_tables_and_says_which_explain_nothing(tmp_path):
    from typer.testing import CliRunner

    from prism_cp.cli import app
    from prism_cp.io import write_extime_csv

    net = read_network("resnet50")
    work = op_work(net)
    rng = random.Random(3)
    times = {"cpu": [rng.uniform(10.0, 20.0) for _ in work], "npu": [op_time(w, TRUTH) for w in work]}
    write_extime_csv(tmp_path / "t.csv", net.to_workload(times))
    out = tmp_path / "fit.toml"
    result = CliRunner().invoke(app, ["extime", "calibrate", "resnet50", "--times", str(tmp_path / "t.csv"), "--platform", "imx93", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("cpu: the roofline explains nothing") and lines[1].startswith("npu: R^2 1.000")
    text = out.read_text()
    assert "[roofline.cpu]" not in text
    (tmp_path / "p.toml").write_text('name = "p"\nnpu_ops = []\n' + text)
    fitted = load_platform(tmp_path / "p.toml").roofline("npu")
    assert fitted.peak_macs_per_us == pytest.approx(TRUTH.peak_macs_per_us, rel=1e-6)
    assert fitted.bytes_per_us == pytest.approx(TRUTH.bytes_per_us, rel=1e-6)
