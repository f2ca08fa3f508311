"""[roofline.*] tables of platform files: read as stated, one-line errors for
bad figures and for the [speed.*] tables they replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_cp import PrismError
from prism_cp.io import bundled_platforms, load_platform

HEAD = 'name = "p"\nnpu_ops = ["Conv2D"]\n'
NPU = "[roofline.npu]\npeak_macs_per_us = 1000.0\nutilisation = 0.5\nbytes_per_us = 100.0\noverhead_us = 2.0\n"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "p.toml"
    path.write_text(HEAD + text)
    return load_platform(path)


def test_a_roofline_reads_as_stated(tmp_path):
    plat = _load(tmp_path, NPU + "bytes_per_element = 2\n[roofline.npu.utilisation_by_type]\nDepthwiseConv2D = 0.2\n")
    roof = plat.roofline("npu")
    assert (roof.peak_macs_per_us, roof.utilisation, roof.bytes_per_us, roof.overhead_us) == (1000.0, 0.5, 100.0, 2.0)
    assert roof.macs_per_us("DepthwiseConv2D") == 200.0 and roof.macs_per_us("Conv2D") == 500.0
    assert plat.bytes_per_element("npu") == 2 and plat.bytes_per_element("cpu") == 4 and plat.roofline("cpu") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("[speed.cpu]\nmacs_per_us = 1.0\n", r"the \[speed.\*\] tables were replaced by \[roofline.cpu\] / \[roofline.npu\]"),
        (NPU.replace("1000.0", "-1.0"), "peak_macs_per_us must be a finite number > 0"),
        (NPU.replace("1000.0", "0.0"), "peak_macs_per_us must be a finite number > 0"),
        (NPU.replace("1000.0", "inf"), "peak_macs_per_us must be a finite number > 0"),
        (NPU.replace("0.5", "1.5"), r"utilisation must be a number in \(0, 1\]"),
        (NPU.replace("0.5", "0.0"), r"utilisation must be a number in \(0, 1\]"),
        (NPU.replace("0.5", "nan"), r"utilisation must be a number in \(0, 1\]"),
        (NPU.replace("100.0", "0"), "bytes_per_us must be a finite number > 0"),
        (NPU.replace("100.0", '"fast"'), "bytes_per_us must be a finite number > 0"),
        (NPU.replace("2.0", "-2.0"), "overhead_us must be a finite number >= 0"),
        (NPU + "bytes_per_element = 1.5\n", "bytes_per_element must be a whole number >= 1"),
        (NPU + "bytes_per_element = 0\n", "bytes_per_element must be a whole number >= 1"),
        (NPU + "[roofline.npu.utilisation_by_type]\nConv2D = 2.0\n", r"utilisation_by_type Conv2D must be a number in \(0, 1\]"),
        (NPU + "utilisation_by_type = 0.3\n", r"\[roofline.npu.utilisation_by_type\] must be a table"),
        (NPU.replace("overhead_us = 2.0\n", ""), r"\[roofline.npu\] needs the keys"),
        ("[roofline.gpu]\npeak_macs_per_us = 1.0\n", r"roofline must hold the tables \[roofline.cpu\] and/or \[roofline.npu\]"),
        (NPU + "weight_bytes_per_us = 0.0\n", "weight_bytes_per_us must be a finite number > 0"),
        (NPU + "weight_bytes_per_us = -3.0\n", "weight_bytes_per_us must be a finite number > 0"),
        (NPU + "weight_bytes_per_us = inf\n", "weight_bytes_per_us must be a finite number > 0"),
        (NPU + "channel_granule_in = 0\n", "channel_granule_in must be a whole number >= 1"),
        (NPU + "channel_granule_out = 8.0\n", "channel_granule_out must be a whole number >= 1"),
        (NPU + "kernel_granule = true\n", "kernel_granule must be a whole number >= 1"),
        (NPU + "min_positions = -32\n", "min_positions must be a whole number >= 1"),
        (NPU + "channel_granule_in = 32\nkernel_granule = 3\n", r"kernel_granule \(3\) must divide channel_granule_in \(32\)"),
        (NPU + "channel_granule = 32\n", r"\[roofline.npu\] needs the keys .* got .*channel_granule'"),
    ],
)
def test_bad_rooflines_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(PrismError, match=message) as e:
        _load(tmp_path, text)
    assert "\n" not in str(e.value)


def test_the_refinements_read_as_stated_and_default_to_off(tmp_path):
    roof = _load(tmp_path, NPU + "weight_bytes_per_us = 3750.0\nchannel_granule_in = 32\nchannel_granule_out = 8\n"
                 "kernel_granule = 4\nmin_positions = 32\n").roofline("npu")
    assert (roof.weight_bytes_per_us, roof.channel_granule_in, roof.channel_granule_out, roof.kernel_granule, roof.min_positions) == (3750.0, 32, 8, 4, 32)
    plain = _load(tmp_path, NPU).roofline("npu")
    assert (plain.weight_bytes_per_us, plain.channel_granule_in, plain.channel_granule_out, plain.kernel_granule, plain.min_positions) == (None, 1, 1, 1, 1)


def test_every_bundled_platform_states_both_rooflines():
    assert "imx93" in bundled_platforms()
    for name in bundled_platforms():
        plat = load_platform(name)
        assert plat.roofline("cpu") is not None and plat.roofline("npu") is not None, name
