"""N-dimensional datasets: named axes, readers and writers, boundary checks, edge matching."""

import numpy as np
import pytest
import uproot

from cevns.config import load_experiment
from cevns.core.exceptions import (
    CevnsError,
    InvalidConfigError,
    InvalidParameterError,
    UnknownNameError,
)
from cevns.experiments.dresden_ii import dresden_ii_dataset
from cevns.likelihood.dataset import (
    EDGE_RTOL,
    Dataset,
    ObservedAxis,
    check_compatible,
    edges_agree,
)

E_EDGES = np.array([0.0, 1.0, 2.5, 4.0])  # keVee, non-uniform
F_EDGES = np.linspace(0.0, 1.0, 5)  # F90
T_EDGES = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 6.0])  # us


def _ds3(errors=True):
    rng = np.random.default_rng(3)
    counts = rng.poisson(4.0, (3, 4, 5)).astype(float)
    counts[1, 2, 3] = 0.0  # an empty bin
    err = np.sqrt(counts + 1.0) if errors else None
    return Dataset.from_arrays(
        counts,
        E_EDGES,
        F_EDGES,
        T_EDGES,
        errors=err,
        name="lar_like",
        axis_names=("e_ee_kev", "f90", "t_us"),
        axis_units=("keVee", "", "us"),
        unit="events",
    )


def _same(a, b):
    np.testing.assert_array_equal(a.counts, b.counts)
    assert (a.errors is None) == (b.errors is None)
    if a.errors is not None:
        np.testing.assert_allclose(a.errors, b.errors, rtol=1e-12)
    for ea, eb in zip(a.edges, b.edges, strict=True):
        np.testing.assert_allclose(ea, eb, rtol=1e-12)


# ---------------------------------------------------------------------- the 3D dataset
def test_three_dimensional_dataset():
    ds = _ds3()
    assert ds.ndim == 3
    assert ds.shape == (3, 4, 5)
    assert ds.axis_names == ("e_ee_kev", "f90", "t_us")
    assert ds.axis_labels == ("e_ee_kev [keVee]", "f90", "t_us [us]")
    assert [a.n_bins for a in ds.axes] == [3, 4, 5]
    np.testing.assert_allclose(ds.centres[0], [0.5, 1.75, 3.25], rtol=1e-15)
    np.testing.assert_allclose(ds.widths[2], [0.5, 0.5, 1.0, 2.0, 2.0], rtol=1e-15)
    assert "e_ee_kev: 3 bins 0-4 keVee" in ds.edges_summary()


def test_units_from_labels_and_bad_names():
    ds = Dataset.from_arrays([1.0, 2.0], [0, 1, 2], axis_labels=("E_ee [keVee]",))
    assert ds.axis_units == ("keVee",)
    assert ds.axis_names == (None,)
    with pytest.raises(InvalidParameterError, match=r"axis names must be identifiers.*'e ee'"):
        Dataset.from_arrays([1.0, 2.0], [0, 1, 2], axis_names=("e ee",))
    with pytest.raises(InvalidParameterError, match="2 axis names for 1 axes"):
        Dataset.from_arrays([1.0, 2.0], [0, 1, 2], axis_names=("a", "b"))


