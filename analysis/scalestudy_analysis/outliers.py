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
- Flags are a boolean mask ``outlier`` per (point, operation), ``[rank, iteration]`` like the
  samples, on a copy of the Samples that shares their arrays; scores (|z| or fence distance,
  NaN where not scored) are recomputed from each group's scale when asked (`outlier_scores`;
  ``Samples.frame()`` shows both as columns). Summaries and figures include every sample
  unless given ``exclude_outliers=True``, which drops flagged samples only from what they
  compute.
  Timing distributions are right-skewed, so on a busy machine many tail samples are flagged:
  they are real latencies, which is why nothing is excluded by default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .samples import OperationSamples, Samples, as_samples

DEFAULT_METHOD = "mad"
DEFAULT_THRESHOLDS = {"mad": 3.5, "iqr": 1.5}
MIN_SAMPLES = 8
_MAD_NORMAL = 0.6745          # Phi^-1(0.75): MAD / sigma under normality
_MEAN_AD_NORMAL = 1.2533      # sqrt(pi/2): sigma / mean absolute deviation under normality


def scale_of(values: np.ndarray, method: str = DEFAULT_METHOD) -> dict[str, float | str]:
    """What the scores of a group are computed from (module docstring): for ``mad`` its median
    and MAD (or, when MAD is 0, the mean absolute deviation), for ``iqr`` Q1, Q3 and the IQR."""
    if method == "mad":
        median = np.median(values)
        mad = np.median(np.abs(values - median), overwrite_input=True)
        if mad > 0:
            return {"method": "mad", "centre": median, "mad": mad}
        mean_ad = np.mean(np.abs(values - median))
        if mean_ad > 0:
            return {"method": "mean_ad", "centre": median, "mean_ad": mean_ad}
        return {"method": "none"}
    if method == "iqr":
        q1, q3 = np.percentile(values, [25, 75])
        return {"method": "iqr", "q1": q1, "q3": q3, "iqr": q3 - q1}
    raise ValueError(f"unknown outlier method {method!r}: mad or iqr")


def score_with(scale: dict[str, float | str], values: np.ndarray) -> np.ndarray:
    """The scores of `values` (any shape) against a group's `scale` (`scale_of`)."""
    kind = scale["method"]
    with np.errstate(invalid="ignore"):
        if kind == "mad":
            return _MAD_NORMAL * np.abs(values - scale["centre"]) / scale["mad"]
        if kind == "mean_ad":
            return np.abs(values - scale["centre"]) / (_MEAN_AD_NORMAL * scale["mean_ad"])
        if kind == "iqr":
            beyond = np.maximum(scale["q1"] - values, values - scale["q3"]).clip(min=0)
            if scale["iqr"] > 0:
                return beyond / scale["iqr"]
            return np.where(beyond > 0, np.inf, 0.0)
    return np.zeros_like(values, dtype=float)


def scores(values: np.ndarray, method: str = DEFAULT_METHOD) -> np.ndarray:
    """Outlier scores of `values` (see the module docstring); larger is more extreme."""
    return score_with(scale_of(values, method), values)


def _eligible(data: OperationSamples) -> np.ndarray:
    return data.keep(include_warmup=False, include_failed=False)


def flag_outliers(samples: Samples | pd.DataFrame, method: str = DEFAULT_METHOD,
                  threshold: float | None = None) -> Samples:
    """The samples with outlier flags (see the module docstring): each operation's
    ``outlier`` mask ``[row, sample]`` and the ``outlier_scale`` its scores come from
    (`outlier_scores`); the arrays of samples are shared, not copied, and never changed.
    ``attrs["outlier_policy"]`` records the method and threshold. `threshold` defaults to
    DEFAULT_THRESHOLDS[method]. A tidy frame is converted first (`Samples.from_frame`);
    ``.frame()`` of the result has ``outlier`` and ``outlier_score`` columns."""
    if method not in DEFAULT_THRESHOLDS:
        raise ValueError(f"unknown outlier method {method!r}: mad or iqr")
    threshold = DEFAULT_THRESHOLDS[method] if threshold is None else float(threshold)
    samples = as_samples(samples)

    def flag(data: OperationSamples) -> OperationSamples:
        data.outlier, data.outlier_scale = np.zeros(data.shape, dtype=bool), None
        if data.size == 0:
            return data
        eligible = _eligible(data)
        scored = int(np.count_nonzero(eligible))
        if scored >= MIN_SAMPLES:
            seconds = data.seconds
            values = seconds[eligible]
            scale = scale_of(values, method)
            del values
            data.outlier = eligible & (score_with(scale, seconds) > threshold)
            data.outlier_scale = {**scale, "scored": scored}
        return data

    out = samples.map(flag)
    out.attrs["outlier_policy"] = {"method": method, "threshold": threshold,
                                   "min_samples": MIN_SAMPLES}
    return out


def outlier_scores(data: OperationSamples) -> np.ndarray:
    """float [row, sample]: the outlier score of each sample of a flagged operation, NaN where
    it was not scored (warm-up, failed, NaN, or a group of fewer than MIN_SAMPLES)."""
    if data.outlier_scale is None:
        return np.full(data.shape, np.nan)
    score = score_with(data.outlier_scale, data.seconds)
    return np.where(_eligible(data), score, np.nan)


def outlier_counts(flagged: Samples) -> pd.DataFrame:
    """Per scored (point, operation): samples scored, flagged, and the flagged fraction."""
    rows = [{"point_id": d.point_id, "operation": d.operation,
             "scored": d.outlier_scale["scored"], "flagged": int(np.count_nonzero(d.outlier))}
            for d in flagged if d.outlier_scale is not None]
    frame = pd.DataFrame(rows, columns=["point_id", "operation", "scored", "flagged"])
    frame["fraction"] = frame["flagged"] / frame["scored"]
    return frame
