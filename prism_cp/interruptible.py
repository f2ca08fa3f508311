"""CP-SAT solves that Ctrl-C stops at once, whatever state the solve is in,
and the one way every solve of the package gets its solver (time limit, workers, seed).

The solve runs in a thread (its C++ code holds the main thread otherwise,
and Python only raises KeyboardInterrupt in the main thread). Two traps of
the obvious `Thread.join` loop are avoided:

- on CPython before 3.13, a KeyboardInterrupt raised inside `Thread.join`
  marks the still running thread as finished (cpython#90882): the next
  `join` returns at once, the solve outlives the call, and its C++ threads
  abort the interpreter at exit ("terminate called without an active
  exception"). The main thread waits on an Event instead.
- `CpSolver.stop_search` does nothing until the solve has begun (the
  interrupt may come while the thread is starting): it is repeated until
  the solve returns, else the solve runs to its full time limit.
"""

from __future__ import annotations

import threading

from ortools.sat.python import cp_model

POLL_S = 0.05  # the main thread wakes at least this often: a signal taken by another thread interrupts no wait of its own
MIN_LIMIT_S = 0.01  # a solve whose time is (nearly) spent still runs, briefly, and reports a status


def new_solver(time_limit: float, workers: int, seed: int | None = None) -> cp_model.CpSolver:
    """A solver for at most `time_limit` seconds (MIN_LIMIT_S at least) on
    `workers` workers; `seed`: its random seed (None: CP-SAT's default)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, MIN_LIMIT_S)
    solver.parameters.num_workers = workers
    if seed is not None:
        solver.parameters.random_seed = seed
    return solver


def solve(solver: cp_model.CpSolver, model: cp_model.CpModel, callback: cp_model.CpSolverSolutionCallback | None = None) -> int:
    """`solver.solve(model, callback)`; a KeyboardInterrupt stops the solve
    and is raised again once it has returned. CP-SAT's own SIGINT handler
    is turned off: after a solve it leaves SIGINT at the C default (the
    process dies on Ctrl-C) while Python still reports its own handler."""
    solver.parameters.catch_sigint_signal = False
    out: list[int] = []
    began, cancelled, done = threading.Event(), threading.Event(), threading.Event()

    def work() -> None:
        began.set()
        try:
            if not cancelled.is_set():  # an interrupt during Thread.start: never solve
                out.append(solver.solve(model, callback))
        finally:
            done.set()

    try:
        threading.Thread(target=work, name="cp-sat solve", daemon=True).start()
        while not done.wait(POLL_S):
            pass
    except KeyboardInterrupt:
        cancelled.set()
        while began.is_set() and not done.is_set():
            solver.stop_search()
            done.wait(POLL_S)
        raise
    return out[0]