def test_poisson_counts_allow_empty_bins_errors_must_be_positive():
    ds = Dataset.from_arrays([0.0, 3.0], [0, 1, 2])
    assert ds.is_poisson
    with pytest.raises(InvalidParameterError, match=r"errors must be > 0, got 0.0 in bin \(0,\)"):
        Dataset.from_arrays([0.0, 3.0], [0, 1, 2], errors=[0.0, 1.7])


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("errors", [True, False])
@pytest.mark.parametrize("fmt", ["text", "csv", "npz", "hdf5", "root", "hist"])
def test_round_trips_3d(tmp_path, fmt, errors):
    ds = _ds3(errors)
    if fmt == "text":
        ds.to_text(tmp_path / "d.txt")
        cols = [
            ("e_ee_kev_low", "e_ee_kev_high"),
            ("f90_low", "f90_high"),
            ("t_us_low", "t_us_high"),
        ]
        back = Dataset.from_text(
            tmp_path / "d.txt",
            edge_columns=cols,
            count_column="count",
            error_column="error" if errors else None,
        )
    elif fmt == "csv":
        ds.to_text(tmp_path / "d.csv", delimiter=",")
        back = Dataset.from_csv(
            tmp_path / "d.csv",
            edge_columns=[(0, 1), (2, 3), (4, 5)],
            count_column=6,
            error_column=7 if errors else None,
        )
    elif fmt == "npz":
        ds.to_npz(tmp_path / "d.npz")
        back = Dataset.from_numpy(tmp_path / "d.npz")
        assert back.axis_names == ds.axis_names
        assert back.axis_units == ds.axis_units
        assert back.unit == "events"
    elif fmt == "hdf5":
        ds.to_hdf5(tmp_path / "d.h5", "lar")
        back = Dataset.from_hdf5(tmp_path / "d.h5", "lar")
        assert back.axis_names == ds.axis_names
        assert back.axis_units == ds.axis_units
    elif fmt == "root":
        ds.to_root(tmp_path / "d.root", "h3")
        with uproot.open(tmp_path / "d.root") as f:
            assert f["h3"].classname == "TH3D"
        back = Dataset.from_root(tmp_path / "d.root", "h3")
        assert back.axis_names == ds.axis_names  # TAxis titles "name [unit]"
        assert back.axis_units == ("keVee", "", "us")
    else:
        back = Dataset.from_hist(ds.to_hist())
        assert back.axis_names == ds.axis_names
    _same(back, ds)


@pytest.mark.parametrize("ndim", [1, 2])
def test_root_th1_th2_round_trip_poisson_with_empty_bin(tmp_path, ndim):
    counts = np.array([3.0, 0.0, 5.0, 1.0]) if ndim == 1 else np.array([[3.0, 0.0], [5.0, 1.0]])
    edges = [[0.0, 1.0, 2.0, 3.0, 4.0]] if ndim == 1 else [[0.0, 1.0, 2.0], [0.0, 0.5, 1.0]]
    ds = Dataset.from_arrays(counts, *edges, name="poisson")
    ds.to_root(tmp_path / "p.root")
    back = Dataset.from_root(tmp_path / "p.root", "poisson")
    assert back.is_poisson
    _same(back, ds)


def test_unweighted_sumw2_histogram_with_empty_bin_reads_as_poisson(tmp_path):
    import hist

    h = hist.Hist(hist.axis.Regular(4, 0.0, 4.0, label="PE"), storage=hist.storage.Weight())
    h.fill([0.5, 0.5, 2.5])  # bins 1 and 3 empty: variances equal the values
    with uproot.recreate(tmp_path / "h.root") as f:
        f["h"] = h
    back = Dataset.from_root(tmp_path / "h.root", "h")
    assert back.is_poisson
    np.testing.assert_array_equal(back.counts, [2.0, 0.0, 1.0, 0.0])
    assert back.axis_units == ("PE",)
    with pytest.raises(InvalidParameterError, match=r"errors must be > 0, got 0.0 in bin \(1,\)"):
        Dataset.from_root(tmp_path / "h.root", "h", errors="sumw2")


@pytest.mark.parametrize("kind", ["TTree", "RNTuple"])
def test_tree_two_branches_against_histogramdd(tmp_path, kind):
    rng = np.random.default_rng(11)
    pe = rng.uniform(0.0, 70.0, 4000)
    t = rng.uniform(0.0, 7.0, pe.size)
    w = rng.uniform(0.5, 1.5, pe.size)
    branches = {"pe": pe, "t_us": t, "w": w}
    with uproot.recreate(tmp_path / "ev.root") as f:
        if kind == "TTree":
            f.mktree("events", {k: v.dtype for k, v in branches.items()})
            f["events"].extend(branches)
        else:
            f["events"] = branches
    pe_edges, t_edges = np.arange(8.0, 61.0, 4.0), np.linspace(0.0, 6.0, 13)
    ds = Dataset.from_root_tree(
        tmp_path / "ev.root",
        "events",
        ["pe", "t_us"],
        [pe_edges, t_edges],
        weight="w",
        axis_names=("pe", "t_us"),
        axis_units=("PE", "us"),
    )
    ref, _, _ = np.histogram2d(pe, t, [pe_edges, t_edges], weights=w)
    ref2, _, _ = np.histogram2d(pe, t, [pe_edges, t_edges], weights=w**2)
    np.testing.assert_allclose(ds.counts, ref, rtol=1e-12)
    np.testing.assert_allclose(ds.errors, np.sqrt(ref2), rtol=1e-12)
    inside = (pe >= 8) & (pe < 60) & (t < 6)
    assert ds.meta["outside"] == int((~inside).sum())
    assert ds.meta["entries"] == 4000
    poisson = Dataset.from_root_tree(
        tmp_path / "ev.root", "events", ["pe", "t_us"], [pe_edges, t_edges], errors="none"
    )
    assert poisson.is_poisson
    np.testing.assert_array_equal(poisson.counts, np.histogram2d(pe, t, [pe_edges, t_edges])[0])


