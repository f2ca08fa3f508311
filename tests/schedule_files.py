"""Small schedules written to disk in every format the views read, grai
platform files with more in them, and a light workload file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from prism_cp import Problem, Result, solve
from prism_cp.io import load_platform, load_workload, write_reference_pickle, write_schedule_json
from prism_cp.platform import Link


GRAI = Path(__file__).parents[1] / "platforms" / "grai.toml"
LINK_TOML = "[link]\nlatency_us = 10.0\nbytes_per_us = 2000.0\npj_per_byte = 10.0\nchannels = 2\n"


def grai_with(directory: Path, *tables: str, power: bool = True) -> Path:
    """A platform file: the bundled grai plus these TOML tables (without its
    power figures, which close its file, unless `power`)."""
    text = GRAI.read_text()
    path = directory / "grai_with.toml"
    path.write_text("\n".join([text if power else text[: text.index("[power.")], *tables]))
    return path


#: two mobilenetv2 apps every 20 ms, each due within its period: one NPU alone
#: cannot serve them (a proof), one NPU and one CPU or two NPUs can; each verdict takes about a second
LIGHT_MIX = '[[app]]\nmodel = "mobilenetv2"\nperiod_us = 20000\n[[app]]\nname = "b"\nmodel = "mobilenetv2"\nperiod_us = 20000\n'


def light_mix(directory: Path, name: str = "light.toml") -> Path:
    """LIGHT_MIX written to directory/name."""
    path = directory / name
    path.write_text(LIGHT_MIX)
    return path


def misses_in(schedule_json: Path) -> int:
    """Deadline misses recomputed from a schedule JSON alone (its instances and end times)."""
    doc = json.loads(schedule_json.read_text())
    return sum(max(doc["end_times"][o] for o in i["ops"]) > i["due_us"] for i in doc["instances"])


def schedule_files(directory: Path, batches: int = 2, algorithm: str = "npufirst", link: Link | None = None) -> tuple[Problem, Result, Path, Path]:
    """xception on grai (4 NPUs, 2 CPUs; with `link`, if given): the problem, a
    result, and its pickle and JSON."""
    problem = Problem(load_workload("xception"), dataclasses.replace(load_platform("grai"), link=link), batches)
    result = solve(problem, algorithm)
    pkl = write_reference_pickle(directory / f"{algorithm}_b{batches}.pkl", problem, result.schedule, result.mapping)
    doc = write_schedule_json(directory / f"{algorithm}_b{batches}.json", problem, result)
    return problem, result, pkl, doc


def mix_files(directory: Path, algorithm: str = "heft", link: Link | None = None, apps: tuple[tuple[str, str, int], ...] | None = None) -> tuple[Problem, Result, Path, Path]:
    """A mix on grai (with `link`, if given): by default two xception
    "detector" inferences 200 ms apart (each outlasts the period, so they
    overlap) and three mobilenetv2 ones every 50 ms; `apps`: (name, model,
    count) each, every 50 ms. The problem, a result, its pickle and JSON."""
    from prism_cp.mix import App, Mix, mix_problem

    specs = apps or (("detector", "xception", 2), ("mobilenetv2", "mobilenetv2", 3))
    period = {"detector": 200000.0}
    mix = Mix(tuple(App(name, load_workload(model), period.get(name, 50000.0), 400000.0, count) for name, model, count in specs))
    problem = mix_problem(mix, dataclasses.replace(load_platform("grai"), link=link))
    result = solve(problem, algorithm)
    pkl = write_reference_pickle(directory / f"mix_{algorithm}.pkl", problem, result.schedule, result.mapping)
    doc = write_schedule_json(directory / f"mix_{algorithm}.json", problem, result)
    return problem, result, pkl, doc
