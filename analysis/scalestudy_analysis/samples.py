"""Columnar timing samples: what every analysis function reads.

A point file stores each operation's samples as one float64 array ``[row, sample]`` (rows are
the ranks that recorded it), with a warm-up mask shared by the rows and a failure mask
(docs/results-format.md). They stay that way here, 8 bytes a sample (plus 1 for the failure
flag), instead of one DataFrame row per sample:

- `OperationSamples`: one (point, operation): ``ranks`` (rank of each row), ``warmup``
  (``[sample]``, or ``[row, sample]`` for samples built from a frame whose warm-up differs by
  row), and ``seconds`` / ``failed`` (``[row, sample]``), read from the point file the first
  time they are asked for (lazily) and then kept; ``flags`` (the row's validity flags),
  ``bytes``; after `outliers.flag_outliers`, ``outlier`` (``[row, sample]`` bool) and the
  scale its scores are computed from.
- `Samples`: every (point, operation) of a study in order, with the study's ``points`` frame
  (the per-point context: clients, parameters, flags) and ``ranks`` frame (node, hostname,
  role per rank: small, joined only when asked, strings categorical).

`Samples.frame` gives the tidy frame (one row per sample, the columns of load.SAMPLE_COLUMNS)
of a selection when it is wanted (small studies, notebooks); `Samples.from_frame` builds
columnar samples from such a frame (hand-made or synthetic data). Nothing in the package
converts a whole study to a per-sample frame.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import h5py
import numpy as np
import pandas as pd

#: Columns of the tidy frame, in order (then ``clients`` and every parameter).
SAMPLE_COLUMNS = ("point_id", "rank", "node", "hostname", "role", "operation", "iteration",
                  "seconds", "warmup", "failed", "flags")
#: Rank attributes joined to samples when asked (`Samples.frame`).
RANK_COLUMNS = ("node", "hostname", "role")


class PointFileError(OSError):
    """A point file (or one of its datasets) that cannot be read: damaged or truncated."""


class _Arrays:
    """The lazily read ``seconds`` and ``failed`` arrays of one (point, operation), shared by
    every copy of its OperationSamples (e.g. the outlier-flagged one)."""

    __slots__ = ("path", "operation", "seconds", "failed")

    def __init__(self, path: Path | None, operation: str,
                 seconds: np.ndarray | None = None, failed: np.ndarray | None = None) -> None:
        self.path, self.operation = path, operation
        self.seconds, self.failed = seconds, failed

    def read(self, handle: h5py.File | None = None) -> None:
        if self.seconds is not None and self.failed is not None:
            return
        if self.path is None:
            raise ValueError(f"{self.operation}: samples were released and have no file")
        try:
            if handle is None:
                with h5py.File(self.path, "r") as f:
                    self._read(f)
            else:
                self._read(handle)
        except (OSError, KeyError, ValueError, RuntimeError) as error:
            raise PointFileError(f"{self.path}: cannot read the samples of {self.operation} "
                                 f"({error}): the file is damaged or truncated") from error

    def _read(self, f: h5py.File) -> None:
        self.seconds = np.asarray(f["timings"][self.operation][()], dtype=np.float64)
        self.failed = np.asarray(f["failures"][self.operation][()]).astype(bool, copy=False)


@dataclass(eq=False)
class OperationSamples:
    """The samples of one operation of one point (module docstring)."""

    point_id: str
    operation: str
    ranks: np.ndarray                  # int64 [row]: the rank of each row
    warmup: np.ndarray                 # bool [sample] (or [row, sample])
    shape: tuple[int, int]             # (rows, samples per row)
    bytes: int = 0
    flags: str = ""
    _arrays: _Arrays = field(default=None, repr=False)   # type: ignore[assignment]
    outlier: np.ndarray | None = field(default=None, repr=False)
    outlier_scale: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def seconds(self) -> np.ndarray:
        """float64 [row, sample]: the duration of each sample (NaN: never recorded)."""
        self._arrays.read()
        return self._arrays.seconds

    @property
    def failed(self) -> np.ndarray:
        """bool [row, sample]: True where the sample failed."""
        self._arrays.read()
        return self._arrays.failed

    @property
    def loaded(self) -> bool:
        """Whether the samples have been read."""
        return self._arrays.seconds is not None

    @property
    def size(self) -> int:
        """Number of samples (rows x samples per row)."""
        return int(self.shape[0] * self.shape[1])

    def warmup_mask(self) -> np.ndarray:
        """The warm-up mask, broadcastable against ``[row, sample]``."""
        return self.warmup if self.warmup.ndim == 2 else self.warmup[np.newaxis, :]

    def keep(self, *, include_warmup: bool = False, include_failed: bool = False,
             exclude_outliers: bool = False) -> np.ndarray:
        """bool [row, sample]: the samples statistics use: not NaN, and unless asked not
        warm-up, not failed; with `exclude_outliers`, not flagged (needs
        `outliers.flag_outliers` first)."""
        keep = ~np.isnan(self.seconds)
        if not include_warmup:
            keep &= ~self.warmup_mask()
        if not include_failed:
            keep &= ~self.failed
        if exclude_outliers:
            if self.outlier is None:
                raise ValueError("exclude_outliers needs flagged samples: call "
                                 "outliers.flag_outliers(samples) first")
            keep &= ~self.outlier
        return keep

    def kept(self, **selection: bool) -> np.ndarray:
        """The kept samples (`keep`) as one array, rows one after the other."""
        return self.seconds[self.keep(**selection)]

    def release(self) -> None:
        """Forgets the samples read (they are read again when asked for)."""
        if self._arrays.path is not None:
            self._arrays.seconds = self._arrays.failed = None

    def copy(self) -> "OperationSamples":
        """A shallow copy sharing the (lazily read) arrays."""
        return copy.copy(self)


class Samples:
    """Every (point, operation)'s samples of a study, in study and file order (module
    docstring). Iterating gives the OperationSamples; ``len()`` is the number of samples."""

    def __init__(self, operations: Iterable[OperationSamples], points: pd.DataFrame,
                 ranks: pd.DataFrame | None = None, attrs: dict[str, Any] | None = None
                 ) -> None:
        self._ops = list(operations)
        self._index = {(o.point_id, o.operation): o for o in self._ops}
        self._by_point: dict[str, list[OperationSamples]] = {}
        for o in self._ops:
            self._by_point.setdefault(o.point_id, []).append(o)
        self.points = points
        self.ranks = ranks if ranks is not None else pd.DataFrame(
            columns=["point_id", "rank", *RANK_COLUMNS])
        self.attrs: dict[str, Any] = dict(attrs or {})
        self._rank_tables: dict[str, pd.DataFrame] = {}
        self._rank_arrays: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}

    def __iter__(self) -> Iterator[OperationSamples]:
        return iter(self._ops)

    def __len__(self) -> int:
        return sum(o.size for o in self._ops)

    def __repr__(self) -> str:
        loaded = sum(o.loaded for o in self._ops)
        return (f"<Samples: {len(self):,} samples in {len(self._ops)} (point, operation) "
                f"arrays, {loaded} read>")

    def get(self, point_id: str, operation: str) -> OperationSamples | None:
        """The samples of `operation` in `point_id`, or None."""
        return self._index.get((point_id, operation))

    def of_point(self, point_id: str) -> list[OperationSamples]:
        """Every operation of `point_id`, in file order."""
        return list(self._by_point.get(point_id, []))

    def of_operation(self, operation: str) -> list[OperationSamples]:
        """`operation` in every point that records it, in study order."""
        return [o for o in self._ops if o.operation == operation]

    def operation_names(self) -> list[str]:
        """Every operation, in order of first appearance."""
        return list(dict.fromkeys(o.operation for o in self._ops))

    def materialize(self) -> "Samples":
        """Reads every operation's samples now (one open per point file); returns self."""
        by_file: dict[Path | None, list[OperationSamples]] = {}
        for o in self._ops:
            if not o.loaded:
                by_file.setdefault(o._arrays.path, []).append(o)
        for path, ops in by_file.items():
            if path is None:
                continue
            try:
                with h5py.File(path, "r") as f:
                    for o in ops:
                        o._arrays.read(f)
            except PointFileError:
                raise
            except OSError as error:
                raise PointFileError(f"{path}: cannot open ({error}): the file is damaged "
                                     "or truncated") from error
        return self

    def release(self) -> None:
        """Forgets every sample read from a file (read again when asked for)."""
        for o in self._ops:
            o.release()

    def nbytes(self) -> int:
        """Bytes held by the samples read so far."""
        held = 0
        for o in self._ops:
            if o.loaded:
                held += o._arrays.seconds.nbytes + o._arrays.failed.nbytes
            if o.outlier is not None:
                held += o.outlier.nbytes
        return held

    def map(self, change: Callable[[OperationSamples], OperationSamples]) -> "Samples":
        """New Samples whose operations are `change(copy)` of each (arrays shared)."""
        return Samples([change(o.copy()) for o in self._ops], self.points, self.ranks,
                       self.attrs)

    def rank_table(self, point_id: str) -> pd.DataFrame:
        """The rank attributes (node, hostname, role; categorical strings) of `point_id`,
        indexed by rank."""
        if not self._rank_tables and len(self.ranks):   # split once: many points stay quick
            columns = [c for c in RANK_COLUMNS if c in self.ranks.columns]
            for pid, rows in self.ranks.groupby("point_id", sort=False, observed=True):
                self._rank_tables[str(pid)] = rows.set_index("rank")[columns]
        table = self._rank_tables.get(point_id)
        if table is None:
            columns = [c for c in RANK_COLUMNS if c in self.ranks.columns]
            table = pd.DataFrame(columns=columns, index=pd.Index([], name="rank"))
        return table

    def rank_values(self, point_id: str, column: str, ranks: np.ndarray,
                    fill: Any) -> np.ndarray:
        """`column` (node, hostname, role) of each of `ranks` of `point_id`, `fill` where the
        rank table does not say; strings as an object array of str."""
        cache = self._rank_arrays.get(point_id)
        if cache is None:
            table = self.rank_table(point_id)
            index = table.index.to_numpy(np.int64)
            order = np.argsort(index, kind="stable")
            cache = (index[order], {c: table[c].to_numpy()[order] for c in table.columns})
            self._rank_arrays[point_id] = cache
        keys, columns = cache
        text = isinstance(fill, str)
        ranks = np.asarray(ranks, dtype=np.int64)
        if column not in columns or keys.size == 0:
            return np.full(len(ranks), fill, dtype=object if text else np.int64)
        where = np.minimum(np.searchsorted(keys, ranks), keys.size - 1)
        values = columns[column][where]
        missing = (keys[where] != ranks) | pd.isna(values)
        if text:
            out = np.array([str(v) for v in values], dtype=object)
            out[missing] = fill
            return out
        return np.where(missing, fill, values).astype(np.int64)

    def context(self, point_id: str) -> dict[str, Any]:
        """The point's row of ``points`` (clients, flags, parameters) as a dict."""
        rows = self.points[self.points["id"] == point_id]
        return rows.iloc[0].to_dict() if len(rows) else {}

    # --- tidy views -------------------------------------------------------------------------

    def frame(self, point_id: str | Iterable[str] | None = None,
              operation: str | Iterable[str] | None = None, *, ranks: bool = True,
              parameters: bool = True) -> pd.DataFrame:
        """The tidy frame of a selection (all by default): one row per sample with the columns
        SAMPLE_COLUMNS (``iteration`` is the sample index, warm-up included), then ``clients``
        and every parameter (`parameters`), and ``outlier`` / ``outlier_score`` when flagged.
        `ranks=False` leaves out node, hostname and role. Costs about 100 bytes a sample: meant
        for a point or an operation at a time, not a 16,384-rank study at once."""
        wanted_points = _as_set(point_id)
        wanted_ops = _as_set(operation)
        pieces = []
        for o in self._ops:
            if (wanted_points is not None and o.point_id not in wanted_points) or \
                    (wanted_ops is not None and o.operation not in wanted_ops):
                continue
            rows, samples = o.shape
            piece = {"point_id": o.point_id,
                     "rank": np.repeat(o.ranks.astype(np.int64), samples),
                     "operation": o.operation,
                     "iteration": np.tile(np.arange(samples, dtype=np.int64), rows),
                     "seconds": o.seconds.reshape(-1),
                     "warmup": np.broadcast_to(o.warmup_mask(), o.shape).reshape(-1),
                     "failed": o.failed.reshape(-1), "flags": o.flags}
            if o.outlier is not None:
                from .outliers import outlier_scores   # noqa: PLC0415 (cycle)
                piece["outlier_score"] = outlier_scores(o).reshape(-1)
                piece["outlier"] = o.outlier.reshape(-1)
            frame = pd.DataFrame(piece)
            if ranks:
                table = self.rank_table(o.point_id)
                for column in RANK_COLUMNS:
                    frame[column] = (table[column].reindex(frame["rank"]).to_numpy()
                                     if column in table.columns else None)
            pieces.append(frame)
        columns = [c for c in SAMPLE_COLUMNS if ranks or c not in RANK_COLUMNS]
        if pieces:
            out = pd.concat(pieces, ignore_index=True)
        else:
            out = pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, object))
                                for c in columns})
        extra = [c for c in ("outlier", "outlier_score") if c in out.columns]
        out = out[columns + extra]
        if parameters and len(self.points):
            context = self.points.set_index("id")
            names = dict.fromkeys(["clients", *self.attrs.get("parameter_names", [])])
            context = context[[c for c in names if c in context.columns
                               and c not in SAMPLE_COLUMNS]]
            out = out.join(context, on="point_id")
        for column in ("point_id", "operation", "hostname", "role", "flags"):
            if column in out.columns:
                out[column] = out[column].astype("category")
        out.attrs.update({k: v for k, v in self.attrs.items() if k != "parameter_names"})
        return out

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Samples":
        """Columnar samples of a tidy frame (SAMPLE_COLUMNS; only ``seconds`` is required).

        Defaults: ``operation`` "op", ``rank`` 0, ``iteration`` the sample's position among
        its (point, operation, rank)'s rows, ``warmup`` / ``failed`` False, ``flags`` "".
        Every other column (``clients``, parameters) is the point's context: without a
        ``point_id`` column, each combination of their values is a point. Cells of the
        ``[rank, iteration]`` grid that the frame does not have are NaN (never recorded)."""
        frame = frame.reset_index(drop=True)
        if "seconds" not in frame.columns:
            raise ValueError("a samples frame needs a seconds column")
        n = len(frame)
        get = lambda name, default: (frame[name].to_numpy() if name in frame.columns  # noqa: E731
                                     else np.full(n, default))
        context_columns = [c for c in frame.columns if c not in SAMPLE_COLUMNS
                           and c not in ("outlier", "outlier_score")]
        if "point_id" in frame.columns:
            point_ids = frame["point_id"].astype(str).to_numpy()
        elif context_columns:
            codes = frame.groupby(context_columns, sort=False, dropna=False).ngroup()
            point_ids = np.array([f"p{c}" for c in codes.to_numpy()], dtype=object)
        else:
            point_ids = np.full(n, "p0", dtype=object)
        work = pd.DataFrame({"point_id": point_ids,
                             "operation": get("operation", "op").astype(str),
                             "rank": get("rank", 0).astype(np.int64),
                             "seconds": get("seconds", np.nan).astype(float),
                             "warmup": get("warmup", False).astype(bool),
                             "failed": get("failed", False).astype(bool),
                             "flags": pd.Series(get("flags", "")).fillna("").astype(str)})
        if "iteration" in frame.columns:
            work["iteration"] = frame["iteration"].to_numpy(np.int64)
        else:
            work["iteration"] = work.groupby(["point_id", "operation", "rank"],
                                             sort=False).cumcount().to_numpy()
        ops = []
        for (pid, op), rows in work.groupby(["point_id", "operation"], sort=False):
            ranks = np.array(sorted(rows["rank"].unique()), dtype=np.int64)
            width = int(rows["iteration"].max()) + 1
            r = np.searchsorted(ranks, rows["rank"].to_numpy())
            i = rows["iteration"].to_numpy()
            seconds = np.full((len(ranks), width), np.nan)
            failed = np.zeros((len(ranks), width), dtype=bool)
            warm = np.zeros((len(ranks), width), dtype=bool)
            seconds[r, i] = rows["seconds"].to_numpy()
            failed[r, i] = rows["failed"].to_numpy()
            warm[r, i] = rows["warmup"].to_numpy()
            warmup = warm[0] if (warm == warm[0]).all() else warm
            ops.append(OperationSamples(
                point_id=str(pid), operation=str(op), ranks=ranks, warmup=warmup,
                shape=(len(ranks), width), flags=str(rows["flags"].iloc[0]),
                _arrays=_Arrays(None, str(op), seconds, failed)))
        first = pd.DataFrame({"id": point_ids}).drop_duplicates().index
        points = pd.DataFrame({"id": point_ids[first], "status": "completed"})
        for column in context_columns:
            points[column] = frame[column].to_numpy()[first]
        if "flags" not in points.columns:
            points["flags"] = ""
        ranks = pd.DataFrame({"point_id": point_ids, "rank": work["rank"]})
        for column in RANK_COLUMNS:
            if column in frame.columns:
                ranks[column] = frame[column].to_numpy()
        ranks = ranks.drop_duplicates(["point_id", "rank"]).reset_index(drop=True)
        return cls(ops, points.reset_index(drop=True), ranks,
                   {"parameter_names": context_columns})


_EMPTY_DTYPES = {"rank": np.int64, "iteration": np.int64, "seconds": float, "warmup": bool,
                 "failed": bool}


def _as_set(value: str | Iterable[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def as_samples(samples: "Samples | pd.DataFrame") -> Samples:
    """`samples` itself, or the columnar samples of a tidy frame (`Samples.from_frame`)."""
    if isinstance(samples, Samples):
        return samples
    if isinstance(samples, pd.DataFrame):
        return Samples.from_frame(samples)
    raise TypeError(f"samples must be Samples or a tidy DataFrame, not {type(samples).__name__}")