@pytest.mark.parametrize("source", ["text", "csv", "npy", "array"])
def test_events_binned_on_three_axes(tmp_path, source):
    rng = np.random.default_rng(5)
    ev = np.column_stack(
        [rng.uniform(-0.5, 4.5, 3000), rng.uniform(0, 1, 3000), rng.uniform(0, 7, 3000)]
    )
    if source == "text":
        np.savetxt(tmp_path / "ev.txt", ev, header="e f t")
        src = tmp_path / "ev.txt"
    elif source == "csv":
        np.savetxt(tmp_path / "ev.csv", ev, delimiter=",", header="e,f,t", comments="")
        src = tmp_path / "ev.csv"
    elif source == "npy":
        np.save(tmp_path / "ev.npy", ev)
        src = tmp_path / "ev.npy"
    else:
        src = ev
    ds = Dataset.from_events(
        src, [E_EDGES, F_EDGES, T_EDGES], axis_names=("e_ee_kev", "f90", "t_us")
    )
    ref, _ = np.histogramdd(ev, [E_EDGES, F_EDGES, T_EDGES])
    np.testing.assert_array_equal(ds.counts, ref)
    assert ds.is_poisson
    assert ds.meta["outside"] == int(np.sum((ev[:, 0] < 0) | (ev[:, 0] >= 4) | (ev[:, 2] >= 6)))


def test_csv_columns_by_header_name_in_any_order(tmp_path):
    (tmp_path / "d.csv").write_text(
        "count,t_high,t_low,pe_low,pe_high\n4,1,0,0,2\n1,2,1,0,2\n0,1,0,2,5\n7,2,1,2,5\n"
    )
    ds = Dataset.from_csv(
        tmp_path / "d.csv",
        edge_columns=[("pe_low", "pe_high"), ("t_low", "t_high")],
        count_column="count",
        error_column=None,
    )
    np.testing.assert_array_equal(ds.counts, [[4.0, 1.0], [0.0, 7.0]])
    np.testing.assert_array_equal(ds.edges[0], [0.0, 2.0, 5.0])
    np.testing.assert_array_equal(ds.edges[1], [0.0, 1.0, 2.0])


def test_text_centres_with_explicit_edges(tmp_path):
    np.savetxt(tmp_path / "c.txt", np.column_stack([[0.5, 1.5, 3.0], [2.0, 0.0, 4.0]]))
    ds = Dataset.from_text(
        tmp_path / "c.txt", centre_columns=[0], edges=[[0.0, 1.0, 2.0, 4.0]], error_column=None
    )
    np.testing.assert_array_equal(ds.counts, [2.0, 0.0, 4.0])


# ---------------------------------------------------------------------- boundary checks
def _root_file(tmp_path):
    p = tmp_path / "ok.root"
    Dataset.from_arrays([1.0, 2.0], [0, 1, 2], errors=[1, 1], name="h").to_root(p)
    with uproot.update(p) as f:
        f["tree"] = {"x": np.arange(5.0)}
    return p


def _bad_text(tmp_path, case):
    p = tmp_path / f"{case}.txt"
    if case == "missing":
        return tmp_path / "nothere.txt"
    if case == "directory":
        (tmp_path / "adir").mkdir()
        return tmp_path / "adir"
    content = {
        "empty": b"",
        "comments_only": b"# nothing\n\n",
        "binary": bytes(range(256)),
        "ragged": b"0.1 1 1\n0.2 2\n0.3 3 1\n",
        "non_numeric": b"0.1 1 1\n0.2 two 1\n",
        "nan_counts": b"0.1 1 1\n0.2 nan 1\n0.3 3 1\n",
        "negative": b"0.1 1 1\n0.2 -2 1\n0.3 3 1\n",
        "duplicate": b"0.1 1 1\n0.1 2 1\n0.2 3 1\n",
    }[case]
    p.write_bytes(content)
    return p


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("missing", r"text file .*nothere.txt does not exist"),
        ("directory", r"adir is not a file"),
        ("empty", r"empty.txt is empty \(0 bytes\)"),
        ("comments_only", r"comments_only.txt: no data rows"),
        ("binary", r"binary.txt: not a text file \(it contains NUL bytes"),
        ("ragged", r"ragged.txt: not a table of numbers .*(columns|row)"),
        ("non_numeric", r"non_numeric.txt: not a table of numbers .*'two'"),
        ("nan_counts", r"count_column \(column 1\) has the non-finite value nan in row 1"),
        ("negative", r"counts must be >= 0, got -2.0 in bin \(1,\)"),
        ("duplicate", r"rows \[0, 1\] fall in the same bin \(0,\)"),
    ],
)
def test_bad_text_files(tmp_path, case, match):
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_text(_bad_text(tmp_path, case))


