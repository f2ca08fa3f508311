"""The project's own model and execution-time files (docs/formats.md):
`models/<name>.json` (ops and edges) and `extime/<name>.csv` (times per op)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from prism_cp.errors import PrismError
from prism_cp.io.bundled import bundled_names, resolve
from prism_cp.io.files import as_text, atomic_write, read_file, read_text
from prism_cp.network import Layer, Network, is_count
from prism_cp.workload import Workload

EXTIME_HEADER = ["index", "name", "cpu_us", "npu_us"]
ESTIMATED = "estimated"  # first word of the comment of an estimated time table
MODEL_KEYS = {"name", "description", "ops", "edges"}
OP_KEYS = {"index", "name", "type", "tokens", "shape", "macs", "params"}
#: what the files `prism-cp import` reads look like, so that one given to --model says how to import it
FOREIGN_SUFFIXES = {".onnx": "onnx", ".keras": "keras", ".h5": "hdf5", ".hdf5": "hdf5"}
FOREIGN_MAGIC = {b"PK\x03\x04": "keras", b"\x89HDF\r\n\x1a\n": "hdf5"}


def bundled_models() -> tuple[str, ...]:
    """Names accepted by `load_workload` without a path."""
    return bundled_names("models")


def load_workload(model: str | Path, extime: str | Path | None = None) -> Workload:
    """The Workload of a bundled model name (e.g. 'xception') or a model JSON path.

    `extime` is a bundled table name or a CSV path. By default it is the table
    of the model file's name: `<stem>.csv` beside the model file, or in the
    `extime/` folder next to its `models/` folder (where bundled tables live).
    Raises PrismError for unknown names, missing files and malformed content.
    """
    model_path = model_file(model)
    name, op_names, op_types, edges = read_model_json(model_path)  # first: a Keras file has no table, but needs importing
    extime_path = default_extime_path(model_path) if extime is None else resolve("extime", extime)
    times = read_extime_csv(extime_path, op_names)
    return Workload(name, op_names, op_types, edges, times, estimated_times=extime_is_estimated(extime_path))


def model_file(model: str | Path) -> Path:
    """The model file a bundled name or a path names (see bundled.resolve); a
    Keras or ONNX file is refused with the command that imports it."""
    kind = FOREIGN_SUFFIXES.get(Path(model).suffix.lower())
    if kind is not None:
        raise PrismError(_import_hint(model, kind))
    return resolve("models", model)


def _import_hint(path: str | Path, kind: str) -> str:
    """What to do with a Keras or ONNX file given where a model file belongs."""
    if kind == "hdf5":
        return (f"{path} is a Keras HDF5 model, which prism-cp does not read: save it with model.save('NAME.keras') "
                "(or write model.to_json() to a file), then import that with prism-cp import keras FILE")
    what = "an ONNX model" if kind == "onnx" else "a Keras model"
    return f"{path} is {what}, not a prism_cp model file: import it first with prism-cp import {kind} {path}, then pass the models/NAME.json it writes"


def default_extime_path(model_path: Path) -> Path:
    """The execution time table that goes with `model_path` (see load_workload)."""
    candidates = [model_path.with_suffix(".csv"), model_path.parent.parent / "extime" / f"{model_path.stem}.csv"]
    for path in candidates:
        if path.is_file():
            return path
    table = extime_path_for(model_path)
    raise PrismError(f"no execution time table for model {model_path}; looked for {' and '.join(map(str, candidates))}. "
                     f"Estimate one with prism-cp extime estimate {model_path} --out {table}, "
                     f"or write one to fill with measured times with prism-cp extime template {model_path} --out {table}")


def extime_path_for(model_path: Path) -> Path:
    """Where a new table for `model_path` goes for `load_workload` to find it:
    `extime/NAME.csv` beside a `models/` folder (the bundled layout), else NAME.csv beside the model."""
    if model_path.parent.name == "models":
        return model_path.parent.parent / "extime" / f"{model_path.stem}.csv"
    return model_path.with_suffix(".csv")


def read_model_json(path: Path) -> tuple[str, tuple[str, ...], tuple[str, ...], np.ndarray]:
    """(name, op names, op types, edges) of a model file, checked field by field."""
    name, ops, edges = _read_model_doc(path)
    return name, tuple(op["name"] for op in ops), tuple(op["type"] for op in ops), np.array(edges, dtype=np.int64).reshape(-1, 3)


def read_network(path: str | Path) -> Network:
    """The Network of a bundled model name or a model file whose ops all carry
    `shape` (files written by `write_network_json` do); `macs` and `params`
    default to 0."""
    path = model_file(path)
    name, ops, edges = _read_model_doc(path)
    missing = [op["name"] for op in ops if op.get("shape") is None]
    if missing:
        raise PrismError(f"model file {path}: op {missing[0]!r} (and {len(missing) - 1} more) has no 'shape'; import the model again to record shapes")
    layers = tuple(Layer(op["name"], op["type"], tuple(op["shape"]), op.get("macs", 0), op.get("params", 0)) for op in ops)
    return Network(name, layers, tuple(map(tuple, edges)), source=str(path))


def _read_model_doc(path: Path) -> tuple[str, list[dict[str, Any]], list[list[int]]]:
    """(name, ops, edges) of a model file, every field checked."""
    doc = _read_json(path)
    where = f"model file {path}"
    if isinstance(doc, dict) and {"class_name", "config"} <= set(doc):
        raise PrismError(_import_hint(path, "keras"))
    if not isinstance(doc, dict) or not {"name", "ops", "edges"} <= set(doc) or not set(doc) <= MODEL_KEYS:
        raise PrismError(f"{where}: need a JSON object with keys name, ops, edges (and optionally description)")
    name, ops, edges = doc["name"], doc["ops"], doc["edges"]
    if not isinstance(name, str) or not name:
        raise PrismError(f"{where}: 'name' must be a non-empty string")
    if not isinstance(ops, list) or not ops:
        raise PrismError(f"{where}: 'ops' must be a non-empty list")
    for i, op in enumerate(ops):
        _check_op(where, i, op)
    names = [op["name"] for op in ops]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise PrismError(f"{where}: op name {dup!r} is used twice; names identify ops in the time table")
    if not isinstance(edges, list) or not all(isinstance(e, list) and len(e) == 3 and all(map(is_count, e)) for e in edges):
        raise PrismError(f"{where}: 'edges' must be a list of [src, dst, tokens] whole numbers >= 0")
    return name, ops, edges


def _check_op(where: str, i: int, op: Any) -> None:
    """Raise PrismError unless `op` is a valid ops[i] entry."""
    if not isinstance(op, dict) or not {"index", "name", "type"} <= set(op) or not set(op) <= OP_KEYS:
        raise PrismError(f"{where}: ops[{i}] must be an object with index, name, type (and optionally {', '.join(sorted(OP_KEYS - {'index', 'name', 'type'}))})")
    if op["index"] != i or isinstance(op["index"], bool):
        raise PrismError(f"{where}: ops[{i}] has index {op['index']!r}; ops must be listed in index order from 0")
    for key in ("name", "type"):
        if not isinstance(op[key], str) or not op[key]:
            raise PrismError(f"{where}: ops[{i}].{key} must be a non-empty string")
    for key in ("tokens", "macs", "params"):
        if op.get(key) is not None and not is_count(op[key]):
            raise PrismError(f"{where}: ops[{i}].{key} must be a whole number >= 0 or null")
    shape = op.get("shape")
    if shape is not None:
        if not isinstance(shape, list) or not all(map(is_count, shape)):
            raise PrismError(f"{where}: ops[{i}].shape must be a list of whole numbers >= 0 (batch dimension left out) or null")
        if op.get("tokens") is not None and op["tokens"] != math.prod(shape):
            raise PrismError(f"{where}: ops[{i}].tokens is {op['tokens']} but its shape {shape} has {math.prod(shape)} elements")


def read_extime_csv(path: Path, op_names: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    """Per core type, the time of each op (us) from a table whose rows must be
    ops 0..n-1 in order with the model's names. Lines starting with `#` before
    the header are comments. Values are parsed with float(), so a table written
    with repr round-trips exactly."""
    where = f"execution time table {path}"
    comments, text = _split_comments(read_text(path, "execution time table"))
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise PrismError(f"cannot read {where}: {e}") from None
    if not rows or [h.strip() for h in rows[0]] != EXTIME_HEADER:
        raise PrismError(f"{where}: the first line after the # comments must be the header {','.join(EXTIME_HEADER)}")
    body = [r for r in rows[1:] if r]
    names = {row[1].strip() for row in body if len(row) > 1}
    cpu: list[float] = []
    npu: list[float] = []
    for i, row in enumerate(body):
        line = f"{where}, row {len(comments) + i + 2}"
        if len(row) != 4:
            raise PrismError(f"{line}: need 4 fields ({','.join(EXTIME_HEADER)}), got {len(row)}")
        index, name = row[0].strip(), row[1].strip()
        if i >= len(op_names):
            raise PrismError(f"{line}: extra row {index} ({name}); the model has {len(op_names)} ops")
        if name not in op_names:
            raise PrismError(f"{line}: op {name!r} is not in the model (renamed?); expected op {i} ({op_names[i]})")
        if op_names[i] not in names:
            raise PrismError(f"{line}: no row for op {i} ({op_names[i]}); got {index} ({name}) instead")
        if index != str(i) or name != op_names[i]:
            raise PrismError(f"{line}: expected op {i} ({op_names[i]}), got {index} ({name}); rows follow the model's op order")
        for column, field, out in (("cpu_us", row[2], cpu), ("npu_us", row[3], npu)):
            try:
                out.append(float(field))
            except ValueError:
                hint = " (fill in every time of a template)" if not field.strip() else ""
                raise PrismError(f"{line}: {column} time {field!r} is not a number of microseconds{hint}") from None
    if len(body) < len(op_names):
        raise PrismError(f"{where}: no row for op {len(body)} ({op_names[len(body)]}); {len(body)} rows for the model's {len(op_names)} ops")
    return {"cpu": tuple(cpu), "npu": tuple(npu)}


def extime_is_estimated(path: Path) -> bool:
    """Whether the table at `path` says (in a comment line `# estimated ...`)
    that its times come from the analytic estimate, not from measurements."""
    comments, _ = _split_comments(read_text(path, "execution time table"))
    return any(line.lstrip("#").strip().startswith(ESTIMATED) for line in comments)


def _split_comments(text: str) -> tuple[list[str], str]:
    """The leading `#` lines of a table, and the rest."""
    lines = text.splitlines(keepends=True)
    k = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return [line.rstrip("\r\n") for line in lines[:k]], "".join(lines[k:])


def write_model_json(path: str | Path, workload: Workload, description: str | None = None) -> Path:
    """Write `workload`'s graph as a model file, one op and one edge per line.

    An op's `tokens` is the token count of its outgoing edges (null for an op
    with none), which is what the reference cgraph records.
    """
    out_tokens: dict[int, int] = {}
    for src, _, tokens in workload.edges.tolist():
        out_tokens.setdefault(src, tokens)
    ops = [
        {"index": i, "name": n, "type": t, "tokens": out_tokens.get(i)}
        for i, (n, t) in enumerate(zip(workload.op_names, workload.op_types))
    ]
    return _write_model_doc(path, workload.name, description, ops, workload.edges.tolist())


def write_network_json(path: str | Path, network: Network, description: str | None = None) -> Path:
    """Write `network` as a model file whose ops carry their output `shape`,
    `tokens`, `macs` and `params`; `read_network` reads it back equal."""
    ops = [
        {"index": i, "name": layer.name, "type": layer.type, "tokens": layer.tokens, "shape": list(layer.shape), "macs": layer.macs, "params": layer.params}
        for i, layer in enumerate(network.layers)
    ]
    return _write_model_doc(path, network.name, description, ops, [list(e) for e in network.edges])


def _write_model_doc(path: str | Path, name: str, description: str | None, ops: list[dict[str, Any]], edges: list[list[int]]) -> Path:
    doc = {"name": name} | ({"description": description} if description else {})
    doc |= {"ops": ops, "edges": edges}
    return atomic_write(path, _json_one_item_per_line(doc))


def _json_one_item_per_line(doc: dict[str, Any]) -> str:
    """JSON with each element of a top-level list on its own line: readable, diff-friendly."""
    fields = []
    for key, value in doc.items():
        if isinstance(value, list):
            items = ",\n".join("    " + json.dumps(v) for v in value)
            fields.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            fields.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write_extime_csv(path: str | Path, workload: Workload, comment: str | None = None) -> Path:
    """Write `workload`'s times as a table; floats with repr, so they reload
    exactly. A `comment` goes first, as `#` lines; an estimated table's starts
    with the word ESTIMATED (see extime_is_estimated)."""
    rows = [f"{i},{_csv_field(name)},{workload.times['cpu'][i]!r},{workload.times['npu'][i]!r}" for i, name in enumerate(workload.op_names)]
    return _write_table(path, rows, comment)


def write_extime_template(path: str | Path, op_names: tuple[str, ...]) -> Path:
    """Write the table to fill in for a model: every op's index and name, the times empty."""
    comment = "template: fill in cpu_us and npu_us with measured times in microseconds (an op the NPU cannot run still needs an npu_us value, e.g. 0)"
    return _write_table(path, [f"{i},{_csv_field(name)},," for i, name in enumerate(op_names)], comment)


def _write_table(path: str | Path, rows: list[str], comment: str | None) -> Path:
    notes = [f"# {line}" for line in comment.splitlines()] if comment else []
    return atomic_write(path, "\n".join([*notes, ",".join(EXTIME_HEADER), *rows]) + "\n")


def _csv_field(text: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


def _read_json(path: Path) -> Any:
    data = read_file(path, "model file")
    kind = next((kind for magic, kind in FOREIGN_MAGIC.items() if data.startswith(magic)), None)
    if kind is not None:
        raise PrismError(_import_hint(path, kind))
    try:
        return json.loads(as_text(data, path, "model file"))
    except json.JSONDecodeError as e:
        raise PrismError(f"{path} is not valid JSON: {e}") from None
