"""Outlier policy: flag samples, never delete them.

Policy (documented in analysis/README.md):

- Samples are scored per (point, operation), over the merged samples of all clients, using only
  the samples statistics use (not NaN, not warm-up, not failed). Warm-up, failed and NaN samples
  are never flagged: they have their own flags.
- Default method ``mad``: the modified z-score of Iglewicz and Hoaglin,
  ``z = 0.6745 (x - median) / MAD`` with ``MAD = median(|x - median|)``; a sample is an outlier
  when ``|z| > 3.5`` (DEFAULT_THRESHOLDS["mad"]). When MAD is 0 (over half the samples equal),
  the scale falls back to ``1.2533 x mean(|x - median|)`` (the mean absolute deviation, scaled
  to agree with MAD under normality); when that is 0 too, nothing is flagged.
- Method ``iqr``: Tukey's fences, outside ``[Q1 - k IQR, Q3 + k IQR]`` with ``k = 1.5``
  (DEFAULT_THRESHOLDS["iqr"]); the score is the distance beyond the nearer fence in IQRs.
- Groups with fewer than MIN_SAMPLES (8) samples are not scored (too few to say).
- Flags are two more columns, ``outlier`` (bool) and ``outlier_score`` (|z| or fence distance,
  NaN where not scored), on a copy of the samples: summaries and figures include every sample
  unless given ``exclude_outliers=True``, which drops flagged rows only from what they compute.
  Timing distributions are right-skewed, so on a busy machine many tail samples are flagged:
  they are real latencies, which is why nothing is excluded by default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_METHOD = "mad"
DEFAULT_THRESHOLDS = {"mad": 3.5, "iqr": 1.5}
MIN_SAMPLES = 8
_MAD_NORMAL = 0.6745          # Phi^-1(0.75): MAD / sigma under normality
_MEAN_AD_NORMAL = 1.2533      # sqrt(pi/2): sigma / mean absolute deviation under normality


def scores(values: np.ndarray, method: str = DEFAULT_METHOD) -> np.ndarray:
    """Outlier scores of `values` (see the module docstring); larger is more extreme."""
    if method == "mad":
        median = np.median(values)
        deviation = np.abs(values - median)
        mad = np.median(deviation)
        if mad > 0:
            return _MAD_NORMAL * deviation / mad
        mean_ad = np.mean(deviation)
        if mean_ad > 0:
            return deviation / (_MEAN_AD_NORMAL * mean_ad)
        return np.zeros_like(values)
    if method == "iqr":
        q1, q3 = np.percentile(values, [25, 75])
        iqr = q3 - q1
        beyond = np.maximum(q1 - values, values - q3).clip(min=0)
        if iqr > 0:
            return beyond / iqr
        return np.where(beyond > 0, np.inf, 0.0)
    raise ValueError(f"unknown outlier method {method!r}: mad or iqr")


def flag_outliers(samples: pd.DataFrame, method: str = DEFAULT_METHOD,
                  threshold: float | None = None) -> pd.DataFrame:
    """A copy of `samples` with ``outlier`` and ``outlier_score`` columns (see the module
    docstring). `threshold` defaults to DEFAULT_THRESHOLDS[method]."""
    if method not in DEFAULT_THRESHOLDS:
        raise ValueError(f"unknown outlier method {method!r}: mad or iqr")
    threshold = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    seconds = samples["seconds"].to_numpy()
    eligible = (~np.isnan(seconds) & ~samples["warmup"].to_numpy(bool)
                & ~samples["failed"].to_numpy(bool))
    score = np.full(len(samples), np.nan)
    positions = pd.Series(np.arange(len(samples)))[eligible]
    keys = [samples["point_id"].to_numpy()[eligible], samples["operation"].to_numpy()[eligible]]
    for _, where in positions.groupby(keys, sort=False):
        index = where.to_numpy()
        if index.size >= MIN_SAMPLES:
            score[index] = scores(seconds[index], method)
    out = samples.copy()
    out["outlier_score"] = score
    out["outlier"] = np.nan_to_num(score, nan=0.0) > threshold
    out.attrs["outlier_policy"] = {"method": method, "threshold": threshold,
                                   "min_samples": MIN_SAMPLES}
    return out


def outlier_counts(flagged: pd.DataFrame) -> pd.DataFrame:
    """Per (point, operation): samples scored, flagged, and the flagged fraction."""
    scored = flagged[~np.isnan(flagged["outlier_score"].to_numpy())]
    grouped = scored.groupby(["point_id", "operation"], sort=False)["outlier"]
    frame = pd.DataFrame({"scored": grouped.size(), "flagged": grouped.sum()}).reset_index()
    frame["fraction"] = frame["flagged"] / frame["scored"]
    return frame
