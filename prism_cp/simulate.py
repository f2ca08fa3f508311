"""The self-timed simulator, in two policies, and the schedule validator.

* `simulate`: the reference dynamic policy (FIFO ready list, lowest free core
  id), event-driven: it jumps from completion tick to completion tick instead of
  stepping every tick, which gives identical schedules far faster.
* `replay`: static order. Each core runs its own sequence; an op starts at the
  first tick its predecessors are done and its core has finished the previous
  op of its sequence. This is how any solver's answer is turned into an
  executable, compacted schedule.
* `validate`: every rule a schedule must obey, all violations at once.
"""

from __future__ import annotations

from array import array
from collections import deque
from heapq import heapify, heappop, heappush
from typing import Mapping, Sequence

from prism_cp.errors import PrismError
from prism_cp.problem import Problem, completion_tick
from prism_cp.schedule import Schedule, Transfer

MAPPING_VALUES = ("cpu", "npu", "any")


def check_mapping(problem: Problem, mapping: Sequence[str]) -> list[str]:
    """The global mapping as a list, after checking it can be executed.

    Accepts one entry per op of a batch (replicated to every batch) or one per
    global op. Raises PrismError where an op would never fire: the reference
    loops forever on an unsupported op mapped to the NPU.
    """
    n, size = problem.n_ops, problem.size
    if len(mapping) == n:
        mapping = problem.replicate(list(mapping))
    elif len(mapping) != size:
        raise PrismError(f"mapping has {len(mapping)} entries; need {n} (one per op) or {size} (one per op of every batch)")
    names, types = problem.workload.op_names, problem.workload.op_types
    plat = problem.platform
    if plat.link is not None and "any" in mapping:
        raise PrismError(f"platform {plat.name!r} has a link: map every op to 'cpu' or 'npu' ('any' decides at dispatch, too late to know its transfers)")
    for g, c in enumerate(mapping):
        if c not in MAPPING_VALUES:
            raise PrismError(f"mapping of global op {g}: {c!r} is not one of {MAPPING_VALUES}")
        i = g % n
        if c == "any":
            ok = (plat.npus and problem.npu_ok[i]) or plat.cpus
        else:
            ok = plat.cores(c) and plat.supports(types[i], c)
        if not ok:
            raise PrismError(
                f"op {i} ({names[i]}, {types[i]}) of batch {g // n} is mapped to {c!r} but "
                f"platform {plat.name!r} ({plat.cpus} CPUs, {plat.npus} NPUs) cannot run it there"
            )
    return list(mapping)


def simulate(problem: Problem, mapping: Sequence[str]) -> Schedule:
    """Schedule `problem` under `mapping` with the reference's dynamic policy.

    Guarantees the reference's exact start times, float end times, core types and
    core ids (see docs/semantics.md). In a stream, a batch's source ops
    become ready at its release tick (the ops becoming ready at one tick are
    queued in global index order, as the reference queues them).
    """
    return simulate_checked(problem, check_mapping(problem, mapping))


def simulate_checked(problem: Problem, mapping: list[str]) -> Schedule:
    """`simulate` for a global mapping already passed through `check_mapping`
    (the hill climber's inner loop skips the re-check)."""
    out = _Record(problem.size)
    _advance(problem, mapping, _State.initial(problem), out)
    return out.schedule()


def record_checkpoints(
    problem: Problem, mapping: list[str], ops: set[int], origin: "_State | None" = None
) -> tuple[float, dict[int, "_State"]]:
    """Makespan of `mapping`, run from `origin` (default: tick 0; left untouched),
    and for each op i (of a batch) in `ops` the simulator state at the first tick
    any copy of op i became ready, before it was queued.

    Up to that tick the run does not depend on op i's mapping, so a run with
    only op i remapped can `resume_makespan` from there instead of from tick 0.
    With a link it does (whether op i's inputs cross the link is decided when
    its producers complete, before it is ready): every checkpoint is then the
    start state and a resumed run is a whole one.
    """
    state = _State.initial(problem) if origin is None else origin.copy()
    checkpoints: dict[int, _State] = {}
    if problem.platform.link is not None:
        start = _State.initial(problem)
        checkpoints, ops = {i: start for i in ops}, set()
    _advance(problem, mapping, state, _Record(problem.size), (set(ops), checkpoints))
    return state.max_end, checkpoints


