"""Design-space sweeps: every combination of models, platforms, core counts,
batch counts and algorithms, run in parallel (local processes or a Dask
cluster), each result kept in an SQLite database as soon as it arrives."""

from prism_cp.sweep.execute import DaskCluster, LocalPool, run_all
from prism_cp.sweep.plan import RunConfig, check_inputs, parse_counts, parse_names, plan
from prism_cp.sweep.plot import pareto_front, plot_pareto
from prism_cp.sweep.run import run_config
from prism_cp.sweep.store import Store, export_csv

__all__ = [
    "DaskCluster",
    "LocalPool",
    "RunConfig",
    "Store",
    "check_inputs",
    "export_csv",
    "pareto_front",
    "parse_counts",
    "parse_names",
    "plan",
    "plot_pareto",
    "run_all",
    "run_config",
]