@pytest.mark.parametrize(
    ("kwargs", "content", "match"),
    [
        ({"count_column": 5}, "0.1 1 1\n0.2 2 1\n", r"count_column=5 but the file has 3 columns"),
        (
            {"count_column": "n"},
            "x,c,e\n0.1,1,1\n0.2,2,1\n",
            r"count_column='n' is not a column name \(columns: x, c, e\)",
        ),
        (
            {"edge_columns": [(0, 1)], "count_column": 2, "error_column": None},
            "0 1 5\n2 3 4\n",
            r"the bins do not join up",
        ),
        (
            {"edge_columns": [(0, 1)], "count_column": 2, "error_column": None},
            "1 0 5\n1 2 4\n",
            r"row 0 has low edge 1.0 >= high edge 0.0",
        ),
        (
            {"edge_columns": [(0, 1), (2, 3)], "count_column": 4, "error_column": None},
            "0 1 0 1 5\n0 1 1 2 4\n1 2 0 1 3\n",
            r"no row for bin \(1, 1\) of the \(2, 2\) grid",
        ),
        (
            {"centre_columns": [0], "edges": [[0.0, 2.0, 1.0]], "error_column": None},
            "0.5 1\n1.5 2\n",
            r"edges\[0\] must be strictly increasing",
        ),
        (
            {"centre_columns": [0], "edges": [[0.0, 1.0, 2.0]], "error_column": None},
            "0.5 1\n2.5 2\n",
            r"row 1 has 2.5, outside the edges 0-2",
        ),
    ],
)
def test_bad_table_layouts(tmp_path, kwargs, content, match):
    p = tmp_path / "t.txt"
    p.write_text(content)
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_text(p, **kwargs)


def test_events_all_outside_and_bad_columns(tmp_path):
    np.savetxt(tmp_path / "ev.txt", np.column_stack([np.full(10, 20.0), np.ones(10)]))
    with pytest.raises(
        InvalidParameterError,
        match=r"all 10 entries are outside the binning \(column 0: 20 to 20 \(edges 0-4\)",
    ):
        Dataset.from_events(tmp_path / "ev.txt", [E_EDGES])
    with pytest.raises(InvalidParameterError, match=r"columns\[0\]=7 but the file has 2 columns"):
        Dataset.from_events(tmp_path / "ev.txt", [E_EDGES], columns=[7])
    with pytest.raises(InvalidParameterError, match=r"1 columns for 2 edge arrays"):
        Dataset.from_events(tmp_path / "ev.txt", [E_EDGES, F_EDGES], columns=[0])
    with pytest.raises(
        InvalidParameterError, match=r"errors='sumw2' gives an error of 0 in the empty bin \(0,\)"
    ):
        Dataset.from_events(np.array([3.5]), [E_EDGES], errors="sumw2")


def test_corrupt_and_truncated_root_files(tmp_path):
    good = _root_file(tmp_path)
    junk = tmp_path / "junk.root"
    junk.write_bytes(b"this is not a ROOT file" * 10)
    with pytest.raises(InvalidParameterError, match=r"junk.root: not a readable ROOT file"):
        Dataset.from_root(junk, "h")
    truncated = tmp_path / "truncated.root"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InvalidParameterError, match=r"truncated.root: not a readable ROOT file"):
        Dataset.from_root(truncated, "h")
    with pytest.raises(InvalidParameterError, match=r"does not exist"):
        Dataset.from_root(tmp_path / "none.root", "h")


