"""`plot`, `trace`, `show` and the --plot/--trace options of `schedule` and
`compare`: the files they write, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from prism_cp.io import load_platform
from prism_cp.summary import summarize
from prism_cp.views import read_timeline
from schedule_files import LINK_TOML, grai_with, mix_files, schedule_files
from test_cli import DATA, FAST, assert_user_error, json_line, run

NOT_OURS = {"model": "x", "batches": 1, "start": [0]}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return schedule_files(tmp_path_factory.mktemp("cli_views"), batches=2)


def test_plot_writes_the_chart_of_a_pickle_or_a_json(tmp_path: Path, files) -> None:
    for source, out in ((files[2], tmp_path / "a.png"), (files[3], tmp_path / "b.svg")):
        result = run("plot", str(source), "-o", str(out), "--batches", "0-1", "--from-ms", "10", "--to-ms", "80", "--color", "type")
        assert result.exit_code == 0, result.output
        assert result.stdout == f"[info] chart written to  {out}\n" and out.stat().st_size > 5_000


def test_trace_writes_the_trace_of_a_schedule_file(tmp_path: Path, files) -> None:
    result = run("trace", str(files[2]), "-o", str(tmp_path / "t.json"))
    assert result.exit_code == 0, result.output
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert sum(e["ph"] == "X" for e in events) == read_timeline(files[2]).size


def test_schedule_writes_chart_and_trace_of_its_result(tmp_path: Path) -> None:
    chart, trace = tmp_path / "s.svg", tmp_path / "s.json"
    summary = json_line(run("schedule", "--algorithm", "npufirst", "--batches", "2", "--results-dir", str(tmp_path), "--json", "--plot", str(chart), "--trace", str(trace)))
    doc = json.loads(trace.read_text())
    assert doc["otherData"]["makespan_us"] == summary["makespan_us"] and doc["otherData"]["lower_bound_us"] == summary["lower_bound_us"]
    assert chart.read_text().count('id="ops-') == 6


def test_schedule_on_a_linked_platform_draws_and_traces_every_transfer(tmp_path: Path) -> None:
    platform = grai_with(tmp_path, LINK_TOML)
    chart, trace = tmp_path / "s.svg", tmp_path / "s.json"
    summary = json_line(run("schedule", "-a", "npufirst", "--batches", "2", "--platform", str(platform), "--results-dir", str(tmp_path), "--json",
                            "--plot", str(chart), "--trace", str(trace)))
    moved = read_timeline(summary["output"]).transfers
    events = json.loads(trace.read_text())["traceEvents"]
    assert moved and sum(e["ph"] == "X" and e["cat"] == "transfer" for e in events) == len(moved)
    text = chart.read_text()
    assert text.count('id="transfers-link') == 2 and "<!-- link 0 -->" in text and "<!-- link 1 -->" in text


def test_compare_plot_has_a_panel_per_algorithm(tmp_path: Path) -> None:
    chart = tmp_path / "c.svg"
    data = json_line(run("compare", "--batches", "1", "--results-dir", str(tmp_path), "--json", "--quiet", "--plot", str(chart), *FAST))
    text = chart.read_text()
    assert all(f'id="ops-{r["algorithm"]}-' in text and f'{r["algorithm"]}: {r["makespan_us"] / 1000:.3f} ms' in text for r in data["results"])


def test_show_prints_the_summary_and_its_json(xception) -> None:
    expected = summarize(xception, load_platform("mubrain", npus=2, cpus=1), (1, 3))
    doc = json_line(run("show", "xception", "--platform", "mubrain", "--npus", "2", "--cpus", "1", "--batches", "1,3", "--json"))
    assert doc == json.loads(json.dumps(expected.to_dict()))
    text = run("show", "xception")
    bound = summarize(xception, load_platform("grai"), (16,)).bounds[0].lower_bound_us
    assert text.exit_code == 0 and "134 ops" in text.stdout and f"lower bound for 16 batches: {bound / 1000:.3f} ms" in text.stdout


@pytest.mark.parametrize(
    "case, args, mentions",
    [
        ("pickle that is not a schedule", ("plot", str(DATA / "xception.cgraph.pkl"), "-o", "{tmp}/x.png"), "scheduler_class.schedule"),
        ("JSON that is not ours", ("plot", "{tmp}/not_ours.json", "-o", "{tmp}/x.png"), "not a prism_cp schedule JSON"),
        ("JSON that is not JSON", ("trace", "{tmp}/broken.json", "-o", "{tmp}/t.json"), "invalid JSON"),
        ("text file read as a pickle", ("trace", str(DATA / "rand0000.stg"), "-o", "{tmp}/t.json"), "not a readable pickle"),
        ("zoom that selects nothing", ("plot", "{json}", "-o", "{tmp}/x.png", "--from-ms", "99999"), "nothing to show"),
        ("batches that do not exist", ("plot", "{json}", "-o", "{tmp}/x.png", "--batches", "5-6"), "nothing to show"),
        ("bad batch range", ("plot", "{json}", "-o", "{tmp}/x.png", "--batches", "3-1"), "--batches"),
        ("unsupported chart extension", ("plot", "{json}", "-o", "{tmp}/x.jpg"), ".png, .svg, .pdf"),
        ("unsupported trace extension", ("trace", "{json}", "-o", "{tmp}/t.txt"), ".json"),
        ("chart directory missing", ("plot", "{json}", "-o", "{tmp}/no/x.png"), "does not exist"),
        ("trace directory missing", ("trace", "{json}", "-o", "{tmp}/no/t.json"), "does not exist"),
        ("schedule --plot, bad extension", ("schedule", "--plot", "{tmp}/x.gif"), ".png"),
        ("schedule --trace, directory missing", ("schedule", "--trace", "{tmp}/no/t.json"), "does not exist"),
        ("compare --plot, directory missing", ("compare", "--plot", "{tmp}/no/c.png"), "does not exist"),
        ("missing schedule file", ("plot", "{tmp}/missing.pkl", "-o", "{tmp}/x.png"), "does not exist"),
        ("unknown model", ("show", "no_such_model"), "no_such_model"),
    ],
)
def test_bad_input_is_one_line_with_exit_status_2(tmp_path: Path, files, monkeypatch: pytest.MonkeyPatch, case: str, args: tuple[str, ...], mentions: str) -> None:
    (tmp_path / "not_ours.json").write_text(json.dumps(NOT_OURS))
    (tmp_path / "broken.json").write_text('{"model": ')
    monkeypatch.setattr("prism_cp.cli.run.solve", lambda *a, **k: pytest.fail("the output is checked before any scheduling"))
    result = run(*(a.format(tmp=tmp_path, json=files[3]) for a in args))
    assert_user_error(result)
    assert mentions in result.stderr, case
    assert not (tmp_path / "no").exists() and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args", [("plot", "{json}", "-o", "{tmp}/x.png"), ("schedule", "--plot", "{tmp}/x.png")])
def test_without_matplotlib_plotting_says_what_to_install(tmp_path: Path, files, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr("prism_cp.cli.run.solve", lambda *a, **k: pytest.fail("matplotlib is checked before any scheduling"))
    result = run(*(a.format(tmp=tmp_path, json=files[3]) for a in args))
    assert_user_error(result)
    assert "pip install 'prism_cp[plot]'" in result.stderr
    assert run("trace", str(files[3]), "-o", str(tmp_path / "t.json")).exit_code == 0  # traces need no matplotlib


def test_plot_colours_a_mix_by_app_unless_asked_and_says_when_it_cannot(tmp_path: Path) -> None:
    _, _, pkl, doc = mix_files(tmp_path)
    for args, legend in (((), "<!-- detector -->"), (("--color", "app"), "<!-- mobilenetv2 -->"), (("--color", "batch"), "<!-- batch 0 -->")):
        result = run("plot", str(doc), "-o", str(tmp_path / "m.svg"), *args)
        assert result.exit_code == 0, result.output
        assert legend in (tmp_path / "m.svg").read_text()
    alone = tmp_path / "alone.pkl"
    alone.write_bytes(pkl.read_bytes())
    result = run("plot", str(alone), "-o", str(tmp_path / "a.svg"), "--color", "app")
    assert_user_error(result)
    assert "colour by batch, type or op" in result.stderr
    assert "app for a mix of several apps" in " ".join(run("plot", "--help").stdout.split())
