"""A heterogeneous SoC: how many CPUs and NPUs, the clock period, which op
types the NPU can run (CPUs run everything), how fast each core type is
for the analytic time estimate, the link that moves tensors between the NPU
and CPU clusters, and the power each core type draws."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from prism_cp.errors import PrismError


@dataclass(frozen=True)
class CoreSpeed:
    """One core's rates for the analytic time estimate (prism_cp.estimate):
    an op takes `overhead_us + macs / macs_per_us + elements / elements_per_us
    + bytes / bytes_per_us` microseconds. A rate of 0 leaves its term out."""

    macs_per_us: float
    elements_per_us: float
    bytes_per_us: float
    overhead_us: float

    def __post_init__(self) -> None:
        for key, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise PrismError(f"core speed {key} must be a finite number >= 0, got {value!r}")


def _check_figure(what: str, value: object, *, positive: bool = False) -> None:
    """PrismError unless `value` is a finite number >= 0 (> 0 if `positive`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise PrismError(f"{what} must be a finite number {'>' if positive else '>='} 0, got {value!r}")


@dataclass(frozen=True)
class Link:
    """The interconnect between the NPU cluster and the CPU cluster (both
    directions share it). A tensor moved across it takes `latency_us + bytes /
    bytes_per_us` and holds one of `channels` channels (0: unlimited) for that
    time; each byte costs `pj_per_byte` of energy."""

    latency_us: float
    bytes_per_us: float
    pj_per_byte: float
    channels: int = 1

    def __post_init__(self) -> None:
        _check_figure("link latency_us", self.latency_us)
        _check_figure("link bytes_per_us", self.bytes_per_us, positive=True)
        _check_figure("link pj_per_byte", self.pj_per_byte)
        if isinstance(self.channels, bool) or not isinstance(self.channels, int) or self.channels < 0:
            raise PrismError(f"link channels must be a whole number >= 0 (0: unlimited), got {self.channels!r}")

    def transfer_us(self, nbytes: int) -> float:
        """How long moving `nbytes` takes (us)."""
        return self.latency_us + nbytes / self.bytes_per_us


@dataclass(frozen=True)
class Power:
    """What one core of a type draws while it runs an op and while it idles (mW)."""

    active_mw: float
    idle_mw: float

    def __post_init__(self) -> None:
        _check_figure("active_mw", self.active_mw)
        _check_figure("idle_mw", self.idle_mw)


@dataclass(frozen=True)
class Platform:
    """Cores, clock and NPU capability. `clock_us` is an integer number of
    microseconds so that tick times are exact integers. The NPU runs an op whose
    type is in `npu_ops` (Keras layer types) or `npu_onnx_ops` (ONNX op types),
    so one platform serves models from either importer. `speeds` holds the
    estimate's rates per core type ('cpu', 'npu'), where the platform states them.
    `link`: the NPU <-> CPU interconnect (None: moving a tensor costs nothing,
    the reference's model). `power`: per core type, where the platform states it."""

    name: str
    npu_ops: frozenset[str]
    clock_us: int = 100
    npus: int = 4
    cpus: int = 2
    npu_onnx_ops: frozenset[str] = frozenset()
    speeds: tuple[tuple[str, CoreSpeed], ...] = ()
    link: Link | None = None
    power: tuple[tuple[str, Power], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.clock_us, bool) or not isinstance(self.clock_us, int) or self.clock_us < 1:
            raise PrismError(f"platform {self.name!r}: clock must be a whole number of microseconds >= 1, got {self.clock_us!r}")
        for kind in ("npus", "cpus"):
            k = getattr(self, kind)
            if isinstance(k, bool) or not isinstance(k, int) or k < 0:
                raise PrismError(f"platform {self.name!r}: {kind} must be a whole number >= 0, got {k!r}")
        if self.npus + self.cpus == 0:
            raise PrismError(f"platform {self.name!r} has no cores")

    def cores(self, core_type: str) -> int:
        """Number of cores of `core_type` ('cpu' or 'npu')."""
        return self.cpus if core_type == "cpu" else self.npus

    def supports(self, op_type: str, core_type: str) -> bool:
        """Whether a core of `core_type` can execute a layer of `op_type`."""
        return core_type == "cpu" or op_type in self.npu_ops or op_type in self.npu_onnx_ops

    def speed(self, core_type: str) -> CoreSpeed | None:
        """The estimate's rates for `core_type`, or None if the platform states none."""
        return dict(self.speeds).get(core_type)

    def power_of(self, core_type: str) -> Power | None:
        """The power figures of `core_type`, or None if the platform states none."""
        return dict(self.power).get(core_type)

    def bytes_per_element(self, core_type: str) -> int:
        """Bytes per tensor element an op on `core_type` writes (float32)."""
        return 4

    def with_cores(self, *, npus: int | None = None, cpus: int | None = None, clock_us: int | None = None) -> "Platform":
        """A copy with other core counts or clock (None keeps the current value)."""
        return replace(
            self,
            npus=self.npus if npus is None else npus,
            cpus=self.cpus if cpus is None else cpus,
            clock_us=self.clock_us if clock_us is None else clock_us,
        )
