"""Verdict sweeps: one run per workload file and core configuration records
what `mix_verdict` says, with its witness; a resumed sweep re-runs only what
changed (an edited file is new); the smallest schedulable core counts are the
Pareto-minimal ones; the grid plot marks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from prism_cp import PrismError
from prism_cp.io import load_platform
from prism_cp.mix import load_mix
from prism_cp.solve import mix_verdict
from prism_cp.steady.verdict import NOT_SCHEDULABLE, SCHEDULABLE, UNKNOWN
from prism_cp.sweep import LocalPool, Store, minimal_pairs, plan_verdicts, plot_verdicts, run_all
from prism_cp.sweep.report import report_lines
from prism_cp.sweep.verdict_plot import LEAST_WORD
from prism_cp.sweep.verdicts import NO_VERDICT, cell_verdict, grids, minimal_lines
from schedule_files import light_mix, misses_in


def test_the_minimal_pairs_are_those_no_other_schedulable_pair_dominates():
    staircase = [(1, 3), (2, 2), (2, 3), (3, 1), (4, 1), (3, 3), (4, 4)]
    assert minimal_pairs(staircase) == [(1, 3), (2, 2), (3, 1)]
    assert minimal_pairs([(2, 2), (2, 2), (3, 2)]) == [(2, 2)]  # repeats count once
    assert minimal_pairs([(0, 4), (4, 0)]) == [(0, 4), (4, 0)]  # neither has both counts <= the other's
    assert minimal_pairs([(1, 1), (1, 5), (5, 1)]) == [(1, 1)]
    assert minimal_pairs([]) == []


def test_a_configuration_takes_the_most_telling_verdict_of_its_runs():
    assert cell_verdict([UNKNOWN, SCHEDULABLE], "x") == SCHEDULABLE  # a longer time limit found a schedule
    assert cell_verdict([None, NOT_SCHEDULABLE, UNKNOWN], "x") == NOT_SCHEDULABLE
    assert cell_verdict([None, UNKNOWN], "x") == UNKNOWN
    assert cell_verdict([None], "x") == NO_VERDICT
    with pytest.raises(PrismError, match="mix.toml on grai with 1 NPUs and 1 CPUs: the database holds both verdicts"):
        grids([hand_row(1, 1, SCHEDULABLE), hand_row(1, 1, NOT_SCHEDULABLE)])


def hand_row(npus: int, cpus: int, verdict: str | None, digest: str = "ab" * 32, platform: str = "grai") -> dict:
    return {"workload": "mix.toml", "digest": digest, "platform": platform, "npus": npus, "cpus": cpus, "verdict": verdict}


def test_grids_group_by_file_content_and_platform_and_lines_name_the_least_core_counts():
    rows = [hand_row(n, c, SCHEDULABLE if n + c >= 3 else NOT_SCHEDULABLE) for n in range(3) for c in range(3)]
    rows += [hand_row(1, 1, UNKNOWN, platform="other"), hand_row(2, 0, None, platform="other")]
    panels = grids(rows)
    assert list(panels) == [("mix.toml", "ab" * 32, "grai"), ("mix.toml", "ab" * 32, "other")]
    assert panels["mix.toml", "ab" * 32, "other"] == {(1, 1): UNKNOWN, (2, 0): NO_VERDICT}
    assert minimal_lines(rows) == [
        "[sweep] mix.toml on grai: smallest schedulable core counts 1N+2C, 2N+1C (N: NPUs, C: CPUs)",
        "[sweep] mix.toml on other: schedulable with none of the core counts swept",
    ]
    assert len(grids(rows + [hand_row(1, 1, SCHEDULABLE, digest="cd" * 32)])) == 3  # an edited file is a grid of its own


def test_the_plot_marks_exactly_the_smallest_schedulable_cells(tmp_path):
    rows = [hand_row(n, c, SCHEDULABLE if n + c >= 3 else NOT_SCHEDULABLE) for n in range(4) for c in range(3)]
    text = plot_verdicts(rows + [hand_row(4, 0, None)], tmp_path / "v" / "grid.svg").read_text()  # (4, 1), (4, 2): not swept
    assert text.count(f"<!-- {LEAST_WORD} -->") == len(minimal_pairs((n, c) for n in range(4) for c in range(3) if n + c >= 3)) == 3
    assert text.count("<!-- yes -->") == text.count("<!-- no -->") == 6 and text.count("<!-- error -->") == 1
    assert "<!-- mix.toml (content abababab) on grai -->" in text
    assert plot_verdicts(rows, tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(PrismError, match="no verdict run in the sweep database to plot"):
        plot_verdicts([], tmp_path / "none.png")


def test_a_sweep_records_what_mix_verdict_says_with_its_witness_then_resumes(tmp_path):
    workload = str(light_mix(tmp_path))
    configs = plan_verdicts([workload], ["grai"], [1, 2], [0, 1], time_limit=5)
    with Store(tmp_path / "s.db") as store:
        assert run_all(configs, store, LocalPool(2), str(tmp_path / "sched")) == 4
        rows = {r["key"]: r for r in store.verdict_rows()}
        assert store.rows() == []  # model runs untouched
        mix = load_mix(workload)
        for c in configs:
            r, expected = rows[c.key], mix_verdict(mix, load_platform("grai", npus=c.npus, cpus=c.cpus), time_limit=5)
            assert (r["verdict"], r["reason"], r["hyperperiod_us"], r["misses"]) == (expected.verdict, expected.found.reason, 20000.0, expected.misses)
            assert r["status"] == "DONE" and r["workload"] == workload and r["workload_name"] == "mobilenetv2+b" and r["prism_cp_version"]
            if r["verdict"] == SCHEDULABLE:
                assert misses_in(Path(r["schedule_path"])) == r["misses"] == 0
            else:
                assert r["schedule_path"] is None and r["misses"] is None
        assert {(r["npus"], r["cpus"]): r["verdict"] for r in rows.values()} == {(1, 0): NOT_SCHEDULABLE, (1, 1): SCHEDULABLE, (2, 0): SCHEDULABLE, (2, 1): SCHEDULABLE}
        assert run_all(configs, store, LocalPool(1), str(tmp_path / "sched")) == 0  # resumed: nothing runs
        assert report_lines(configs, store, 0)[-1] == f"[sweep] {workload} on grai: smallest schedulable core counts 1N+1C, 2N+0C (N: NPUs, C: CPUs)"
        Path(workload).write_text(Path(workload).read_text() + "# edited\n")
        edited = plan_verdicts([workload], ["grai"], [2], [1], time_limit=5)
        assert run_all(edited, store, LocalPool(1), str(tmp_path / "sched")) == 1  # new content: a new run
        assert len(store.verdict_rows()) == 5


def test_a_file_edited_after_planning_is_an_error_row_and_bad_plans_are_refused(tmp_path):
    workload = light_mix(tmp_path)
    configs = plan_verdicts([str(workload)], ["grai"], [1], [1], time_limit=5)
    workload.write_text(workload.read_text().replace("20000", "30000"))
    with Store(tmp_path / "s.db") as store:
        run_all(configs, store, LocalPool(1), str(tmp_path))
        (r,) = store.verdict_rows()
        assert r["status"] == "ERROR" and r["verdict"] is None and "changed since the sweep was planned" in r["error"]
        assert report_lines(configs, store, 1)[1] == f"[sweep] ERROR: {workload} grai NPU_1.CPU_1 verdict: {r['error']}"
    with pytest.raises(PrismError, match="cannot read workload file .*none.toml"):
        plan_verdicts([str(tmp_path / "none.toml")], ["grai"], [1], [1])
    with pytest.raises(PrismError, match="time limit must be > 0"):
        plan_verdicts([str(workload)], ["grai"], [1], [1], time_limit=0)
    with pytest.raises(PrismError, match="at least one workload, platform, NPU count and CPU count"):
        plan_verdicts([str(workload)], ["grai"], [], [1])


def test_the_key_holds_the_files_content_and_the_time_limit(tmp_path):
    a, b = light_mix(tmp_path, "a.toml"), light_mix(tmp_path, "b.toml")
    (ka,), (kb,) = (plan_verdicts([str(p)], ["grai"], [1], [1], time_limit=10) for p in (a, b))
    assert ka.digest == kb.digest and ka.key != kb.key  # same content, two files
    assert plan_verdicts([str(a)], ["grai"], [1], [1], time_limit=10.0)[0].key == ka.key  # 10 and 10.0 are one limit
    assert plan_verdicts([str(a)], ["grai"], [1], [1], time_limit=20)[0].key != ka.key
