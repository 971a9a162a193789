"""The scaling laws recover known parameters from synthetic data, their intervals cover the
truth as often as they say, and they refuse with a reason when they cannot fit.

Synthetic data: client counts 1..32 (USL 1..64), 5 repetitions each, multiplicative log-normal
noise of 2 %. Tolerances (about 5 standard deviations of the estimates over 200 seeds): Amdahl
f = 0.05 within 0.005; Gustafson a = 0.1 within 0.05; USL sigma = 0.02 within 0.006 and
kappa = 5e-4 within 1e-4. Without noise every law is recovered to 1e-6 relative. The 95 %
intervals must contain the truth in 88-99 % of 200 seeded data sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalestudy_analysis import fits, load_study, stats

COUNTS = np.repeat([1, 2, 4, 8, 16, 32], 5)
USL_COUNTS = np.repeat([1, 2, 4, 8, 16, 32, 64], 5)
NOISE = 0.02


def observations(law: str, counts: np.ndarray, noise: float, seed: int, p1: int = 1):
    """Synthetic observations of `law` at `counts` clients (p1 the reference count)."""
    rng = np.random.default_rng(seed)
    n = counts / p1
    jitter = rng.lognormal(0.0, noise, counts.size) if noise else np.ones(counts.size)
    work = 100.0 * counts
    if law == "amdahl":
        time = fits.amdahl_time(n, 2.0, 0.05) * jitter
    elif law == "gustafson":
        time = fits.gustafson_time(n, 1.0, 0.1) * jitter
    else:
        time = work / (fits.usl_throughput(n, 1000.0, 0.02, 0.0005) * jitter)
    return pd.DataFrame({"group": "g", "point_id": [f"p{i}" for i in range(counts.size)],
                         "clients": counts, "time_s": time, "work": work})


TRUTH = {"amdahl": {"t1": 2.0, "f": 0.05}, "gustafson": {"t1": 1.0, "a": 0.1},
         "usl": {"lambda": 1000.0, "sigma": 0.02, "kappa": 0.0005}}
TOLERANCE = {"f": 0.005, "a": 0.05, "sigma": 0.006, "kappa": 1e-4}


@pytest.mark.parametrize("law", ["amdahl", "gustafson", "usl"])
def test_noiseless_data_is_recovered_exactly(law):
    counts = USL_COUNTS if law == "usl" else COUNTS
    fit = fits.fit_law(law, observations(law, counts, 0.0, 0))
    assert fit.ok, fit.reason
    for name, value in TRUTH[law].items():
        assert fit.params[name] == pytest.approx(value, rel=1e-6), name
    assert np.abs(fit.observations["relative_residual"]).max() < 1e-6


@pytest.mark.parametrize("law", ["amdahl", "gustafson", "usl"])
def test_noisy_data_is_recovered_within_tolerance_with_intervals(law):
    counts = USL_COUNTS if law == "usl" else COUNTS
    fit = fits.fit_law(law, observations(law, counts, NOISE, 3), at_clients=128)
    assert fit.ok and fit.dof == counts.size - len(TRUTH[law])
    for name, tolerance in TOLERANCE.items():
        if name in fit.params:
            assert abs(fit.params[name] - TRUTH[law][name]) < tolerance, name
            low, high = fit.ci[name]
            assert low < fit.params[name] < high
            assert fit.stderr[name] > 0
    residuals = fit.observations
    assert np.allclose(residuals["residual"], residuals["observed"] - residuals["fitted"])
    assert abs(residuals["relative_residual"]).max() < 6 * NOISE
    # The extrapolated value is the law at 128 clients, inside its interval.
    e = fit.extrapolation
    assert e["value"] == pytest.approx(float(fit.predict(128)[()]))
    assert e["low"] < e["value"] < e["high"]
    expected = fits.LAWS[law].model(128.0, *TRUTH[law].values())
    assert e["value"] == pytest.approx(expected, rel=0.1)


def test_intervals_cover_the_truth_as_often_as_they_claim():
    covered = {"f": 0, "sigma": 0, "kappa": 0}
    seeds = 200
    for seed in range(seeds):
        amdahl = fits.fit_law("amdahl", observations("amdahl", COUNTS, NOISE, 100 + seed))
        usl = fits.fit_law("usl", observations("usl", USL_COUNTS, NOISE, 100 + seed))
        for fit, name in ((amdahl, "f"), (usl, "sigma"), (usl, "kappa")):
            low, high = fit.ci[name]
            covered[name] += low <= TRUTH[fit.law][name] <= high
    for name, count in covered.items():
        assert 0.88 <= count / seeds <= 0.99, (name, count / seeds)


def test_reference_count_above_one_uses_relative_counts():
    counts = np.repeat([4, 8, 16, 32, 64], 4)
    fit = fits.fit_law("amdahl", observations("amdahl", counts, 0.0, 0, p1=4))
    assert fit.reference_clients == 4
    assert fit.params["f"] == pytest.approx(0.05, rel=1e-6)


def test_karp_flatt_equals_the_serial_fraction_of_amdahl_data():
    table = fits.karp_flatt(observations("amdahl", COUNTS, 0.0, 0), "strong")
    assert list(table["clients"]) == [2, 4, 8, 16, 32]
    np.testing.assert_allclose(table["e"], 0.05, rtol=1e-9)
    noisy = fits.karp_flatt(observations("amdahl", COUNTS, NOISE, 5), "strong")
    assert (noisy["ci_low"] < noisy["e"]).all() and (noisy["e"] < noisy["ci_high"]).all()
    one = observations("amdahl", np.array([1, 2, 4]), 0.0, 0)
    single = fits.karp_flatt(one, "strong")
    assert single["ci_low"].isna().all() and set(single["note"]) == {"one repetition: no interval"}
    # Weak scaling uses the scaled speed-up S = n - a(n - 1): on Gustafson data e = a / S.
    weak = fits.karp_flatt(observations("gustafson", COUNTS, 0.0, 0), "weak")
    n = weak["n"].to_numpy()
    np.testing.assert_allclose(weak["e"], 0.1 / (n - 0.1 * (n - 1)), rtol=1e-9)


def test_too_few_client_counts_are_refused_with_a_reason():
    two = observations("usl", np.repeat([1, 2], 3), 0.0, 0)
    fit = fits.fit_law("usl", two)
    assert not fit.ok
    assert fit.reason == ("usl has 3 parameters and needs at least 3 distinct client counts; "
                          "this group has 2 (1, 2)")
    one = fits.fit_law("amdahl", observations("amdahl", np.repeat([4], 3), 0.0, 0))
    assert not one.ok and "needs at least 2 distinct client counts" in one.reason
    # As many observations as parameters: a curve through every point, no fit at all.
    three = fits.fit_law("usl", observations("usl", np.array([1, 2, 4]), 0.0, 0),
                         at_clients=8)
    assert not three.ok and not three.params and not three.extrapolation
    assert three.reason == ("not enough points to fit: usl has 3 parameters and this group has "
                            "3 observations (client counts 1, 2, 4); a fit needs more "
                            "observations than parameters (more client counts or repetitions)")
    two = fits.fit_law("amdahl", observations("amdahl", np.array([1, 1]), 0.0, 0))
    assert not two.ok and "this group has 2 observations (client counts 1 x2)" in two.reason
    # Nothing that prints a fit calls it exact or gives its residual.
    for text in (three.describe(), fits.fits_table([three]).to_csv()):
        assert "not enough points to fit" in text
        assert "exact" not in text and "residual" not in text
    # One more observation than parameters is a fit, with a residual and intervals.
    four = fits.fit_law("usl", observations("usl", np.array([1, 2, 4, 8]), NOISE, 0))
    assert four.ok and four.dof == 1 and all(np.isfinite(v[0]) for v in four.ci.values())


def test_a_law_of_the_other_scaling_mode_is_refused():
    obs = observations("amdahl", COUNTS, NOISE, 1)
    result = {(f.law, f.ok): f for f in fits.fit_groups(obs, "strong", at_clients={"g": 64})}
    assert ("amdahl", True) in result and ("usl", True) in result
    refused = result[("gustafson", False)]
    assert refused.reason == "gustafson describes weak scaling and this study scales strong: " \
                             "see amdahl"
    table = fits.fits_table(list(result.values()))
    assert set(table["law"]) == {"amdahl", "gustafson", "usl"}
    assert table.loc[table["law"] == "amdahl", "at_clients"].iloc[0] == 64


def test_fits_on_the_real_study(study_dir):
    study = load_study(study_dir)
    obs = stats.scaling_observations(study.samples, study.points, study.swept_keys,
                                     study.divided_keys)
    # Every point, whatever this machine flagged (flagged points: test_flags.py).
    result = {(f.law, f.group): f for f in fits.fit_groups(obs, "strong", include_flagged=True)}
    usl_small = result[("usl", "tensor_bytes=1KiB")]
    assert usl_small.ok and usl_small.dof == 6 - 3   # 3 counts x 2 repetitions
    assert len(usl_small.observations) == 6
    usl_large = result[("usl", "tensor_bytes=16KiB")]   # the 3-client points failed
    assert not usl_large.ok and "this group has 2 (1, 2)" in usl_large.reason
    assert result[("amdahl", "tensor_bytes=16KiB")].ok
