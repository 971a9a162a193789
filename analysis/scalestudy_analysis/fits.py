"""Scaling laws fitted to a study's times: Amdahl, Gustafson, the Universal Scalability Law,
and Karp-Flatt's experimentally determined serial fraction per point.

Conventions (see analysis/README.md for the derivations):

- Inputs are `stats.scaling_observations` rows: one per completed point (every repetition is
  an observation), with the point's time T (slowest client's loop time) and its ``work``
  (total loop iterations, iterations x clients).
- Counts are relative to the group's smallest client count p1: ``n = p / p1``, so the fractions
  are of the reference point's time; with p1 = 1 they are the textbook definitions.
- Amdahl (strong scaling): ``T(n) = T1 (f + (1 - f) / n)``; f is the serial fraction, the
  speed-up ``S(n) = 1 / (f + (1 - f) / n)`` is bounded by 1/f.
- Gustafson (weak scaling): scaled speed-up ``S(n) = n - a (n - 1)``, i.e.
  ``T(n) = n T1 / S(n) = T1 / (1 - a + a / n)``; a is the serial fraction of the scaled run.
- USL (either mode): aggregate throughput ``X(n) = work / T = l n / (1 + s (n - 1) +
  k n (n - 1))``, s contention, k coherency (crosstalk), l the throughput at n = 1; when k > 0
  the throughput peaks at ``n* = sqrt((1 - s) / k)``.
- Fits: `scipy.optimize.curve_fit` (Levenberg-Marquardt) on every observation with
  ``sigma = observed value`` (least squares on relative residuals, since timing noise is
  multiplicative), ``absolute_sigma=False``. Confidence intervals are Student-t intervals from
  the covariance curve_fit returns: ``estimate +- t(level, dof) x stderr``, dof = observations
  - parameters. The extrapolated value's interval propagates that covariance by the delta
  method (a numerical gradient): it is a confidence interval of the law's curve, not a
  prediction interval of a new measurement.
- Karp-Flatt: ``e(n) = (1/S - 1/n) / (1 - 1/n)`` from median times, S the mode's speed-up
  (strong T1/Tp, weak n T1/Tp); its interval is a percentile bootstrap (2000 resamples of the
  repetitions of both the point and the reference, seed 0): none with a single repetition.
- A law is refused, with the reason, when the group has no more observations than the law
  has parameters ("not enough points to fit": a curve through every point says nothing about
  the law, its residuals and intervals are undefined), when it has fewer distinct client
  counts than parameters (Amdahl 2, Gustafson 2, USL 3), when the study's mode is not the
  law's (Amdahl needs strong scaling, Gustafson weak), or when the fit does not converge.
- Observations of points with validity flags (load.py) are left out unless
  ``include_flagged``; each fit of a group that lost some says so in its notes (or reason) and
  keeps them in ``Fit.left_out`` for the figures.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as scipy_stats

from .load import join_flags
from .stats import split_flagged

DEFAULT_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 2000


def amdahl_time(n: np.ndarray, t1: float, f: float) -> np.ndarray:
    """Amdahl: time on n = p/p1 reference units, T1 (f + (1 - f) / n)."""
    return t1 * (f + (1.0 - f) / n)


def gustafson_time(n: np.ndarray, t1: float, a: float) -> np.ndarray:
    """Gustafson: time of a weak-scaled run on n units, T1 / (1 - a + a / n)."""
    return t1 / (1.0 - a + a / n)


def usl_throughput(n: np.ndarray, lam: float, sigma: float, kappa: float) -> np.ndarray:
    """Universal Scalability Law: l n / (1 + s (n - 1) + k n (n - 1))."""
    return lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


@dataclass
class Law:
    """A scaling law: its model over n, its parameters and what it is fitted to."""

    name: str
    model: Callable[..., np.ndarray]
    parameters: tuple[str, ...]
    quantity: str          # "time_s" or "throughput"
    mode: str | None       # the scaling mode it describes, None for either


LAWS = {
    "amdahl": Law("amdahl", amdahl_time, ("t1", "f"), "time_s", "strong"),
    "gustafson": Law("gustafson", gustafson_time, ("t1", "a"), "time_s", "weak"),
    "usl": Law("usl", usl_throughput, ("lambda", "sigma", "kappa"), "throughput", None),
}


@dataclass
class Fit:
    """The result of fitting one law to one group (``ok`` False: refused, see ``reason``)."""

    law: str
    group: str
    ok: bool
    reason: str = ""
    reference_clients: int = 0
    quantity: str = ""
    params: dict[str, float] = field(default_factory=dict)
    stderr: dict[str, float] = field(default_factory=dict)
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    covariance: np.ndarray | None = None
    level: float = DEFAULT_LEVEL
    dof: int = 0
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)
    extrapolation: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)   # clients, observed, flags

    def predict(self, clients: np.ndarray | float) -> np.ndarray:
        """The fitted law at `clients` (absolute client counts)."""
        n = np.asarray(clients, dtype=float) / self.reference_clients
        return LAWS[self.law].model(n, *self.params.values())

    def band(self, clients: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise confidence band of the fitted curve at `clients` (delta method)."""
        clients = np.atleast_1d(np.asarray(clients, dtype=float))
        value = self.predict(clients)
        if self.covariance is None or self.dof <= 0 or not np.all(np.isfinite(self.covariance)):
            nan = np.full_like(value, np.nan)
            return nan, nan
        grad = _gradient(LAWS[self.law].model, clients / self.reference_clients,
                         np.array(list(self.params.values())))
        se = np.sqrt(np.einsum("ij,jk,ik->i", grad, self.covariance, grad))
        t = scipy_stats.t.ppf(0.5 + self.level / 2, self.dof)
        return value - t * se, value + t * se

    def describe(self) -> str:
        """One line: the estimates with their intervals, or why the law was refused."""
        if not self.ok:
            return f"{self.law} ({self.group}): refused: {self.reason}"
        parts = []
        for name, value in self.params.items():
            low, high = self.ci[name]
            interval = "" if math.isnan(low) else f" [{low:.4g}, {high:.4g}]"
            parts.append(f"{name} = {value:.4g}{interval}")
        return f"{self.law} ({self.group}): " + ", ".join(parts)


