"""How fast prism_cp reproduces the reference heuristics, against targets and
against the reference's published wall times (xception, grai, 4 NPUs + 2 CPUs).

Run: `python benchmarks/bench_reproduction.py [--repeats N]`; exit status 1 if
a target is missed. Times are the scheduling time `solve` reports
(`Result.wall_s`): the algorithm alone, without loading files, validation or
bounds, as the reference's "schedule generation" line measures it.

The reference column is not measured in this run: it holds the wall times
the reference recorded in the golden files or published
(docs/semantics.md), on another machine. The ratio to them is only indicative.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from prism_cp import Problem, solve
from prism_cp.io import load_platform, load_workload

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden"
THROUGHPUT_SIZES = (2, 4, 8, 16, 32, 64, 128)
#: Reference wall times with no golden file (docs/semantics.md): PRISM's
#: hill climbing at 16 batches, and the throughput runs over 2..128 batches.
PUBLISHED_WALL_S = {("prism", 16): 5544.0, ("random", "throughput"): 7871.0, ("npufirst", "throughput"): 7440.0}


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    target_s: float
    published_s: float | None

    @property
    def met(self) -> bool:
        return self.seconds <= self.target_s

    def line(self) -> str:
        verdict = "ok" if self.met else "MISSED"
        ref = f"{self.published_s:>9.1f} s  x{self.published_s / self.seconds:>9,.0f}" if self.published_s else f"{'n/a':>11}  {'':>10}"
        return f"{self.name:<30} {self.seconds:>9.4f} s  <= {self.target_s:<6g} s {verdict:<7} {ref}".rstrip()


def reference_wall_s(algorithm: str, batches: int) -> float | None:
    """The reference's own wall time for this configuration, as its golden file records it or as published."""
    path = GOLDEN / f"xception_grai_NPU4_CPU2_{algorithm}_b{batches}.json"
    if path.is_file():
        return float(json.loads(path.read_text())["reference_wall_s"])
    return PUBLISHED_WALL_S.get((algorithm, batches))


def median_wall(problem: Problem, algorithm: str, repeats: int) -> float:
    """Median over `repeats` runs of the algorithm's own scheduling time."""
    return statistics.median(solve(problem, algorithm).wall_s for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per simulation figure (median reported)")
    args = parser.parse_args()
    workload, platform = load_workload("xception"), load_platform("grai", npus=4, cpus=2)
    problems = {n: Problem(workload, platform, n) for n in THROUGHPUT_SIZES}

    rows = [
        Row(f"simulate {alg}, {n} batches", median_wall(problems[n], alg, args.repeats), target, reference_wall_s(alg, n))
        for alg in ("random", "npufirst")
        for n, target in ((16, 0.015), (128, 0.150))
    ]
    rows.append(Row("prism (HCO), 16 batches", median_wall(problems[16], "prism", 3), 1.5, reference_wall_s("prism", 16)))
    for alg in ("random", "npufirst"):
        total = statistics.median(sum(solve(p, alg).wall_s for p in problems.values()) for _ in range(3))
        rows.append(Row(f"throughput {alg}, 2..128", total, 3.0, PUBLISHED_WALL_S[(alg, "throughput")]))

    print(f"xception on grai, {platform.npus} NPUs + {platform.cpus} CPUs")
    print("published: the reference's own wall times as recorded or published, not measured in this run")
    print(f"{'figure':<30} {'median':>11}  {'target':<11} {'':<7} {'published':>11}  {'ratio':>10}")
    for row in rows:
        print(row.line())
    sys.exit(0 if all(row.met for row in rows) else 1)


if __name__ == "__main__":
    main()
