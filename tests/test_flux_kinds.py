"""The ``tabulated`` flux kind: a reactor flux written to a table gives the same signal."""

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError
from cevns.sources.reactor import ReactorFlux

EXPERIMENT = """schema = "cevns.experiment/1"
name = "tab"
likelihood = "chi2"

[flux]
kind = "tabulated"
path = "flux.txt"
flavours = ["nuebar"]
{extra}

[detector]
kind = "dresden_ii"

[dataset]
kind = "dresden_ii"

[[backgrounds]]
kind = "flat"
name = "flat"
level = {{ value = 1.0, limits = [0.0, 10.0] }}
"""


def _write(tmp_path, table, extra=""):
    np.savetxt(tmp_path / "flux.txt", table, header="e_nu_mev nuebar")
    (tmp_path / "e.toml").write_text(EXPERIMENT.format(extra=extra))
    return tmp_path / "e.toml"


def test_tabulated_reactor_flux_reproduces_the_reactor_kind(tmp_path):
    reactor = ReactorFlux.dresden_ii()
    lo, hi = reactor.energy_range("nuebar")
    e = np.linspace(lo, hi, 4001)
    path = _write(tmp_path, np.column_stack([e, reactor.spectrum("nuebar", e)]))
    tab = load_experiment(path).expected("sm").signal
    ref = load_experiment("dresden_ii").expected("sm").signal
    # the same detector and cross section; only the flux path differs: linear
    # interpolation of the smooth spectrum on a 3.2 keV grid (measured 3e-6 per bin; the
    # bound allows the interpolation error of a grid twice as coarse, ~4x)
    np.testing.assert_allclose(tab, ref, rtol=2e-5)
    assert tab.sum() == pytest.approx(ref.sum(), rel=5e-6)
    doubled = load_experiment(
        _write(tmp_path, np.column_stack([e, reactor.spectrum("nuebar", e)]), "scale = 2.0")
    )
    np.testing.assert_allclose(doubled.expected("sm").signal, 2 * tab, rtol=1e-12)


@pytest.mark.parametrize(
    ("table", "extra", "match"),
    [
        (np.ones((5, 3)), "", r"has 3 columns; expected 2 \(e_nu_mev, then nuebar\)"),
        (np.column_stack([[1.0, 3.0, 2.0], [1, 1, 1]]), "", r"flux\.txt: .*increasing"),
        (np.column_stack([[1.0, 2.0, 3.0], [1, -1, 1]]), "", r"flux\.txt: .*>= 0"),
        (np.column_stack([[1.0, 2.0], [1, 1]]), "scale = -1.0", r"flux\.scale: .*greater than 0"),
    ],
)
def test_bad_tables_name_the_file_and_field(tmp_path, table, extra, match):
    with pytest.raises(InvalidConfigError, match=match):
        load_experiment(_write(tmp_path, table, extra))


def test_unknown_flavour(tmp_path):
    path = _write(tmp_path, np.ones((3, 2)))
    path.write_text(path.read_text().replace('["nuebar"]', '["nu_e"]'))
    with pytest.raises(InvalidConfigError, match=r"flux\.flavours: .*unknown flavour 'nu_e'"):
        load_experiment(path)
