"""tests/bench/synthesize_point.py: a large point made from a small real one has the real
file's every group, dataset and attribute, the requested clients and iterations, an index
making it a one-point study, and is analysed like a real one (by `scalestudy report` too,
with the same numbers)."""

from __future__ import annotations

import importlib.util
import math
import subprocess

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from conftest import SOURCE_DIR, raw_kept, report_json  # noqa: E402
from scalestudy_analysis import figures, load_study, pipeline  # noqa: E402

CLIENTS, ITERATIONS, PER_NODE = 300, 150, 64


def _synthesizer():
    spec = importlib.util.spec_from_file_location(
        "synthesize_point", SOURCE_DIR / "tests" / "bench" / "synthesize_point.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic(study_dir, tmp_path_factory):
    source = load_study(study_dir)
    done = source.completed
    row = done[done["clients"] == 2].iloc[0]   # a real point of 2 clients
    out = tmp_path_factory.mktemp("synthetic") / "big"
    point = _synthesizer().synthesize(study_dir / row["file"], out, CLIENTS, ITERATIONS,
                                      ranks_per_node=PER_NODE, seed=3)
    return study_dir / row["file"], out, point


def _layout(f: h5py.File) -> dict[str, tuple]:
    out = {"/": ("group", tuple(sorted(f.attrs)))}

    def visit(name, obj):
        kind = "dataset" if isinstance(obj, h5py.Dataset) else "group"
        dtype = str(obj.dtype) if kind == "dataset" else ""
        attrs = tuple((k, str(obj.attrs.get_id(k).dtype)) for k in sorted(obj.attrs))
        out[name] = (kind, dtype, attrs)
    f.visititems(visit)
    return out


def test_the_synthetic_point_has_every_dataset_and_attribute_of_the_real_one(synthetic):
    source, _, point = synthetic
    with h5py.File(source, "r") as real, h5py.File(point, "r") as big:
        a, b = _layout(real), _layout(big)
        assert set(a) == set(b)
        for name in a:
            if name != "/":
                assert a[name] == b[name], name
        assert set(b["/"][1]) - set(a["/"][1]) == {"synthesized_from"}
        assert set(a["/"][1]) <= set(b["/"][1])
        for key in real.attrs:   # same types at the root too
            assert big.attrs.get_id(key).dtype == real.attrs.get_id(key).dtype, key
        warmup = int(real["parameters"].attrs["warmup"])
        clients = np.flatnonzero(big["ranks/role"][()] == b"client")
        assert len(clients) == CLIENTS == big.attrs["n_clients"]
        assert big.attrs["world_size"] == len(big["ranks/world_rank"]) == \
            CLIENTS + real.attrs["n_database_ranks"]
        params = big["parameters"].attrs
        assert params["client_nodes"] * params["ranks_per_node"] >= CLIENTS
        assert params["ranks_per_node"] == PER_NODE and params["iterations"] == ITERATIONS
        assert f"iterations: {ITERATIONS}" in big.attrs["parameters_yaml"]
        assert list(big["ranks/node"][()][clients]) == [c // PER_NODE for c in range(CLIENTS)]
        for op in real["timings"]:
            repeated = real["timings"][op].shape[1] > 1
            samples = warmup + ITERATIONS if repeated else 1
            assert big["timings"][op].shape == big["failures"][op].shape == (CLIENTS, samples)
            chunks = big["timings"][op].chunks   # written a block of ranks at a time
            assert chunks is not None and chunks[1] == samples
            assert chunks[0] * chunks[1] * 8 <= 1 << 20
            np.testing.assert_array_equal(big["rows"][op][()], clients)
            assert int(big["warmup"][op][()].sum()) == int(real["warmup"][op][()].sum())
            seconds = big["timings"][op][()]
            assert np.isfinite(seconds).all() and (seconds > 0).all()
            assert big["timings"][op].attrs["bytes"] == real["timings"][op].attrs["bytes"]


def test_the_index_makes_a_study_of_one_point(synthetic):
    _, out, point = synthetic
    study = load_study(out)
    assert list(study.points["status"]) == ["completed"]
    assert study.points["file"].iloc[0] == str(point.relative_to(out))
    assert study.points["clients"].iloc[0] >= CLIENTS
    with h5py.File(out / "index.h5", "r") as f:
        assert f["links"][study.points["id"].iloc[0]].attrs is not None   # the link resolves
        assert "synthetic" in f.attrs["description"]
    assert len(study.samples) == sum(d.size for d in study.samples)


def test_scalestudy_report_and_the_package_agree_on_it(synthetic):
    _, out, point = synthetic
    theirs = report_json(out)["operations"]
    study = load_study(out)
    analysis = pipeline.analyze(study)
    assert len(analysis.summary) == len(theirs)
    for mine, ref in zip(analysis.summary.to_dict("records"), theirs):
        assert (mine["point_id"], mine["operation"], mine["n"]) == \
            (ref["point_id"], ref["operation"], ref["n"])
        x = raw_kept(point, mine["operation"])
        assert mine["p99_s"] == np.percentile(x, 99)
        for key in ("mean_s", "p50_s", "p99_s", "ops_per_s"):
            if ref[key] is None:
                assert math.isnan(mine[key])
            else:
                assert mine[key] == pytest.approx(ref[key], rel=1e-12), key
    # Stragglers of every rank; the per-rank figure draws bands beyond MAX_RANK_BOXES ranks.
    ranks = analysis.rank_stragglers
    assert len(ranks[ranks["operation"] == "put_tensor"]) == CLIENTS
    fig = figures.rank_distributions(ranks, analysis.node_stragglers, study.points,
                                     "put_tensor", list(study.completed["id"]))
    assert CLIENTS > figures.MAX_RANK_BOXES
    assert any("band p25–p75" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    plt.close(fig)


def test_the_synthesizer_command(tmp_path, synthetic):
    source, _, _ = synthetic
    done = subprocess.run(["/usr/bin/python3", str(SOURCE_DIR / "tests" / "bench" /
                                                    "synthesize_point.py"),
                           str(source), str(tmp_path / "s"), "--clients", "20",
                           "--iterations", "10"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "20 clients" in done.stdout
    with h5py.File(next((tmp_path / "s").glob("points/*/point.h5")), "r") as f:
        assert f["timings/put_tensor"].shape[0] == 20
