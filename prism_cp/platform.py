"""A heterogeneous SoC: how many CPUs and NPUs, the clock period, and which
layer types the NPU can run (CPUs run everything)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from prism_cp.errors import PrismError


@dataclass(frozen=True)
class Platform:
    """Cores, clock and NPU capability. `clock_us` is an integer number of
    microseconds so that tick times are exact integers."""

    name: str
    npu_ops: frozenset[str]
    clock_us: int = 100
    npus: int = 4
    cpus: int = 2

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
        return core_type == "cpu" or op_type in self.npu_ops

    def with_cores(self, *, npus: int | None = None, cpus: int | None = None, clock_us: int | None = None) -> "Platform":
        """A copy with other core counts or clock (None keeps the current value)."""
        return replace(
            self,
            npus=self.npus if npus is None else npus,
            cpus=self.cpus if cpus is None else cpus,
            clock_us=self.clock_us if clock_us is None else clock_us,
        )
