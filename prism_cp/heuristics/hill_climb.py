"""PRISM's hill-climbing optimisation (HCO) of the per-op mapping."""

from __future__ import annotations

from typing import Callable

from prism_cp.heuristics.mappings import random_mapping
from prism_cp.problem import Problem
from prism_cp.simulate import check_mapping, simulate_checked

Progress = Callable[[str], None]


def hill_climb_mapping(problem: Problem, seed: int = 42, progress: Progress | None = None) -> list[str]:
    """The mapping PRISM's HCO converges to, exactly as the reference finds it.

    Starts from the random mapping; each pass flips op i = 0..n-1 in turn (the
    flip applies to every batch), keeps a flip as soon as the simulated makespan
    is strictly smaller, and passes repeat until one improves nothing. Each pass
    start and each improvement is reported through `progress`.
    """
    say = progress or (lambda _line: None)
    mapping = random_mapping(problem, seed)
    best = simulate_checked(problem, check_mapping(problem, mapping)).makespan
    flippable = [i for i in range(problem.n_ops) if len(problem.allowed(i)) == 2]
    say("[hco] Starting the Hill Climbing Optimization")
    n_pass, improved = 0, True
    while improved:
        say(f"[hco] Pass  {n_pass}  performance =  {best!r}")
        improved = False
        for i in flippable:
            trial = list(mapping)
            trial[i] = "cpu" if trial[i] == "npu" else "npu"
            span = simulate_checked(problem, problem.replicate(trial)).makespan
            if span < best:
                mapping, best, improved = trial, span, True
                say(f"[hco] New performance =  {best!r}")
        n_pass += 1
    say("[hco] Ending the Hill Climbing Optimization")
    return mapping
