"""Loaders: a study directory (its index.h5) or one point file -> pandas frames.

The files are described in docs/results-format.md (point files) and docs/studies.md (the study
index). Everything is read with h5py; nothing here computes statistics.

Inference points hold, beside the client operations (``put_tensor``, ``run_script``,
``run_model``, ``unpack_tensor``), the database side as the record table
``/tables/model_requests``: one row per model or script request a database rank served, with
``key``, ``kind`` (``model`` or ``script``), ``failed``, ``queue_s``, ``compute_s`` (float64
seconds), ``batch_size`` (rows of the batch it ran in) and ``rank`` (the database rank). Points
without that table have no rows in ``Study.inference``.

Validity flags (analysis/README.md, "Validity flags") say which figures not to trust. They
are read once, here, and carried as a ``flags`` column: a string of comma-separated flags in
FLAGS order, "" when there is none. A point's flags are the root attribute ``validity_flags``;
an operation row's flags are the union of its point's and the ``flags`` attribute of its
``/timings/<op>`` dataset. Files written before those attributes existed get them from
`derive_flags` (the only place that derives flags).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np
import pandas as pd

#: Parameters that are the scaling axis rather than a configuration (as `scalestudy report`).
SCALING_AXIS_KEYS = ("client_nodes", "ranks_per_node", "repetition")

#: The record table of database-side model requests, and the columns the figures need.
INFERENCE_TABLE = "tables/model_requests"
INFERENCE_DATASETS = ("queue_s", "compute_s", "batch_size")

SAMPLE_COLUMNS = ("point_id", "rank", "node", "hostname", "role", "operation", "iteration",
                  "seconds", "warmup", "failed", "flags")

#: Every validity flag, in the order flag strings list them, and what each means.
FLAGS = {
    "oversubscribed": "some node ran more threads than it has CPUs",
    "unstable": "the stability windows did not settle",
    "baseline_slower": "a raw-MPI or in-process baseline is slower than the operation it bounds",
    "few_samples": "fewer kept samples than a percentile needs (p99 from fewer than 100)",
    "warmup_dominated": "the warm-up dominates the operation's time",
}
#: Flags of a whole point (root attribute ``validity_flags``); the others are an operation's.
POINT_FLAGS = ("oversubscribed", "unstable", "baseline_slower")
#: Kept samples a p99 needs (fewer: ``few_samples``).
P99_SAMPLES = 100


@dataclass
class Study:
    """Every frame of one study (or of one point file, as a study of one point).

    Frames (one row per ...):
      points      point of the index, in study order: id, status, exit_status, reason,
                  log_tail, duration_s, world_size, varied, file, clients, flags (the point's
                  validity flags; "" when valid or not completed), then every parameter
                  (typed from the point file when completed, parsed from the index otherwise)
      samples     timing sample (tidy): point_id, rank, node, hostname, role, operation,
                  iteration (sample index, warm-up included), seconds, warmup, failed,
                  flags (its operation row's), clients, then every parameter of the point
      operations  (point, operation): bytes (payload per call), rows, samples (per row),
                  flags (the point's and the operation's)
      ranks       (point, rank): role, node, hostname, cpus, client_index, shard, peak_rss_bytes
      provenance  completed point: its root attributes (git sha, versions, times, command line)
      database    (point, database rank): shard, node and every counter
      inference   (point, request) when a point has ``/tables/model_requests``: queue_s, compute_s,
                  batch_size (see the module docstring for this assumed layout)
    """

    path: Path
    attrs: dict[str, Any]
    points: pd.DataFrame
    samples: pd.DataFrame
    operations: pd.DataFrame
    ranks: pd.DataFrame
    provenance: pd.DataFrame
    database: pd.DataFrame
    inference: pd.DataFrame
    parameter_names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The study's name (the point file's directory for a single point)."""
        return str(self.attrs.get("study_name") or self.path.stem)

    @property
    def scaling_mode(self) -> str:
        """``strong``, ``weak`` or ``none``, as the index says."""
        return str(self.attrs.get("scaling_mode") or "none")

    @property
    def swept_keys(self) -> list[str]:
        """Swept parameters in study order (``repetition`` is not listed by the index)."""
        return _split(self.attrs.get("swept_keys", ""))

    @property
    def divided_keys(self) -> list[str]:
        """Strong scaling's divided totals (``scaling.divide``)."""
        return _split(self.attrs.get("scaling_divide", ""))

    @property
    def config_keys(self) -> list[str]:
        """Swept keys that name a configuration: not the scaling axis nor a divided total."""
        axis = set(SCALING_AXIS_KEYS) | set(self.divided_keys)
        return [k for k in self.swept_keys if k not in axis]

    @property
    def completed(self) -> pd.DataFrame:
        """Points whose results were read."""
        return self.points[self.points["status"] == "completed"]


def _split(text: Any) -> list[str]:
    return [item for item in str(text).split(",") if item]


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column(dataset: h5py.Dataset) -> np.ndarray:
    if dataset.dtype.kind in "OS":
        return dataset.asstr()[()] if dataset.dtype.kind == "O" else dataset[()].astype(str)
    return dataset[()]


def split_flags(text: Any) -> list[str]:
    """The flags of a flag string ("" or NaN: none)."""
    if not isinstance(text, str):
        return []
    return [flag.strip() for flag in text.split(",") if flag.strip()]


def join_flags(*parts: Any) -> str:
    """The union of flag strings (or lists of flags) as one flag string, in FLAGS order (flags
    this package does not know follow, sorted)."""
    present: set[str] = set()
    for part in parts:
        present.update(part if isinstance(part, (list, tuple, set)) else split_flags(part))
    known = [flag for flag in FLAGS if flag in present]
    return ",".join(known + sorted(present - set(known)))


def without_flags(text: Any, *drop: str) -> str:
    """`text` without the flags `drop` (e.g. ``few_samples`` where no percentile is shown)."""
    return join_flags([flag for flag in split_flags(text) if flag not in drop])


def derive_flags(root_attrs: dict[str, Any], operation_attrs: dict[str, dict[str, Any]],
                 kept: dict[str, int]) -> tuple[str, dict[str, str]]:
    """A point's flags and each operation's own flags, from the point file's attributes.

    `root_attrs` are the file's root attributes, `operation_attrs` each ``/timings/<op>``
    dataset's, `kept` each operation's kept samples (not warm-up, not failed, not NaN, all rows).
    The file says them in ``validity_flags`` (root) and ``flags`` (each operation). When an
    attribute is absent (a file written before the flags existed) it is derived from what such
    a file holds, and nothing else: the point is ``oversubscribed`` when its root attribute
    ``oversubscribed`` is true; an operation has ``few_samples`` when it kept fewer than
    P99_SAMPLES samples.
    """
    if "validity_flags" in root_attrs:
        point = join_flags(str(root_attrs["validity_flags"]))
    else:
        point = "oversubscribed" if bool(root_attrs.get("oversubscribed", False)) else ""
    operations = {}
    for op, attrs in operation_attrs.items():
        if "flags" in attrs:
            operations[op] = join_flags(str(attrs["flags"]))
        else:
            operations[op] = "few_samples" if kept.get(op, 0) < P99_SAMPLES else ""
    return point, operations


def parse_parameters_yaml(text: str) -> dict[str, Any]:
    """Parses the flat ``key: value`` lines of ``parameters_yaml`` into typed values."""
    out: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or key.startswith("#"):
            continue
        out[key.strip()] = _typed(value.strip())
    return out


def _typed(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


def display_value(key: str, value: Any) -> str:
    """A parameter value as `scalestudy report` prints it in group labels.

    Byte counts (parameters named ``*_bytes`` or ``*_memory``) print as ``1KiB``/``64KiB``/
    ``1MiB`` when they are whole multiples; booleans as ``true``/``false``; reals with 17
    significant digits.
    """
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if key.endswith("_bytes") or key.endswith("_memory"):
            scaled, unit = value, -1
            while scaled != 0 and scaled % 1024 == 0 and unit < 3:
                scaled //= 1024
                unit += 1
            return str(value) if unit < 0 else f"{scaled}{('KiB', 'MiB', 'GiB', 'TiB')[unit]}"
        return str(value)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.17g}"
    return str(value)


def _read_point(path: Path, point_id: str) -> dict[str, Any]:
    """Reads one point file into frames (samples without parameter columns yet)."""
    with h5py.File(path, "r") as f:
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        params = {k: _text(v) for k, v in f["parameters"].attrs.items()}
        ranks_group = f["ranks"]
        ranks = pd.DataFrame({name: _column(ranks_group[name]) for name in ranks_group})
        ranks = ranks.rename(columns={"world_rank": "rank"})
        ranks.insert(0, "point_id", point_id)
        pieces, operations = [], []
        operation_attrs, kept = {}, {}
        for op in f["timings"]:
            seconds = f["timings"][op][()]
            n_rows, n_samples = seconds.shape
            rows = f["rows"][op][()].astype(np.int64)
            warmup = f["warmup"][op][()].astype(bool)
            failed = f["failures"][op][()].astype(bool)
            operation_attrs[op] = {k: _text(v) for k, v in f["timings"][op].attrs.items()}
            kept[op] = int((~warmup[np.newaxis, :] & ~failed & ~np.isnan(seconds)).sum())
            operations.append({"point_id": point_id, "operation": op,
                               "bytes": int(operation_attrs[op].get("bytes", 0)),
                               "rows": n_rows, "samples": n_samples})
            pieces.append(pd.DataFrame({
                "point_id": point_id,
                "rank": np.repeat(rows, n_samples),
                "operation": op,
                "iteration": np.tile(np.arange(n_samples, dtype=np.int64), n_rows),
                "seconds": seconds.reshape(-1),
                "warmup": np.tile(warmup, n_rows),
                "failed": failed.reshape(-1),
            }))
        point_flags, operation_flags = derive_flags(attrs, operation_attrs, kept)
        for record, piece in zip(operations, pieces):
            record["flags"] = join_flags(point_flags, operation_flags[record["operation"]])
            piece["flags"] = record["flags"]
        database = pd.DataFrame({name: _column(f["database"][name]) for name in f["database"]})
        database.insert(0, "point_id", point_id)
        inference = pd.DataFrame()
        if INFERENCE_TABLE in f and all(name in f[INFERENCE_TABLE] for name in INFERENCE_DATASETS):
            group = f[INFERENCE_TABLE]
            inference = pd.DataFrame({name: group[name][()] for name in INFERENCE_DATASETS})
            if "rank" in group:
                inference["world_rank"] = group["rank"][()]
            for name in ("key", "kind"):
                if name in group:
                    inference[name] = group[name].asstr()[()]
            if "failed" in group:
                inference["failed"] = group["failed"][()].astype(bool)
            inference.insert(0, "request", np.arange(len(inference)))
            inference.insert(0, "point_id", point_id)
    samples = pd.concat(pieces, ignore_index=True) if pieces else _empty_samples()
    return {"attrs": attrs, "params": params, "flags": point_flags, "ranks": ranks,
            "samples": samples, "operations": operations, "database": database, "inference": inference}


def _empty_samples() -> pd.DataFrame:
    return pd.DataFrame({"point_id": pd.Series(dtype=object), "rank": pd.Series(dtype=np.int64),
                         "operation": pd.Series(dtype=object),
                         "iteration": pd.Series(dtype=np.int64),
                         "seconds": pd.Series(dtype=float), "warmup": pd.Series(dtype=bool),
                         "failed": pd.Series(dtype=bool), "flags": pd.Series(dtype=object)})


def _index_points(index_path: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    with h5py.File(index_path, "r") as f:
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        group = f["points"]
        points = pd.DataFrame({name: _column(group[name]) for name in group})
    return attrs, points


def _clients(params: dict[str, Any]) -> int:
    nodes, per_node = params.get("client_nodes"), params.get("ranks_per_node")
    if isinstance(nodes, int) and isinstance(per_node, int):
        return nodes * per_node
    return 0


def load_study(path: str | Path, progress: Callable[[str], None] | None = None) -> Study:
    """Loads a study directory (``results/<study>/`` with ``index.h5``) or one ``point.h5``.

    Raises FileNotFoundError when neither is there. Failed, timed-out and pending points are
    rows of ``points`` with their status, reason and log tail (see `failed_points`).
    `progress` is told what is being read (the index, then each point file).
    """
    path = Path(path)
    if path.is_dir():
        index = path / "index.h5"
        if not index.exists():
            raise FileNotFoundError(f"{path} has no index.h5: give a study results directory "
                                    "(results/<study>/) or a point file")
        attrs, points = _index_points(index)
    elif path.is_file():
        attrs = {}
        point_id = path.parent.name
        points = pd.DataFrame([{"id": point_id, "status": "completed", "exit_status": 0,
                                "reason": "", "log_tail": "", "duration_s": math.nan,
                                "world_size": 0, "varied": "", "parameters_yaml": "",
                                "file": path.name}])
        path = path.parent
    else:
        raise FileNotFoundError(f"{path}: no such study directory or point file")

    completed = [row for row in points.itertuples() if row.status == "completed"]
    if progress:
        progress(f"reading {path}: {len(points)} points, {len(completed)} completed")
    reads: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(completed):
        if progress:
            progress(f"reading {path / row.file} ({i + 1}/{len(completed)})")
        reads[row.id] = _read_point(path / row.file, row.id)

    param_rows, names = [], []
    for row in points.itertuples():
        params = (reads[row.id]["params"] if row.id in reads
                  else parse_parameters_yaml(getattr(row, "parameters_yaml", "") or ""))
        for key in params:
            if key not in names:
                names.append(key)
        param_rows.append(params)
    params_frame = pd.DataFrame(param_rows, columns=names)
    points = points.drop(columns=[c for c in names if c in points.columns])
    points["clients"] = [_clients(p) for p in param_rows]
    points["flags"] = [reads[pid]["flags"] if pid in reads else "" for pid in points["id"]]
    points = pd.concat([points.reset_index(drop=True), params_frame], axis=1)

    samples = _samples_with_context(reads, points, names)
    frames = {key: [r[key] for r in reads.values()] for key in ("ranks", "database", "inference")}
    provenance = pd.DataFrame([{"point_id": pid, **r["attrs"]} for pid, r in reads.items()])
    operations = pd.DataFrame([op for r in reads.values() for op in r["operations"]],
                              columns=["point_id", "operation", "bytes", "rows", "samples",
                                       "flags"])
    return Study(path=path, attrs=attrs, points=points, samples=samples, operations=operations,
                 ranks=_concat(frames["ranks"]), provenance=provenance,
                 database=_concat(frames["database"]), inference=_concat(frames["inference"]),
                 parameter_names=names)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _samples_with_context(reads: dict[str, dict[str, Any]], points: pd.DataFrame,
                          names: list[str]) -> pd.DataFrame:
    if not reads:
        samples = _empty_samples()
    else:
        samples = pd.concat([r["samples"] for r in reads.values()], ignore_index=True)
    ranks = _concat([r["ranks"] for r in reads.values()])
    if len(ranks):
        ranks = ranks[["point_id", "rank", "node", "hostname", "role"]]
        samples = samples.merge(ranks, on=["point_id", "rank"], how="left")
    else:
        for column in ("node", "hostname", "role"):
            samples[column] = pd.Series(dtype=object)
    samples = samples[list(SAMPLE_COLUMNS)]
    context = points.set_index("id")[["clients", *names]]
    context = context.drop(columns=[c for c in context.columns if c in SAMPLE_COLUMNS])
    samples = samples.join(context, on="point_id")
    for column in ("hostname", "role", "flags"):
        samples[column] = samples[column].astype("category")
    return samples


def load_point(path: str | Path) -> Study:
    """Loads one point file as a study of one point (its id is the file's directory name)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such point file")
    return load_study(path)


def failed_points(study: Study) -> pd.DataFrame:
    """Points that did not complete (failed, timeout, interrupted, pending), with status,
    exit status, reason, log tail and their swept values."""
    columns = ["id", "varied", "status", "exit_status", "reason", "log_tail", "duration_s"]
    frame = study.points[study.points["status"] != "completed"]
    return frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
