"""A heterogeneous SoC: how many CPUs and NPUs, the clock period, which op
types the NPU can run (CPUs run everything), each core type's roofline for
the analytic time estimate, the link that moves tensors between the NPU and
CPU clusters, and the power each core type draws."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from prism_cp.errors import PrismError, check_count


def _check_figure(what: str, value: object, *, positive: bool = False) -> None:
    """PrismError unless `value` is a finite number >= 0 (> 0 if `positive`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise PrismError(f"{what} must be a finite number {'>' if positive else '>='} 0, got {value!r}")


DEFAULT_BYTES_PER_ELEMENT = 4  # float32, where a platform states no roofline


def _check_share(what: str, value: object) -> None:
    """PrismError unless `value` is a number in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise PrismError(f"{what} must be a number in (0, 1], got {value!r}")


@dataclass(frozen=True)
class Roofline:
    """One core's roofline for the analytic time estimate (prism_cp.cost): an
    op takes `overhead_us + max(macs / (peak_macs_per_us * utilisation of its
    type), bytes / bytes_per_us)` us, bytes = elements read and written and
    weights, times `bytes_per_element`. `utilisation_by_type` holds
    (op type, share of the peak) where a source gives one; other types get
    `utilisation`.

    Optional refinements, each off at its default: `weight_bytes_per_us`
    streams weights over a port of their own (an NPU whose weights stay in
    DRAM while activations live in SRAM), the memory side then being the
    slower port; the granules scale an op's MAC rate by how much of the MAC
    array its shapes fill (prism_cp.cost.roofline.array_share): channels in
    whole `channel_granule_in` / `channel_granule_out` steps, a kernel split
    into `kernel_granule` elements at a time when that fills more, and fewer
    than `min_positions` output positions leaving the array part idle."""

    peak_macs_per_us: float
    utilisation: float
    bytes_per_us: float
    overhead_us: float
    bytes_per_element: int = DEFAULT_BYTES_PER_ELEMENT
    utilisation_by_type: tuple[tuple[str, float], ...] = ()
    weight_bytes_per_us: float | None = None
    channel_granule_in: int = 1
    channel_granule_out: int = 1
    kernel_granule: int = 1
    min_positions: int = 1

    def __post_init__(self) -> None:
        _check_figure("peak_macs_per_us", self.peak_macs_per_us, positive=True)
        _check_share("utilisation", self.utilisation)
        _check_figure("bytes_per_us", self.bytes_per_us, positive=True)
        _check_figure("overhead_us", self.overhead_us)
        check_count(self.bytes_per_element, "bytes_per_element")
        for op_type, share in self.utilisation_by_type:
            if not isinstance(op_type, str) or not op_type:
                raise PrismError(f"utilisation_by_type keys must be op type names, got {op_type!r}")
            _check_share(f"utilisation_by_type {op_type}", share)
        if self.weight_bytes_per_us is not None:
            _check_figure("weight_bytes_per_us", self.weight_bytes_per_us, positive=True)
        for key in ("channel_granule_in", "channel_granule_out", "kernel_granule", "min_positions"):
            check_count(getattr(self, key), key)
        if self.channel_granule_in % self.kernel_granule:
            raise PrismError(f"kernel_granule ({self.kernel_granule}) must divide channel_granule_in ({self.channel_granule_in}): "
                             "a kernel split takes channel_granule_in / kernel_granule channels per element")

    def macs_per_us(self, op_type: str) -> float:
        """The MAC rate an op of `op_type` reaches: the peak times its utilisation."""
        return self.peak_macs_per_us * dict(self.utilisation_by_type).get(op_type, self.utilisation)


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
    so one platform serves models from either importer. `rooflines` holds the
    estimate's roofline per core type ('cpu', 'npu'), where the platform states one.
    `link`: the NPU <-> CPU interconnect (None: moving a tensor costs nothing,
    the reference's model). `power`: per core type, where the platform states it."""

    name: str
    npu_ops: frozenset[str]
    clock_us: int = 100
    npus: int = 4
    cpus: int = 2
    npu_onnx_ops: frozenset[str] = frozenset()
    rooflines: tuple[tuple[str, Roofline], ...] = ()
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

    def roofline(self, core_type: str) -> Roofline | None:
        """The estimate's roofline for `core_type`, or None if the platform states none."""
        return dict(self.rooflines).get(core_type)

    def power_of(self, core_type: str) -> Power | None:
        """The power figures of `core_type`, or None if the platform states none."""
        return dict(self.power).get(core_type)

    def bytes_per_element(self, core_type: str) -> int:
        """Bytes per tensor element an op on `core_type` writes: its roofline's
        figure, float32 where the platform states no roofline."""
        roofline = self.roofline(core_type)
        return DEFAULT_BYTES_PER_ELEMENT if roofline is None else roofline.bytes_per_element

    def with_cores(self, *, npus: int | None = None, cpus: int | None = None, clock_us: int | None = None) -> "Platform":
        """A copy with other core counts or clock (None keeps the current value)."""
        return replace(
            self,
            npus=self.npus if npus is None else npus,
            cpus=self.cpus if cpus is None else cpus,
            clock_us=self.clock_us if clock_us is None else clock_us,
        )
