"""Gantt charts are real PNG, SVG and PDF files with one rectangle per op shown,
on the core that runs it, and one per transfer shown, on its link channel's
row; a mix of several apps is coloured by app; matplotlib stays optional."""

from __future__ import annotations

import colorsys
import re
import struct
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from prism_cp import PrismError, solve
from prism_cp.platform import Link
from prism_cp.schedule import gap
from prism_cp.views import Timeline, Window, plot_comparison, plot_gantt, read_timeline, timeline_of
from prism_cp.views.gantt import AUTO_ZOOM_OPS_PER_ROW, DPI, LINK_COLOUR, LINK_LEGEND, PALETTE, auto_window
from prism_cp.views.timeline import core_label
from schedule_files import mix_files, schedule_files

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return schedule_files(tmp_path_factory.mktemp("gantt"), batches=2)


def op_rectangles(svg: Path) -> Counter:
    """Per core row (`ops-<core>`, or `ops-<panel>-<core>`): the number of path elements in its group."""
    root = ET.parse(svg).getroot()
    return Counter({g.get("id")[4:]: len(list(g.iter(f"{SVG}path"))) for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("ops-")})


def svg_text(svg: Path) -> str:
    """The SVG's text with the '--' that XML comments (matplotlib's text labels) cannot hold restored."""
    return svg.read_text().replace("- -", "--")


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


@pytest.fixture(scope="module")
def sixteen(tmp_path_factory) -> Timeline:
    problem, result, _, _ = schedule_files(tmp_path_factory.mktemp("gantt16"), batches=16)
    return timeline_of(problem, result)


def test_sixteen_batches_render_every_op_when_asked(tmp_path: Path, sixteen: Timeline) -> None:
    out = plot_gantt(sixteen, tmp_path / "g16.svg", Window())
    assert sum(op_rectangles(out).values()) == 16 * 134
    assert "showing the first" not in out.read_text()


def test_many_ops_are_zoomed_to_the_first_ones_and_the_title_says_so(tmp_path: Path, sixteen: Timeline) -> None:
    limit = AUTO_ZOOM_OPS_PER_ROW * len(sixteen.cores)
    end_ms = sorted(sixteen.schedule.start)[limit] / 1000
    out = plot_gantt(sixteen, tmp_path / "g16.svg")
    expected = Window(None, 0, end_ms).ops(sixteen)
    assert op_rectangles(out) == ops_per_core(sixteen, expected) and limit <= len(expected) < sixteen.size
    text = svg_text(out)
    assert f"showing the first {end_ms:g} ms of {sixteen.makespan / 1000:.1f} ms ({len(expected)} of {sixteen.size} ops)" in text
    assert "--from-ms/--to-ms/--batches shows the rest" in text


def test_a_small_schedule_is_not_zoomed(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    assert t.size <= AUTO_ZOOM_OPS_PER_ROW * len(t.cores)
    assert sum(op_rectangles(plot_gantt(t, tmp_path / "g.svg")).values()) == t.size


def hue_family_differs(a: str, b: str) -> bool:
    """Two colours of different hue families: at least 30 degrees of hue apart, or one of them a grey."""
    (ha, _, sa), (hb, _, sb) = (colorsys.rgb_to_hls(*(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))) for c in (a, b))
    return min(sa, sb) < 0.15 or min(abs(ha - hb), 1 - abs(ha - hb)) * 360 >= 30


def test_neighbouring_batches_get_colours_of_different_hue_families(tmp_path: Path, sixteen: Timeline) -> None:
    assert len(set(PALETTE)) == len(PALETTE) == 20
    assert all(hue_family_differs(a, b) for a, b in zip(PALETTE, PALETTE[1:]))
    text = plot_gantt(sixteen, tmp_path / "g16.svg", Window()).read_text().lower()
    assert all(c in text for c in PALETTE[:16])  # the 16 batches of the chart use them