def _gradient(model: Callable[..., np.ndarray], n: np.ndarray, params: np.ndarray) -> np.ndarray:
    grad = np.empty((n.size, params.size))
    for j in range(params.size):
        step = 1e-6 * max(abs(params[j]), 1e-12)
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        grad[:, j] = (model(n, *up) - model(n, *down)) / (2 * step)
    return grad


def _refuse(law: str, group: str, reason: str, p1: int = 0) -> Fit:
    return Fit(law=law, group=group, ok=False, reason=reason, reference_clients=p1,
               quantity=LAWS[law].quantity)


def _observed(law: Law, obs: pd.DataFrame) -> np.ndarray:
    time = obs["time_s"].to_numpy(float)
    if law.quantity == "time_s":
        return time
    work = obs["work"].to_numpy(float) if "work" in obs.columns else np.full(len(obs), np.nan)
    work = np.where(np.isfinite(work), work, obs["clients"].to_numpy(float))
    return work / time


def _initial_guess(law: Law, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Starting values from the law's linearised form (weighted by 1/y)."""
    weights = 1.0 / y
    if law.name == "amdahl":      # T = a + b/n
        a, b = np.linalg.lstsq(np.c_[np.ones_like(n), 1 / n] * weights[:, None], y * weights,
                               rcond=None)[0]
        return np.array([a + b, a / (a + b) if a + b else 0.0])
    if law.name == "gustafson":   # 1/T = c + d/n
        c, d = np.linalg.lstsq(np.c_[np.ones_like(n), 1 / n] * y[:, None], 1 / y * y,
                               rcond=None)[0]
        return np.array([1 / (c + d), d / (c + d)])
    lam = float(np.median(y[n == n.min()]) / n.min())   # USL: l n / X - 1 = s (n-1) + k n(n-1)
    target = lam * n / y - 1
    design = np.c_[n - 1, n * (n - 1)]
    sigma, kappa = np.linalg.lstsq(design, target, rcond=None)[0] if np.any(n > 1) else (0, 0)
    return np.array([lam, sigma, kappa])


def fit_law(name: str, observations: pd.DataFrame, *, at_clients: float | None = None,
            level: float = DEFAULT_LEVEL, group: str | None = None) -> Fit:
    """Fits law `name` (``amdahl``, ``gustafson`` or ``usl``) to the observations of one group
    (columns clients, time_s, and work for the USL; ``flags`` is carried into
    ``Fit.observations``). Refuses with a reason when the group has no more observations than
    the law has parameters ("not enough points to fit") or fewer distinct client counts.
    `at_clients` adds the law's extrapolated value (and interval) at that client count."""
    law = LAWS[name]
    group = group if group is not None else str(observations.get("group", pd.Series(["all"]))
                                                .iloc[0] if len(observations) else "all")
    obs = observations[np.isfinite(observations["time_s"].to_numpy(float))
                       & (observations["time_s"].to_numpy(float) > 0)]
    if obs.empty:
        return _refuse(name, group, "no point of this group has a time")
    p1 = int(obs["clients"].min())
    n = obs["clients"].to_numpy(float) / p1
    k = len(law.parameters)
    distinct = np.unique(n).size
    if len(obs) <= k:
        seen = obs["clients"].value_counts().sort_index()
        counts = ", ".join(f"{int(c)}" + (f" x{int(m)}" if m > 1 else "")
                           for c, m in seen.items())
        return _refuse(name, group, f"not enough points to fit: {name} has {k} parameters and "
                       f"this group has {len(obs)} observation{'s' if len(obs) > 1 else ''} "
                       f"(client counts {counts}); a fit needs more observations than "
                       "parameters (more client counts or repetitions)", p1)
    if distinct < k:
        return _refuse(name, group, f"{name} has {k} parameters and needs at least {k} distinct "
                       f"client counts; this group has {distinct} "
                       f"({', '.join(str(int(c)) for c in sorted(obs['clients'].unique()))})",
                       p1)
    y = _observed(law, obs)
    p0 = _initial_guess(law, n, y)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            params, cov = optimize.curve_fit(law.model, n, y, p0=p0, sigma=y,
                                             absolute_sigma=False, maxfev=20000)
    except (RuntimeError, ValueError) as error:
        return _refuse(name, group, f"the fit did not converge: {error}", p1)
    fitted = law.model(n, *params)
    if not np.all(np.isfinite(fitted)):
        return _refuse(name, group, "the fitted law is not finite at the measured counts", p1)
    dof = len(y) - k   # > 0: refused above otherwise
    notes = []
    cov = np.asarray(cov, dtype=float)
    stderr = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(stderr)):
        notes.append("the covariance could not be estimated: no interval")
        cov = None
    t = scipy_stats.t.ppf(0.5 + level / 2, dof)
    frame = pd.DataFrame({"point_id": obs["point_id"].to_numpy() if "point_id" in obs else "",
                          "clients": obs["clients"].to_numpy(int), "n": n, "observed": y,
                          "fitted": fitted,
                          "flags": obs["flags"].to_numpy() if "flags" in obs else ""})
    frame["residual"] = frame["observed"] - frame["fitted"]
    frame["relative_residual"] = frame["residual"] / frame["fitted"]
    fit = Fit(law=name, group=group, ok=True, reference_clients=p1, quantity=law.quantity,
              params=dict(zip(law.parameters, map(float, params))),
              stderr=dict(zip(law.parameters, map(float, stderr))),
              ci={p: (float(v - t * s), float(v + t * s)) if cov is not None
                  else (math.nan, math.nan) for p, v, s in zip(law.parameters, params, stderr)},
              covariance=cov, level=level, dof=dof, observations=frame, notes=notes)
    notes.extend(_interpretation(fit))
    if at_clients:
        fit.extrapolation = extrapolate(fit, at_clients)
        if not (math.isfinite(fit.extrapolation["value"]) and fit.extrapolation["value"] > 0):
            notes.append(f"the fitted law gives no positive finite value at {at_clients:g} "
                         "clients: no extrapolation")
            fit.extrapolation.update(value=math.nan, low=math.nan, high=math.nan,
                                     speedup=math.nan)
    return fit


