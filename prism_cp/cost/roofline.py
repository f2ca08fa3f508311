"""Analytic execution-time estimates from a roofline, for models nobody has timed yet.

An op's work is read off its shapes: multiply-accumulates (convolutions,
dense, matmul) and the tensor elements it moves (the outputs of its distinct
producers, its own output and its weights). A core type's roofline (the
`[roofline.cpu]` / `[roofline.npu]` tables of a platform file) turns work into
time: whichever is slower of computing and moving the data, plus a per-op
launch cost. So an op's time grows with its size, which the measured
xception times do not (docs/import.md). A platform that states no roofline
for a core type uses the bundled grai platform's.

A roofline with granules also reads how an op's shapes map onto the MAC
array (`array_share`), after the cycle model of Arm's Vela compiler for the
Ethos-U NPUs: shapes that fill the array partly run at that share of the rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from prism_cp.errors import PrismError
from prism_cp.network import Layer, Network
from prism_cp.platform import Platform, Roofline
from prism_cp.workload import CORE_TYPES

DEFAULT_PLATFORM = "grai"  # whose rooflines stand in for a platform that states none


@dataclass(frozen=True)
class MacShape:
    """How an op's MACs are laid out: `positions` outputs per channel, each the
    dot product of `channels_in` input channels (per group) by `kernel`
    elements, for `channels_out` output channels. `channels_in` and `kernel`
    are None where the op reads no other op (a graph input)."""

    positions: int
    channels_out: int
    channels_in: int | None = None
    kernel: int | None = None


@dataclass(frozen=True)
class OpWork:
    """The work of one op in one inference."""

    type: str
    macs: int
    elements: int  # read (inputs, weights) and written (output)
    weights: int = 0  # of `elements`, those that are weights
    shape: MacShape | None = None  # None: an op without MACs, or shapes that do not explain them

    def bytes(self, roofline: Roofline) -> int:
        """The bytes the op moves on a core of `roofline`."""
        return self.elements * roofline.bytes_per_element


def mac_shape(layer: Layer, producers: Sequence[Layer]) -> MacShape | None:
    """`layer`'s MAC layout read off its shapes, whichever side its channels
    are on (Keras: last, ONNX: first): the output channels are the end of the
    output shape for which the weights are `channels_out x macs per output`
    (plus one bias each); the input channels are the first producer's on the
    same end, the largest count per group that divides the MACs per output.
    None where no end fits (e.g. a MatMul of two activations)."""
    outputs = layer.tokens
    if not layer.macs or not layer.shape or not outputs or layer.macs % outputs:
        return None
    per_output = layer.macs // outputs
    for end in (-1, 0):
        channels = layer.shape[end]
        if channels and outputs % channels == 0 and layer.params in (per_output * channels, (per_output + 1) * channels):
            source = next((p.shape[end] for p in producers if p.shape and p.shape[end]), None)
            if source is None:
                return MacShape(outputs // channels, channels)
            per_group = math.gcd(per_output, source)
            return MacShape(outputs // channels, channels, per_group, per_output // per_group)
    return None


def op_work(network: Network) -> tuple[OpWork, ...]:
    """Each layer's work; its inputs are the outputs of its distinct producers."""
    inputs: list[dict[int, int]] = [{} for _ in network.layers]
    for src, dst, tokens in network.edges:
        inputs[dst][src] = tokens
    return tuple(
        OpWork(layer.type, layer.macs, sum(ins.values()) + layer.tokens + layer.params, layer.params,
               mac_shape(layer, [network.layers[src] for src in ins]))
        for layer, ins in zip(network.layers, inputs)
    )


def _filled(count: int, granule: int) -> float:
    """The share of whole `granule` steps that `count` items fill."""
    return count / (granule * math.ceil(count / granule))


def array_share(shape: MacShape | None, roofline: Roofline) -> float:
    """The share of `roofline`'s MAC rate an op of `shape` reaches (1 for an
    unknown shape, and for every shape at the default granules). Input
    channels run in steps of `channel_granule_in`, or, where it fills more,
    the kernel in steps of `kernel_granule` elements with
    `channel_granule_in / kernel_granule` channels each (Vela's part-kernel
    traversal); output channels in steps of `channel_granule_out`; fewer than
    `min_positions` output positions leave the rest of the array idle."""
    if shape is None:
        return 1.0
    share = _filled(shape.channels_out, roofline.channel_granule_out) * min(1.0, shape.positions / roofline.min_positions)
    if shape.channels_in is None or shape.kernel is None:
        return share
    depth_first = _filled(shape.channels_in, roofline.channel_granule_in)
    part_kernel = _filled(shape.channels_in, roofline.channel_granule_in // roofline.kernel_granule) * _filled(shape.kernel, roofline.kernel_granule)
    return share * max(depth_first, part_kernel)


def op_sides(work: OpWork, roofline: Roofline) -> dict[str, float]:
    """Microseconds each side of `roofline` needs for `work`: 'compute' and
    'memory' or, with a weight port, 'activations' and 'weights' (so a report
    can say which side bounds an op)."""
    compute = work.macs / (roofline.macs_per_us(work.type) * array_share(work.shape, roofline))
    if roofline.weight_bytes_per_us is None:
        return {"compute": compute, "memory": work.bytes(roofline) / roofline.bytes_per_us}
    return {
        "compute": compute,
        "activations": (work.elements - work.weights) * roofline.bytes_per_element / roofline.bytes_per_us,
        "weights": work.weights * roofline.bytes_per_element / roofline.weight_bytes_per_us,
    }


def op_time(work: OpWork, roofline: Roofline) -> float:
    """Microseconds `work` takes on a core of `roofline`: the launch cost plus
    its slowest side (an op without MACs is memory-bound)."""
    return roofline.overhead_us + max(op_sides(work, roofline).values())


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
