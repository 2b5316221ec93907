"""The inference-interface HDF5 histogram reader (cevns.data.hdf5_hist).

Synthetic files written here with h5py in the layout of XENON's releases (``bins/<i>``
with an attribute ``name``, ``templates/template``), read back against the values and
edges written, and one file per way of being wrong, each error naming what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cevns.core.exceptions import InvalidConfigError
from cevns.data.hdf5_hist import EDGE_RTOL, read_histogram, read_histograms

h5py = pytest.importorskip("h5py")

X_EDGES = [0.0, 1.0, 2.5, 4.0]
Y_EDGES = [10.0, 20.0]
VALUES = np.array([[1.0], [0.0], [2.5]])  # shape (3, 1): 3 x bins, 1 y bin


def _write(
    path: Path,
    values: object = VALUES,
    axes: tuple[tuple[object, object], ...] = (("x", X_EDGES), ("y", Y_EDGES)),
) -> Path:
    with h5py.File(path, "w") as h:
        for i, (name, edges) in enumerate(axes):
            h[f"bins/{i}"] = np.asarray(edges, dtype=float)
            if name is not None:
                h[f"bins/{i}"].attrs["name"] = name
        if values is not None:
            h["templates/template"] = values
    return path


def test_reads_values_edges_and_names(tmp_path: Path) -> None:
    h = read_histogram(_write(tmp_path / "a.h5"), axis_names=["x", "y"], edges=[X_EDGES, Y_EDGES])
    assert h.axis_names == ("x", "y")
    assert [e.tolist() for e in h.edges] == [X_EDGES, Y_EDGES]
    assert h.values.dtype == np.float64
    np.testing.assert_array_equal(h.values, VALUES)
    assert h.path == tmp_path / "a.h5"
    # nothing expected: the file's own axes
    assert read_histogram(tmp_path / "a.h5").axis_names == ("x", "y")


def test_integer_values_and_fixed_length_names(tmp_path: Path) -> None:
    """Integer counts come back as float64; a fixed-length (bytes) name is a name too."""
    p = _write(tmp_path / "i.h5", values=np.array([[3], [0], [7]], dtype=np.int32))
    with h5py.File(p, "r+") as f:
        f["bins/0"].attrs["name"] = np.bytes_("x")
    h = read_histogram(p, axis_names=["x", "y"])
    assert h.values.tolist() == [[3.0], [0.0], [7.0]]


def test_edges_within_tolerance(tmp_path: Path) -> None:
    """Edges 1e-12 relative from the expected ones agree; 1e-6 do not (EDGE_RTOL 1e-9)."""
    p = _write(tmp_path / "a.h5")
    near = [np.array(X_EDGES) * (1 + 1e-12), Y_EDGES]
    assert read_histogram(p, edges=near).edges[0][1] == 1.0
    far = [np.array(X_EDGES) * (1 + 1e-6), Y_EDGES]
    with pytest.raises(InvalidConfigError, match=r"edges of axis 'x' are \[0.0, 1.0, 2.5, 4.0\]"):
        read_histogram(p, edges=far)
    assert read_histogram(p, edges=far, edge_rtol=1e-5).axis_names == ("x", "y")
    assert EDGE_RTOL == 1e-9


def test_no_axes(tmp_path: Path) -> None:
    """axes=None: a file holding only the values (any shape)."""
    p = tmp_path / "plain.h5"
    with h5py.File(p, "w") as f:
        f["templates/template"] = np.ones((2, 5))
    h = read_histogram(p, axes=None)
    assert h.values.shape == (2, 5)
    assert h.edges == ()
    assert h.axis_names == ()
    with pytest.raises(
        InvalidConfigError, match=r"no group 'bins' of axes .* holds \['templates'\]"
    ):
        read_histogram(p)
    with pytest.raises(InvalidConfigError, match=r"axis_names and edges need axes"):
        read_histogram(p, axes=None, axis_names=["x"])


@pytest.mark.parametrize(
    ("kwargs", "expect", "match"),
    [
        ({}, {"axis_names": ["x", "z"]}, r"a.h5: axes are \['x', 'y'\], expected \['x', 'z'\]"),
        ({}, {"axis_names": ["x"]}, r"2 axes in 'bins', expected 1; bins holds \['0', '1'\]"),
        ({"values": np.ones((3, 2))}, {}, r"has shape \(3, 2\), expected \(3, 1\)"),
        (
            {"values": np.array([[1.0], [-0.5], [0.0]])},
            {},
            r"finite and >= 0, got -0.5 in bin \(1, 0\)",
        ),
        ({"values": np.array([[1.0], [0.0], [np.nan]])}, {}, r"got nan in bin \(2, 0\)"),
        ({"values": np.array([[np.inf], [0.0], [1.0]])}, {}, r"got inf in bin \(0, 0\)"),
        ({"values": None}, {}, r"no dataset 'templates/template' \(the values\); the file has no"),
        ({"values": h5py.Empty("f8")}, {}, r"'templates/template' is empty \(a null dataspace\)"),
        ({"values": np.array([b"a", b"b"])}, {}, r"'templates/template' holds \|S1 values"),
        ({"axes": (("x", [0.0, 2.0, 1.0]),)}, {}, r"axis 'x' must be >= 2 finite increasing"),
        ({"axes": (("x", [0.0, 1.0, 2.5, 4.0]), (None, Y_EDGES))}, {}, r"bins/1' has no attribute"),
        (
            {"axes": (("x", X_EDGES), (7, Y_EDGES))},
            {},
            r"attribute 'name' of axis 'bins/1' must be a",
        ),
        ({"axes": ((["x", "y"], X_EDGES),)}, {}, r"must be one string, got .* of shape \(2,\)"),
    ],
)
def test_bad_files(tmp_path: Path, kwargs: dict, expect: dict, match: str) -> None:  # type: ignore[type-arg]
    p = _write(tmp_path / "a.h5", **kwargs)
    with pytest.raises(InvalidConfigError, match=match):
        read_histogram(p, **expect)


def test_not_hdf5(tmp_path: Path) -> None:
    text = tmp_path / "t.h5"
    text.write_text("0 1 2\n")
    with pytest.raises(InvalidConfigError, match=r"t.h5: not a readable HDF5 file"):
        read_histogram(text)
    with pytest.raises(InvalidConfigError, match=r"missing.h5: not a readable HDF5 file"):
        read_histogram(tmp_path / "missing.h5")


def test_many_files_share_the_first_binning(tmp_path: Path) -> None:
    """read_histograms: every file against the first one's axes; the error names the file."""
    paths = [_write(tmp_path / f"{i}.h5", values=VALUES * i) for i in range(4)]
    hists = read_histograms(paths)
    assert [float(h.values.sum()) for h in hists] == [0.0, 3.5, 7.0, 10.5]
    _write(paths[2], axes=(("x", [0.0, 1.0, 2.0, 4.0]), ("y", Y_EDGES)))
    with pytest.raises(InvalidConfigError, match=r"2.h5: edges of axis 'x' are \[0.0, 1.0, 2.0"):
        read_histograms(paths)
    _write(paths[2], axes=(("x", X_EDGES), ("t", Y_EDGES)))
    with pytest.raises(InvalidConfigError, match=r"2.h5: axes are \['x', 't'\], expected"):
        read_histograms(paths)
    _write(paths[2], values=np.array([[1.0], [np.nan], [0.0]]))
    with pytest.raises(InvalidConfigError, match=r"2.h5: .* got nan in bin \(1, 0\)"):
        read_histograms(paths)
    with pytest.raises(InvalidConfigError, match=r"at least one file"):
        read_histograms([])


