"""Mono-energetic efficiency templates (cevns.detectors.mono_response, kind response_templates).

Checked on their own, without any release: small synthetic templates written here, the
folded counts against exact polynomial integrals, the blocks of several exposures, the
nuisance grid, and the errors of bad templates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cevns.config.components import component
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.detectors.mono_response import MonoResponse, read_efficiency_grid, weighted_blocks
from cevns.physics.nuclei import Target

E_KEV = np.array([1.0, 2.0, 4.0])
#: efficiencies at E_KEV of 2 bins (rows: energies)
EFF = np.array([[0.1, 0.0], [0.3, 0.2], [0.2, 0.6]])
KG_DAY_PER_T_YR = 1000.0 * 365.25


def _exact_counts(eff: np.ndarray, spectrum: np.polynomial.Polynomial) -> np.ndarray:
    """sum over intervals of int (linear eps) x spectrum dE, by polynomial antiderivatives."""
    out = np.zeros(eff.shape[1])
    for k in range(E_KEV.size - 1):
        lo, hi = E_KEV[k], E_KEV[k + 1]
        for b in range(eff.shape[1]):
            slope = (eff[k + 1, b] - eff[k, b]) / (hi - lo)
            line = np.polynomial.Polynomial([eff[k, b] - slope * lo, slope])
            anti = (line * spectrum).integ()
            out[b] += anti(hi) - anti(lo)
    return out


def test_folding_is_exact_for_polynomial_spectra() -> None:
    """Linear efficiency x quadratic spectrum is cubic: 2 Gauss points per interval are exact.

    The reference integrates the polynomials analytically interval by interval (1e-13:
    rounding only); nothing of MonoResponse is used to build it.
    """
    spectrum = np.polynomial.Polynomial([2.0, -0.5, 0.07])  # events / (kg day keV), > 0 on 1..4
    resp = MonoResponse("toy", EFF, E_KEV, 2.0, target=Target.element("Ge"), gauss_points=2)
    nodes = resp.recoil_grid(100.0)
    assert nodes.size == 4
    assert nodes.min() > 1.0
    assert nodes.max() < 4.0
    counts = resp.exposure_kg_day * resp.response_matrix(nodes) @ spectrum(nodes)
    want = 2.0 * KG_DAY_PER_T_YR * _exact_counts(EFF, spectrum)
    np.testing.assert_allclose(counts, want, rtol=1e-13)


def test_monoresponse_bad_input() -> None:
    xe = Target.element("Xe")
    with pytest.raises(InvalidParameterError, match=r"shape \(n_energies = 3, n_bins\)"):
        MonoResponse("m", np.zeros((2, 81)), [0.5, 1.0, 1.5], 1.0, target=xe)
    with pytest.raises(InvalidParameterError, match=r"exposure_t_yr must be > 0, got 0.0"):
        MonoResponse("m", np.zeros((3, 81)), [0.5, 1.0, 1.5], 0.0, target=xe)
    with pytest.raises(InvalidParameterError, match=r"e_nr_kev must be >= 2 increasing"):
        MonoResponse("m", np.zeros((3, 81)), [0.5, 1.5, 1.0], 1.0, target=xe)
    with pytest.raises(InvalidParameterError, match=r"target must be a cevns.physics.nuclei"):
        MonoResponse("m", np.zeros((3, 81)), [0.5, 1.0, 1.5], 1.0, target="Xe")  # type: ignore[arg-type]
    resp = MonoResponse("m", np.full((3, 81), 0.01), [0.5, 1.0, 1.5], 1.0, target=xe)
    with pytest.raises(InvalidParameterError, match=r"needs the 8 Gauss-Legendre nodes"):
        resp.response_matrix(np.linspace(0.5, 1.5, 11))
    with pytest.raises(InvalidParameterError, match=r"one exposure per block, got 2 blocks and 1"):
        weighted_blocks([EFF, EFF], [1.0])
    with pytest.raises(InvalidParameterError, match=r"block exposures must be > 0 t yr"):
        weighted_blocks([EFF], [-1.0])


# ------------------------------------------------------------------ files on a grid
PATTERN = "{block}/eff_{e_nr_kev:.2f}_ly_{ly:.1f}.h5"


def _write(root: Path, block: str, ly: float, eff: np.ndarray) -> None:
    import h5py

    for e, row in zip(E_KEV, eff, strict=True):
        p = root / PATTERN.format(block=block, e_nr_kev=e, ly=ly)
        p.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(p, "w") as h:
            h["templates/template"] = row.reshape(1, 2)  # any shape: flattened


def _release(root: Path) -> dict[tuple[str, float], np.ndarray]:
    """Two blocks, ly = -1, 0, 1: the efficiency scaled by (1 + 0.2 ly), block b x 0.5."""
    tables = {}
    for block, f in (("a", 1.0), ("b", 0.5)):
        for ly in (-1.0, 0.0, 1.0):
            tables[(block, ly)] = EFF * f * (1.0 + 0.2 * ly)
            _write(root, block, ly, tables[(block, ly)])
    return tables


def _detector(root: Path, **over: object) -> object:
    comp = component("detector", "response_templates")
    options = {
        "target": "germanium",
        "e_nr_kev": E_KEV.tolist(),
        "template": PATTERN,
        "root": str(root),
        "nuisances": {"ly": [-1.0, 0.0, 1.0]},
        "exposure_t_yr": {"a": 2.0, "b": 3.0},
        "efficiency_uncertainty": 0.1,
    } | over
    return comp.builder(comp.options.model_validate(options))


def test_response_templates_blocks_and_grid(tmp_path: Path) -> None:
    """The kind: blocks side by side weighted by exposure, the grid as a shape systematic."""
    tables = _release(tmp_path)
    setup = _detector(tmp_path)
    det = setup.detector  # type: ignore[attr-defined]
    assert det.exposure_t_yr == 1.0
    assert det.target.name == "Ge"
    spectrum = np.polynomial.Polynomial([1.0, 0.3])
    counts = (
        det.exposure_kg_day
        * det.response_matrix(det.recoil_grid(10.0))
        @ spectrum(det.recoil_grid(10.0))
    )
    block_a = 2.0 * KG_DAY_PER_T_YR * _exact_counts(tables[("a", 0.0)], spectrum)
    block_b = 3.0 * KG_DAY_PER_T_YR * _exact_counts(tables[("b", 0.0)], spectrum)
    np.testing.assert_allclose(counts, np.concatenate([block_a, block_b]), rtol=1e-13)
    shape, scale = setup.systematics  # type: ignore[attr-defined]
    assert shape.names == ("ly",)
    assert shape.points == ((-1.0,), (1.0,))
    up = shape.variant(1.0)
    np.testing.assert_allclose(up.efficiencies[:, :2], 2.0 * tables[("a", 1.0)], rtol=1e-15)
    assert scale.name == "signal_efficiency"
    assert scale.uncertainty == 0.1


def test_response_templates_one_block_and_no_grid(tmp_path: Path) -> None:
    tables = _release(tmp_path)
    setup = _detector(
        tmp_path,
        template="a/eff_{e_nr_kev:.2f}_ly_0.0.h5",
        nuisances=None,
        exposure_t_yr=2.5,
        efficiency_uncertainty=None,
    )
    assert setup.systematics == ()  # type: ignore[attr-defined]
    det = setup.detector  # type: ignore[attr-defined]
    assert det.exposure_t_yr == 2.5
    np.testing.assert_array_equal(det.efficiencies, tables[("a", 0.0)])


def test_response_templates_bad_input(tmp_path: Path) -> None:
    _release(tmp_path)
    with pytest.raises(InvalidConfigError, match=r"exactly one of release and root"):
        _detector(tmp_path, release="xenonnt_8b_2026")
    with pytest.raises(InvalidConfigError, match=r"has the fields \['block', 'e_nr_kev', 'ly'\]"):
        _detector(tmp_path, nuisances={"tly": [-1.0, 0.0, 1.0]})
    (tmp_path / PATTERN.format(block="b", e_nr_kev=2.0, ly=-1.0)).unlink()
    with pytest.raises(InvalidConfigError, match=r"template 'b/eff_2.00_ly_-1.0.h5' is missing"):
        _detector(tmp_path)
    _write(tmp_path, "b", -1.0, EFF * 3.0)  # not an efficiency: 1.8 in one bin
    with pytest.raises(InvalidConfigError, match=r"must be efficiencies .* max 1.8"):
        read_efficiency_grid(lambda rel: tmp_path / rel, PATTERN, E_KEV, {"ly": [-1.0]}, block="b")


def test_grid_of_inference_interface_files(tmp_path: Path) -> None:
    """Files with named axes (bins/<i>): every one must have the first one's axes."""
    import h5py

    for ly in (-1.0, 0.0):
        for e, row in zip(E_KEV, EFF * (1.0 + 0.2 * ly), strict=True):
            p = tmp_path / PATTERN.format(block="a", e_nr_kev=e, ly=ly)
            p.parent.mkdir(parents=True, exist_ok=True)
            with h5py.File(p, "w") as h:
                h["bins/0"] = [0.0, 1.0, 3.0]
                h["bins/0"].attrs["name"] = "s1"
                h["templates/template"] = row
    grid = read_efficiency_grid(
        lambda r: tmp_path / r, PATTERN, E_KEV, {"ly": [-1.0, 0.0]}, block="a"
    )
    np.testing.assert_array_equal(grid[(-1.0,)], EFF * 0.8)
    with pytest.raises(InvalidConfigError, match=r"axes are \['s1'\], expected \['cs2'\]"):
        read_efficiency_grid(
            lambda r: tmp_path / r, PATTERN, E_KEV, {"ly": [0.0]}, block="a", axis_names=["cs2"]
        )
    last = tmp_path / PATTERN.format(block="a", e_nr_kev=4.0, ly=0.0)
    with h5py.File(last, "r+") as h:
        h["bins/0"][...] = [0.0, 1.5, 3.0]
    with pytest.raises(InvalidConfigError, match=r"eff_4.00_ly_0.0.h5: edges of axis 's1' are"):
        read_efficiency_grid(lambda r: tmp_path / r, PATTERN, E_KEV, {"ly": [-1.0, 0.0]}, block="a")
