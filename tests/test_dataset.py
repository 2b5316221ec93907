import numpy as np
import pytest
import uproot

from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.likelihood.dataset import Dataset


def _ds():
    rng = np.random.default_rng(1)
    counts = rng.uniform(5, 50, 13)
    return Dataset.from_arrays(
        counts,
        np.linspace(0.2, 1.5, 14),
        errors=np.sqrt(counts) * 1.3,
        name="spec",
        axis_labels=("E_ee [keVee]",),
    )


def test_th1_roundtrip(tmp_path):
    ds = _ds()
    path = tmp_path / "spec.root"
    ds.to_root(path, "h_spec")
    back = Dataset.from_root(path, "h_spec")
    np.testing.assert_allclose(back.counts, ds.counts, rtol=1e-12)
    np.testing.assert_allclose(back.errors, ds.errors, rtol=1e-12)
    np.testing.assert_allclose(back.edges[0], ds.edges[0])
    with uproot.open(path) as f:
        assert f["h_spec"].classname.startswith("TH1")


def test_th2_roundtrip(tmp_path):
    counts = np.arange(12.0).reshape(3, 4) + 1
    ds = Dataset.from_arrays(
        counts, [0, 1, 2, 3], [0, 0.5, 1, 1.5, 2], errors=np.sqrt(counts), name="pe_t"
    )
    ds.to_root(tmp_path / "h2.root")
    back = Dataset.from_root(tmp_path / "h2.root", "pe_t")
    assert back.shape == (3, 4)
    np.testing.assert_allclose(back.counts, counts)
    np.testing.assert_allclose(back.errors, np.sqrt(counts))


def _write_ttree(path, **branches):
    with uproot.recreate(path) as f:
        f.mktree("events", {k: v.dtype for k, v in branches.items()})
        f["events"].extend(branches)


@pytest.mark.parametrize("kind", ["TTree", "RNTuple"])
def test_tree_binning_matches_histogram(tmp_path, kind):
    rng = np.random.default_rng(7)
    e = rng.uniform(0.1, 1.6, 5000)
    w = rng.uniform(0.5, 1.5, e.size)
    if kind == "TTree":
        _write_ttree(tmp_path / "ev.root", energy_kev=e, w=w)
    else:
        with uproot.recreate(tmp_path / "ev.root") as f:
            f["events"] = {"energy_kev": e, "w": w}  # uproot 5.7 writes an RNTuple
    with uproot.open(tmp_path / "ev.root") as f:
        assert kind in f.classname_of("events")
    edges = np.linspace(0.2, 1.5, 14)
    ds = Dataset.from_root_tree(tmp_path / "ev.root", "events", "energy_kev", edges, weight="w")
    ref, _ = np.histogram(e, edges, weights=w)
    ref2, _ = np.histogram(e, edges, weights=w**2)
    np.testing.assert_allclose(ds.counts, ref)
    np.testing.assert_allclose(ds.errors, np.sqrt(ref2))
    assert ds.meta["outside"] == np.sum((e < 0.2) | (e >= 1.5))
    unweighted = Dataset.from_root_tree(
        tmp_path / "ev.root", "events", "energy_kev", edges, errors="poisson"
    )
    np.testing.assert_allclose(unweighted.counts, np.histogram(e, edges)[0])


def test_wrong_root_object_lists_contents(tmp_path):
    _ds().to_root(tmp_path / "a.root", "h_spec")
    with pytest.raises(
        UnknownNameError,
        match=r"no object named 'h_spc'; did you mean 'h_spec'\? The file contains: h_spec \(TH1D\)",
    ):
        Dataset.from_root(tmp_path / "a.root", "h_spc")


def test_wrong_branch_name(tmp_path):
    with uproot.recreate(tmp_path / "ev.root") as f:
        f["events"] = {"energy_kev": np.ones(3)}
    with pytest.raises(UnknownNameError, match=r"no branch 'energy'; did you mean 'energy_kev'"):
        Dataset.from_root_tree(tmp_path / "ev.root", "events", "energy", [0, 1, 2])


def test_tree_is_not_a_histogram(tmp_path):
    _write_ttree(tmp_path / "ev.root", energy_kev=np.ones(3))
    with pytest.raises(InvalidParameterError, match="is a TTree, expected a TH1 or TH2"):
        Dataset.from_root(tmp_path / "ev.root", "events")


def test_text_roundtrip(tmp_path):
    ds = _ds()
    ds.to_text(tmp_path / "s.txt")
    back = Dataset.from_text(tmp_path / "s.txt")
    np.testing.assert_allclose(back.counts, ds.counts)
    np.testing.assert_allclose(back.edges[0], ds.edges[0], rtol=1e-9)


def test_non_uniform_centres_rejected(tmp_path):
    np.savetxt(tmp_path / "bad.txt", np.column_stack([[0.1, 0.2, 0.4], [1, 2, 3], [1, 1, 1]]))
    with pytest.raises(InvalidParameterError, match="not uniformly spaced"):
        Dataset.from_text(tmp_path / "bad.txt")


@pytest.mark.parametrize(
    ("counts", "errors", "match"),
    [
        ([1.0, -2.0], [1.0, 1.0], r"counts must be >= 0, got -2.0 in bin \(1,\)"),
        ([1.0, float("nan")], [1.0, 1.0], "counts must be finite"),
        ([1.0, 2.0], [1.0, 0.0], r"errors must be > 0, got 0.0 in bin \(1,\)"),
        (
            [1.0, 2.0, 3.0],
            [1.0, 1.0, 1.0],
            r"counts have shape \(3,\) but the edges give \(2,\) bins",
        ),
    ],
)
def test_bad_counts(counts, errors, match):
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_arrays(counts, [0, 1, 2], errors=errors)


def test_edges_must_increase():
    with pytest.raises(InvalidParameterError, match="must be strictly increasing"):
        Dataset.from_arrays([1.0, 2.0], [0, 2, 1])


def test_background_subtracted_data_allowed_when_asked():
    d = Dataset.from_arrays([1.0, -2.0], [0, 1, 2], errors=[1, 1], allow_negative=True)
    assert d.total == -1.0
