"""Gantt charts are real PNG, SVG and PDF files with one rectangle per op shown,
on the core that runs it; matplotlib stays optional."""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from prism_cp import PrismError
from prism_cp.views import Timeline, Window, plot_comparison, plot_gantt, read_timeline, timeline_of
from prism_cp.views.gantt import DPI
from prism_cp.views.timeline import core_label
from schedule_files import schedule_files

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return schedule_files(tmp_path_factory.mktemp("gantt"), batches=2)


def op_rectangles(svg: Path) -> Counter:
    """Per core row (`ops-<core>`, or `ops-<panel>-<core>`): the number of path elements in its group."""
    root = ET.parse(svg).getroot()
    return Counter({g.get("id")[4:]: len(list(g.iter(f"{SVG}path"))) for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("ops-")})


def ops_per_core(t: Timeline, ops: list[int]) -> Counter:
    s = t.schedule
    return Counter(core_label(s.core_type[g], s.core_id[g]) for g in ops)


@pytest.mark.parametrize("window", [Window(), Window((1, 1)), Window(None, 30, 45.5)])
def test_the_svg_has_one_rectangle_per_op_shown_on_its_core(tmp_path: Path, files, window: Window) -> None:
    t = read_timeline(files[3])
    out = plot_gantt(t, tmp_path / "g.svg", window)
    expected = ops_per_core(t, window.ops(t))
    assert op_rectangles(out) == expected and sum(expected.values()) == len(window.ops(t))


@pytest.mark.parametrize("color", ["batch", "type", "op"])
def test_png_and_pdf_are_real_files_of_the_figure_size(tmp_path: Path, files, color: str) -> None:
    t = read_timeline(files[2])  # the pickle: types but no names
    png = plot_gantt(t, tmp_path / "g.png", color=color).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR" and len(png) > 10_000
    width, height = struct.unpack(">II", png[16:24])
    assert width == 12 * DPI and height > 2 * DPI
    pdf = plot_gantt(t, tmp_path / "g.pdf", color=color).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_sixteen_batches_render_every_op(tmp_path: Path) -> None:
    problem, result, _, doc = schedule_files(tmp_path, batches=16)
    out = plot_gantt(timeline_of(problem, result), tmp_path / "g16.svg")
    assert sum(op_rectangles(out).values()) == 16 * 134


def test_marks_name_the_makespan_and_the_bound(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    text = plot_gantt(t, tmp_path / "g.svg").read_text()
    assert f"makespan {t.makespan / 1000:.3f} ms" in text and f"proven lower bound {t.lower_bound / 1000:.3f} ms" in text
    assert "proven lower bound" not in plot_gantt(read_timeline(files[2]), tmp_path / "p.svg").read_text()  # a pickle carries none


def test_comparison_has_a_panel_per_schedule_and_the_bar_chart(tmp_path: Path, files) -> None:
    problem, result, _, _ = files
    other = schedule_files(tmp_path, batches=2, algorithm="random")[1]
    timelines = [timeline_of(problem, r) for r in (result, other)]
    out = plot_comparison(timelines, ["npufirst", "random"], tmp_path / "c.svg", bound=result.lower_bound)
    rectangles = op_rectangles(out)
    for name, t in zip(("npufirst", "random"), timelines):
        assert Counter({k.split("-")[1]: v for k, v in rectangles.items() if k.startswith(name)}) == ops_per_core(t, list(range(t.size)))
    text = out.read_text()
    assert all(f"{name}: {r.makespan / 1000:.3f} ms" in text for name, r in (("npufirst", result), ("random", other)))
    gap = 100 * (other.makespan - result.lower_bound) / result.lower_bound
    assert f"+{gap:.2f}% over the bound" in text


def test_comparison_needs_schedules_of_one_problem(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    golden = read_timeline(Path(__file__).parent / "golden" / "xception_grai_NPU4_CPU2_npufirst_b1.json")
    for timelines, labels in (([t, golden], ["a", "b"]), ([t], ["a", "b"]), ([], [])):
        with pytest.raises(PrismError, match="same problem"):
            plot_comparison(timelines, labels, tmp_path / "c.png", None)


def test_colour_by_type_needs_types(tmp_path: Path) -> None:
    golden = read_timeline(Path(__file__).parent / "golden" / "xception_grai_NPU4_CPU2_npufirst_b1.json")
    with pytest.raises(PrismError, match="no layer types"):
        plot_gantt(golden, tmp_path / "g.png", color="type")


@pytest.mark.parametrize("name", ["g.gif", "g", "missing/g.png"])
def test_bad_outputs_are_refused_before_drawing(tmp_path: Path, files, name: str) -> None:
    with pytest.raises(PrismError, match="cannot write a chart"):
        plot_gantt(read_timeline(files[3]), tmp_path / name)
    assert not (tmp_path / "missing").exists()


def test_without_matplotlib_the_error_says_what_to_install(tmp_path: Path, files, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an environment without the extra looks like to import
    with pytest.raises(PrismError, match=r"pip install 'prism_cp\[plot\]'"):
        plot_gantt(read_timeline(files[3]), tmp_path / "g.png")


@pytest.mark.parametrize("color, explained", [("batch", ["batch 0", "batch 1"]), ("type", ["SeparableConv2D", "BatchNormalization"]), ("op", ["op index"])])
def test_the_colouring_is_explained(tmp_path: Path, files, color: str, explained: list[str]) -> None:
    text = plot_gantt(read_timeline(files[3]), tmp_path / "g.svg", color=color).read_text()
    assert all(f"<!-- {label} -->" in text for label in explained)
    assert ("<!-- batch 0 -->" in text) == (color == "batch")
