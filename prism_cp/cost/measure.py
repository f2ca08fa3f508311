"""Measured CPU times: every op of an ONNX model timed on this machine's CPU
with ONNX Runtime's profiler, for a time table of real figures where nobody
has one (docs/import.md, "Measured times").

ONNX Runtime does not run the graph it is given: it fuses nodes (Conv+Relu,
Conv+BatchNormalization, MatMul+Add...) and folds constants, so the profile
has fewer nodes than the model has ops. `group_ops` attaches every op to the
profiled node that ran it, and `split_time` shares a node's time among the
ops it covers by their work. Needs the optional onnxruntime package
(`pip install 'prism_cp[measure]'`).
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prism_cp.errors import PrismError, check_count
from prism_cp.cost.roofline import OpWork, op_work
from prism_cp.io.onnx import read_onnx
from prism_cp.network import Network

KERNEL_SUFFIX = "_kernel_time"  # how ONNX Runtime's profile names a node's run: "<node name>_kernel_time"
WARMUP_RUNS = 2  # runs before the timed ones: allocations, weight packing and caches settle
SEED = 0  # of the random inputs


@dataclass(frozen=True)
class Kernel:
    """One node ONNX Runtime ran (after its graph optimizations), and its mean time per run."""

    name: str
    op_type: str
    outputs: tuple[str, ...]  # tensor names, as in the optimized graph
    us: float


@dataclass(frozen=True)
class Group:
    """Profiled nodes and the model's ops they cover; `ops[0]` is the anchor,
    the op the nodes are named after (or whose output they produce)."""

    kernels: tuple[Kernel, ...]
    ops: tuple[int, ...]

    @property
    def us(self) -> float:
        return math.fsum(k.us for k in self.kernels)


@dataclass(frozen=True)
class Measurement:
    """Each op's measured CPU time of one inference (batch 1) and how it was obtained."""

    network: Network
    cpu_us: tuple[float, ...]
    groups: tuple[Group, ...]
    run_us: float  # mean wall time of a plain session.run, measured without the profiler
    runs: int
    threads: int
    version: str  # of onnxruntime

    @property
    def sum_us(self) -> float:
        return math.fsum(self.cpu_us)

    def summary(self) -> str:
        """How the per-op times add up against the whole model's run, in one line."""
        return (f"sum of per-op times {self.sum_us / 1000:.1f} ms = {self.sum_us / self.run_us:.2f} x the measured run "
                f"({self.run_us / 1000:.1f} ms, {self.runs} runs, {self.threads} thread{'s' if self.threads > 1 else ''})")


def measure_onnx(path: str | Path, runs: int = 10, threads: int = 1) -> Measurement:
    """Time every op of the ONNX model at `path` on this CPU: WARMUP_RUNS then
    `runs` profiled runs of random inputs (batch 1), `threads` intra-op
    threads, each followed by a plain run of a session without the profiler,
    timed whole, for the comparison."""
    for option, value in (("runs", runs), ("threads", threads)):
        check_count(value, f"--{option}")
    ort = _onnxruntime()
    path = Path(path)
    network = read_onnx(path)
    import onnx

    try:
        model = onnx.load_model(str(path))  # with its weights: onnxruntime needs them
    except Exception as e:  # a missing external data file, mostly
        raise PrismError(f"{path}: cannot load the model's weights: {' '.join(str(e).split())}") from None
    for node, layer in zip(model.graph.node, network.layers):
        node.name = layer.name  # the importer's names, so that the profile speaks of ops by them
    data = model.SerializeToString()
    with tempfile.TemporaryDirectory(prefix="prism_measure_") as tmp:
        options = _options(ort, threads)
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "profile")
        options.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        profiled = _session(ort, data, options, path)
        plain = _session(ort, data, _options(ort, threads), path)
        feeds = random_inputs(profiled)
        run_us = _alternate(profiled, plain, feeds, runs)
        events = json.loads(Path(profiled.end_profiling()).read_text())
        outputs = {node.name: tuple(node.output) for node in onnx.load_model(options.optimized_model_filepath, load_external_data=False).graph.node}
    kernels = [Kernel(name, op_type, outputs.get(name, ()), us) for name, (op_type, us) in kernel_times(events, runs).items()]
    groups = group_ops(network, [tuple(node.output) for node in model.graph.node], kernels)
    work = op_work(network)
    cpu = [0.0] * len(network.layers)
    for group in groups:
        for op, us in zip(group.ops, split_time(group.us, [work[i] for i in group.ops])):
            cpu[op] = us
    return Measurement(network, tuple(cpu), tuple(groups), run_us, runs, threads, ort.__version__)


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise PrismError("measuring times needs the onnxruntime package: pip install 'prism_cp[measure]'") from None
    return onnxruntime


