"""Analytic execution-time estimates from a roofline, for models nobody has timed yet.

An op's work is read off its shapes: multiply-accumulates (convolutions,
dense, matmul) and the tensor elements it moves (the outputs of its distinct
producers, its own output and its weights). A core type's roofline (the
`[roofline.cpu]` / `[roofline.npu]` tables of a platform file) turns work into
time: whichever is slower of computing and moving the data, plus a per-op
launch cost. So an op's time grows with its size, which the measured
xception times do not (docs/import.md). A platform that states no roofline
for a core type uses the bundled grai platform's.
"""

from __future__ import annotations

from dataclasses import dataclass

from prism_cp.errors import PrismError
from prism_cp.network import Network
from prism_cp.platform import Platform, Roofline
from prism_cp.workload import CORE_TYPES

DEFAULT_PLATFORM = "grai"  # whose rooflines stand in for a platform that states none


@dataclass(frozen=True)
class OpWork:
    """The work of one op in one inference."""

    type: str
    macs: int
    elements: int  # read (inputs, weights) and written (output)

    def bytes(self, roofline: Roofline) -> int:
        """The bytes the op moves on a core of `roofline`."""
        return self.elements * roofline.bytes_per_element


def op_work(network: Network) -> tuple[OpWork, ...]:
    """Each layer's work; its inputs are the outputs of its distinct producers."""
    inputs: list[dict[int, int]] = [{} for _ in network.layers]
    for src, dst, tokens in network.edges:
        inputs[dst][src] = tokens
    return tuple(
        OpWork(layer.type, layer.macs, sum(ins.values()) + layer.tokens + layer.params)
        for layer, ins in zip(network.layers, inputs)
    )


def op_time(work: OpWork, roofline: Roofline) -> float:
    """Microseconds `work` takes on a core of `roofline`: the launch cost plus
    the slower of compute and memory (an op without MACs is memory-bound)."""
    compute = work.macs / roofline.macs_per_us(work.type)
    memory = work.bytes(roofline) / roofline.bytes_per_us
    return roofline.overhead_us + max(compute, memory)


def estimate_times(network: Network, platform: Platform, default: Platform | None = None) -> dict[str, tuple[float, ...]]:
    """Per core type, each layer's estimated time (us) on `platform`'s roofline
    or, for a core type it states none for, on `default`'s (the caller passes
    the bundled grai platform)."""
    work = op_work(network)
    times = {}
    for core in CORE_TYPES:
        roofline = platform.roofline(core) or (default.roofline(core) if default else None)
        if roofline is None:
            raise PrismError(f"platform {platform.name!r} states no [roofline.{core}] table; add one to estimate times")
        times[core] = tuple(op_time(w, roofline) for w in work)
    return times
