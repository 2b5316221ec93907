"""Broken data files (made here) are refused by the reader with a message naming the file
and what is wrong: text, CSV, event lists, numpy, HDF5 and ROOT; nothing is unpickled."""

import pickle

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.likelihood.dataset import Dataset

E4 = np.linspace(0.0, 1.0, 5)


def _text(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return p


# --- text and CSV ------------------------------------------------------------------------------
TEXT_CASES = [
    ("empty.txt", "", {}, r"empty\.txt is empty \(0 bytes\)"),
    ("comments.txt", "# only\n\n# comments\n", {}, r"comments\.txt: no data rows"),
    ("binary.txt", bytes(range(256)), {}, r"binary\.txt: not a text file \(it contains NUL bytes"),
    ("pickle.txt", pickle.dumps({"a": 1}), {}, r"pickle\.txt: not a (text|UTF-8 text) file"),
    ("latin1.txt", b"1 2 1\n\xe9 3 1\n", {}, r"latin1\.txt: not a UTF-8 text file"),
    ("ragged.txt", "1 2 3\n2 3\n", {}, r"ragged\.txt: not a table of numbers"),
    (
        "nan.txt",
        "1 nan 3\n2 3 1\n",
        {},
        r"nan\.txt: count_column \(column 1\) has the non-finite value nan in row 0",
    ),
    (
        "inf.txt",
        "1 2 3\n2 3 inf\n",
        {},
        r"inf\.txt: error_column \(column 2\) has the non-finite value inf in row 1",
    ),
    ("neg_err.txt", "1 2 -3\n2 3 1\n", {}, r"errors must be > 0, got -3\.0 in bin \(0,\)"),
    ("dup.txt", "1 2 1\n1 3 1\n3 3 1\n", {}, r"dup\.txt: rows \[0, 1\] fall in the same bin"),
    ("one.txt", "1 2 1\n", {}, r"need at least 2 bins to reconstruct edges, got 1"),
    (
        "uneven.txt",
        "1 2 1\n2 3 1\n4 3 1\n",
        {},
        r"uneven\.txt: bin centres are not uniformly spaced",
    ),
    (
        "col9.txt",
        "1 2 1\n2 3 1\n",
        {"count_column": 9},
        r"count_column=9 but the file has 3 columns \(0 to 2\)",
    ),
    (
        "noheader.txt",
        "1 2 1\n2 3 1\n",
        {"count_column": "n"},
        r"count_column='n' is not a column name \(columns: none: the file has no header row\)",
    ),
    (
        "gap.txt",
        "0 1 5 1\n2 3 5 1\n",
        {"edge_columns": [(0, 1)], "count_column": 2, "error_column": 3},
        r"gap\.txt: axis 0: the bins do not join up",
    ),
    (
        "inv.txt",
        "1 0 5 1\n1 2 5 1\n",
        {"edge_columns": [(0, 1)], "count_column": 2, "error_column": 3},
        r"inv\.txt: axis 0: row 0 has low edge 1\.0 >= high edge 0\.0",
    ),
    (
        "both.txt",
        "0 1 5 1\n1 2 5 1\n",
        {"edge_columns": [(0, 1)], "centre_columns": [0]},
        r"both\.txt: give edge_columns or centre_columns, not both",
    ),
    (
        "negpois.txt",
        "1 -2\n2 3\n",
        {"error_column": None},
        r"counts must be >= 0, got -2\.0 in bin \(0,\)",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "kw", "match"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES]
)
def test_text_file_refused(tmp_path, name, content, kw, match):
    p = _text(tmp_path, name, content)
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_text(p, **kw)


def test_a_directory_or_a_missing_file_is_named(tmp_path):
    with pytest.raises(
        InvalidParameterError, match=r"text file .* is not a file \(a directory\?\)"
    ):
        Dataset.from_text(tmp_path)
    with pytest.raises(InvalidParameterError, match=r"text file .*nope\.txt does not exist"):
        Dataset.from_text(tmp_path / "nope.txt")


CSV_CASES = [
    ("header.csv", "e,n,err\n", r"header\.csv: a header \(e, n, err\) but no data rows"),
    ("dup.csv", "e,n,n\n1,2,3\n", r"dup\.csv: the header repeats column names: \['e', 'n', 'n'\]"),
    (
        "cell.csv",
        "e,n,err\n1,2,3\n2,x,1\n",
        r"cell\.csv: not a table of numbers \(could not convert string 'x'",
    ),
    ("semicolon.csv", "1;2;3\n2;3;1\n", r"semicolon\.csv: not a table of numbers"),
    (
        "cols.csv",
        "e,n\n1,2,3\n",
        r"cols\.csv: (the header names 2 columns but the rows have 3|not a table of numbers)",
    ),
]


@pytest.mark.parametrize(("name", "content", "match"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_file_refused(tmp_path, name, content, match):
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_csv(_text(tmp_path, name, content))


# --- event lists -------------------------------------------------------------------------------
EVENT_CASES = [
    (
        "outside.txt",
        "5\n6\n",
        {},
        r"outside\.txt: all 2 entries are outside the binning \(column 0: 5 to 6 \(edges 0-1\)\)",
    ),
    (
        "nan.txt",
        "0.5\nnan\n",
        {},
        r"nan\.txt: columns\[0\] \(column 0\) has the non-finite value nan in row 1",
    ),
    (
        "negw.txt",
        "0.5 -1\n0.2 1\n",
        {"columns": [0], "weight_column": 1},
        r"counts must be >= 0, got -1\.0",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "kw", "match"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES]
)
def test_event_list_refused(tmp_path, name, content, kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_events(_text(tmp_path, name, content), [E4], **kw)


def test_event_edges_must_be_increasing(tmp_path):
    p = _text(tmp_path, "ev.txt", "0.1\n0.7\n")
    with pytest.raises(
        InvalidParameterError,
        match=r"must be strictly increasing, but entry 2 \(0\.2\) is not larger than entry 1 \(0\.5\)",
    ):
        Dataset.from_events(p, [np.array([0.0, 0.5, 0.2, 1.0])])


# --- numpy -------------------------------------------------------------------------------------
def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


NUMPY_CASES = [
    (
        "nocounts.npz",
        lambda p: _npz(p, edges_0=E4),
        {},
        r"nocounts\.npz: no 'counts' array; it contains \['edges_0'\]",
    ),
    (
        "shape.npz",
        lambda p: _npz(p, counts=np.ones(3), edges_0=np.linspace(0, 1, 3)),
        {},
        r"counts have shape \(3,\) but the edges give \(2,\) bins",
    ),
    (
        "negerr.npz",
        lambda p: _npz(p, counts=np.ones(4), edges_0=E4, errors=-np.ones(4)),
        {},
        r"negerr\.npz: .*errors must be > 0, got -1\.0",
    ),
    (
        "nan.npz",
        lambda p: _npz(p, counts=np.array([1, np.nan, 1, 1]), edges_0=E4),
        {},
        r"nan\.npz: .*counts must be finite",
    ),
    (
        "2d.npz",
        lambda p: _npz(p, counts=np.ones((4, 2)), edges_0=E4),
        {},
        r"2d\.npz: counts of shape \(4, 2\) need arrays edges_0\.\.edges_1; missing \['edges_1'\]",
    ),
    (
        "text.npz",
        lambda p: p.write_text("not a zip") or p,
        {},
        r"text\.npz: not a readable \.npz file \(it starts with b'not a zi'.*it looks like a text file",
    ),
    (
        "pickle.npy",
        lambda p: p.write_bytes(pickle.dumps([1.0, 2.0])) or p,
        {"edges": [E4]},
        r"pickle\.npy: not a readable \.npy file .*a Python pickle, which cevns never loads",
    ),
    (
        "object.npy",
        lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True) or p,
        {"edges": [E4]},
        r"object\.npy: not a readable \.npy file \(ValueError: Object arrays cannot be loaded when allow_pickle=False\)",
    ),
    (
        "noedges.npy",
        lambda p: np.save(p, np.ones(4)) or p,
        {},
        r"noedges\.npy: a \.npy file holds the counts only; pass edges",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "kw", "match"), NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES]
)
def test_numpy_file_refused(tmp_path, name, make, kw, match):
    p = tmp_path / name
    make(p)
    with pytest.raises(InvalidParameterError, match=match):
        Dataset.from_numpy(p, **kw)


# --- HDF5 --------------------------------------------------------------------------------------
@pytest.fixture
def h5file(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "a.h5"
    with h5py.File(path, "w") as h:
        h["counts"] = np.ones(4)
        h["edges_0"] = E4
        h["g/x"] = 1.0
        h["bad/counts"] = np.ones(3)
        h["bad/edges_0"] = np.array([0.0, 2.0, 1.0, 3.0])
        h["str/counts"] = np.array([b"a", b"b"])
        h["str/edges_0"] = np.linspace(0, 1, 3)
    return path


@pytest.mark.parametrize(
    ("group", "match"),
    [
        (
            "nope",
            r"a\.h5: no group 'nope'; the file contains \['bad', 'counts', 'edges_0', 'g', 'str'\]",
        ),
        ("g", r"a\.h5:g: no 'counts' array; it contains \['x'\]"),
        (
            "bad",
            r"a\.h5:bad: .*edges\[0\] must be strictly increasing, but entry 2 \(1\.0\) is not larger than entry 1 \(2\.0\)",
        ),
        ("str", r"a\.h5:str: counts must be numbers, got dtype \|S1"),
        ("counts", r"a\.h5: 'counts' is a Dataset, expected a group"),
    ],
)
def test_hdf5_group_refused(h5file, group, match):
    error = UnknownNameError if group == "nope" else InvalidParameterError
    with pytest.raises(error, match=match):
        Dataset.from_hdf5(h5file, group)


def test_hdf5_garbage_file(tmp_path):
    pytest.importorskip("h5py")
    p = _text(tmp_path, "fake.h5", "not hdf5")
    with pytest.raises(InvalidParameterError, match=r"fake\.h5: not a readable HDF5 file"):
        Dataset.from_hdf5(p)


# --- ROOT --------------------------------------------------------------------------------------
@pytest.fixture
def rootfile(tmp_path):
    uproot = pytest.importorskip("uproot")
    path = tmp_path / "r.root"
    with uproot.recreate(path) as f:
        f["h"] = (np.array([1.0, 2.0, 3.0]), np.linspace(0, 1, 4))
        f.mktree("t", {"x": "f8", "w": "f8"})
        f["t"].extend({"x": np.array([0.1, 0.2]), "w": np.array([1.0, np.nan])})
        f.mktree("e", {"x": "f8"})
    return path


ROOT_HIST_CASES = [
    ("hh", {}, r"r\.root: no object named 'hh'; did you mean 'h'\? The file contains: h \(TH1D\)"),
    ("t", {}, r"r\.root: object 't' is a TTree, expected a TH1 or TH2 \(or TH3\) histogram"),
    (
        "h",
        {"errors": "bogus"},
        r"r\.root: h: errors must be 'auto', 'sumw2' or 'none', got 'bogus'",
    ),
]


@pytest.mark.parametrize(
    ("obj", "kw", "match"), ROOT_HIST_CASES, ids=["missing", "tree-as-hist", "errors"]
)
def test_root_histogram_refused(rootfile, obj, kw, match):
    error = UnknownNameError if obj == "hh" else InvalidParameterError
    with pytest.raises(error, match=match):
        Dataset.from_root(rootfile, obj, **kw)


ROOT_TREE_CASES = [
    ("t", ["y"], {}, r"r\.root: tree 't' has no branch 'y' Branches: \['w', 'x'\]"),
    ("e", ["x"], {}, r"r\.root: tree 'e': no entries"),
    (
        "t",
        ["x"],
        {"weight": "w", "errors": "none"},
        r"r\.root: tree 't': branch 'w' has the non-finite value nan at entry 1",
    ),
    ("h", ["x"], {}, r"r\.root: object 'h' is a TH1D, expected a TTree or RNTuple"),
    ("t", ["x", "x"], {}, r"2 branches need 2 edge arrays, got 1"),
]


@pytest.mark.parametrize(
    ("tree", "branches", "kw", "match"),
    ROOT_TREE_CASES,
    ids=["branch", "empty", "nan-weight", "th1-as-tree", "edges"],
)
def test_root_tree_refused(rootfile, tree, branches, kw, match):
    error = UnknownNameError if branches == ["y"] else InvalidParameterError
    with pytest.raises(error, match=match):
        Dataset.from_root_tree(rootfile, tree, branches, [np.linspace(0, 1, 3)], **kw)


def test_root_tree_all_entries_outside_the_binning(rootfile):
    with pytest.raises(
        InvalidParameterError, match=r"tree 't': all 2 entries are outside the binning"
    ):
        Dataset.from_root_tree(rootfile, "t", ["x"], [np.linspace(5.0, 6.0, 3)])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda p, good: p.write_text("1 2 1\n2 3 1\n"),
            r"not a readable ROOT file \(it starts with b'1 2 1\\n2 '.*it looks like a text file",
        ),
        (
            lambda p, good: p.write_bytes(pickle.dumps([1])),
            r"not a readable ROOT file .*a Python pickle, which cevns never loads",
        ),
        (
            lambda p, good: p.write_bytes(good.read_bytes()[: good.stat().st_size // 3]),
            r"not a readable ROOT file",
        ),
        (
            lambda p, good: p.write_bytes(
                (lambda b: b[:400] + bytes(x ^ 0x5A for x in b[400:-200]) + b[-200:])(
                    good.read_bytes()
                )
            ),
            r"not a readable ROOT file",
        ),
    ],
    ids=["text", "pickle", "truncated", "corrupt"],
)
def test_broken_root_file(tmp_path, rootfile, make, match):
    p = tmp_path / "broken.root"
    make(p, rootfile)
    with pytest.raises(InvalidParameterError, match=r"broken\.root: " + match):
        Dataset.from_root(p, "h")
