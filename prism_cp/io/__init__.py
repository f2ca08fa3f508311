"""Every file format in and out: bundled models and platforms, the reference's
pickles (read through one restricted unpickler), schedule export, atomic writes."""

from prism_cp.io.files import atomic_write
from prism_cp.io.keras import import_keras_json, read_keras
from prism_cp.io.onnx import read_onnx
from prism_cp.io.model_files import bundled_models, load_workload, read_network, write_extime_csv, write_model_json, write_network_json
from prism_cp.io.platform_files import bundled_platforms, load_platform
from prism_cp.io.reference import import_reference
from prism_cp.io.schedule_json import ScheduleDocument, read_schedule_json, write_schedule_json
from prism_cp.io.schedule_pickle import (
    ReferenceSchedule,
    problem_from_reference,
    read_schedule_pickle,
    reference_pickle_path,
    write_reference_pickle,
)

__all__ = [
    "ReferenceSchedule",
    "ScheduleDocument",
    "atomic_write",
    "bundled_models",
    "bundled_platforms",
    "import_keras_json",
    "import_reference",
    "load_platform",
    "load_workload",
    "problem_from_reference",
    "read_keras",
    "read_onnx",
    "read_network",
    "read_schedule_json",
    "read_schedule_pickle",
    "reference_pickle_path",
    "write_extime_csv",
    "write_model_json",
    "write_network_json",
    "write_reference_pickle",
    "write_schedule_json",
]