def _interpretation(fit: Fit) -> list[str]:
    p = fit.params
    notes = []
    if fit.law == "amdahl":
        if p["f"] < 0:
            notes.append("f < 0: faster than linear (super-linear) speed-up")
        elif p["f"] > 1:
            notes.append("f > 1: the time grows with the clients, outside Amdahl's law "
                         "(0 <= f <= 1; see the USL)")
        elif p["f"] > 0:
            notes.append(f"speed-up bounded by 1/f = {1 / p['f']:.3g} x the reference point")
    elif fit.law == "gustafson":
        if p["a"] > 1:
            notes.append("a > 1: the total rate falls as clients are added, beyond Gustafson's "
                         "law (see the USL's coherency term)")
    else:
        if p["sigma"] < 0 or p["kappa"] < 0:
            notes.append("negative sigma or kappa: super-linear region, outside the USL's "
                         "physical range")
        if p["kappa"] > 0 and p["sigma"] < 1:
            peak = math.sqrt((1 - p["sigma"]) / p["kappa"])
            notes.append(f"throughput peaks near {peak * fit.reference_clients:.3g} clients")
    rel = fit.observations["relative_residual"].to_numpy()
    notes.append(f"rms relative residual {math.sqrt(float(np.mean(rel ** 2))):.2%}")
    return notes


