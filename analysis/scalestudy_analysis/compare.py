"""Two result sets compared point by point: the same comparison as `scalestudy compare`
(src/report/result_comparison.cpp, src/report/significance.cpp; docs/studies.md "Comparing
result sets"), as a function returning a DataFrame.

- Points are matched on their resolved parameters (every parameter of ``/parameters`` but
  ``output`` and ``repetition``), not on their ids; the repetitions of a point are pooled.
  Points of one set only are listed (``attrs["only_in_base"]``, ``attrs["only_in_new"]``).
- For every operation the new set's point records and the base's has, over the kept samples
  (not warm-up, not failed, not NaN, unless asked) of both sides: n, p50 and mean of each side;
  the relative change of the p50 and of the mean (``new / base - 1``), each with a 95 %
  percentile-bootstrap interval (500 resamples of both sides); the two-sided Mann-Whitney U
  p-value (scipy's ``mannwhitneyu(method="asymptotic")``: tie- and continuity-corrected; 1 when
  every sample is equal); and a verdict: ``regressed`` / ``improved`` when p < alpha (0.05),
  the p50 changed by more than the threshold and its interval excludes no change,
  ``unchanged`` when the p50's interval lies within +- the threshold, ``noisy`` otherwise.
- The bootstrap draws the same resamples as the C++ side: `MersenneTwister64` is
  ``std::mt19937_64`` (seeded 1 for every row) and `_indices` is libstdc++'s
  ``uniform_int_distribution`` (Lemire's method on 128-bit products), consumed in the same
  order (per resample: the base's n draws, then the new side's). Both sides therefore give the
  same intervals and verdicts on the same samples, not merely statistically equivalent ones.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .load import Study, join_flags, load_study
from .stats import configuration_key, selection, without_repetition

DEFAULT_THRESHOLD = 0.05
DEFAULT_ALPHA = 0.05
RESAMPLES = 500
SEED = 1
VERDICTS = ("regressed", "improved", "unchanged", "noisy")
COLUMNS = ["point", "base_id", "new_id", "operation", "base_n", "new_n", "base_p50_s",
           "new_p50_s", "base_mean_s", "new_mean_s", "p50_change", "p50_change_low",
           "p50_change_high", "mean_change", "mean_change_low", "mean_change_high", "p_value",
           "verdict", "base_flags", "new_flags"]

_MASK64 = (1 << 64) - 1


class MersenneTwister64:
    """``std::mt19937_64``: the 64-bit Mersenne Twister (Matsumoto and Nishimura), twisted and
    tempered with numpy, 312 words at a time."""

    N, M = 312, 156
    MATRIX_A = np.uint64(0xB5026F5AA96619E9)
    UPPER = np.uint64(0xFFFFFFFF80000000)
    LOWER = np.uint64(0x7FFFFFFF)

    def __init__(self, seed: int) -> None:
        state = [seed & _MASK64]
        for i in range(1, self.N):
            previous = state[-1]
            state.append((6364136223846793005 * (previous ^ (previous >> 62)) + i) & _MASK64)
        self._state = np.array(state, dtype=np.uint64)
        self._block = np.empty(0, dtype=np.uint64)   # tempered words not yet returned

    def _twist(self) -> None:
        mt, n, m = self._state, self.N, self.M

        def mix(current: np.ndarray, following: np.ndarray) -> np.ndarray:
            x = (current & self.UPPER) | (following & self.LOWER)
            return (x >> np.uint64(1)) ^ np.where(x & np.uint64(1), self.MATRIX_A,
                                                  np.uint64(0))

        # Each block only reads words the recurrence has (or has not yet) rewritten, in order.
        mt[:n - m] = mt[m:] ^ mix(mt[:n - m], mt[1:n - m + 1])
        mt[n - m:n - 1] = mt[:m - 1] ^ mix(mt[n - m:n - 1], mt[n - m + 1:n])
        mt[n - 1] = mt[m - 1] ^ mix(mt[n - 1:n], mt[0:1])[0]
        y = mt.copy()
        y ^= (y >> np.uint64(29)) & np.uint64(0x5555555555555555)
        y ^= (y << np.uint64(17)) & np.uint64(0x71D67FFFEDA60000)
        y ^= (y << np.uint64(37)) & np.uint64(0xFFF7EEE000000000)
        y ^= y >> np.uint64(43)
        self._block = y

    def words(self, count: int) -> np.ndarray:
        """The next `count` outputs (uint64)."""
        pieces, needed = [], count
        while needed > 0:
            if self._block.size == 0:
                self._twist()
            take = self._block[:needed]
            self._block = self._block[needed:]
            pieces.append(take)
            needed -= take.size
        return np.concatenate(pieces) if pieces else np.empty(0, dtype=np.uint64)

    def copy(self) -> "MersenneTwister64":
        twin = object.__new__(MersenneTwister64)
        twin._state, twin._block = self._state.copy(), self._block.copy()
        return twin


def _indices(rng: MersenneTwister64, sizes: tuple[int, ...], resamples: int) -> list[np.ndarray]:
    """For each resample, one index array per side (uniform over ``range(size)``), drawn as
    libstdc++'s ``uniform_int_distribution<size_t>(0, size - 1)`` draws them from a 64-bit
    generator: the high word of ``word x size`` (128-bit), redrawing while the low word is
    below ``2^64 mod size``. Returns, per side, an int array [resamples, size]."""
    if max(sizes) >= 1 << 32:
        raise ValueError("more than 2^32 samples on one side: not supported")
    per = sum(sizes)
    start = rng.copy()
    words = rng.words(resamples * per).reshape(resamples, per)
    ranges = np.concatenate([np.full(n, n, dtype=np.uint64) for n in sizes])
    low32 = words & np.uint64(0xFFFFFFFF)
    a = low32 * ranges
    b = (words >> np.uint64(32)) * ranges
    high = (b + (a >> np.uint64(32))) >> np.uint64(32)
    low = a + (b << np.uint64(32))            # mod 2^64
    thresholds = np.concatenate([np.full(n, ((1 << 64) - n) % n, dtype=np.uint64)
                                 for n in sizes])
    if (low < thresholds).any():   # a redraw (probability about size / 2^64 per draw)
        rng.__dict__.update(start.__dict__)
        high = _indices_one_by_one(rng, sizes, resamples)
    bounds = np.cumsum((0, *sizes))
    return [high[:, bounds[i]:bounds[i + 1]].astype(np.int64) for i in range(len(sizes))]


def _indices_one_by_one(rng: MersenneTwister64, sizes: tuple[int, ...],
                        resamples: int) -> np.ndarray:
    out = np.empty((resamples, sum(sizes)), dtype=np.uint64)
    for r in range(resamples):
        column = 0
        for n in sizes:
            threshold = ((1 << 64) - n) % n
            for _ in range(n):
                product = int(rng.words(1)[0]) * n
                while (product & _MASK64) < threshold:
                    product = int(rng.words(1)[0]) * n
                out[r, column] = product >> 64
                column += 1
    return out


def _percentile_change(ratios: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of `ratios` (linear interpolation), minus 1."""
    ratios = np.sort(ratios)
    out = []
    for q in (0.025, 0.975):
        position = q * (ratios.size - 1)
        below = math.floor(position)
        above = min(below + 1, ratios.size - 1)
        out.append(ratios[below] + (position - below) * (ratios[above] - ratios[below]) - 1)
    return out[0], out[1]


