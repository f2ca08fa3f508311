"""prism_cp: map and order the ops of ML models on CPU+NPU SoCs, exactly
reproducing the PRISM heuristics and proving how far any schedule is from optimal."""

import time as _time

#: when the package began importing (before numpy, networkx...): the CLI counts
#: start-up against a run's --time-limit
IMPORT_STARTED = _time.perf_counter()

# ruff: noqa: E402 (the imports below are what IMPORT_STARTED measures)

from prism_cp.errors import PrismError
from prism_cp.platform import Platform
from prism_cp.problem import Problem
from prism_cp.schedule import Result, Schedule, Status
from prism_cp.simulate import replay, simulate, validate
from prism_cp.solve import algorithms, solve
from prism_cp.workload import Workload

__all__ = [
    "Platform",
    "PrismError",
    "Problem",
    "Result",
    "Schedule",
    "Status",
    "Workload",
    "algorithms",
    "replay",
    "simulate",
    "solve",
    "validate",
]
__version__ = "0.4.0"
