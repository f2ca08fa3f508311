"""The STG 50-task set: every published optimum reproduced and proven by cpsat.

    PYTHONPATH=. python benchmarks/bench_stg.py [--cpus 2,4,8,16] [--graphs 0-9,18]
        [--time-limit 10] [--workers 1] [--open | --closed] [--out FILE] [--resume]
        [--cross-check S] [--table docs/stg_open.md]

The 180 graphs and their published makespans on 2, 4, 8 and 16 processors
(tests/data/stg50/optimal/*.csv) give 720 (graph, p) pairs; 669 have a
published optimum, 51 only a published [lower, upper]. Each pair is solved by
`solve(problem, 'cpsat')` within --time-limit seconds, its schedule validated
by the simulator, and compared with the publication:

* reproduced: a closed pair, proven OPTIMAL at the published optimum;
* unproven: a closed pair not proven within the limit;
* closed / open: an open pair proven optimal (a new result) or not;
* WRONG: an invalid schedule, a makespan below the published lower bound or
  a proven bound above the published upper one (a bug of ours or theirs).

One line per pair is printed and appended to --out (JSON lines) as soon as it
is known, so Ctrl-C loses only the pair in progress; --resume skips the pairs
already in --out. --cross-check re-proves every OPTIMAL claim without the
engine (see `cross_check`). Exit status 1 on any WRONG, unproven or
REFUTED pair, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ortools.sat.python import cp_model

from prism_cp import Problem, Status, solve
from prism_cp.io import write_schedule_json
from prism_cp.io.stg import PublishedMakespan, load_stg, load_stg_optima, stg_platform
from prism_cp.simulate import validate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "stg50"
CPUS = (2, 4, 8, 16)
EXPLICIT_PROCESSORS = 4  # beyond, explicit processors' symmetries cost the second model more than they prune


@dataclass(frozen=True)
class Row:
    """One solved pair, as written to --out."""

    graph: str
    cpus: int
    lower: int
    upper: int
    makespan: float
    bound: float
    status: str
    wall_s: float
    verdict: str
    check: str = ""

    @property
    def failed(self) -> bool:
        """A contradiction, a refuted claim, or a published optimum not proven."""
        return self.verdict in ("WRONG", "unproven") or self.check.startswith("REFUTED")

    def line(self) -> str:
        published = f"{self.lower}" if self.lower == self.upper else f"[{self.lower},{self.upper}]"
        check = f"  {self.check}" if self.check else ""
        return (f"{self.graph:<9} p={self.cpus:<2} published {published:<10} ours {self.makespan:>4g} bound {self.bound:>4g} "
                f"{self.status:<8} {self.wall_s:6.2f}s  {self.verdict}{check}")


def verdict(pair: PublishedMakespan, makespan: float, bound: float, optimal: bool, valid: bool) -> str:
    """The pair's outcome against the publication (see the module docstring)."""
    if not valid or makespan < pair.lower or bound > pair.upper:
        return "WRONG"
    if pair.is_open:
        return "closed" if optimal else "open"
    return "reproduced" if optimal and makespan == pair.upper else "unproven"


def run_pair(pair: PublishedMakespan, time_limit: float, workers: int, check_s: float | None) -> Row:
    """Solve one pair with cpsat; with `check_s`, cross-check an OPTIMAL claim."""
    problem = Problem(load_stg(pair.graph), stg_platform(pair.cpus), 1)
    t0 = time.perf_counter()
    result = solve(problem, "cpsat", time_limit=time_limit, workers=workers)
    wall = time.perf_counter() - t0
    valid = validate(problem, result.schedule) == []
    optimal = result.status == Status.OPTIMAL
    row = Row(pair.graph.stem, pair.cpus, pair.lower, pair.upper, result.makespan, result.lower_bound,
              "OPTIMAL" if optimal else "FEASIBLE", round(wall, 3), verdict(pair, result.makespan, result.lower_bound, optimal, valid))
    if check_s is None or not optimal:
        return row
    with tempfile.TemporaryDirectory() as tmp:
        exported = write_schedule_json(Path(tmp) / "schedule.json", problem, result)
        return Row(**{**asdict(row), "check": cross_check(pair.graph, pair.cpus, exported, check_s)})