def change_of_centre(base: np.ndarray, new: np.ndarray, resamples: int = RESAMPLES,
                     seed: int = SEED) -> dict[str, float]:
    """The relative change from `base` to `new` of the median and of the mean
    (``new / base - 1``), each with its 95 % percentile-bootstrap interval (`resamples`
    resamples of both sides); NaN when a side is empty or its median (mean) is not positive.
    Keys: p50_change, p50_change_low, p50_change_high, mean_change, mean_change_low,
    mean_change_high."""
    nan = math.nan
    out = dict.fromkeys(("p50_change", "p50_change_low", "p50_change_high", "mean_change",
                         "mean_change_low", "mean_change_high"), nan)
    base, new = np.asarray(base, dtype=float), np.asarray(new, dtype=float)
    if base.size == 0 or new.size == 0:
        return out
    base_median, new_median = float(np.median(base)), float(np.median(new))
    base_mean, new_mean = float(np.mean(base)), float(np.mean(new))
    if base_median > 0:
        out["p50_change"] = new_median / base_median - 1
    if base_mean > 0:
        out["mean_change"] = new_mean / base_mean - 1
    rng = MersenneTwister64(seed)
    medians = {"base": [], "new": []}
    means = {"base": [], "new": []}
    chunk = max(1, 4_000_000 // (base.size + new.size))
    for first in range(0, resamples, chunk):
        count = min(chunk, resamples - first)
        picks = _indices(rng, (base.size, new.size), count)
        for side, values, index in (("base", base, picks[0]), ("new", new, picks[1])):
            drawn = values[index]
            medians[side].append(np.median(drawn, axis=1))
            means[side].append(np.mean(drawn, axis=1))
    for name, centre, reference in (("p50", medians, base_median), ("mean", means, base_mean)):
        a, b = np.concatenate(centre["base"]), np.concatenate(centre["new"])
        ratios = b[a > 0] / a[a > 0]
        if reference > 0 and ratios.size:
            out[f"{name}_change_low"], out[f"{name}_change_high"] = _percentile_change(ratios)
    return out


def mann_whitney_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of the Mann-Whitney U test (scipy's asymptotic method: normal
    approximation with tie and continuity corrections); 1 when a side is empty or every sample
    is equal (no rank information), as the C++ side says."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return 1.0
    pooled = np.concatenate([a, b])
    if np.all(pooled == pooled[0]):
        return 1.0
    result = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    return float(result.pvalue)


def verdict(change: dict[str, float], p_value: float, threshold: float = DEFAULT_THRESHOLD,
            alpha: float = DEFAULT_ALPHA) -> str:
    """``regressed`` | ``improved`` (p < alpha, the p50 changed by more than `threshold` and
    its interval excludes no change), ``unchanged`` (the p50's interval within +- `threshold`),
    else ``noisy``."""
    estimate = change["p50_change"]
    low, high = change["p50_change_low"], change["p50_change_high"]
    significant = p_value < alpha
    if significant and estimate > threshold and low > 0:
        return "regressed"
    if significant and estimate < -threshold and high < 0:
        return "improved"
    if math.isfinite(low) and low >= -threshold and high <= threshold:
        return "unchanged"
    return "noisy"


def _groups(study: Study) -> dict[tuple, dict[str, Any]]:
    """Completed points by parameter set (study order): label, first id, point ids."""
    done = study.completed
    names = [n for n in study.parameter_names if n in done.columns]
    groups: dict[tuple, dict[str, Any]] = {}
    for row in done.to_dict("records"):
        key = configuration_key({n: row[n] for n in names})
        group = groups.setdefault(key, {"label": without_repetition(row.get("varied", "")),
                                        "id": row["id"], "points": []})
        group["points"].append(row["id"])
    return groups


def _title(path: Path, study: Study) -> str:
    if (path / "index.h5").exists() if path.is_dir() else False:
        return (f"{path} (study {study.name}: {len(study.points)} points, "
                f"{len(study.completed)} completed)")
    return f"{path} (point {path})"


def compare(base_dir: str | Path, new_dir: str | Path, threshold: float = DEFAULT_THRESHOLD,
            *, alpha: float = DEFAULT_ALPHA, include_warmup: bool = False,
            include_failed: bool = False, resamples: int = RESAMPLES,
            seed: int = SEED) -> pd.DataFrame:
    """`scalestudy compare BASE NEW` as a DataFrame (module docstring): one row per matched
    point (parameter set, repetitions pooled) and operation, in the new set's order, with
    COLUMNS; ``base_flags`` / ``new_flags`` are the union of the validity flags of each side's
    rows. ``attrs`` holds base, new (titles), threshold, alpha, matched, only_in_base,
    only_in_new (point labels) and changed (some verdict regressed or improved: the C++
    command's exit status 1). `threshold` is a fraction (0.05 = 5 %)."""
    sides = {}
    for name, path in (("base", Path(base_dir)), ("new", Path(new_dir))):
        study = load_study(path)
        keep = selection(study.samples, include_warmup=include_warmup,
                         include_failed=include_failed)
        kept = study.samples.loc[keep, ["point_id", "operation", "seconds"]]
        by_row = {key: g["seconds"].to_numpy(float)
                  for key, g in kept.groupby(["point_id", "operation"], sort=False)}
        operations = {pid: list(g["operation"]) for pid, g in
                      study.operations.groupby("point_id", sort=False)}
        flags = dict(zip(zip(study.operations["point_id"], study.operations["operation"]),
                         study.operations["flags"]))
        sides[name] = {"study": study, "groups": _groups(study), "samples": by_row,
                       "operations": operations, "flags": flags, "title": _title(path, study)}
    base, new = sides["base"], sides["new"]

    def pooled(side: dict, group: dict, operation: str) -> np.ndarray:
        parts = [side["samples"].get((pid, operation), np.empty(0)) for pid in group["points"]]
        return np.concatenate(parts)

    def flags(side: dict, group: dict, operation: str) -> str:
        return join_flags(*(side["flags"].get((pid, operation), "") for pid in group["points"]))

    rows = []
    only_in_base = [g["label"] for k, g in base["groups"].items() if k not in new["groups"]]
    only_in_new, matched = [], 0
    for key, after in new["groups"].items():
        before = base["groups"].get(key)
        if before is None:
            only_in_new.append(after["label"])
            continue
        matched += 1
        base_ops = set(base["operations"].get(before["points"][0], []))
        for operation in new["operations"].get(after["points"][0], []):
            if operation not in base_ops:
                continue
            a, b = pooled(base, before, operation), pooled(new, after, operation)
            if a.size == 0 or b.size == 0:
                continue
            change = change_of_centre(a, b, resamples, seed)
            p_value = mann_whitney_p(a, b)
            rows.append({"point": after["label"], "base_id": before["id"],
                         "new_id": after["id"], "operation": operation, "base_n": a.size,
                         "new_n": b.size, "base_p50_s": float(np.median(a)),
                         "new_p50_s": float(np.median(b)), "base_mean_s": float(np.mean(a)),
                         "new_mean_s": float(np.mean(b)), **change, "p_value": p_value,
                         "verdict": verdict(change, p_value, threshold, alpha),
                         "base_flags": flags(base, before, operation),
                         "new_flags": flags(new, after, operation)})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update(base=base["title"], new=new["title"], threshold=threshold, alpha=alpha,
                       matched=matched, only_in_base=only_in_base, only_in_new=only_in_new,
                       changed=bool(frame["verdict"].isin(["regressed", "improved"]).any()))
    return frame


def summary_line(frame: pd.DataFrame) -> str:
    """One line, as `scalestudy compare` prints it: matched points, operations, verdicts."""
    a = frame.attrs
    counts = frame["verdict"].value_counts()
    text = f"{a.get('matched', 0)} points matched"
    if a.get("only_in_base") or a.get("only_in_new"):
        text += (f" ({len(a.get('only_in_base', []))} only in base, "
                 f"{len(a.get('only_in_new', []))} only in new)")
    text += f", {len(frame)} operations: "
    if counts.get("regressed", 0) + counts.get("improved", 0) == 0:
        text += "no significant change"
    else:
        text += f"{counts.get('regressed', 0)} regressed, {counts.get('improved', 0)} improved"
    text += (f"; {counts.get('unchanged', 0)} unchanged, {counts.get('noisy', 0)} noisy "
             f"(threshold {a.get('threshold', DEFAULT_THRESHOLD) * 100:g}% of the p50, U test "
             f"at {a.get('alpha', DEFAULT_ALPHA) * 100:g}%)")
    return text
