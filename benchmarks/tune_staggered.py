"""Tune the staggered heuristic's options on xception / grai (default 4 NPUs + 2 CPUs).

Run: `python benchmarks/tune_staggered.py [--batches 4 8 16] [--npus 4] [--cpus 2] [--search SECONDS]`.
For every stagger x CPU ratio x tail-batches combination it schedules each
batch count and scores the combination by its mean excess over the analytic
lower bound (%). It prints one stagger x ratio table per tail value, the best
combinations, and where the module's defaults rank; with `--search`, also
what `staggered_search` reaches from the defaults in that many seconds.
"""

from __future__ import annotations

import argparse
import itertools
import time

from prism_cp import Problem
from prism_cp.bounds import lower_bound
from prism_cp.heuristics.staggered import STAGGER_US, TAIL_BATCHES, lp_cpu_ratio, staggered_schedule, staggered_search
from prism_cp.io import load_platform, load_workload

STAGGERS = tuple(float(s) for s in range(0, 12001, 1000))
RATIOS = (0.5, 1.2, 1.5, 1.6, 1.8, 2.0, 2.5)  # 0.5: no op qualifies, CPUs never steal
TAILS = (1, 2, 3, 4, 5, 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--npus", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--search", type=float, default=0.0, metavar="SECONDS", help="also run staggered_search this long per batch count")
    args = parser.parse_args()
    workload, platform = load_workload("xception"), load_platform("grai", npus=args.npus, cpus=args.cpus)
    problems = {b: Problem(workload, platform, b) for b in args.batches}
    ratio = lp_cpu_ratio(problems[max(args.batches)])
    print(f"{args.npus} NPUs + {args.cpus} CPUs: the default CPU ratio (from the work-split LP) is {ratio:.3f}")
    bounds = {b: lower_bound(p) for b, p in problems.items()}
    t0 = time.perf_counter()
    spans: dict[tuple[float, float, int], dict[int, float]] = {}
    for key in itertools.product(STAGGERS, RATIOS, TAILS):
        if key[2] > 1 and key[2] >= max(args.batches):
            continue
        s, r, k = key
        spans[key] = {b: staggered_schedule(p, stagger_us=s, cpu_ratio=r, tail_batches=k).makespan for b, p in problems.items()}
    print(f"{len(spans)} combinations x {len(problems)} batch counts in {time.perf_counter() - t0:.1f} s")
    print("lower bounds: " + ", ".join(f"{b} batches {bounds[b]:,.2f} us" for b in problems))

    def score(key: tuple[float, float, int]) -> float:
        return sum(100 * (spans[key][b] / bounds[b] - 1) for b in problems) / len(problems)

    for tail in sorted({k for _, _, k in spans}):
        print(f"\nmean % above the bound, tail_batches = {tail}")
        print("stagger_us " + "".join(f"{'ratio ' + format(r, 'g'):>11}" for r in RATIOS))
        for s in STAGGERS:
            print(f"{s:>10g} " + "".join(f"{score((s, r, tail)):>11.2f}" for r in RATIOS))
    ranked = sorted(spans, key=score)
    print("\nbest combinations (stagger_us, cpu_ratio, tail_batches): makespan per batch count (us), mean % above bound")
    for key in ranked[:10]:
        print(f"{key!s:<22} " + "  ".join(f"{b}: {spans[key][b]:>13,.2f}" for b in problems) + f"   {score(key):.2f} %")
    default = (STAGGER_US, ratio, TAIL_BATCHES)
    spans.setdefault(default, {b: staggered_schedule(p, cpu_ratio=ratio).makespan for b, p in problems.items()})
    ranked = sorted(spans, key=score)
    print(f"defaults {default}: rank {ranked.index(default) + 1} of {len(ranked)}, "
          + "  ".join(f"{b}: {spans[default][b]:,.2f}" for b in problems) + f"   {score(default):.2f} %")
    if args.search > 0:
        print(f"\nstaggered_search, {args.search:g} s each (seed 42):")
        for b, p in problems.items():
            span = staggered_search(p, deadline=time.perf_counter() + args.search).makespan
            print(f"{b:>3} batches: {span:>13,.2f} us   {100 * (span / bounds[b] - 1):.2f} % above the bound")


if __name__ == "__main__":
    main()
