"""Ctrl-C stops a CP-SAT solve promptly and leaves no solve running,
whenever it comes (prism_cp.interruptible)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from ortools.sat.python import cp_model

from prism_cp import Problem
from prism_cp import interruptible
from prism_cp.cpsat import model as cpm
from prism_cp.heuristics import HEURISTICS
from prism_cp.io import load_platform

LIMIT_S = 20.0  # the solve alone would take this long: xception at 4 batches is not proven in it


class SlowStart(cp_model.CpSolver):
    """A solver whose solve begins late, as under load: an interrupt finds no solve to stop yet."""

    def solve(self, model, callback=None):
        time.sleep(0.6)
        return super().solve(model, callback)


@pytest.mark.parametrize("solver_type", [cp_model.CpSolver, SlowStart], ids=["during the solve", "before the solve begins"])
def test_ctrl_c_stops_the_solve_and_leaves_no_thread(xception, solver_type) -> None:
    problem = Problem(xception, load_platform("grai"), 4)
    built = cpm.build(problem, HEURISTICS["staggered"](problem), 0.0)
    solver = solver_type()
    solver.parameters.max_time_in_seconds = LIMIT_S
    threads = set(threading.enumerate())
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        interruptible.solve(solver, built.model)
    assert time.perf_counter() - t0 < 2
    timer.join()
    assert set(threading.enumerate()) <= threads  # the solve has returned: nothing runs on after Ctrl-C
