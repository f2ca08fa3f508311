"""Console lines and JSON fields of the stream options (`schedule
--arrival-period-us/--deadline-us`, `throughput --steady-state`) and of
mixes (`--workload`): parsing of
their combinations and printing only; the work is the library's
(`prism_cp.steady`, `prism_cp.mix`, `prism_cp.latency`, `prism_cp.solve`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prism_cp.cli.options import Console
from prism_cp.errors import PrismError
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule


def with_stream(problem: Problem, arrival_us: float | None, deadline_us: float | None) -> Problem:
    """`problem` with its batches arriving every `arrival_us`, due `deadline_us` later."""
    if deadline_us is not None and arrival_us is None:
        raise PrismError("--deadline-us needs --arrival-period-us (batch b is due at b * period + deadline)")
    return problem if arrival_us is None else replace(problem, arrival_us=arrival_us, deadline_us=deadline_us)


def stream_lines(out: Console, problem: Problem, schedule: Schedule) -> dict[str, Any]:
    """Print the real-time figures of a stream's schedule; return its JSON fields."""
    from prism_cp.steady.stream import stream_report

    report = stream_report(problem, schedule)
    name = problem.workload.name
    out.result(f"{name} : batch latency max = {report.max_latency_us:.2f} us ; mean = {report.mean_latency_us:.2f} us")
    if problem.deadline_us is not None:
        out.result(f"{name} : deadline misses = {report.deadline_misses} of {problem.nbatch} (deadline {problem.deadline_us:g} us)")
    if report.infeasible:
        out.result(f"{name} : INFEASIBLE: the deadline is shorter than one batch needs even alone; every batch misses it")
    verdict = "sustainable" if report.sustainable else "NOT sustainable: batches arrive faster than any schedule can serve them"
    out.result(f"{name} : arrival period {float(problem.arrival_us):g} us vs steady-state bound {report.bound_period_us:.2f} us: {verdict}")
    return report.summary()


def counted(problem: Problem) -> tuple[int, str]:
    """What a run schedules, counted: (batches, 'batches'), or for a workload
    file, whose one batch holds every inference, (inferences, 'inferences')."""
    return (problem.nbatch, "batches") if problem.instances is None else (len(problem.groups), "inferences")


def mix_fields(problem: Problem, schedule: Schedule) -> dict[str, Any]:
    """The JSON fields of a mix's schedule: per app (`apps`) and the total `deadline_misses`."""
    from prism_cp.latency import misses
    from prism_cp.mix import app_reports

    reports = app_reports(problem, schedule)
    return {"apps": [r.as_json() for r in reports], "deadline_misses": misses(problem, schedule),
            "deadline_misses_bound": sum(r.unavoidable for r in reports)}


def app_line(app: dict[str, Any]) -> str:
    """One app of a mix's `apps` in a line."""
    shares = ", ".join(f"{c} {100 * s:.1f}%" for c, s in app["busy_share"].items())
    return (f"{app['app']} : {app['instances']} inferences, {app['misses']} missed ; latency max = {app['max_latency_us']:.2f} us ; "
            f"mean = {app['mean_latency_us']:.2f} us (none below {app['latency_bound_us']:.2f} us) ; share of busy time {shares}")


def mix_lines(out: Console, problem: Problem, schedule: Schedule) -> dict[str, Any]:
    """Print one line per app of a mix's schedule and its total misses; return its JSON fields."""
    fields = mix_fields(problem, schedule)
    for app in fields["apps"]:
        out.result(app_line(app))
    unavoidable = f" ({fields['deadline_misses_bound']} unavoidable: deadlines below what an inference needs alone)" if fields["deadline_misses_bound"] else ""
    out.result(f"{problem.workload.name} : deadline misses = {fields['deadline_misses']} of {len(problem.groups)} inferences{unavoidable}")
    return fields


def check_steady_options(steady: bool, unroll: int | None, deadline_us: float | None) -> None:
    """--unroll and --deadline-us only mean something with --steady-state."""
    if not steady and (unroll is not None or deadline_us is not None):
        raise PrismError("--unroll and --deadline-us apply to --steady-state only; add --steady-state or drop them")


def steady_lines(out: Console, problem: Problem, average_us: float, *, unroll: int | None, deadline_us: float | None, **options: Any) -> dict[str, Any]:
    """Compute and print the steady state next to the reference-style average;
    return its JSON fields."""
    from prism_cp.solve import steady_state

    state = steady_state(problem, unroll=unroll or 1, deadline_us=deadline_us, **options)
    name, s = problem.workload.name, state.summary()
    out.result(f"{name} : steady-state period bound = {s['bound_period_us']:.2f} us per batch "
               f"({s['throughput_bound_per_s']:.3f} batches/s at most; bottleneck {s['bottleneck']})")
    if state.schedule is None:
        out.result(f"{name} : steady state {state.status.upper()}: {state.reason}")
        return s
    least = "least for this unroll" if state.least else "not proven least"
    out.result(f"{name} : periodic schedule: period = {s['period_us']:.2f} us per batch ({s['throughput_per_s']:.3f} batches/s, "
               f"{least}), gap to the bound = {100 * s['gap']:.2f} %, unroll {s['unroll']}")
    out.result(f"{name} : latency = {s['latency_us']:.2f} us (mean {s['mean_latency_us']:.2f} us); "
               f"measured over {s['checked_batches']} replayed batches: period {s['measured_period_us']:.2f} us")
    out.result(f"{name} : reference-style average = {average_us:.2f} us per batch")
    return s


def verdict_lines(out: Console, fields: dict[str, Any]) -> None:
    """Print a mix's verdict (`Verdict.summary` fields and the witness's path)."""
    name = fields["workload_name"]
    loads = ", ".join(f"{c} {100 * x:.1f}%" for c, x in fields["load"].items())
    out.result(f"{name} : hyperperiod = {fields['hyperperiod_us']:g} us ({fields['inferences_per_hyperperiod']} inferences); "
               f"least load per core over it (work-split LP) {loads}")
    out.result(f"{name} : {fields['verdict'].upper()}: {fields['reason']}")
    if fields["checked_hyperperiods"]:
        out.result(f"{name} : periodic schedule unrolled over {fields['checked_hyperperiods']} hyperperiods, validated and replayed in the simulator: "
                   f"{fields['misses']} of {sum(a['instances'] for a in fields['apps'])} inferences missed")
        for app in fields["apps"]:
            out.result(app_line(app))
        out.result(f"{name} : schedule written to  {fields['witness']}")
    out.result(f"{name} : verdict in {fields['wall_s']:.2f} s")
