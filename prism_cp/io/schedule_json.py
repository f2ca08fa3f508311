"""A schedule as JSON: the configuration, the result and every op's placement,
with the field names of the golden schedule files; and the reader that checks
a file is one of them before anything draws or traces it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from prism_cp.errors import PrismError
from prism_cp.io.files import atomic_write, read_text
from prism_cp.problem import Instance, Problem
from prism_cp.schedule import Result, Schedule, Transfer
from prism_cp.simulate import check_mapping
from prism_cp.workload import CORE_TYPES


def write_schedule_json(path: str | Path, problem: Problem, result: Result, seed: int | None = None) -> Path:
    """Write `result` for `problem` atomically.

    Per global op `b * n_ops + i`: start_times, end_times, computing_cores,
    computing_ids and map (the result's mapping, expanded to every batch);
    per op of one batch: op_names and op_types, so that a chart or trace of
    the file can name the ops. Floats are written by `json` (shortest repr),
    so they reload with `==`. `seed` is recorded when given (null otherwise).
    The energy (`energy_uj`, null without power figures) comes with what
    recomputes it from the file alone (`energy_fields`).
    `transfers`: every tensor moved over the link (empty without one).
    `instances`: the groups latencies and deadline misses are computed over
    (`Problem.groups`: a stream's batches, a mix's inferences), each with its
    absolute arrival and due time and its global op indices.
    """
    plat, s = problem.platform, result.schedule
    doc = {
        "model": problem.workload.name,
        "platform": plat.name,
        "npus": plat.npus,
        "cpus": plat.cpus,
        "algorithm": result.algorithm,
        "batches": problem.nbatch,
        "seed": seed,
        "clock_us": plat.clock_us,
        "makespan_us": result.makespan,
        "lower_bound_us": result.lower_bound,
        "gap": result.gap,
        "status": result.status,
        "wall_s": result.wall_s,
        "interrupted": result.interrupted,
        **energy_fields(problem, result),
        "start_times": list(s.start),
        "end_times": list(s.end),
        "computing_cores": list(s.core_type),
        "computing_ids": list(s.core_id),
        "map": check_mapping(problem, result.mapping),
        "op_names": list(problem.workload.op_names),
        "op_types": list(problem.workload.op_types),
        "transfers": [
            {"batch": t.batch, "src": t.src, "dst": t.dst, "start_us": t.start, "end_us": t.end, "bytes": t.bytes, "channel": t.channel}
            for t in s.transfers
        ],
        "instances": [
            {"app": g.app, "model": g.model, "index": g.index, "arrival_us": float(g.arrival_us),
             "due_us": None if g.due_us is None else float(g.due_us), "ops": list(g.ops)}
            for g in problem.groups
        ],
    }
    return atomic_write(path, json.dumps(doc) + "\n")


def energy_fields(problem: Problem, result: Result) -> dict[str, Any]:
    """`energy_uj`, and under an energy objective its cap and proven bound;
    the power figures per core type (`power`: active_mw, idle_mw, cores) and
    the link's `pj_per_byte` (null without a link): with start_times,
    end_times, computing_cores and the transfers' bytes, enough to recompute
    the energy by the formula of docs/engine.md#energy."""
    plat = problem.platform
    power = {c: {"active_mw": p.active_mw, "idle_mw": p.idle_mw, "cores": plat.cores(c)} for c, p in plat.power}
    cap = {} if result.makespan_cap_us is None else {"makespan_cap_us": result.makespan_cap_us, "energy_bound_uj": result.energy_bound_uj}
    return {"energy_uj": result.energy_uj, **cap, "power": power, "link_pj_per_byte": None if plat.link is None else plat.link.pj_per_byte}


@dataclass(frozen=True)
class ScheduleDocument:
    """What a schedule JSON holds that a reader can use. `op_names`, `op_types`
    (per op of one batch), `lower_bound_us`, `status`, `npus`, `cpus` and
    `clock_us` are None in files that do not carry them (the golden files
    carry no bound); `instances` None in files written before they were."""

    model: str
    platform: str
    algorithm: str
    batches: int
    schedule: Schedule
    npus: int | None
    cpus: int | None
    lower_bound_us: float | None
    status: str | None
    op_names: tuple[str, ...] | None
    op_types: tuple[str, ...] | None
    clock_us: int | None = None
    instances: tuple[Instance, ...] | None = None


def read_schedule_json(path: str | Path) -> ScheduleDocument:
    """Read a schedule JSON written by `write_schedule_json` (or a golden file).

    Raises PrismError, in one line, for anything else: not JSON, not an object,
    a missing or mistyped field, lists of different lengths, a batch count that
    does not divide them, an unknown core type.
    """
    where = f"{path} is not a prism_cp schedule JSON"
    try:
        doc = json.loads(read_text(path, "schedule JSON"))
    except json.JSONDecodeError as e:
        raise PrismError(f"{where} (invalid JSON: {e})") from None
    if not isinstance(doc, dict):
        raise PrismError(f"{where} (top level is a {type(doc).__name__}, not an object)")
    scalars = {"model": str, "platform": str, "algorithm": str, "batches": int}
    lists = {"start_times": (int,), "end_times": (int, float), "computing_cores": (str,), "computing_ids": (int,)}
    missing = [k for k in (*scalars, *lists) if k not in doc]
    if missing:
        raise PrismError(f"{where} (no {', '.join(missing)})")
    bad = [k for k, kind in scalars.items() if not _is(doc[k], (kind,))]
    size = len(doc["start_times"]) if isinstance(doc["start_times"], list) else -1
    bad += [k for k, kinds in lists.items() if not (isinstance(doc[k], list) and len(doc[k]) == size and all(_is(v, kinds) for v in doc[k]))]
    if bad:
        raise PrismError(f"{where} (malformed {', '.join(bad)}: need one entry per op, all lists of the same length)")
    batches = doc["batches"]
    if batches < 1 or size % batches or not size:
        raise PrismError(f"{where} ({size} ops do not split into {batches} batches)")
    if not set(doc["computing_cores"]) <= set(CORE_TYPES) or min(doc["computing_ids"]) < 0:
        raise PrismError(f"{where} (computing_cores must be {' or '.join(CORE_TYPES)}, computing_ids >= 0)")
    per_batch = {k: _optional_strings(doc, k, size // batches, where) for k in ("op_names", "op_types")}
    transfers = _transfers(doc.get("transfers", []), batches, size // batches, where)
    counts = {k: doc.get(k) if _is(doc.get(k), (int,)) else None for k in ("npus", "cpus", "clock_us")}
    bound = doc.get("lower_bound_us")
    return ScheduleDocument(
        doc["model"],
        doc["platform"],
        doc["algorithm"],
        batches,
        Schedule(tuple(doc["start_times"]), tuple(float(t) for t in doc["end_times"]), tuple(doc["computing_cores"]), tuple(doc["computing_ids"]), transfers),
        counts["npus"],
        counts["cpus"],
        float(bound) if _is(bound, (int, float)) else None,
        doc.get("status") if isinstance(doc.get("status"), str) else None,
        per_batch["op_names"],
        per_batch["op_types"],
        counts["clock_us"],
        _instances(doc.get("instances"), size, where),
    )


TRANSFER_FIELDS = {"batch": (int,), "src": (int,), "dst": (int,), "start_us": (int,), "end_us": (int, float), "bytes": (int,), "channel": (int,)}


def _transfers(value: Any, batches: int, n: int, where: str) -> tuple[Transfer, ...]:
    """The `transfers` list of a schedule JSON (absent in files without a link)."""
    if not isinstance(value, list) or not all(isinstance(t, dict) and t.keys() == TRANSFER_FIELDS.keys() and all(_is(t[k], kinds) for k, kinds in TRANSFER_FIELDS.items()) for t in value):
        raise PrismError(f"{where} (transfers must list objects with integer {', '.join(k for k in TRANSFER_FIELDS if k != 'end_us')} and a number end_us)")
    if any(not (0 <= t["batch"] < batches and 0 <= t["src"] < n and 0 <= t["dst"] < n and t["bytes"] >= 0 and t["channel"] >= 0) for t in value):
        raise PrismError(f"{where} (a transfer names a batch or op that does not exist, or has negative bytes or channel)")
    return tuple(Transfer(t["batch"], t["src"], t["dst"], t["start_us"], float(t["end_us"]), t["bytes"], t["channel"]) for t in value)


INSTANCE_FIELDS = {"app": (str,), "model": (str,), "index": (int,), "arrival_us": (int, float), "ops": (list,)}


def _instances(value: Any, size: int, where: str) -> tuple[Instance, ...] | None:
    """The `instances` list of a schedule JSON (None in files written before it)."""
    if value is None:
        return None
    def valid(g: Any) -> bool:
        return (isinstance(g, dict) and g.keys() == {*INSTANCE_FIELDS, "due_us"} and all(_is(g[k], kinds) for k, kinds in INSTANCE_FIELDS.items())
                and (g["due_us"] is None or _is(g["due_us"], (int, float))) and bool(g["ops"])
                and all(_is(i, (int,)) and 0 <= i < size for i in g["ops"]))
    if not isinstance(value, list) or not all(valid(g) for g in value):
        raise PrismError(f"{where} (instances must list objects with app, model, index, arrival_us, due_us (or null) and ops: op indices of the schedule)")
    return tuple(
        Instance(g["app"], g["model"], g["index"], Fraction(g["arrival_us"]), None if g["due_us"] is None else Fraction(g["due_us"]), tuple(g["ops"]))
        for g in value
    )


def _is(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds) and not isinstance(value, bool)


def _optional_strings(doc: dict, key: str, n: int, where: str) -> tuple[str, ...] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == n and all(isinstance(v, str) for v in value)):
        raise PrismError(f"{where} ({key} must list {n} strings, one per op of a batch)")
    return tuple(value)
