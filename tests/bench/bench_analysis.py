#!/usr/bin/python3
"""Benchmark of the analysis package on large synthetic points (issue 16's table).

    scripts/bench-analysis [--clients 1024,4096,16384] [--checkout DIR] [--report]

For each client count: synthesises a point of that many clients x 4 repeated operations x
1,000 iterations from a small real point (tests/bench/synthesize_point.py; cached in
``--work``), then measures, each in its own process under ``/usr/bin/time -v``:

- load: ``load_point`` of the point file, then every operation's samples read (what any
  analysis needs; a lazy loader is asked to read them all), wall time and peak RSS;
- analyze: ``CHECKOUT/scripts/analyze STUDY_DIR`` (figures, tables, report.html), wall time and
  peak RSS;
- with ``--report``: ``scalestudy report STUDY_DIR`` of the build, for comparison.

``--checkout`` picks the code measured (default this checkout): e.g. an export of main's
analysis/ and scripts/ to measure before a change. Each process runs under an address-space
limit (``--memory-limit-gib``, default 14) so that a loader that would need more fails with
MemoryError instead of pushing the machine into swap or the OOM killer; the table says so.
This reports figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from synthesize_point import synthesize  # noqa: E402

PYTHON = "/usr/bin/python3"
TINY_STUDY = """name: bench_source
description: small real point the analysis benchmark synthesises from
workload: throughput
iterations: 100
warmup: 3
parameters: {ranks_per_node: 2, client_nodes: 1, verify: true, baseline: true}
timeout_s: 120
"""

LOAD_CHILD = r"""
import json, sys, time
started = time.perf_counter()
from scalestudy_analysis import load_point
imported = time.perf_counter()
study = load_point(sys.argv[1])
samples = study.samples
if hasattr(samples, "materialize"):   # a lazy loader: read every operation's samples
    samples.materialize()
count = len(samples)   # samples (a tidy frame: rows)
done = time.perf_counter()
print(json.dumps({"load_s": done - imported, "import_s": imported - started,
                  "samples": int(count)}))