def resume_makespan(problem: Problem, mapping: list[str], checkpoint: "_State", cutoff: float) -> float | None:
    """Makespan of `mapping` simulated from `checkpoint` (left untouched), or
    None as soon as some op is seen to end at or after `cutoff`."""
    state = checkpoint.copy()
    if not _advance(problem, mapping, state, _Record(problem.size), cutoff=cutoff):
        return None
    return state.max_end


class _Record:
    """The schedule being written: start, end, core type and id per global op,
    and the transfers in the order they were sent."""

    __slots__ = ("start", "end", "ctype", "cid", "transfers")

    def __init__(self, size: int) -> None:
        self.start, self.end, self.ctype, self.cid = [0] * size, [0.0] * size, [""] * size, [0] * size
        self.transfers: list[Transfer] = []

    def schedule(self) -> Schedule:
        return Schedule(tuple(self.start), tuple(self.end), tuple(self.ctype), tuple(self.cid), tuple(self.transfers))


class _Link:
    """The link's channels under the FIFO rule: transfers are sent in the
    order they become ready (ready tick, then (batch, src, dst)); each starts
    at the first tick at or after its ready tick, and not before the transfer
    sent before it (no overtaking), at which a channel is free, and takes the
    lowest such channel. A channel is free again at its transfer's
    completion tick. `channels` 0: unlimited (every transfer starts when ready)."""

    __slots__ = ("free", "bounded", "last")

    def __init__(self, channels: int) -> None:
        self.free, self.bounded, self.last = [0] * channels, channels > 0, 0

    def copy(self) -> "_Link":
        other = _Link(0)
        other.free, other.bounded, other.last = list(self.free), self.bounded, self.last
        return other

    def send(self, ready: int, time_us: float, clock: int) -> tuple[int, int, int]:
        """(start tick, channel, completion tick) of the next transfer in FIFO order."""
        start = max(ready, self.last)
        if self.bounded:
            start = max(start, min(self.free))
        channel = next((k for k, f in enumerate(self.free) if f <= start), len(self.free))
        done = completion_tick(start, time_us, clock)
        if channel == len(self.free):
            self.free.append(done)
        else:
            self.free[channel] = done
        self.last = start
        return start, channel, done

    def ready(self, problem: Problem, out: list[Transfer], tick: int, g: int, s: int, core_type: str) -> list[tuple[int, int]]:
        """Send the transfer global op g -> s that became ready at `tick`:
        [(s, the tick its data is there)]."""
        return [(s, _send(problem, self, out, tick, g, s, core_type))]


class _Static:
    """Transfers in a given order per channel: each starts at the first tick
    at or after it is ready and its channel's previous transfer completed."""

    def __init__(self, problem: Problem, core_of: list, channels: Mapping[int, Sequence[tuple[int, int, int]]]) -> None:
        link = problem.platform.link
        wanted = _cross_edges(problem, [c for c, _ in core_of])
        listed = [t for seq in channels.values() for t in seq]
        if sorted(listed) != sorted(wanted) or any(not 0 <= k < (link.channels or len(listed)) for k in channels):
            raise PrismError("replay: the channel orders must list every transfer of a cross-type edge once, on channels of the link")
        self.seqs = {k: list(seq) for k, seq in channels.items()}
        self.place = {t: k for k, seq in channels.items() for t in seq}
        self.pos = {k: 0 for k in channels}
        self.free = {k: 0 for k in channels}
        self.parked: dict[tuple[int, int, int], tuple[int, int, int, str]] = {}

    def ready(self, problem: Problem, out: list[Transfer], tick: int, g: int, s: int, core_type: str) -> list[tuple[int, int]]:
        """Park the transfer g -> s ready at `tick`, then send whatever its
        channel can send in order: [(dst op, the tick its data is there)]."""
        n, clock = problem.n_ops, problem.clock
        b, u = divmod(g, n)
        k = self.place[b, u, s - b * n]
        self.parked[b, u, s - b * n] = (tick, g, s, core_type)
        sent = []
        seq = self.seqs[k]
        while self.pos[k] < len(seq) and seq[self.pos[k]] in self.parked:
            b, u, v = seq[self.pos[k]]
            tick, g, s, c = self.parked.pop((b, u, v))
            start = max(tick, self.free[k])
            self.free[k] = completion_tick(start, problem.transfer_time(u, v, c), clock)
            out.append(_transfer(problem, b, u, v, c, start, k))
            sent.append((s, self.free[k]))
            self.pos[k] += 1
        return sent