def extrapolate(fit: Fit, clients: float) -> dict[str, float]:
    """The fitted law's value at `clients` with its confidence interval, and the speed-up it
    implies against the reference point (strong: T(p1)/T; weak: n T(p1)/T; USL: X/X(p1))."""
    value = float(fit.predict(clients)[()])
    low, high = (float(v[0]) for v in fit.band(clients))
    n = clients / fit.reference_clients
    reference = float(fit.predict(fit.reference_clients)[()])
    if fit.law == "amdahl":
        speedup = reference / value
    elif fit.law == "gustafson":
        speedup = n * reference / value
    else:
        speedup = value / reference
    return {"clients": float(clients), "n": n, "quantity": fit.quantity, "value": value,
            "low": low, "high": high, "speedup": speedup}


def fit_groups(observations: pd.DataFrame, mode: str, *, at_clients: dict[str, float] | None
               = None, level: float = DEFAULT_LEVEL,
               laws: tuple[str, ...] = ("amdahl", "gustafson", "usl"),
               include_flagged: bool = False) -> list[Fit]:
    """Every law of `laws` on every group of `observations` (study order). A law made for the
    other scaling mode is refused with that reason. `at_clients` maps a group to the client
    count to extrapolate to. Observations with validity ``flags`` are left out unless
    `include_flagged`: the fits of their group say how many and why."""
    fits = []
    for group in pd.unique(observations["group"]):
        obs, left = split_flagged(observations[observations["group"] == group], include_flagged)
        target = (at_clients or {}).get(group)
        for name in laws:
            law_mode = LAWS[name].mode
            if law_mode is not None and mode != law_mode:
                other = "gustafson" if name == "amdahl" else "amdahl"
                fits.append(_refuse(name, group, f"{name} describes {law_mode} scaling and this "
                                    f"study scales {mode}: see {other}"))
                continue
            if obs.empty:
                fit = _refuse(name, group, "every point of this group is flagged")
            else:
                fit = fit_law(name, obs, at_clients=target, level=level, group=group)
            if len(left):
                note = left_out_note(left)
                if fit.ok:
                    fit.notes.append(note)
                else:
                    fit.reason += f" ({note})"
                fit.left_out = pd.DataFrame({
                    "clients": left["clients"].to_numpy(int),
                    "observed": _observed(LAWS[name], left), "flags": left["flags"].to_numpy()})
            fits.append(fit)
    return fits


def left_out_note(left: pd.DataFrame) -> str:
    """"N flagged points left out (flags): --include-flagged keeps them" for observations."""
    count = len(left)
    flags = join_flags(*left["flags"])
    return (f"{count} flagged point{'s' if count > 1 else ''} left out ({flags.replace(',', ', ')})"
            ": --include-flagged keeps them")