def test_inference_interface_dataset_kind(tmp_path: Path) -> None:
    """``[dataset] kind = "inference_interface"``: the file's counts, names, edges, units."""
    from cevns.config.components import component
    from cevns.core.exceptions import InvalidParameterError

    _write(tmp_path / "data.h5", values=np.array([[3], [0], [7]]))
    comp = component("dataset", "inference_interface")
    assert comp is not None

    def build(**options: object) -> Any:
        opts = comp.options.model_validate(
            {"path": "data.h5"} | options, context={"base_dir": tmp_path}
        )
        return comp.builder(opts)

    ds = build(axes=[{"name": "x", "unit": "keVee", "edges": X_EDGES}, {"name": "y"}])
    assert ds.counts.tolist() == [[3.0], [0.0], [7.0]]
    assert ds.errors is None  # Poisson
    assert ds.axis_names == ("x", "y")
    assert ds.axis_units == ("keVee", "")
    assert [e.tolist() for e in ds.edges] == [X_EDGES, Y_EDGES]
    assert ds.name == "data"
    with pytest.raises(InvalidConfigError, match=r"axes are \['x', 'y'\], expected \['x', 't'\]"):
        build(axes=[{"name": "x"}, {"name": "t"}])
    with pytest.raises(InvalidParameterError, match=r"first at edge 2: 2.5 against 2.0"):
        build(axes=[{"name": "x", "edges": [0.0, 1.0, 2.0, 4.0]}, {"name": "y"}])