def _options(ort: Any, threads: int) -> Any:
    """Sequential execution on `threads` intra-op threads that sleep, not spin,
    when idle (the profiled and the plain session run in turn and must not
    take CPU from each other). Optimizations up to
    EXTENDED (fusions, constant folding), not the NCHWc layout pass of ALL,
    which renames nodes after tensors and adds layout-conversion nodes that no
    op of the model accounts for."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads of one session leave the CPU to the other
    options.log_severity_level = 3  # errors only: the saved optimized model's warning is expected
    return options


def _session(ort: Any, data: bytes, options: Any, path: Path) -> Any:
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own Fail, InvalidGraph, NotImplemented...
        first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
        raise PrismError(f"{path}: onnxruntime cannot load the model: {first}") from None


#: numpy types of the input element types random_inputs can fill
NUMPY_TYPES = {"float": np.float32, "double": np.float64, "float16": np.float16, "int64": np.int64, "int32": np.int32,
               "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_}


def random_inputs(session: Any) -> dict[str, np.ndarray]:
    """A value for each input the session asks for (graph inputs that are not
    initializers, weights included when a model takes them as inputs): unknown
    and symbolic dims 1 (batch 1); floats standard normal, integers and
    booleans 0 (a valid index into anything)."""
    rng = np.random.default_rng(SEED)
    feeds = {}
    for arg in session.get_inputs():
        element = arg.type.removeprefix("tensor(").removesuffix(")")
        if element not in NUMPY_TYPES:
            raise PrismError(f"input {arg.name!r} has type {arg.type}; measuring times fills inputs of types {', '.join(NUMPY_TYPES)} only")
        shape = tuple(d if isinstance(d, int) and d > 0 else 1 for d in arg.shape)
        dtype = NUMPY_TYPES[element]
        feeds[arg.name] = rng.standard_normal(shape).astype(dtype) if np.issubdtype(dtype, np.floating) else np.zeros(shape, dtype)
    return feeds


def kernel_times(events: Sequence[Mapping[str, Any]], runs: int) -> dict[str, tuple[str, float]]:
    """Profiled node name -> (its kernel's op type, its mean time per run in
    us) over the last `runs` runs of a profile (the earlier ones warm up),
    from the kernel events inside each `model_run` event."""
    model_runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events if e.get("cat") == "Session" and e.get("name") == "model_run")
    if len(model_runs) < runs:
        raise PrismError(f"the profile holds {len(model_runs)} runs, expected at least {runs}")
    timed = model_runs[len(model_runs) - runs:]
    total: dict[str, tuple[str, int]] = {}
    for e in events:
        name = e.get("name", "")
        if e.get("cat") == "Node" and name.endswith(KERNEL_SUFFIX) and any(start <= e["ts"] <= end for start, end in timed):
            node = name.removesuffix(KERNEL_SUFFIX)
            total[node] = (e.get("args", {}).get("op_name", ""), total.get(node, ("", 0))[1] + e["dur"])
    if not total:
        raise PrismError("onnxruntime ran no node of the model (everything was folded into constants); there is nothing to time")
    return {node: (op_type, us / runs) for node, (op_type, us) in total.items()}


def group_ops(network: Network, op_outputs: Sequence[tuple[str, ...]], kernels: Sequence[Kernel]) -> list[Group]:
    """Attach each profiled node (kernel) to an op, its anchor, and each op to
    one group (the rule of docs/import.md, "Measured times"):

    1. a kernel's anchor is the op of its name; else the op producing its first
       output tensor (a fused node ONNX Runtime named itself); else the op with
       the longest name that starts its name (ONNX Runtime's derived names,
       e.g. `<name>_token_3`);
    2. an op that anchors no kernel joins the group of the kernel producing one
       of its output tensors (the last op of a fusion: its output is the fused
       node's);
    3. any other op (fused into, or folded into a constant for, what reads its
       result) joins the group of the nearest op placed by 1 or 2 downstream in
       the model's graph (breadth first, lowest index first), else upstream.
    """
    names = network.index()
    producer = {tensor: i for i, outs in enumerate(op_outputs) for tensor in outs if tensor}
    anchored: dict[int, list[Kernel]] = {}
    made: dict[str, int] = {}  # tensor -> anchor of the kernel that writes it
    for kernel in kernels:
        op = names.get(kernel.name)
        if op is None and kernel.outputs:
            op = producer.get(kernel.outputs[0])
        if op is None:
            op = max((i for n, i in names.items() if kernel.name.startswith(n)), key=lambda i: len(network.layers[i].name), default=None)
        if op is None:
            raise PrismError(f"cannot tell which op onnxruntime's node {kernel.name!r} ({kernel.op_type}) runs: neither its name nor its output is the model's")
        anchored.setdefault(op, []).append(kernel)
        made |= dict.fromkeys(kernel.outputs, op)
    placed = {op: op for op in anchored}  # op -> anchor of its group
    for op, outs in enumerate(op_outputs):
        if op not in placed and any(t in made for t in outs):
            placed[op] = next(made[t] for t in outs if t in made)
    consumers: list[set[int]] = [set() for _ in network.layers]
    producers: list[set[int]] = [set() for _ in network.layers]
    for src, dst, _ in network.edges:
        consumers[src].add(dst)
        producers[dst].add(src)
    group_of = dict(placed)
    for op in range(len(network.layers)):
        if op not in placed:
            near = _nearest(op, consumers, placed)
            near = _nearest(op, producers, placed) if near is None else near
            if near is None:
                raise PrismError(f"op {network.layers[op].name!r} ({network.layers[op].type}) did not run in onnxruntime and is connected to no op that did")
            group_of[op] = placed[near]
    members: dict[int, list[int]] = {a: [a] for a in anchored}
    for op in sorted(group_of):
        if op not in anchored:
            members[group_of[op]].append(op)
    return [Group(tuple(anchored[a]), tuple(members[a])) for a in sorted(anchored)]


def _nearest(op: int, neighbours: Sequence[set[int]], placed: Mapping[int, int]) -> int | None:
    """The first placed op a breadth-first walk from `op` along `neighbours` meets (lowest index first)."""
    seen, queue = {op}, deque([op])
    while queue:
        for nxt in sorted(neighbours[queue.popleft()] - seen):
            if nxt in placed:
                return nxt
            seen.add(nxt)
            queue.append(nxt)
    return None


def split_time(us: float, work: Sequence[OpWork]) -> tuple[float, ...]:
    """`us` shared among ops by their work: op i gets
    share_i = (macs_i / sum macs + bytes_i / sum bytes) / 2, or
    bytes_i / sum bytes when no op of the group does MACs (every op moves
    bytes: it writes at least one element). The shares sum to 1."""
    macs = math.fsum(w.macs for w in work)
    nbytes = math.fsum(w.elements for w in work)  # one core type: bytes are elements x one element size
    if macs > 0:
        return tuple(us * (w.macs / macs + w.elements / nbytes) / 2 for w in work)
    return tuple(us * w.elements / nbytes for w in work)


def _alternate(profiled: Any, plain: Any, feeds: Mapping[str, np.ndarray], runs: int) -> float:
    """Warm both sessions up, then run them in turn `runs` times (so that both
    see the same load on a shared machine); the mean wall time (us) of the
    plain session's runs."""
    for _ in range(WARMUP_RUNS):
        profiled.run(None, feeds)
        plain.run(None, feeds)
    wall = 0.0
    for _ in range(runs):
        profiled.run(None, feeds)
        start = time.perf_counter()
        plain.run(None, feeds)
        wall += time.perf_counter() - start
    return wall / runs * 1e6