def _cross_edges(problem: Problem, core_type: Sequence[str]) -> set[tuple[int, int, int]]:
    """(batch, src, dst) of every edge whose ops are on different core types
    (`core_type` per global op): the transfers a schedule must have."""
    n = problem.n_ops
    return {(b, u, v) for b in range(problem.nbatch) for u, v in problem.edge_tokens if core_type[b * n + u] != core_type[b * n + v]}


def _send(problem: Problem, link: _Link, out: list[Transfer], ready: int, g: int, s: int, core_type: str) -> int:
    """Send the transfer global op g -> s (g on `core_type`) ready at tick
    `ready` by the FIFO rule; record it in `out`; the tick its data is at s."""
    b, u = divmod(g, problem.n_ops)
    v = s - b * problem.n_ops
    start, channel, done = link.send(ready, problem.transfer_time(u, v, core_type), problem.clock)
    out.append(_transfer(problem, b, u, v, core_type, start, channel))
    return done


def _transfer(problem: Problem, b: int, u: int, v: int, core_type: str, start_tick: int, channel: int) -> Transfer:
    """The record of edge u -> v of batch b (u on `core_type`) sent at `start_tick` on `channel`."""
    start = start_tick * problem.clock
    return Transfer(b, u, v, start, start + problem.transfer_time(u, v, core_type), problem.transfer_bytes(u, v, core_type), channel)


class _State:
    """What the dynamic policy needs to go on from one tick, taken between the
    completion step and the queueing of the ops that just became ready."""

    __slots__ = ("tick", "newly", "waiting", "pending", "free", "running", "queues", "fifo", "max_end", "link", "arrivals")

    @classmethod
    def initial(cls, problem: Problem) -> "_State":
        st = cls()
        st.tick, st.max_end = 0, 0
        st.waiting = list(problem.indegree)
        sources = [g for g in range(problem.size) if not st.waiting[g]]
        release = problem.release_of
        st.newly = [g for g in sources if not release(g)]
        st.pending = [(release(g), g) for g in sources if release(g)]
        heapify(st.pending)
        st.free = {c: list(range(problem.platform.cores(c))) for c in ("cpu", "npu")}
        st.running, st.fifo = [], []
        st.queues = {"cpu": deque(), "npu": deque()}
        link = problem.platform.link
        st.link, st.arrivals = (None if link is None else _Link(link.channels)), []
        return st

    def copy(self, compact: bool = False) -> "_State":
        """An independent copy; `compact` keeps the waiting counts in a C array
        (1 byte each for most graphs, against an 8-byte pointer in a list):
        the hill climber holds one checkpoint per op of a batch, each as long
        as the whole unrolled problem. A copy of a compact state is a list again."""
        st = _State()
        st.tick, st.max_end, st.newly = self.tick, self.max_end, list(self.newly)
        st.waiting = _narrowest(self.waiting) if compact else list(self.waiting)
        st.free = {"cpu": list(self.free["cpu"]), "npu": list(self.free["npu"])}
        st.running, st.fifo, st.pending = list(self.running), list(self.fifo), list(self.pending)
        st.queues = {"cpu": self.queues["cpu"].copy(), "npu": self.queues["npu"].copy()}
        st.link, st.arrivals = (None if self.link is None else self.link.copy()), list(self.arrivals)
        return st


def _narrowest(counts: Sequence[int]) -> array:
    """`counts` (>= 0) in the narrowest unsigned C array that holds them."""
    for code in "BHI":
        try:
            return array(code, counts)
        except OverflowError:
            continue
    return array("Q", counts)