"""


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _limit(gib: float):
    def apply() -> None:
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def timed(command: list[str], env: dict[str, str], gib: float, timeout: float
          ) -> dict[str, object]:
    """Runs `command` under ``/usr/bin/time -v`` with an address-space limit: wall seconds,
    peak RSS (MiB), exit status, stdout and the tail of stderr."""
    started = time.monotonic()
    try:
        done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                              env=env, timeout=timeout, preexec_fn=_limit(gib), check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "why": f"timeout after {timeout:.0f} s", "wall_s": timeout,
                "rss_mib": float("nan"), "stdout": ""}
    wall = time.monotonic() - started
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    status = re.search(r"Exit status: (\d+)", done.stderr)
    code = int(status.group(1)) if status else done.returncode
    why = ""
    if code != 0:
        why = "MemoryError" if "MemoryError" in done.stderr else f"exit status {code}"
        why += f" (limit {gib:g} GiB)" if why == "MemoryError" else ""
    return {"ok": code == 0, "why": why, "wall_s": wall,
            "rss_mib": int(rss.group(1)) / 1024 if rss else float("nan"),
            "stdout": done.stdout, "stderr_tail": done.stderr[-2000:]}


def real_point(build: Path, work: Path) -> Path:
    """A small real point, run once with the build's `scalestudy run` (cached in `work`)."""
    study = work / "source" / "results" / "bench_source"
    if (study / "index.h5").exists():
        return study
    program = build / "scalestudy"
    if not program.exists():
        raise SystemExit(f"{program} is missing: build first, or give --source POINT")
    (work / "source").mkdir(parents=True, exist_ok=True)
    spec = work / "source" / "bench_source.yaml"
    spec.write_text(f"results_dir: {work / 'source' / 'results'}\n" + TINY_STUDY)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1")
    _log(f"running a small real point: {program} run {spec}")
    done = subprocess.run([str(program), "run", str(spec)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    if done.returncode != 0 or not (study / "index.h5").exists():
        raise SystemExit(f"scalestudy run failed:\n{done.stdout}\n{done.stderr}")
    return study


def synthetic(source: Path, work: Path, clients: int, iterations: int) -> tuple[Path, float]:
    """The synthetic study of `clients` (made once, then reused) and its synthesis seconds
    (0 when reused)."""
    out = work / f"point_{clients}x{iterations}"
    marker = out / "done.json"
    if marker.exists() and json.loads(marker.read_text()).get("source") == str(source):
        return out, 0.0
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    _log(f"synthesising {clients} clients x {iterations} iterations into {out}")
    synthesize(source, out, clients, iterations)
    seconds = time.monotonic() - started
    marker.write_text(json.dumps({"source": str(source), "seconds": seconds}))
    return out, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1024,4096,16384",
                        help="comma-separated client counts (default %(default)s)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="source tree whose analysis/ and scripts/analyze are measured")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir())
                        / "scalestudy-bench-analysis", help="synthetic points (kept, reused)")
    parser.add_argument("--source", type=Path, help="real point (or study) to synthesise from "
                        "(default: run a small one with the build)")
    parser.add_argument("--build", type=Path, default=Path(os.environ.get(
        "SCALESTUDY_BUILD_DIR", ROOT / "build")), help="build with scalestudy")
    parser.add_argument("--memory-limit-gib", type=float, default=14.0)
    parser.add_argument("--timeout", type=float, default=1200.0, help="per process, seconds")
    parser.add_argument("--skip-analyze", action="store_true")
    parser.add_argument("--report", action="store_true", help="also time `scalestudy report`")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.clients.split(",") if c]
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.source or real_point(args.build, args.work)
    checkout = args.checkout.resolve()
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=str(checkout / "analysis") + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    rows = []
    for clients in counts:
        study, synth_s = synthetic(source, args.work, clients, args.iterations)
        point = next(study.glob("points/*/point.h5"))
        row = {"clients": clients, "file_mib": point.stat().st_size / 2**20,
               "synth_s": synth_s}
        _log(f"{clients} clients: load_point ({checkout})")
        load = timed([PYTHON, "-c", LOAD_CHILD, str(point)], env, args.memory_limit_gib,
                     args.timeout)
        row["load"] = load
        if load["ok"]:
            row.update(json.loads(load["stdout"].strip().splitlines()[-1]))
        if not args.skip_analyze:
            out = args.work / f"analyze_{clients}"
            shutil.rmtree(out, ignore_errors=True)
            _log(f"{clients} clients: scripts/analyze")
            row["analyze"] = timed([str(checkout / "scripts" / "analyze"), str(study),
                                    "--out", str(out)], env, args.memory_limit_gib,
                                   args.timeout)
            (study / "report.html").unlink(missing_ok=True)
        if args.report:
            _log(f"{clients} clients: scalestudy report")
            row["report"] = timed([str(args.build / "scalestudy"), "report", str(study)], env,
                                  args.memory_limit_gib, args.timeout)
        rows.append(row)
        _log(_line(row))
    print(f"analysis package: {checkout / 'analysis'}; {args.iterations} iterations; "
          f"memory limit {args.memory_limit_gib:g} GiB per process")
    print("| clients | samples | file | load_point + read all | peak RSS | scripts/analyze | "
          "peak RSS |" + (" scalestudy report | peak RSS |" if args.report else ""))
    print("|---|---|---|---|---|---|---|" + ("---|---|" if args.report else ""))
    for row in rows:
        print(_line(row, args.report))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


def _cell(result: dict | None) -> tuple[str, str]:
    if result is None:
        return "—", "—"
    if not result["ok"]:
        return f"failed: {result['why']} after {result['wall_s']:.1f} s", \
            f"{result['rss_mib']:.0f} MiB"
    return f"{result['wall_s']:.1f} s", f"{result['rss_mib']:.0f} MiB"


def _line(row: dict, report: bool = False) -> str:
    samples = f"{row['samples'] / 1e6:.1f} M" if "samples" in row else "?"
    load_time, load_rss = _cell(row.get("load"))
    if row.get("load", {}).get("ok"):
        load_time = f"{row['load_s']:.1f} s"
    cells = [f"{row['clients']:,}", samples, f"{row['file_mib']:.0f} MiB", load_time, load_rss,
             *_cell(row.get("analyze"))]
    if report:
        cells += list(_cell(row.get("report")))
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    sys.exit(main())