def test_wrong_root_object_types(tmp_path):
    p = _root_file(tmp_path)
    with pytest.raises(
        InvalidParameterError, match=r"object 'h' is a TH1D, expected a TTree or RNTuple"
    ):
        Dataset.from_root_tree(p, "h", "x", [0, 1, 2])
    with pytest.raises(
        InvalidParameterError, match=r"object 'tree' is a .*RNTuple.*, expected a TH1 or TH2"
    ):
        Dataset.from_root(p, "tree")
    with pytest.raises(UnknownNameError, match=r"no object named 'tre'; did you mean 'tree'"):
        Dataset.from_root_tree(p, "tre", "x", [0, 1, 2])


def test_bad_numpy_and_hdf5_files(tmp_path):
    np.savez(tmp_path / "noedges.npz", counts=np.ones(3))
    with pytest.raises(
        InvalidParameterError,
        match=r"noedges.npz: counts of shape \(3,\) need arrays edges_0..edges_0; missing \['edges_0'\]",
    ):
        Dataset.from_numpy(tmp_path / "noedges.npz")
    np.savez(tmp_path / "nan.npz", counts=np.array([1.0, np.nan]), edges_0=np.arange(3.0))
    with pytest.raises(InvalidParameterError, match=r"nan.npz: nan: counts must be finite"):
        Dataset.from_numpy(tmp_path / "nan.npz")
    np.save(tmp_path / "c.npy", np.ones(3))
    with pytest.raises(
        InvalidParameterError, match=r"a .npy file holds the counts only; pass edges"
    ):
        Dataset.from_numpy(tmp_path / "c.npy")
    (tmp_path / "fake.npz").write_bytes(b"PK not a zip")
    with pytest.raises(InvalidParameterError, match=r"fake.npz: not a readable .npz file"):
        Dataset.from_numpy(tmp_path / "fake.npz")
    (tmp_path / "fake.h5").write_bytes(b"\x89HDF not really")
    with pytest.raises(InvalidParameterError, match=r"fake.h5: not a readable HDF5 file"):
        Dataset.from_hdf5(tmp_path / "fake.h5")
    _ds3().to_hdf5(tmp_path / "d.h5", "lar")
    with pytest.raises(UnknownNameError, match=r"no group 'lr'; the file contains \['lar'\]"):
        Dataset.from_hdf5(tmp_path / "d.h5", "lr")
    with pytest.raises(InvalidParameterError, match=r"'lar/counts' is a Dataset, expected a group"):
        Dataset.from_hdf5(tmp_path / "d.h5", "lar/counts")


def test_declared_edges_are_checked():
    ds = _ds3()
    named = ds.with_axes(("e", "f", "t"), ("keVee", "", "us"), edges=[E_EDGES, None, T_EDGES])
    assert named.axis_names == ("e", "f", "t")
    with pytest.raises(
        InvalidParameterError,
        match=r"cfg: axis 2 of the data has edges unnamed: 5 bins 0-6 but the declared axis has unnamed: 5 bins 0-12 \(first at edge 1",
    ):
        ds.with_axes(edges=[None, None, 2 * T_EDGES], where="cfg")


# ---------------------------------------------------------------------- edge comparison
def test_edges_agree_within_the_stated_tolerance():
    e = np.linspace(0.2, 1.5, 131)
    assert EDGE_RTOL == 1e-9
    assert edges_agree(e, e * (1 + 1e-12))
    assert not edges_agree(e, e * (1 + 1e-7))
    assert edges_agree(np.array([0.0, 1.0]), np.array([1e-13, 1.0]))  # near zero: the span
    assert not edges_agree(e, e[:-1])


