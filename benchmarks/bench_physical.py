"""Targets of the physical SoC model (docs/benchmarks.md). Each target is a
function that prints its figures and returns whether it is met; the script
prints "met" or "NOT MET" for each and exits 1 if any is missed. Not a
timed test.

    python benchmarks/bench_physical.py [TARGET ...]   (default: every target)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from prism_cp import Problem, Result, replay, simulate, solve, validate
from prism_cp.cost.agreement import spearman
from prism_cp.cost.roofline import estimate_times, op_sides, op_work
from prism_cp.energy_front import energy_front
from prism_cp.io import load_platform, load_workload, read_network
from prism_cp.platform import Link, Platform

ROOT = Path(__file__).resolve().parent.parent
PRISM = [sys.executable, "-m", "prism_cp"]
MIN_RHO = 0.9  # Spearman's rho of estimated NPU time against MACs, Conv2D and Dense ops
MIN_CONV_SPAN = 10.0  # slowest conv / fastest conv


def size_aware_times() -> bool:
    """resnet50 estimated on imx93: NPU times of Conv2D/Dense ops rank like
    their MACs, and the convs' times span a factor of 10. Also prints which
    side bounds each op, and the ranking over the compute-bound ops, since
    ops bound by the weight port rank by their weights instead."""
    net = read_network("resnet50")
    imx93 = load_platform("imx93")
    npu = estimate_times(net, imx93)["npu"]
    roofline = imx93.roofline("npu")
    work = op_work(net)
    ops = [i for i, layer in enumerate(net.layers) if layer.type in ("Conv2D", "Dense")]
    convs = [npu[i] for i, layer in enumerate(net.layers) if layer.type == "Conv2D"]
    macs = [net.layers[i].macs for i in ops]
    rho = spearman([npu[i] for i in ops], macs)
    span = max(convs) / min(convs)
    print(f"resnet50 on imx93 (NPU, {len(ops)} Conv2D/Dense ops): Spearman(time, MACs) {rho:.3f} (target >= {MIN_RHO}); "
          f"slowest / fastest conv {max(convs):.1f} / {min(convs):.1f} us = {span:.2f}x (target >= {MIN_CONV_SPAN:g}x); "
          f"their MACs span {max(macs) / min(m for m in macs if m):.2f}x")
    bound: dict[str, list[int]] = {}
    for i in ops:
        sides = op_sides(work[i], roofline)
        bound.setdefault(max(sides, key=sides.__getitem__), []).append(i)
    for side, members in sorted(bound.items()):
        print(f"  {len(members)} bound by {side}: {', '.join(net.layers[i].name for i in members)}")
    compute = bound.get("compute", [])
    if len(compute) > 1:
        print(f"  over the compute-bound ops, Spearman(time, MACs) {spearman([npu[i] for i in compute], [net.layers[i].macs for i in compute]):.3f}")
    return rho >= MIN_RHO and span >= MIN_CONV_SPAN


def measured_resnet50(runs: int = 10, low: float = 0.7, high: float = 1.3) -> bool:
    """`extime measure` on ResNet-50 (224x224, random weights, built by
    make_resnet50_onnx.py): the per-op CPU times sum to `low`..`high` x the
    whole model's measured run, with 1 and with 2 threads."""
    met = True
    with tempfile.TemporaryDirectory(prefix="bench_physical_") as tmp:
        model = Path(tmp) / "resnet50.onnx"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_resnet50_onnx.py"), str(model)], check=True, cwd=ROOT)
        imported = Path(tmp) / "models" / "resnet50_onnx.json"  # a name of its own: resnet50 is the bundled model
        subprocess.run([*PRISM, "import", "onnx", str(model), "--name", imported.stem, "--out", str(imported)], check=True, cwd=ROOT)
        for threads in (1, 2):
            table = Path(tmp) / "extime" / (f"{imported.stem}.csv" if threads == 1 else f"{imported.stem}.t{threads}.csv")  # 1 thread: the model's table
            cmd = [*PRISM, "extime", "measure", str(model), "--runs", str(runs), "--threads", str(threads), "--out", str(table)]
            out = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout
            summary = next(line for line in out.splitlines() if line.startswith("sum of per-op times"))
            ratio = float(summary.split(" = ")[1].split(" x ")[0])
            ok = low <= ratio <= high
            met &= ok
            print(f"resnet50 measured, {threads} thread(s): {summary} ({low}-{high})", flush=True)
        schedule = [*PRISM, "schedule", "--model", str(imported), "--algorithm", "npufirst", "--batches", "2", "-q",
                    "--results-dir", tmp]
        print("the imported model schedules with the measured table:", subprocess.run(schedule, check=True, cwd=ROOT, capture_output=True, text=True).stdout.splitlines()[0])
    return met


# grai with a DMA between its NPU and CPU clusters, for the targets below only
# (the bundled grai keeps no link: the reference's schedules stay bit-exact).
# Comparable published DMA engine: the Arm PL330 DMA controller of the
# Xilinx Zynq-7000 (UG585, "Theoretical Bandwidth" table): one 64-bit AXI
# master at 222 MHz, 1,776 MB/s each way; its 8 channels share that master,
# so the link is one channel at the master's rate.
GRAI_LINK = Link(
    latency_us=2.0,  # assumption: programming one descriptor
    bytes_per_us=1776.0,  # 64 bits x 222 MHz (PL330 in the Zynq-7000, above)
    pj_per_byte=160.0,  # DRAM access, the low end of Horowitz (ISSCC 2014): 1.3 nJ per 64 bits
    channels=1,  # the channels share one AXI master
)
CORES = {"npus": 4, "cpus": 2}
BATCHES = 16
CPSAT_S = 60.0
MAX_GAP = 0.03
FRONT_S = 120.0
FRONT_POINTS = 7  # solves: the least makespan, the least energy and 5 caps
MIN_POINTS = 5
CAP_STRETCH = 1.05
CAP_S = 20.0