def read_raw_stg(path: Path) -> tuple[list[int], list[list[int]]]:
    """(processing time, predecessor ids) of every task of an STG file, dummies
    included, parsed here and not by prism_cp, so that the cross-check shares
    no code with the engine."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    n = int(lines[0][0]) + 2
    tasks = [[int(x) for x in fields] for fields in lines[1 : n + 1]]
    if any(p >= t[0] for t in tasks for p in t[3:]):
        raise ValueError(f"{path}: a predecessor id is not below its task's (the cross-check needs topological ids)")
    return [t[1] for t in tasks], [t[3:] for t in tasks]


def cross_check(graph: Path, cpus: int, exported: Path, limit_s: float) -> str:
    """Re-prove an OPTIMAL claim from the raw files, with nothing of prism_cp.

    The exported schedule's tasks (real task k is op k - 1) must respect every
    precedence, hold at most `cpus` tasks at any time and end by the claimed
    makespan C; then no schedule of makespan C - 1 may exist: either a simple
    bound (longest path, total work / cpus) reaches C, or a second CP-SAT model
    written here from the raw file (`independent_status`: its own load
    windows, no seeds, no search steering; if that times out on up to 4
    processors, also an explicit processor per task, which the engine's model
    does not have) is INFEASIBLE with horizon C - 1.
    """
    times, preds = read_raw_stg(graph)
    doc = json.loads(exported.read_text())
    start = [0, *doc["start_times"], None]
    start[-1] = max(s + times[k] for k, s in enumerate(start[:-1]))
    span = start[-1]
    if span != doc["makespan_us"] or max(doc["end_times"]) != span:
        return f"REFUTED: file makespan {doc['makespan_us']} vs recomputed {span}"
    for k, ps in enumerate(preds):
        if any(start[k] < start[p] + times[p] for p in ps):
            return f"REFUTED: task {k} starts before a predecessor ends"
    if any(sum(s <= t < s + times[k] for k, s in enumerate(start)) > cpus for t in range(span)):
        return "REFUTED: more tasks than processors at some time"
    path = [0] * len(times)
    for k, ps in enumerate(preds):  # ids are in topological order (each predecessor id is smaller)
        path[k] = times[k] + max((path[p] for p in ps), default=0)
    if max(path) >= span or math.ceil(sum(times) / cpus) >= span:
        return "confirmed (path/load)"
    variants = (False, True) if cpus <= EXPLICIT_PROCESSORS else (False,)
    for explicit in variants:
        status = independent_status(times, preds, cpus, span - 1, limit_s / len(variants), explicit)
        if status == cp_model.INFEASIBLE:
            return "confirmed (second model" + (", explicit processors)" if explicit else ")")
        if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            return f"REFUTED: the second model schedules in {span - 1}"
    return "unconfirmed (second model: timeout)"


def independent_status(times: list[int], preds: list[list[int]], cpus: int, horizon: int, limit_s: float, explicit: bool) -> int:
    """CP-SAT status of: every task ends by `horizon`, after its predecessors
    end, at most `cpus` tasks at once, every task within its `load_windows`,
    with the cumulative constraint's strong propagators; if `explicit`, also
    an explicit processor per task that runs one task at a time."""
    m = cp_model.CpModel()
    start = [m.new_int_var(0, max(0, horizon - d), f"s{k}") for k, d in enumerate(times)]
    for k, ps in enumerate(preds):
        for p in ps:
            m.add(start[k] >= start[p] + times[p])
    head, tail = load_windows(times, preds, cpus)
    for k in range(len(times)):
        m.add(start[k] >= head[k])
        m.add(start[k] + times[k] + tail[k] <= horizon)
    real = [k for k, d in enumerate(times) if d]
    m.add_cumulative([m.new_fixed_size_interval_var(start[k], times[k], f"i{k}") for k in real], [1] * len(real), cpus)
    if explicit:
        on = {(k, j): m.new_bool_var(f"x{k}_{j}") for k in real for j in range(cpus)}
        for k in real:
            m.add_exactly_one(on[k, j] for j in range(cpus))
        for j in range(cpus):
            m.add_no_overlap([m.new_optional_fixed_size_interval_var(start[k], times[k], on[k, j], f"o{k}_{j}") for k in real])
        m.add(on[real[0], 0] == 1)  # processors are interchangeable
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False  # Ctrl-C is the benchmark's to handle
    solver.parameters.use_timetable_edge_finding_in_cumulative = True
    solver.parameters.use_overload_checker_in_cumulative = True
    solver.parameters.use_hard_precedences_in_cumulative = True
    return solver.solve(m)


def load_windows(times: list[int], preds: list[list[int]], cpus: int) -> tuple[list[int], list[int]]:
    """(earliest start, least time after the end) of every task: for each value
    v among its ancestors' earliest starts, those starting at v or later hold
    their work on `cpus` processors before it starts; the same for its
    descendants' least time after their ends. Written apart from the engine's
    `bounds.energetic_timing`, so that a slip in either shows up here."""
    succs: list[list[int]] = [[] for _ in times]
    for k, ps in enumerate(preds):
        for p in ps:
            succs[p].append(k)

    def windows(order: list[int], direct: list[list[int]]) -> list[int]:
        value, reach = [0] * len(times), [set() for _ in times]
        for k in order:
            reach[k] = set(direct[k]).union(*(reach[j] for j in direct[k]))
            paths = [value[j] + times[j] for j in direct[k]]
            loads = [v + -(-sum(times[j] for j in reach[k] if value[j] >= v) // cpus) for v in {value[j] for j in reach[k]}]
            value[k] = max(paths + loads, default=0)
        return value

    ids = list(range(len(times)))  # topological: every predecessor id is smaller
    return windows(ids, preds), windows(ids[::-1], succs)


def select(data: Path, cpus: tuple[int, ...], graphs: frozenset[int], which: str) -> list[PublishedMakespan]:
    pairs = [pair for p in cpus for pair in load_stg_optima(data / "optimal" / f"Case50_{p}_OPT.csv")]
    pairs = [pair for pair in pairs if int(pair.graph.stem.removeprefix("rand")) in graphs]
    if which != "all":
        pairs = [pair for pair in pairs if pair.is_open == (which == "open")]
    return sorted(pairs, key=lambda pair: (pair.cpus, pair.graph.name))


def summary(rows: list[Row], pairs: int) -> list[str]:
    """The figures: counts per verdict, the slowest pairs, total time."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    closed = [r for r in rows if r.lower == r.upper]
    proven_walls = sorted(r.wall_s for r in closed if r.verdict == "reproduced")
    lines = [f"pairs run: {len(rows)} of {pairs} selected; " + ", ".join(f"{v}: {c}" for v, c in sorted(counts.items()))]
    if closed:
        lines.append(f"published optima reproduced and proven: {counts.get('reproduced', 0)} of {len(closed)}")
    lines.append(f"total solve time: {sum(r.wall_s for r in rows):.1f} s")
    if proven_walls:
        median = proven_walls[len(proven_walls) // 2]
        lines.append(f"reproduced pairs: median {median:.2f} s, max {proven_walls[-1]:.2f} s")
    slowest = sorted(rows, key=lambda r: -r.wall_s)[:5]
    lines.append("slowest: " + ", ".join(f"{r.graph}/p{r.cpus} {r.wall_s:.2f}s ({r.verdict})" for r in slowest))
    lines += [f"FAILED: {r.line()}" for r in rows if r.failed]
    return lines


def markdown_table(rows: list[Row], command: str) -> str:
    """The open pairs' outcome as a Markdown table (docs/stg_open.md)."""
    head = [
        "# STG 50-task set: the open pairs",
        "",
        "Pairs (graph, processors) for which the Standard Task Graph Set publishes only a",
        "lower bound and a best schedule. `ours` is cpsat's best makespan (a schedule",
        "validated by the simulator), `bound` its proven lower bound; `new` says what the",
        "row adds to the publication: a better schedule, a higher lower bound. `check`",
        "re-proves an optimum without the engine: the exported schedule re-validated",
        "against the raw .stg file, then the longest path or the total work reaching its",
        "makespan (path/load), or a second CP-SAT model written from the raw file finding",
        "no schedule one unit shorter (see `cross_check` in benchmarks/bench_stg.py).",
        "`wall` is the engine's whole run, seeding (up to a tenth of the limit) included.",
        "Produced by:",
        "",
        f"    {command}",
        "",
        "| graph | p | published lower | published upper | ours | bound | proven | new | wall (s) | check |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    body = [
        f"| {r.graph} | {r.cpus} | {r.lower} | {r.upper} | {r.makespan:g} | {r.bound:g} | "
        f"{'yes' if r.status == 'OPTIMAL' else 'no'} | {novelty(r)} | {r.wall_s:.2f} | {r.check} |"
        for r in rows
    ]
    closed = sum(r.status == "OPTIMAL" for r in rows)
    below = sum(r.makespan < r.upper for r in rows)
    raised = sum(r.bound > r.lower for r in rows)
    tail = ["", f"{closed} of {len(rows)} pairs proven optimal; {below} with a schedule better than the published one, "
            f"{raised} with a lower bound above the published one. `new` says which."]
    return "\n".join(head + body + tail) + "\n"


def novelty(row: Row) -> str:
    """What a row adds to the publication: a better schedule, a better lower bound, or both."""
    news = (["schedule"] if row.makespan < row.upper else []) + (["bound"] if row.bound > row.lower else [])
    return " + ".join(news) or "-"


def parse_graphs(text: str) -> frozenset[int]:
    """Graph numbers from 'N', 'N-M' and comma-separated lists of them."""
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding 50/ and optimal/ (default: the copy in tests/data)")
    parser.add_argument("--cpus", default=",".join(map(str, CPUS)), help="processor counts, comma-separated (default 2,4,8,16)")
    parser.add_argument("--graphs", type=parse_graphs, default=frozenset(range(180)), help="graph numbers: N, N-M, comma-separated (default 0-179)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per pair (default 10)")
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT workers (default 1)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--open", dest="which", action="store_const", const="open", help="only the pairs with no published optimum")
    which.add_argument("--closed", dest="which", action="store_const", const="closed", help="only the pairs with a published optimum")
    parser.add_argument("--out", type=Path, default=Path("results/bench_stg.jsonl"), help="JSON lines, one per pair")
    parser.add_argument("--resume", action="store_true", help="skip the pairs already in --out")
    parser.add_argument("--cross-check", type=float, default=None, metavar="S", help="re-prove each OPTIMAL claim independently, S seconds at most")
    parser.add_argument("--table", type=Path, help="write the rows as a Markdown table (for the open pairs)")
    args = parser.parse_args()
    pairs = select(args.data, tuple(int(p) for p in args.cpus.split(",")), args.graphs, args.which or "all")
    done: dict[tuple[str, int], Row] = {}
    if args.resume and args.out.is_file():
        for line in args.out.read_text().splitlines():
            row = Row(**json.loads(line))
            done[row.graph, row.cpus] = row
    elif args.out.exists():
        args.out.unlink()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stop = False

    def interrupt(signum, frame):  # the solver turns Ctrl-C into an early return: remember it was asked
        nonlocal stop
        stop = True
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, interrupt)
    rows = []
    for pair in pairs:
        key = (pair.graph.stem, pair.cpus)
        if key in done:
            rows.append(done[key])
            continue
        try:
            row = run_pair(pair, args.time_limit, args.workers, args.cross_check)
        except KeyboardInterrupt:
            stop = True
        if stop:
            print("interrupted: the pair in progress is not recorded", flush=True)
            break
        print(row.line(), flush=True)
        with args.out.open("a") as f:
            f.write(json.dumps(asdict(row)) + "\n")
        rows.append(row)
    print("\n".join(summary(rows, len(pairs))))
    if args.table:
        command = " ".join(["PYTHONPATH=. python benchmarks/bench_stg.py", *(a for a in sys.argv[1:] if a != "--resume")])
        args.table.write_text(markdown_table(rows, command))
    return 130 if stop else int(any(r.failed for r in rows))


if __name__ == "__main__":
    sys.exit(main())
