"""The eps_ee = -2 line families of the sliver analysis (seed 001, seed 000 Fig. 7)."""

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.reproduce.runner import ANALYSES, TITLES
from cevns.reproduce.sliver import MEDIA, line_family


@pytest.mark.parametrize("y_n", sorted(MEDIA.values()))
def test_every_point_of_the_line_is_lma_dark_in_its_medium(y_n):
    fam = line_family(y_n)
    for t in (-11.0, -2.5, 0.0, 1.3):
        eps = fam.build({"t": t}).hamiltonian_eps(y_n)
        # seed 000 Eq. 2: eps_ee = (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d = -2, nothing else
        assert eps[0, 0].real == pytest.approx(-2.0, abs=1e-12)
        assert np.count_nonzero(np.abs(eps) > 1e-12) == 1


def test_the_lines_of_sun_and_earth_cross_at_the_medium_independent_point():
    # (2 + Y) u + (1 + 2 Y) d = -2 for two Y: u + 2 d = 0 and 2 u + d = -2, u = -4/3
    sun = line_family(MEDIA["sun"]).build({"t": -4.0 / 3.0})
    earth = line_family(MEDIA["earth"]).build({"t": -4.0 / 3.0})
    np.testing.assert_allclose(sun.eps_d, earth.eps_d, atol=1e-12)
    assert sun.eps_d[0, 0].real == pytest.approx(2.0 / 3.0)


def test_the_line_family_keeps_the_expansion_exact():
    sig = load_experiment("dresden_ii").signal
    fam = line_family(MEDIA["earth"])
    exp = QuadraticExpansion(sig, fam)  # identifies and self-checks (rtol 1e-8)
    for t in (-9.0, -1.0, 0.5):
        np.testing.assert_allclose(
            exp({"t": t}), sig.expected_counts(fam.build({"t": t})), rtol=1e-8
        )


def test_registered():
    assert "sliver" in ANALYSES
    assert "sliver" in TITLES