def karp_flatt(observations: pd.DataFrame, mode: str, *, level: float = DEFAULT_LEVEL,
               resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
               include_flagged: bool = False) -> pd.DataFrame:
    """Karp-Flatt serial fraction per (group, client count) above the reference: columns group,
    clients, n, speedup, e, ci_low, ci_high (bootstrap), repetitions, flags, note. Observations
    with validity ``flags`` are left out unless `include_flagged` (then ``flags`` is the union
    of the cell's)."""
    if mode not in ("strong", "weak"):
        raise ValueError(f"scaling mode must be strong or weak, not {mode!r}")
    rng = np.random.default_rng(seed)
    rows = []
    observations, _ = split_flagged(observations, include_flagged)
    for group in pd.unique(observations["group"]):
        obs = observations[observations["group"] == group]
        p1 = int(obs["clients"].min())
        reference = obs.loc[obs["clients"] == p1, "time_s"].to_numpy(float)
        for clients in sorted(obs["clients"].unique()):
            if clients == p1:
                continue
            times = obs.loc[obs["clients"] == clients, "time_s"].to_numpy(float)
            n = clients / p1
            e = _karp_flatt(np.median(reference), np.median(times), n, mode)
            speedup = _speedup(np.median(reference), np.median(times), n, mode)
            low = high = math.nan
            note = ""
            if reference.size > 1 or times.size > 1:
                t1 = np.median(rng.choice(reference, (resamples, reference.size)), axis=1)
                tp = np.median(rng.choice(times, (resamples, times.size)), axis=1)
                boot = _karp_flatt(t1, tp, n, mode)
                low, high = np.percentile(boot, [50 - 50 * level, 50 + 50 * level])
            else:
                note = "one repetition: no interval"
            flags = (join_flags(*obs.loc[obs["clients"] == clients, "flags"])
                     if "flags" in obs.columns else "")
            rows.append({"group": group, "clients": int(clients), "n": n, "speedup": speedup,
                         "e": float(e), "ci_low": float(low), "ci_high": float(high),
                         "repetitions": int(times.size), "flags": flags, "note": note})
    return pd.DataFrame(rows, columns=["group", "clients", "n", "speedup", "e", "ci_low",
                                       "ci_high", "repetitions", "flags", "note"])


def karp_flatt_left_out(observations: pd.DataFrame, mode: str) -> pd.DataFrame:
    """The Karp-Flatt rows of the client counts `karp_flatt` leaves out (points with validity
    flags; a count with some kept repetitions gets a row of its flagged ones too), against the
    kept reference of their group, in its columns with ``left_out`` True and no interval: what
    its figure draws hollow. Empty when nothing is flagged."""
    used, left = split_flagged(observations)
    rows = []
    for group in pd.unique(left["group"]):
        kept = used[used["group"] == group]
        if kept.empty:
            continue
        p1 = int(kept["clients"].min())
        t1 = float(np.median(kept.loc[kept["clients"] == p1, "time_s"]))
        mine = left[left["group"] == group]
        for clients in sorted(mine["clients"].unique()):
            if clients <= p1:
                continue
            cell = mine[mine["clients"] == clients]
            n = clients / p1
            tp = float(np.median(cell["time_s"]))
            rows.append({"group": group, "clients": int(clients), "n": n,
                         "speedup": _speedup(t1, tp, n, mode),
                         "e": float(_karp_flatt(t1, tp, n, mode)), "ci_low": math.nan,
                         "ci_high": math.nan, "repetitions": len(cell),
                         "flags": join_flags(*cell["flags"]), "note": "flagged: left out",
                         "left_out": True})
    return pd.DataFrame(rows, columns=["group", "clients", "n", "speedup", "e", "ci_low",
                                       "ci_high", "repetitions", "flags", "note", "left_out"])


def _speedup(t1, tp, n, mode):
    return t1 / tp if mode == "strong" else n * t1 / tp


def _karp_flatt(t1, tp, n, mode):
    return (1 / _speedup(t1, tp, n, mode) - 1 / n) / (1 - 1 / n)


def fits_table(fits: list[Fit]) -> pd.DataFrame:
    """One row per (fit, parameter): law, group, ok, reason, parameter, estimate, stderr,
    ci_low, ci_high, level, dof, reference_clients, the extrapolation and the notes."""
    rows = []
    for fit in fits:
        base = {"law": fit.law, "group": fit.group, "ok": fit.ok, "reason": fit.reason,
                "level": fit.level, "dof": fit.dof, "reference_clients": fit.reference_clients,
                **{f"at_{k}": v for k, v in fit.extrapolation.items()},
                "notes": "; ".join(fit.notes)}
        if not fit.ok:
            rows.append(base)
        for name, value in fit.params.items():
            low, high = fit.ci[name]
            rows.append({**base, "parameter": name, "estimate": value,
                         "stderr": fit.stderr[name], "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)