def linked_grai() -> Platform:
    """grai with GRAI_LINK, named grai_link."""
    return replace(load_platform("grai", **CORES), name="grai_link", link=GRAI_LINK)


def checked(problem: Problem, result: Result, what: str) -> bool:
    """`result` validates (transfers included); prints its figures."""
    errors = validate(problem, result.schedule)
    print(f"  {what}: makespan {result.makespan:.2f} us, bound {result.lower_bound:.2f} us, gap {100 * result.gap:.2f}%, "
          f"{len(result.schedule.transfers)} transfers, energy {result.energy_uj:.2f} uJ, {'valid' if not errors else errors[:2]}", flush=True)
    return not errors


def transfers_on_linked_grai() -> bool:
    """xception, 16 batches on grai with a link: every algorithm's schedule
    validates with its transfers; cpsat in 60 s is within 3% of its bound
    and no worse than the best heuristic; and the loss of the best schedule
    found ignoring transfers when re-timed with the link."""
    linked = Problem(load_workload("xception"), linked_grai(), BATCHES)
    plain = Problem(load_workload("xception"), load_platform("grai", **CORES), BATCHES)
    print(f"xception, {BATCHES} batches, grai + link ({linked.platform.link}), 4 NPUs + 2 CPUs:")
    results = {a: solve(linked, a, **({"time_limit": CPSAT_S} if a == "cpsat" else {})) for a in ("random", "npufirst", "prism", "staggered", "heft", "cpsat")}
    met = all([checked(linked, r, a) for a, r in results.items()])
    cpsat = results.pop("cpsat")
    best = min(r.makespan for r in results.values())
    print(f"  cpsat gap {100 * cpsat.gap:.2f}% (target <= {100 * MAX_GAP:g}%); best heuristic {best:.2f} us, cpsat {cpsat.makespan:.2f} us")
    met &= cpsat.gap <= MAX_GAP and cpsat.makespan <= best
    blind = solve(plain, "cpsat", time_limit=CPSAT_S)
    print(f"  ignoring transfers (cpsat {CPSAT_S:g} s on plain grai): makespan {blind.makespan:.2f} us")
    for how, schedule in (("its core orders replayed", replay(linked, blind.schedule.sequences())), ("its mapping simulated", simulate(linked, blind.mapping))):
        errors = validate(linked, schedule)
        met &= not errors
        print(f"  re-timed with the link, {how}: {schedule.makespan:.2f} us, {100 * (schedule.makespan / cpsat.makespan - 1):+.2f}% against cpsat "
              f"with the link, {100 * (schedule.makespan / blind.makespan - 1):+.2f}% against its own makespan ({'valid' if not errors else errors[:2]})")
    return met


def energy_front_on_linked_grai() -> bool:
    """The makespan-energy front of the same instance in 120 s: at least 5
    validated non-dominated points, monotone, and the energy saved under a
    cap of 1.05 x the least makespan."""
    linked = Problem(load_workload("xception"), linked_grai(), BATCHES)
    front = energy_front(linked, time_limit=FRONT_S, points=FRONT_POINTS)
    print(f"energy front, xception {BATCHES} batches on grai + link, {FRONT_S:g} s, {FRONT_POINTS} solves:")
    met = all([checked(linked, p.result, f"cap {p.result.makespan_cap_us}" + (" (dominated)" if p.dominated else "")) for p in front])
    kept = [p.result for p in front if not p.dominated]
    monotone = all(a.makespan < b.makespan and a.energy_uj > b.energy_uj for a, b in zip(kept, kept[1:]))
    print(f"  {len(kept)} non-dominated points (target >= {MIN_POINTS}), monotone: {monotone}; "
          f"makespan {kept[0].makespan:.2f} .. {kept[-1].makespan:.2f} us ({kept[-1].makespan / kept[0].makespan:.2f}x), "
          f"energy {kept[0].energy_uj:.2f} .. {kept[-1].energy_uj:.2f} uJ")
    fastest = kept[0]
    cap = CAP_STRETCH * fastest.makespan
    within = min(r.energy_uj for r in kept if r.makespan <= cap)
    capped = solve(linked, "cpsat", time_limit=CAP_S, objective="energy", makespan_cap_us=cap, extra_seeds=tuple(r.schedule for r in kept))
    met &= checked(linked, capped, f"cap {CAP_STRETCH} x {fastest.makespan:.2f} us ({CAP_S:g} s, seeded with the front)")
    print(f"  energy saved at cap {CAP_STRETCH} x the least makespan: front {100 * (1 - within / fastest.energy_uj):.2f}%, "
          f"dedicated solve {100 * (1 - capped.energy_uj / fastest.energy_uj):.2f}% (bound: at most "
          f"{100 * (1 - capped.energy_bound_uj / fastest.energy_uj):.2f}%)")
    return met and monotone and len(kept) >= MIN_POINTS


TARGETS: tuple[Callable[[], bool], ...] = (size_aware_times, measured_resnet50, transfers_on_linked_grai, energy_front_on_linked_grai)


def main() -> int:
    chosen = [t for t in TARGETS if not sys.argv[1:] or t.__name__ in sys.argv[1:]]
    missed = 0
    for target in chosen:
        met = target()
        print(f"{target.__name__}: {'met' if met else 'NOT MET'}", flush=True)
        missed += not met
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