def _advance(
    problem: Problem,
    mapping: list[str],
    st: _State,
    out: _Record,
    checkpoints: tuple[set[int], dict[int, _State]] | None = None,
    cutoff: float | None = None,
) -> bool:
    """Run the dynamic policy from `st` to the end, writing into `out`
    (False: stopped because an op would end at or after `cutoff`)."""
    clock, n = problem.clock, problem.n_ops
    succs, times, npu_ok = problem.succs, problem.global_times, problem.npu_ok
    start, end, ctype, cid = out.start, out.end, out.ctype, out.cid
    waiting, free, running, queues, fifo, pending = st.waiting, st.free, st.running, st.queues, st.fifo, st.pending
    link, arrivals = st.link, st.arrivals
    generic = "any" in mapping
    limit = float("inf") if cutoff is None else cutoff
    tick, newly, max_end = st.tick, st.newly, st.max_end
    wanted, taken = checkpoints if checkpoints is not None else (set(), {})
    while True:
        if wanted:
            hit = {g % n for g in newly} & wanted
            if hit:
                st.tick, st.newly, st.max_end = tick, newly, max_end
                snap = st.copy(compact=True)
                for i in hit:
                    taken[i] = snap
                wanted -= hit
        if generic:
            # one FIFO scan decides who fires; the per-type queues then fire
            # exactly those ops, in scan order, on the lowest free cores
            fifo.extend(newly)
            todo, fifo[:] = list(fifo), []
            avail = {c: len(f) for c, f in free.items()}
            for g in todo:
                c = mapping[g]
                if c == "any":
                    c = "npu" if npu_ok[g % n] and avail["npu"] else "cpu"
                if avail[c]:
                    avail[c] -= 1
                    queues[c].append(g)
                else:
                    fifo.append(g)
        else:
            for g in newly:
                queues[mapping[g]].append(g)
        t = tick * clock
        for c, q in queues.items():
            f, dur_of = free[c], times[c]
            while q and f:
                g = q.popleft()
                dur = dur_of[g]
                e = t + dur
                if e >= limit:
                    return False
                if e > max_end:
                    max_end = e
                core = heappop(f)
                start[g], end[g], ctype[g], cid[g] = t, e, c, core
                heappush(running, (completion_tick(tick, dur, clock), g, c, core))
        if not running and not pending and not arrivals:
            st.tick, st.newly, st.max_end = tick, [], max_end
            return True
        tick = running[0][0] if running else pending[0][0] if pending else arrivals[0][0]
        if pending and pending[0][0] < tick:
            tick = pending[0][0]
        if arrivals and arrivals[0][0] < tick:
            tick = arrivals[0][0]
        newly = []
        while running and running[0][0] == tick:  # in global index order: transfers go in (batch, src, dst) order
            _, g, c, core = heappop(running)
            heappush(free[c], core)
            for s in succs[g]:
                if link is not None and mapping[s] != c:
                    heappush(arrivals, (_send(problem, link, out.transfers, tick, g, s, c), s))
                    continue
                waiting[s] -= 1
                if not waiting[s]:
                    newly.append(s)
        while arrivals and arrivals[0][0] == tick:  # inputs that crossed the link
            s = heappop(arrivals)[1]
            waiting[s] -= 1
            if not waiting[s]:
                newly.append(s)
        while pending and pending[0][0] == tick:  # batches arriving now
            newly.append(heappop(pending)[1])
        newly.sort()