def test_marks_name_the_makespan_and_the_bound(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    text = plot_gantt(t, tmp_path / "g.svg").read_text()
    assert f"makespan {t.makespan / 1000:.3f} ms" in text and f"proven lower bound {t.lower_bound / 1000:.3f} ms" in text


def test_a_pickle_beside_its_json_is_drawn_with_the_json_title_and_bound(tmp_path: Path, files) -> None:
    problem, result, pkl, _ = files
    text = plot_gantt(read_timeline(pkl), tmp_path / "p.svg").read_text()
    assert "<!-- xception, npufirst, 2 batches on grai (4 NPUs, 2 CPUs) -->" in text
    assert f"proven lower bound {result.lower_bound / 1000:.3f} ms" in text
    alone = tmp_path / "alone.pkl"
    alone.write_bytes(pkl.read_bytes())
    assert "proven lower bound" not in plot_gantt(read_timeline(alone), tmp_path / "a.svg").read_text()  # a pickle alone carries none


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
    assert f"gap {100 * gap(other.makespan, result.lower_bound):.2f}%" in text  # (makespan - bound) / makespan
    assert f"gap {100 * (other.makespan - result.lower_bound) / result.lower_bound:.2f}%" not in text


def test_a_comparison_of_many_ops_zooms_every_panel_alike(tmp_path: Path, sixteen: Timeline) -> None:
    out = plot_comparison([sixteen, sixteen], ["a", "b"], tmp_path / "c.svg", bound=None)
    rectangles = op_rectangles(out)
    assert sum(v for k, v in rectangles.items() if k.startswith("a-")) == sum(v for k, v in rectangles.items() if k.startswith("b-")) < sixteen.size
    assert "prism-cp plot FILE --from-ms/--to-ms/--batches shows the rest" in svg_text(out)


def test_comparison_needs_schedules_of_one_problem(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    golden = read_timeline(Path(__file__).parent / "golden" / "xception_grai_NPU4_CPU2_npufirst_b1.json")
    for timelines, labels in (([t, golden], ["a", "b"]), ([t], ["a", "b"]), ([], [])):
        with pytest.raises(PrismError, match="same problem"):
            plot_comparison(timelines, labels, tmp_path / "c.png", None)


def test_colour_by_type_without_layer_types_colours_by_core_type(tmp_path: Path) -> None:
    golden = read_timeline(Path(__file__).parent / "golden" / "xception_grai_NPU4_CPU2_npufirst_b1.json")
    text = plot_gantt(golden, tmp_path / "g.svg", color="type").read_text()
    assert "core type (no layer types known)" in text and "<!-- CPU -->" in text and "<!-- NPU -->" in text


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


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> Timeline:
    """Two batches on a grai with a link of two channels."""
    problem, result, _, doc = schedule_files(tmp_path_factory.mktemp("gantt_link"), batches=2, link=Link(10.0, 2000.0, 10.0, 2))
    assert result.schedule.transfers
    return read_timeline(doc)


def fills(svg: Path, kind: str) -> dict[str, list[str]]:
    """Per row of `kind` ('ops' or 'transfers'; ids `<kind>-<row>`, or
    `<kind>-<panel>-<row>`): the fill colour of each rectangle, in order."""
    root = ET.parse(svg).getroot()
    return {g.get("id")[len(kind) + 1:]: [re.search(r"fill: (#\w+)", p.get("style"))[1] for p in g.iter(f"{SVG}path")]
            for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(f"{kind}-")}


def transfer_fills(svg: Path) -> dict[str, list[str]]:
    """Per link row (`transfers-link<c>`, or `transfers-<panel>-link<c>`): the fill colour of each rectangle, in order."""
    return fills(svg, "transfers")


@pytest.mark.parametrize("window", [Window(), Window((1, 1)), Window(None, 30, 45.5)])
def test_each_transfer_shown_is_a_rectangle_on_its_channel_row_in_its_batch_colour(tmp_path: Path, linked: Timeline, window: Window) -> None:
    out = plot_gantt(linked, tmp_path / "g.svg", window)
    shown = [linked.transfers[k] for k in window.transfers(linked)]
    batches = sorted({linked.split(g)[0] for g in window.ops(linked)})  # the legend's order: the ops' colours
    assert shown and transfer_fills(out) == {f"link{c}": [PALETTE[batches.index(t.batch)] for t in shown if t.channel == c] for c in {t.channel for t in shown}}
    assert op_rectangles(out) == ops_per_core(linked, window.ops(linked))
    text = out.read_text()
    assert "<!-- link 0 -->" in text and "<!-- link 1 -->" in text and "<!-- link 2 -->" not in text


@pytest.mark.parametrize("color", ["type", "op"])
def test_other_colourings_draw_transfers_in_the_link_colour_and_explain_it(tmp_path: Path, linked: Timeline, color: str) -> None:
    out = plot_gantt(linked, tmp_path / "g.svg", color=color)
    fills = transfer_fills(out)
    assert sum(map(len, fills.values())) == len(linked.transfers) and {f for row in fills.values() for f in row} == {LINK_COLOUR}
    assert f"<!-- {LINK_LEGEND} -->" in out.read_text()


def test_a_chart_without_transfers_has_no_link_rows(tmp_path: Path, files) -> None:
    t = read_timeline(files[3])
    text = plot_gantt(t, tmp_path / "g.svg", color="type").read_text()
    assert transfer_fills(tmp_path / "g.svg") == {} and "<!-- link 0 -->" not in text and LINK_LEGEND not in text


def test_the_automatic_zoom_counts_the_transfers_it_shows(tmp_path: Path) -> None:
    problem, result, _, _ = schedule_files(tmp_path, batches=16, link=Link(10.0, 2000.0, 10.0, 2))
    t = timeline_of(problem, result)
    out = plot_gantt(t, tmp_path / "g16.svg")
    end_ms = sorted(t.schedule.start)[AUTO_ZOOM_OPS_PER_ROW * len(t.cores)] / 1000
    shown = Window(None, 0, end_ms).transfers(t)
    assert 0 < len(shown) < len(t.transfers) and sum(map(len, transfer_fills(out).values())) == len(shown)
    assert f"{len(shown)} of {len(t.transfers)} transfers)" in svg_text(out)


def test_a_comparison_draws_the_link_rows_of_each_panel(tmp_path: Path, linked: Timeline, files) -> None:
    plain = read_timeline(files[3])
    out = plot_comparison([linked, plain], ["linked", "plain"], tmp_path / "c.svg", bound=None)
    fills = transfer_fills(out)
    assert {row for row in fills} == {f"linked-link{c}" for c in linked.links}
    assert sum(map(len, fills.values())) == len(linked.transfers)


# -- mixes: coloured by app ----------------------------------------------------------------


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    """Two apps (2 xception "detector" + 3 mobilenetv2 inferences) scheduled by heft: problem, result, pickle, JSON."""
    return mix_files(tmp_path_factory.mktemp("gantt_mix"))


def app_colours(t: Timeline, ops: list[int]) -> dict[str, list[str]]:
    """Per core row: the colour of each op's app (PALETTE in the workload file's order), in op order."""
    s, apps = t.schedule, ["detector", "mobilenetv2"]
    out: dict[str, list[str]] = {}
    for g in ops:
        out.setdefault(core_label(s.core_type[g], s.core_id[g]), []).append(PALETTE[apps.index(t.group(g).app)])
    return out


@pytest.mark.parametrize("source", ["result", "json", "pickle beside its json"])
def test_a_mix_is_coloured_by_app_by_default_and_the_legend_names_the_apps(tmp_path: Path, mix, source: str) -> None:
    problem, result, pkl, doc = mix
    t = {"result": lambda: timeline_of(problem, result), "json": lambda: read_timeline(doc), "pickle beside its json": lambda: read_timeline(pkl)}[source]()
    out = plot_gantt(t, tmp_path / "g.svg", Window())
    assert fills(out, "ops") == app_colours(t, list(range(t.size)))
    text = out.read_text()
    assert "<!-- detector -->" in text and "<!-- mobilenetv2 -->" in text and "<!-- app -->" in text and "batch 0" not in text
    assert "<!-- detector+mobilenetv2, heft, 5 inferences on grai (4 NPUs, 2 CPUs) -->" in text


def test_a_zoom_keeps_every_app_its_colour(tmp_path: Path, mix) -> None:
    t = read_timeline(mix[3])
    window = Window(None, 250, 400)  # after the last mobilenetv2 inference: detector alone
    shown = window.ops(t)
    assert {t.group(g).app for g in shown} == {"detector"}
    out = plot_gantt(t, tmp_path / "g.svg", window)
    assert fills(out, "ops") == app_colours(t, shown) and "<!-- mobilenetv2 -->" in out.read_text()


def test_a_comparison_of_a_mix_colours_every_panel_by_app(tmp_path: Path, mix) -> None:
    problem, result, _, _ = mix
    other = solve(problem, "npufirst")
    timelines = [timeline_of(problem, r) for r in (result, other)]
    out = plot_comparison(timelines, ["heft", "npufirst"], tmp_path / "c.svg", bound=None)
    rows, window = fills(out, "ops"), auto_window(timelines) or Window()
    for label, t in zip(("heft", "npufirst"), timelines):
        assert {k.split("-", 1)[1]: v for k, v in rows.items() if k.startswith(f"{label}-")} == app_colours(t, window.ops(t))


def test_other_colourings_of_a_mix_still_work_and_one_app_keeps_batch_colours(tmp_path: Path, mix) -> None:
    t = read_timeline(mix[3])
    assert "<!-- batch 0 -->" in plot_gantt(t, tmp_path / "b.svg", Window(), color="batch").read_text()
    one = mix_files(tmp_path, "npufirst", apps=(("cam", "mobilenetv2", 2),))
    text = plot_gantt(read_timeline(one[3]), tmp_path / "one.svg").read_text()
    assert "<!-- batch 0 -->" in text and "<!-- batch 1 -->" in text and "<!-- cam -->" not in text
    assert "<!-- cam -->" in plot_gantt(read_timeline(one[3]), tmp_path / "app.svg", color="app").read_text()


def test_colouring_by_app_needs_the_instances(tmp_path: Path, mix) -> None:
    alone = tmp_path / "alone.pkl"
    alone.write_bytes(mix[2].read_bytes())  # a pickle without its JSON: no apps known
    t = read_timeline(alone)
    with pytest.raises(PrismError, match="colouring by app needs the schedule's instances") as info:
        plot_gantt(t, tmp_path / "g.svg", color="app")
    assert "\n" not in str(info.value)
    assert "<!-- batch 0 -->" in plot_gantt(t, tmp_path / "g.svg").read_text()  # the default: by batch


def test_transfers_of_a_mix_take_their_app_colour(tmp_path: Path) -> None:
    problem, result, _, doc = mix_files(tmp_path, link=Link(10.0, 2000.0, 10.0, 2))
    t = read_timeline(doc)
    assert t.transfers
    out = plot_gantt(t, tmp_path / "g.svg", Window())
    apps = ["detector", "mobilenetv2"]
    expected: dict[str, list[str]] = {}
    for x in t.transfers:
        expected.setdefault(f"link{x.channel}", []).append(PALETTE[apps.index(t.group(x.batch * t.n_ops + x.src).app)])
    assert transfer_fills(out) == expected and LINK_LEGEND not in out.read_text()
