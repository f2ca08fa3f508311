"""PRISM's hill-climbing optimisation (HCO) of the per-op mapping."""

from __future__ import annotations

import time
from prism_cp.heuristics.mappings import random_mapping
from prism_cp.problem import Problem
from prism_cp.progress import Progress
from prism_cp.simulate import check_mapping, record_checkpoints, resume_makespan

def hill_climb_mapping(
    problem: Problem, seed: int = 42, progress: Progress | None = None, deadline: float | None = None
) -> list[str]:
    """The mapping PRISM's HCO converges to, exactly as the reference finds it.

    Starts from the random mapping; each pass flips op i = 0..n-1 in turn (the
    flip applies to every batch), keeps a flip as soon as the simulated makespan
    is strictly smaller, and passes repeat until one improves nothing. Each pass
    start and each improvement is reported through `progress`. With a `deadline`
    (a `time.perf_counter()` value) it stops there and returns the best mapping
    so far, which is then no longer the reference's answer.

    Speed without changing the answer: a trial resumes from the checkpoint where
    op i first became ready (the run is identical before it), and is abandoned as
    soon as an op ends at or after the incumbent makespan (it cannot be
    strictly better). After an accepted flip only the checkpoints taken after
    op i's are recorded again, resuming from op i's.
    """
    say = progress or (lambda _line: None)
    mapping = random_mapping(problem, seed)
    check_mapping(problem, mapping)
    flippable = [i for i in range(problem.n_ops) if len(problem.allowed(i)) == 2]
    best, checkpoints = record_checkpoints(problem, problem.replicate(mapping), set(flippable))
    say("[hco] Starting the Hill Climbing Optimization")
    n_pass, improved = 0, True
    while improved:
        say(f"[hco] Pass  {n_pass}  performance =  {best!r}")
        improved = False
        for i in flippable:
            if deadline is not None and time.perf_counter() > deadline:
                say("[hco] Deadline reached: stopping early")
                return mapping
            trial = list(mapping)
            trial[i] = "cpu" if trial[i] == "npu" else "npu"
            span = resume_makespan(problem, problem.replicate(trial), checkpoints[i], best)
            if span is not None and span < best:
                mapping, best, improved = trial, span, True
                # states before op i's first ready tick are unchanged; later ones are redone
                origin = checkpoints[i]
                stale = {j for j in flippable if checkpoints[j].tick > origin.tick}
                checkpoints.update(record_checkpoints(problem, problem.replicate(mapping), stale, origin)[1])
                say(f"[hco] New performance =  {best!r}")
        n_pass += 1
    say("[hco] Ending the Hill Climbing Optimization")
    return mapping