def replay(
    problem: Problem,
    sequences: Mapping[tuple[str, int], Sequence[int]],
    channels: Mapping[int, Sequence[tuple[int, int, int]]] | None = None,
) -> Schedule:
    """Self-timed execution of a static order: `sequences[(core_type, core_id)]`
    lists the global ops that core runs, in order.

    Every op must appear exactly once. Each op starts at the first tick, not
    before its batch's release, at which all its inputs are there (a
    predecessor on the same core type has completed; one on the other type
    has completed and its transfer over the link has too) and its core has
    completed the previous op of its sequence. Transfers follow the link's
    FIFO rule (`_Link`), or, given `channels` (channel -> the (batch, src,
    dst) transfers it carries, in order: every cross-type edge once), each
    starts as early as its producer and its channel's previous transfer
    allow (the brute-force oracle enumerates these orders). Raises
    PrismError if the order deadlocks against the precedence constraints.
    """
    size, clock = problem.size, problem.clock
    plat, types, n = problem.platform, problem.workload.op_types, problem.n_ops
    core_of: list[tuple[str, int] | None] = [None] * size
    prev = [-1] * size
    for (c, k), seq in sequences.items():
        if c not in ("cpu", "npu") or not 0 <= k < plat.cores(c):
            raise PrismError(f"replay: no core {c}{k} on platform {plat.name!r}")
        for pos, g in enumerate(seq):
            if not 0 <= g < size:
                raise PrismError(f"replay: op {g} does not exist (0..{size - 1})")
            if core_of[g] is not None:
                raise PrismError(f"replay: op {g} is sequenced twice")
            if not plat.supports(types[g % n], c):
                raise PrismError(f"replay: op {g} ({types[g % n]}) cannot run on {c}")
            core_of[g] = (c, k)
            if pos:
                prev[g] = seq[pos - 1]
    missing = [g for g in range(size) if core_of[g] is None]
    if missing:
        raise PrismError(f"replay: {len(missing)} ops are not sequenced on any core, e.g. {missing[:5]}")
    nxt = [-1] * size
    for g in range(size):
        if prev[g] >= 0:
            nxt[prev[g]] = g
    link = None if plat.link is None else (_Link(plat.link.channels) if channels is None else _Static(problem, core_of, channels))
    indeg = [d + (prev[g] >= 0) for g, d in enumerate(problem.indegree)]
    ready_tick = [problem.release_of(g) for g in range(size)]
    start = [0] * size
    end = [0.0] * size
    transfers: list[Transfer] = []
    # in time order; at one tick, transfers becoming ready (in (batch, src, dst) order) before ops starting
    events: list[tuple[int, int, int, int]] = [(ready_tick[g], 1, g, g) for g in range(size) if not indeg[g]]
    heapify(events)
    done = 0
    times = problem.global_times
    succs = problem.succs

    def arrive(s: int, tick: int) -> None:
        if tick > ready_tick[s]:
            ready_tick[s] = tick
        indeg[s] -= 1
        if not indeg[s]:
            heappush(events, (ready_tick[s], 1, s, s))

    while events:
        tick, kind, g, s = heappop(events)
        if not kind:
            for s, at in link.ready(problem, transfers, tick, g, s, core_of[g][0]):
                arrive(s, at)
            continue
        done += 1
        c = core_of[g][0]
        start[g] = tick * clock
        end[g] = start[g] + times[c][g]
        ct = completion_tick(tick, times[c][g], clock)
        for s in succs[g]:
            if link is not None and core_of[s][0] != c:
                heappush(events, (ct, 0, g, s))
            else:
                arrive(s, ct)
        if nxt[g] >= 0:
            arrive(nxt[g], ct)
    if done != size:
        raise PrismError("replay: the core sequences contradict the precedence constraints (deadlock)")
    return Schedule(tuple(start), tuple(end), tuple(c for c, _ in core_of), tuple(k for _, k in core_of), tuple(transfers))