def test_check_compatible_rules():
    ds = _ds3()
    axes = [
        ObservedAxis("e_ee_kev", "keVee", 3, E_EDGES),
        ObservedAxis(None, "", 4, None),
        ObservedAxis("t_us", "us", 5, T_EDGES),
    ]
    check_compatible(ds, axes, "x")
    with pytest.raises(
        InvalidParameterError,
        match=r"x: the binnings do not match: dataset 'lar_like' axis 2 \(t_us: 5 bins 0-6 us\) against the detector's observed axis \(t_us: 5 bins 0-12 us\): the edges differ",
    ):
        check_compatible(ds, [*axes[:2], ObservedAxis("t_us", "us", 5, 2 * T_EDGES)], "x")
    with pytest.raises(InvalidParameterError, match=r"unit 'keVee' against 'PE'"):
        check_compatible(ds, [ObservedAxis(None, "PE", 3, E_EDGES), *axes[1:]], "x")
    with pytest.raises(InvalidParameterError, match=r"axis name 'e_ee_kev' against 'pe'"):
        check_compatible(ds, [ObservedAxis("pe", "", 3, E_EDGES), *axes[1:]], "x")
    # a flattened index matches by its number of bins only
    flat = Dataset.from_arrays(ds.counts.ravel(), np.arange(61.0))
    check_compatible(
        flat,
        [ObservedAxis(None, "", 12, np.arange(13.0)), ObservedAxis("t_us", "us", 5, None)],
        "x",
    )
    # a single-bin axis the dataset integrates over is left out
    timing = Dataset.from_arrays([5.0, 7.0], [0.0, 1.0, 12.0], axis_labels=("t [us]",))
    check_compatible(
        timing,
        [
            ObservedAxis("e_nr_kev", "keVnr", 1, np.array([7.0, 1000.0])),
            ObservedAxis("t_us", "us", 2, np.array([0.0, 1.0, 12.0])),
        ],
        "x",
    )
    with pytest.raises(
        InvalidParameterError, match=r"has 1 axes \(unnamed: 60 bins 1-61\) but the signal gives 2"
    ):
        check_compatible(
            Dataset.from_arrays(ds.counts.ravel(), np.arange(61.0) + 1),
            [ObservedAxis(None, "", 12, None), ObservedAxis(None, "", 5, None)],
            "x",
        )


def _dresden_text(tmp_path, scale):
    ds = dresden_ii_dataset("on")
    shifted = Dataset.from_arrays(ds.counts, ds.edges[0] * scale, errors=ds.errors, name="shifted")
    p = tmp_path / "spectrum.txt"
    shifted.to_text(p)
    return p


def test_dataset_binned_at_2_to_15_kevee_does_not_fit_dresden(tmp_path):
    p = _dresden_text(tmp_path, 10.0)
    with pytest.raises(
        InvalidConfigError,
        match=r"dresden_ii: the binnings do not match: dataset 'spectrum' axis 0 \(unnamed: 130 bins 2-15\) against the detector's observed axis \(e_ee_kev: 130 bins 0.2-1.5 keVee\): the edges differ \(first at edge 0: (1\.99+\d*|2\.0) against 0\.2\)",
    ):
        load_experiment("dresden_ii", {"dataset": {"kind": "text", "path": str(p)}})
    # declared PE axis on a keVee detector: same edges, other unit
    ok = _dresden_text(tmp_path, 1.0)
    section = {"kind": "text", "path": str(ok), "axes": [{"name": "pe", "unit": "PE"}]}
    with pytest.raises(InvalidConfigError, match=r"axis name 'pe' against 'e_ee_kev'"):
        load_experiment("dresden_ii", {"dataset": section})


# ---------------------------------------------------------------------- dataset kinds
@pytest.fixture(scope="module")
def dresden_data():
    return dresden_ii_dataset("on")


@pytest.mark.parametrize("kind", ["csv", "numpy", "npy", "hdf5", "root", "text_axes"])
def test_dataset_kinds_load_dresden(tmp_path, dresden_data, kind):
    ds = dresden_data
    axis = {"name": "e_ee_kev", "unit": "keVee", "edges": {"start": 0.2, "stop": 1.5, "n": 130}}
    if kind == "csv":
        ds.to_text(tmp_path / "d.csv", delimiter=",")
        section = {"kind": "csv", "path": str(tmp_path / "d.csv"), "axes": [axis]}
    elif kind == "numpy":
        ds.to_npz(tmp_path / "d.npz")
        section = {"kind": "numpy", "path": str(tmp_path / "d.npz"), "axes": [axis]}
    elif kind == "npy":
        np.save(tmp_path / "d.npy", ds.counts)
        section = {"kind": "numpy", "path": str(tmp_path / "d.npy"), "axes": [axis]}
    elif kind == "hdf5":
        ds.to_hdf5(tmp_path / "d.h5", "rx_on")
        section = {"kind": "hdf5", "path": str(tmp_path / "d.h5"), "group": "rx_on"}
    elif kind == "root":
        ds.to_root(tmp_path / "d.root", "rx_on")
        section = {
            "kind": "root",
            "path": str(tmp_path / "d.root"),
            "object": "rx_on",
            "axes": [axis],
        }
    else:
        ds.to_text(tmp_path / "d.txt")
        section = {
            "kind": "text",
            "path": str(tmp_path / "d.txt"),
            "axes": [axis | {"edges": list(ds.edges[0])}],
        }
    if kind == "npy":  # counts only: Poisson counts, so the Poisson likelihood
        exp = load_experiment("dresden_ii", {"dataset": section, "likelihood": "poisson"})
        assert exp.dataset.is_poisson
    else:
        exp = load_experiment("dresden_ii", {"dataset": section})
        np.testing.assert_allclose(exp.dataset.errors, ds.errors, rtol=1e-12)
    np.testing.assert_allclose(exp.dataset.counts, ds.counts, rtol=1e-12)
    assert exp.dataset.axis_names == ("e_ee_kev",)
    assert exp.dataset.axis_units == ("keVee",)


