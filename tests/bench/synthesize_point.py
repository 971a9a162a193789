#!/usr/bin/python3
"""Synthesises a large point from a small real one, for the analysis benchmark (not results).

    tests/bench/synthesize_point.py SOURCE OUT_DIR --clients 16384 [--iterations 1000]

SOURCE is a real point file written by `scalestudy run` (``results/<study>/points/<id>/point.h5``,
whose study index is read when it is there) or its study directory. OUT_DIR becomes a study
of one point: ``OUT_DIR/index.h5`` and ``OUT_DIR/points/<id>/point.h5``, shaped exactly like
the project's files (docs/results-format.md, docs/studies.md): every group, dataset and
attribute of the source, with N client ranks (plus the source's database ranks), every
repeated operation with ``warmup + iterations`` samples per client, one-sample operations
with one. The only additions are the root attribute ``synthesized_from`` (the source file)
and the index description saying the point is synthetic.

Samples are drawn from the source's own samples of the same operation (warm-up from warm-up,
the others from the others), each multiplied by a log-normal jitter (3 %), a factor per node
(5 %) and per rank (5 %), and by 2-3 on about 1 rank in 500 (stragglers); ``*loop_time``
operations are the sum of the rank's timed samples of the operations they loop over (the
``raw_`` ones for ``raw_loop_time``) times the source's overhead ratio. Datasets are chunked by
rows and written a block of ranks at a time, so memory stays bounded (tens of MB) whatever N.
Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import h5py
import numpy as np

#: Ranks generated (and written) at a time, and rows per HDF5 chunk of the [rank, sample] sets.
BLOCK_ROWS = 1024
CHUNK_BYTES = 1 << 20


def _source_files(source: Path) -> tuple[Path, Path | None, str | None]:
    """(point file, index file or None, point id in that index or None)."""
    if source.is_dir():
        index = source / "index.h5"
        with h5py.File(index, "r") as f:
            status = f["points/status"].asstr()[()]
            files = f["points/file"].asstr()[()]
            ids = f["points/id"].asstr()[()]
        done = [i for i, s in enumerate(status) if s == "completed"]
        if not done:
            raise SystemExit(f"{source}: no completed point to synthesise from")
        return source / files[done[0]], index, ids[done[0]]
    index = source.parent.parent.parent / "index.h5"
    if index.exists():
        return source, index, source.parent.name
    return source, None, None


def _rewrite_yaml(text: str, values: dict[str, object]) -> str:
    """`text` (sorted ``key: value`` lines) with `values` replaced."""
    out = []
    for line in text.splitlines():
        key = line.partition(":")[0].strip()
        if key in values:
            value = values[key]
            line = f"{key}: {'true' if value is True else 'false' if value is False else value}"
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _layout(src_roles: np.ndarray, clients: int, n_db: int, per_node: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(role, node, client_index) per rank: the database ranks where the source has them (first
    or last), clients `per_node` to a node, database ranks on the nodes after the clients'."""
    world = clients + n_db
    db_first = len(src_roles) > 0 and src_roles[0] == "database"
    role = np.array(["client"] * world, dtype=object)
    db = np.arange(n_db) if db_first else np.arange(clients, world)
    role[db] = "database"
    is_client = role == "client"
    client_index = np.full(world, -1, dtype=np.int32)
    client_index[is_client] = np.arange(clients, dtype=np.int32)
    client_nodes = -(-clients // per_node)
    node = np.empty(world, dtype=np.int32)
    node[is_client] = client_index[is_client] // per_node
    node[db] = client_nodes + np.arange(n_db) // max(1, per_node)
    return role, node, client_index


def _fixed(values: list[str] | np.ndarray) -> np.ndarray:
    """Fixed-length null-padded ASCII, as the writer stores strings in /ranks."""
    width = max([1, *(len(str(v)) for v in values)])
    return np.array([str(v).encode() for v in values], dtype=f"S{width}")


def synthesize(source: Path, out_dir: Path, clients: int, iterations: int = 1000,
               ranks_per_node: int = 64, seed: int = 0, name: str | None = None,
               progress=None) -> Path:
    """Writes the synthetic study of one point into `out_dir`; returns the point file."""
    point_file, index_file, source_id = _source_files(source)
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    with h5py.File(point_file, "r") as src:
        params = dict(src["parameters"].attrs)
        warmup_n = int(params.get("warmup", 0))
        per_node = min(ranks_per_node, clients)
        client_nodes = -(-clients // per_node)
        roles_src = src["ranks/role"][()].astype(str)
        n_db = int((roles_src == "database").sum())
        point_id = hashlib.sha1(f"{point_file.resolve()}:{clients}:{iterations}:{seed}"
                                .encode()).hexdigest()[:16]
        point_dir = out_dir / "points" / point_id
        point_dir.mkdir(parents=True, exist_ok=True)
        target = point_dir / "point.h5"
        tmp = target.with_suffix(".h5.tmp")
        role, node, client_index = _layout(roles_src, clients, n_db, per_node)
        world = clients + n_db
        client_ranks = np.flatnonzero(role == "client").astype(np.int32)
        changed = {"client_nodes": client_nodes, "ranks_per_node": per_node,
                   "iterations": iterations, "output": str(target)}
        with h5py.File(tmp, "w") as dst:
            _copy_attrs(src, dst)
            n_nodes = int(node.max()) + 1
            dst.attrs["world_size"] = np.int64(world)
            dst.attrs["n_clients"] = np.int64(clients)
            dst.attrs["n_database_ranks"] = np.int64(n_db)
            dst.attrs["n_nodes"] = np.int64(n_nodes)
            if "parameters_yaml" in src.attrs:
                dst.attrs["parameters_yaml"] = _rewrite_yaml(str(src.attrs["parameters_yaml"]),
                                                             changed)
            if "command_line" in src.attrs:
                dst.attrs["command_line"] = str(src.attrs["command_line"]).replace(
                    str(point_file.with_suffix(".yaml")), str(target.with_suffix(".yaml")))
            dst.attrs["synthesized_from"] = str(point_file.resolve())
            group = dst.create_group("parameters")
            _copy_attrs(src["parameters"], group)
            for key, value in changed.items():
                if key in group.attrs:
                    old = group.attrs[key]
                    group.attrs[key] = np.int64(value) if isinstance(old, np.integer) else value
            _write_ranks(src, dst.create_group("ranks"), role, node, client_index, rng)
            _write_database(src, dst.create_group("database"), role, node, clients)
            dst.copy(src["tables"], "tables")
            _write_timings(src, dst, client_ranks, node, warmup_n, iterations, rng, progress)
        tmp.rename(target)
    _write_index(index_file, source_id, out_dir, point_id, target, world, n_nodes,
                 changed, name or out_dir.name, clients, point_file)
    return target


def _copy_attrs(src: h5py.HLObject, dst: h5py.HLObject) -> None:
    for key, value in src.attrs.items():
        dst.attrs.create(key, value, dtype=src.attrs.get_id(key).dtype)


def _write_ranks(src: h5py.File, group: h5py.Group, role: np.ndarray, node: np.ndarray,
                 client_index: np.ndarray, rng: np.random.Generator) -> None:
    world = len(role)
    s = src["ranks"]
    roles_src = s["role"][()].astype(str)
    example = {r: int(np.flatnonzero(roles_src == r)[0]) for r in set(roles_src)}
    db_rank = np.cumsum(role == "database") - 1
    virtual = bool(src.attrs.get("virtual_nodes", True))
    hostnames = (np.full(world, s["hostname"][()][0].decode()) if virtual
                 else np.array([f"nid{n:05d}" for n in node]))
    rss = s["peak_rss_bytes"][()]
    columns = {
        "world_rank": np.arange(world, dtype=np.int32),
        "role": _fixed(role),
        "node": node.astype(np.int32),
        "hostname": _fixed(hostnames),
        "client_index": client_index.astype(np.int32),
        "shard": np.where(role == "database", db_rank, -1).astype(np.int32),
        "peak_rss_bytes": np.array([rss[example[r]] for r in role], dtype=np.int64)
        + rng.integers(0, 1 << 20, world),
    }
    for name in s:
        if name in columns:
            group.create_dataset(name, data=columns[name].astype(s[name].dtype))
        else:   # cpus, cpus_used, omp_threads: the source's value for the same role
            values = s[name][()]
            group.create_dataset(name, data=np.array([values[example[r]] for r in role],
                                                     dtype=values.dtype))


def _write_database(src: h5py.File, group: h5py.Group, role: np.ndarray, node: np.ndarray,
                    clients: int) -> None:
    s = src["database"]
    src_clients = max(1, int(src.attrs.get("n_clients", 1)))
    db = np.flatnonzero(role == "database")
    for name in s:
        values = s[name][()]
        if name == "world_rank":
            data = db.astype(values.dtype)
        elif name == "node":
            data = node[db].astype(values.dtype)
        elif name == "shard":
            data = np.arange(len(db), dtype=values.dtype)
        elif name == "max_memory_bytes" or len(values) == 0:
            data = values[:len(db)] if len(values) >= len(db) else np.resize(values, len(db))
        else:   # counters grow with the clients served
            data = np.resize(values, len(db)).astype(np.float64) * clients / src_clients
            data = data.astype(values.dtype)
        group.create_dataset(name, data=data)


def _family(op: str) -> str:
    return "raw" if op.startswith("raw_") else "store"


def _write_timings(src: h5py.File, dst: h5py.File, client_ranks: np.ndarray, node: np.ndarray,
                   warmup_n: int, iterations: int, rng: np.random.Generator, progress) -> None:
    ops = list(src["timings"])
    groups = {g: dst.create_group(g) for g in ("timings", "rows", "warmup", "failures")}
    n = len(client_ranks)
    shapes, pools, warm_masks, loops = {}, {}, {}, {}
    for op in ops:
        seconds = src["timings"][op][()]
        warm = src["warmup"][op][()].astype(bool)
        repeated = seconds.shape[1] > 1
        samples = warmup_n + iterations if repeated else seconds.shape[1]
        if repeated:
            mask = np.zeros(samples, dtype=bool)
            mask[:int(warm.sum())] = True
        else:
            mask = warm.copy()
        shapes[op], warm_masks[op] = (n, samples), mask
        values = seconds[np.isfinite(seconds)].reshape(-1) if seconds.size else seconds
        steady = seconds[:, ~warm] if seconds.size else seconds
        warming = seconds[:, warm] if seconds.size else seconds
        pools[op] = (steady[np.isfinite(steady)], warming[np.isfinite(warming)], values)
        if op.endswith("loop_time") and not repeated:
            loops[op] = seconds
        rows_per_chunk = max(1, min(n, CHUNK_BYTES // (8 * max(1, samples))))
        t = groups["timings"].create_dataset(op, shape=(n, samples), dtype="<f8",
                                             chunks=(rows_per_chunk, samples))
        for key, value in src["timings"][op].attrs.items():
            t.attrs.create(key, value, dtype=src["timings"][op].attrs.get_id(key).dtype)
        groups["rows"].create_dataset(op, data=client_ranks.astype(src["rows"][op].dtype))
        groups["warmup"].create_dataset(op, data=mask)
        groups["failures"].create_dataset(op, shape=(n, samples), dtype=np.bool_,
                                          chunks=(rows_per_chunk, samples))
    # Overhead of each loop over the operations it loops over, in the source.
    ratio = {}
    for op, seconds in loops.items():
        parts = [o for o in ops if _family(o) == _family(op) and shapes[o][1] > 1]
        inner = sum(np.nansum(np.where(src["warmup"][o][()].astype(bool)[None, :], 0.0,
                                       src["timings"][o][()]), axis=1) for o in parts)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.nanmedian(seconds[:, 0] / inner) if parts else np.nan
        ratio[op] = float(r) if np.isfinite(r) and r > 0 else None
    node_factor = np.exp(rng.normal(0.0, 0.05, int(node.max()) + 1))
    started = time.monotonic()
    for first in range(0, n, BLOCK_ROWS):
        ranks = client_ranks[first:first + BLOCK_ROWS]
        b = len(ranks)
        factor = node_factor[node[ranks]] * np.exp(rng.normal(0.0, 0.05, b))
        slow = rng.random(b) < 1 / 500
        factor[slow] *= rng.uniform(2.0, 3.0, int(slow.sum()))
        block = {}
        for op in ops:
            samples = shapes[op][1]
            steady, warming, everything = pools[op]
            if op in loops:
                continue
            out = np.empty((b, samples))
            mask = warm_masks[op]
            for which, pool in ((~mask, steady), (mask, warming)):
                k = int(which.sum())
                pool = pool if pool.size else everything
                if k == 0:
                    continue
                if pool.size == 0:
                    out[:, which] = np.nan
                    continue
                drawn = pool[rng.integers(0, pool.size, (b, k))]
                out[:, which] = drawn * np.exp(rng.normal(0.0, 0.03, (b, k)))
            out *= factor[:, None]
            block[op] = out
        for op in loops:
            parts = [o for o in block if _family(o) == _family(op) and shapes[o][1] > 1]
            if ratio[op] is not None and parts:
                total = sum(np.where(warm_masks[o][None, :], 0.0, block[o]).sum(axis=1)
                            for o in parts)
                block[op] = (total * ratio[op])[:, None]
            else:
                steady, _, everything = pools[op]
                pool = steady if steady.size else everything
                block[op] = (pool[rng.integers(0, pool.size, b)] * factor)[:, None] \
                    if pool.size else np.full((b, 1), np.nan)
        for op in ops:
            dst["timings"][op][first:first + b] = block[op]
            dst["failures"][op][first:first + b] = False
        if progress:
            progress(f"  ranks {first + b}/{n} ({time.monotonic() - started:.1f} s)")


def _write_index(index_file: Path | None, source_id: str | None, out_dir: Path, point_id: str,
                 target: Path, world: int, n_nodes: int, changed: dict, name: str,
                 clients: int, point_file: Path) -> None:
    """An index.h5 making `out_dir` a study of the one synthetic point, with the source index's
    attributes and columns (or the documented ones when the source has no index)."""
    file = str(target.relative_to(out_dir))
    with h5py.File(target, "r") as f:
        yaml = str(f.attrs.get("parameters_yaml", ""))
    yaml = _rewrite_yaml(yaml, {"output": "scalestudy_point.h5"})
    row: dict[str, object] = {"id": point_id, "status": "completed", "exit_status": 0,
                              "reason": "", "log_tail": "", "duration_s": 0.0,
                              "world_size": world, "nodes": n_nodes, "varied": "",
                              "parameters_yaml": yaml, "file": file, "job_id": "",
                              "scheduler": "", "job_script": ""}
    attrs: dict[str, object] = {}
    dtypes: dict[str, np.dtype] = {}
    if index_file is not None:
        with h5py.File(index_file, "r") as f:
            attrs = {k: f.attrs[k] for k in f.attrs}
            ids = f["points/id"].asstr()[()]
            i = int(np.flatnonzero(ids == source_id)[0]) if source_id in ids else 0
            for column in f["points"]:
                dtypes[column] = f["points"][column].dtype
                if column not in row:
                    value = f["points"][column][i]
                    row[column] = value.decode() if isinstance(value, bytes) else value
    string = h5py.string_dtype("utf-8")
    with h5py.File(out_dir / "index.h5", "w") as f:
        for key, value in attrs.items():
            f.attrs[key] = value
        f.attrs["study_name"] = name
        f.attrs["description"] = (f"synthetic: {clients} clients x {changed['iterations']} "
                                  f"iterations from {point_file}")
        f.attrs["scaling_mode"] = "none"
        f.attrs["scaling_divide"] = ""
        f.attrs["swept_keys"] = ""
        for key, value in (("n_points", 1), ("n_completed", 1), ("n_failed", 0)):
            f.attrs[key] = np.int64(value)
        group = f.create_group("points")
        for column, value in row.items():
            dtype = dtypes.get(column)
            if isinstance(value, str) or (dtype is not None and dtype.kind in "OS"):
                group.create_dataset(column, data=[str(value)], dtype=string)
            else:
                group.create_dataset(column, data=np.array([value], dtype=dtype or
                                                           np.asarray(value).dtype))
        f.create_group("links")[point_id] = h5py.ExternalLink(file, "/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a real point.h5 (or its study directory)")
    parser.add_argument("out_dir", type=Path, help="the synthetic study's directory")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=1000,
                        help="timed iterations per client (the source's warm-up is kept)")
    parser.add_argument("--ranks-per-node", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", help="study name (default: OUT_DIR's name)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.iterations < 1:
        parser.error("--clients and --iterations must be positive")
    started = time.monotonic()
    path = synthesize(args.source, args.out_dir, args.clients, args.iterations,
                      args.ranks_per_node, args.seed, args.name,
                      progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"{path}: {args.clients} clients, {path.stat().st_size / 2**20:.0f} MiB in "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
