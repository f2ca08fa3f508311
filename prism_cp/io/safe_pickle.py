"""The one way prism_cp reads pickles: a restricted unpickler.

Loading a pickle normally runs whatever code its writer chose. The reference
data and schedule files only need numpy arrays and the reference's plain
`scheduler_class.schedule` record, so those are the only globals resolved;
anything else is refused before it is constructed.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.files import read_file

try:
    from numpy._core.multiarray import _reconstruct as _numpy_reconstruct
except ImportError:  # numpy < 2 without the numpy._core alias
    from numpy.core.multiarray import _reconstruct as _numpy_reconstruct

REFERENCE_MODULE = "scheduler_class"
REFERENCE_CLASS = "schedule"


class ReferenceScheduleRecord:
    """Stand-in for the reference's `scheduler_class.schedule`: a plain attribute
    bag (no code runs when it is unpickled) that pickles under the reference's
    module and class name, so files written from it load in the reference code."""

    def get_completion_time(self) -> float:
        """max(end_times), 0 if empty: the reference's makespan."""
        return max(self.end_times, default=0)


ReferenceScheduleRecord.__module__ = REFERENCE_MODULE
ReferenceScheduleRecord.__name__ = REFERENCE_CLASS
ReferenceScheduleRecord.__qualname__ = REFERENCE_CLASS


#: the only globals a reference data or schedule pickle needs (numpy 1.x and
#: 2.x spell the array reconstructor's module differently)
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    (REFERENCE_MODULE, REFERENCE_CLASS): ReferenceScheduleRecord,
}


class RestrictedUnpickler(pickle.Unpickler):
    """A pickle.Unpickler that resolves only `ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise PrismError(f"refusing to construct {module}.{name}: not a reference data or schedule pickle") from None

    def persistent_load(self, pid: Any) -> Any:
        raise PrismError("refusing a pickle with persistent ids: not a reference data or schedule pickle")


def load_pickle(source: str | Path | bytes, what: str = "pickle") -> Any:
    """Unpickle a file (path) or a byte string with `RestrictedUnpickler`.

    Raises PrismError, naming `what` and the source, for a missing file, a
    refused global, and any truncated or malformed stream; never executes code
    from the file.
    """
    label = "bytes" if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
    else:
        data = read_file(source, what)
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except PrismError as e:
        raise PrismError(f"{what} {label}: {e}") from None
    except Exception as e:  # any malformed stream: EOFError, UnpicklingError, TypeError...
        raise PrismError(f"{what} {label} is not a readable pickle ({type(e).__name__}: {e})") from None
