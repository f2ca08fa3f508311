"""CP-SAT on a mix's hyperperiod: the modulo schedule (`modulo.CircleModel`,
period = the hyperperiod, one copy of its inferences, each released at its
arrival) with the fewest inferences late, then the least largest lateness.
Lateness is counted as `laxity.late_groups` counts it (whole us, op times
rounded up), so a schedule the model finds on time is on time in every
hyperperiod."""

from __future__ import annotations

import math

from prism_cp.problem import Problem
from prism_cp.steady.laxity import due_ticks, late_groups
from prism_cp.steady.modulo import CircleModel, ModuloSchedule, most_ticks, span


def fewest_late(problem: Problem, incumbent: ModuloSchedule, *, time_limit: float, workers: int = 2, seed: int = 42) -> tuple[str, ModuloSchedule | None]:
    """('optimal' | 'feasible' | 'infeasible' | 'unknown', schedule): the
    modulo schedule of the incumbent's period with the fewest late
    inferences, then the least largest lateness, found in `time_limit`
    seconds, hinted with `incumbent`. 'optimal' is optimal within modulo
    schedules of this period that reserve each op's most ticks: not a
    proof about every schedule of the mix."""
    clock, P = problem.clock, incumbent.period
    times, succs = problem.workload.times, problem.workload.successors()
    ticks = most_ticks(problem)
    due = due_ticks(problem)
    horizon = max(span(problem, incumbent), max(due)) + P
    model = CircleModel(problem, incumbent, horizon)
    m, start, assign = model.m, model.start[0], model.assign[0]
    top = clock * (model.horizon + max(ticks[c][i] for i in range(problem.n_ops) for c in problem.allowed(i))) + 1
    late = []
    largest = m.new_int_var(0, top, "largest lateness")
    for group, was in zip(problem.groups, late_groups(problem, incumbent)):
        if group.due_us is None:
            continue
        due_us = math.floor(group.due_us)
        lateness = m.new_int_var(0, top, "")
        for g in group.ops:
            for core, lit in assign[g].items() if not succs[g] else ():
                m.add(lateness >= clock * start[g] + math.ceil(times[core[0]][g]) - due_us).only_enforce_if(lit)
        missed = m.new_bool_var("")
        m.add(lateness == 0).only_enforce_if(~missed)
        m.add(largest >= lateness)
        m.add_hint(lateness, was)
        m.add_hint(missed, was > 0)
        late.append(missed)
    m.minimize((top + 1) * sum(late) + largest)
    return model.solve(time_limit, workers, seed)