def validate(problem: Problem, schedule: Schedule, makespan: float | None = None) -> list[str]:
    """Every rule `schedule` breaks, as messages; empty when it is valid.

    Checks: one entry per global op; core type supported and core id in range;
    starts on tick boundaries, not before the batch's release tick; end == start + the mapped execution time (float
    exact); each successor starts no earlier than the tick its predecessor
    completes; no two ops overlap on one core (an op holds it up to
    `completion_tick`); and, if given, that `makespan` equals the maximum end time.
    """
    size, clock, n = problem.size, problem.clock, problem.n_ops
    plat, w = problem.platform, problem.workload
    s = schedule
    lengths = {len(s.start), len(s.end), len(s.core_type), len(s.core_id)}
    if lengths != {size}:
        return [f"schedule has field lengths {sorted(lengths)}; the problem has {size} ops"]
    out: list[str] = []
    done_tick: list[int | None] = [None] * size

    def name(g: int) -> str:
        b, i = divmod(g, n)
        return f"op {g} (batch {b}, {w.op_names[i]})"

    for g in range(size):
        c, k, t0 = s.core_type[g], s.core_id[g], s.start[g]
        if c not in ("cpu", "npu") or not isinstance(k, int) or not 0 <= k < plat.cores(c):
            out.append(f"{name(g)}: no core {c!r} #{k} on the platform")
            continue
        if not plat.supports(w.op_types[g % n], c):
            out.append(f"{name(g)}: type {w.op_types[g % n]} is not supported on {c}")
        if not isinstance(t0, int) or t0 < 0 or t0 % clock:
            out.append(f"{name(g)}: start {t0!r} is not a tick boundary (multiple of {clock} us)")
            continue
        if t0 < problem.release_of(g) * clock:
            out.append(f"{name(g)}: starts at {t0} before its batch arrives (tick {problem.release_of(g)})")
        dur = problem.global_times[c][g]
        if s.end[g] != t0 + dur:
            out.append(f"{name(g)}: end {s.end[g]!r} != start {t0} + {c} time {dur!r}")
        done_tick[g] = completion_tick(t0 // clock, dur, clock)
    for g in range(size):
        for p in problem.preds[g]:
            if done_tick[g] is not None and done_tick[p] is not None and s.start[g] // clock < done_tick[p]:
                out.append(f"{name(g)} starts at {s.start[g]} before its predecessor {name(p)} completes at tick {done_tick[p] * clock}")
    for (c, k), seq in s.sequences().items():
        seq = [g for g in seq if done_tick[g] is not None]
        for a, b in zip(seq, seq[1:]):
            if s.start[b] // clock < done_tick[a]:
                out.append(f"{name(a)} and {name(b)} overlap on {c}{k}")
    out += _check_transfers(problem, s, done_tick)
    if makespan is not None and makespan != s.makespan:
        out.append(f"stated makespan {makespan!r} != max end time {s.makespan!r}")
    return out


def _check_transfers(problem: Problem, s: Schedule, done_tick: list[int | None]) -> list[str]:
    """What is wrong with the transfers of `s`: one per cross-type edge of
    every batch and none else, its bytes, start on a tick at or after its
    producer's completion tick, end == start + its time (float exact), its
    consumer not before its completion tick, channel of the link, and no two
    transfers on one channel at once (a transfer holds it up to `completion_tick`)."""
    link, clock, n = problem.platform.link, problem.clock, problem.n_ops
    if link is None:
        return [f"{len(s.transfers)} transfers on a platform without a link"] if s.transfers else []
    out: list[str] = []
    wanted = _cross_edges(problem, s.core_type)
    seen: dict[tuple[int, int, int], int] = {}
    held: dict[int, list[tuple[int, int, tuple[int, int, int]]]] = {}
    for t in s.transfers:
        key = (t.batch, t.src, t.dst)
        what = f"transfer {t.src} -> {t.dst} of batch {t.batch}"
        seen[key] = seen.get(key, 0) + 1
        if key not in wanted:
            out.append(f"{what}: not an edge between ops on different core types")
            continue
        u, v = t.batch * n + t.src, t.batch * n + t.dst
        c = s.core_type[u]
        if t.bytes != problem.transfer_bytes(t.src, t.dst, c):
            out.append(f"{what}: {t.bytes!r} bytes, the edge carries {problem.transfer_bytes(t.src, t.dst, c)}")
        if not isinstance(t.start, int) or t.start % clock or done_tick[u] is None or t.start // clock < done_tick[u]:
            out.append(f"{what}: start {t.start!r} is not a tick at or after its producer completes")
            continue
        dur = problem.transfer_time(t.src, t.dst, c)
        if t.end != t.start + dur:
            out.append(f"{what}: end {t.end!r} != start {t.start} + transfer time {dur!r}")
        done = completion_tick(t.start // clock, dur, clock)
        if s.start[v] // clock < done:
            out.append(f"{what}: op {t.dst} starts at {s.start[v]} before the transfer completes at tick {done * clock}")
        if not isinstance(t.channel, int) or t.channel < 0 or (link.channels and t.channel >= link.channels):
            out.append(f"{what}: no channel {t.channel!r} on the link ({link.channels or 'unlimited'} channels)")
            continue
        held.setdefault(t.channel, []).append((t.start // clock, done, key))
    out += [f"transfer {u} -> {v} of batch {b} sent {k} times" for (b, u, v), k in seen.items() if k > 1]
    out += [f"transfer {u} -> {v} of batch {b} is missing" for b, u, v in sorted(wanted - set(seen))]
    for k, spans in held.items():
        spans.sort()
        out += [f"transfers {a[2]} and {b[2]} overlap on channel {k}" for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    return out