def test_events_and_tree_kinds(tmp_path, dresden_data):
    rng = np.random.default_rng(2)
    e = rng.uniform(0.2, 1.5, 20000)
    np.savetxt(
        tmp_path / "ev.csv",
        np.column_stack([e, np.ones_like(e)]),
        delimiter=",",
        header="e_kevee,w",
        comments="",
    )
    with uproot.recreate(tmp_path / "ev.root") as f:
        f["events"] = {"e_kevee": e}
    axes = [{"name": "e_ee_kev", "unit": "keVee", "edges": {"start": 0.2, "stop": 1.5, "n": 130}}]
    ref = np.histogram(e, np.linspace(0.2, 1.5, 131))[0]
    sections = {
        "events": {
            "kind": "events",
            "path": str(tmp_path / "ev.csv"),
            "axes": axes,
            "columns": ["e_kevee"],
            "weight_column": "w",
        },
        "root_tree": {
            "kind": "root_tree",
            "path": str(tmp_path / "ev.root"),
            "tree": "events",
            "branches": ["e_kevee"],
            "axes": axes,
            "errors": "none",
        },
    }
    for name, section in sections.items():
        exp = load_experiment("dresden_ii", {"dataset": section, "likelihood": "poisson"})
        np.testing.assert_array_equal(exp.dataset.counts, ref, err_msg=name)
        assert exp.dataset.axis_names == ("e_ee_kev",)
    bad = sections["events"] | {"axes": [{"name": "e_ee_kev"}]}
    with pytest.raises(
        InvalidConfigError, match=r"kind 'events' bins events: axes \['e_ee_kev'\] need edges"
    ):
        load_experiment("dresden_ii", {"dataset": bad})
    bad = sections["events"] | {
        "axes": [{"name": "e", "edges": {"start": 1.5, "stop": 0.2, "n": 10}}]
    }
    with pytest.raises(InvalidConfigError, match=r"dataset.axes.0.edges"):
        load_experiment("dresden_ii", {"dataset": bad})
    with pytest.raises(CevnsError, match=r"dataset\.axes: required, missing"):
        load_experiment("dresden_ii", {"dataset": {"kind": "events", "path": "x.csv"}})


def test_poisson_dataset_with_an_empty_bin_is_fitted(tmp_path):
    """A Poisson histogram with an empty bin loads from ROOT and fits (seed: Asimov data)."""
    from cevns.stats.fit import fit

    base = load_experiment("dresden_ii")
    mu = base.expected("sm_tree").total
    counts = np.round(mu)  # integer counts near the prediction
    counts[5] = 0.0  # an empty bin
    Dataset.from_arrays(
        counts, base.dataset.edges[0], name="rx_on", axis_labels=("e_ee_kev [keVee]",)
    ).to_root(tmp_path / "p.root")
    exp = load_experiment(
        "dresden_ii",
        {
            "dataset": {"kind": "root", "path": str(tmp_path / "p.root"), "object": "rx_on"},
            "likelihood": "poisson",
        },
    )
    assert exp.dataset.is_poisson
    assert exp.dataset.counts[5] == 0.0
    cost = exp.cost("sm_tree")
    res = fit(cost)
    assert res.valid
    pred = cost.predict(res.values).total
    n = exp.dataset.counts
    deviance = 2 * np.sum(pred - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1) / pred), 0.0))
    pulls = sum(((res.values[k] - m) / s) ** 2 for k, (m, s) in cost.priors.items())
    assert res.fval == pytest.approx(deviance + pulls, rel=1e-9)
