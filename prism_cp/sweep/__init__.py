"""Design-space sweeps: every combination of models, platforms, core counts,
batch counts and algorithms, or of workload files (the verdict on each mix),
platforms and core counts, run in parallel (local processes or a Dask
cluster), each result kept in an SQLite database as soon as it arrives."""

from prism_cp.sweep.execute import DaskCluster, LocalPool, run_all
from prism_cp.sweep.plan import RunConfig, VerdictConfig, check_inputs, check_workloads, parse_counts, parse_names, plan, plan_verdicts
from prism_cp.sweep.plot import pareto_front, plot_pareto
from prism_cp.sweep.run import run_config
from prism_cp.sweep.store import Store, export_csv
from prism_cp.sweep.verdict_plot import plot_verdicts
from prism_cp.sweep.verdicts import minimal_pairs

__all__ = [
    "DaskCluster",
    "LocalPool",
    "RunConfig",
    "Store",
    "VerdictConfig",
    "check_inputs",
    "check_workloads",
    "export_csv",
    "minimal_pairs",
    "pareto_front",
    "parse_counts",
    "parse_names",
    "plan",
    "plan_verdicts",
    "plot_pareto",
    "plot_verdicts",
    "run_all",
    "run_config",
]
