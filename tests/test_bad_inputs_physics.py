"""Bad physics arguments are refused by the constructor that receives them, with a message
naming the class, the field, the value and what is allowed: quenching models, fit
parameters, detectors and the response a detector subclass computes."""

import math

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.detectors import quenching as qu
from cevns.detectors.base import MAX_NODES, Detector
from cevns.detectors.resolution import GaussianResolution
from cevns.physics.families import Parameter
from cevns.physics.nuclei import Target

NAN, INF = math.nan, math.inf


# --- quenching constructors --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: qu.Lindhard(k=-0.1), r"Lindhard: k must be > 0 and finite, got -0\.1"),
        (lambda: qu.Lindhard(k=0.0), r"Lindhard: k must be > 0 and finite, got 0\.0"),
        (lambda: qu.Lindhard(k=NAN), r"Lindhard: k must be > 0 and finite, got nan"),
        (lambda: qu.Lindhard(k="0.15"), r"Lindhard: k must be > 0 and finite, got '0\.15'"),
        (
            lambda: qu.Lindhard(z=0),
            r"Lindhard: z must be a proton number \(an integer 1\.\.118\), got 0",
        ),
        (lambda: qu.Lindhard(z=32.5), r"z must be a proton number .*got 32\.5"),
        (lambda: qu.Lindhard(z=200), r"z must be a proton number .*got 200"),
        (lambda: qu.Lindhard(scale=-1.0), r"Lindhard: scale must be > 0 and finite, got -1\.0"),
        (lambda: qu.Lindhard(scale=INF), r"Lindhard: scale must be > 0 and finite, got inf"),
        (
            lambda: qu.Lindhard(valid_range_kev=(5.0, 1.0)),
            r"valid_range_kev must satisfy 0 <= lo < hi \(finite, keVnr\), got \(5\.0, 1\.0\)",
        ),
        (
            lambda: qu.ModifiedLindhard(adiabatic_kev=NAN),
            r"ModifiedLindhard: adiabatic_kev must be > 0 and finite, got nan",
        ),
        (
            lambda: qu.ModifiedLindhard(adiabatic_kev=0.1, k=-1.0),
            r"ModifiedLindhard: k must be > 0 and finite, got -1\.0",
        ),
        (lambda: qu.ConstantQuenching(qf=NAN), r"ConstantQuenching: qf must be a finite number"),
        (
            lambda: qu.ConstantQuenching(qf=1.5),
            r"ConstantQuenching: qf must be in \(0, 1\], got 1\.5",
        ),
        (lambda: qu.ConstantQuenching(scale=0.0), r"ConstantQuenching: scale must be > 0"),
        (
            lambda: qu.PolynomialQuenching(coefficients=(0.1, NAN)),
            r"PolynomialQuenching: coefficients\[1\] must be a finite number, got nan",
        ),
        (lambda: qu.PolynomialQuenching(coefficients=()), r"coefficients must hold at least one"),
        (lambda: qu.PolynomialQuenching(unit="eV"), r"unit must be 'MeV' or 'keV', got 'eV'"),
        (lambda: qu.LinearQuenching(a=NAN), r"LinearQuenching: a must be a finite number, got nan"),
        (
            # QF = -1 + 0.00078 E is negative over all of 0..1000 keVnr: a negative E_ee
            lambda: qu.LinearQuenching(a=-1.0),
            r"QF = a \+ b E_nr must be > 0 over valid_range_kev \(0\.0, 1000\.0\), got -1 at 0",
        ),
        (
            # positive at 0, negative above 300 keVnr (inside the stated range)
            lambda: qu.LinearQuenching(a=0.3, b=-0.001),
            r"got 0\.3 at 0 and -0\.7 at 1000 keVnr",
        ),
        (
            lambda: qu.TabulatedQuenching([0.0, 1.0], [0.2, 0.2], scale=-2.0),
            r"TabulatedQuenching: scale must be > 0 and finite, got -2\.0",
        ),
        (
            lambda: qu.TabulatedQuenching([0.0, 1.0], [0.2, 1.2]),
            r"quenching factors must be in \(0, 1\], got values from 0\.2 to 1\.2",
        ),
        (lambda: qu.Lindhard().with_scale(NAN), r"scale must be finite"),
    ],
    ids=lambda v: "" if callable(v) else None,
)
def test_quenching_constructor_refuses(make, match):
    with pytest.raises(InvalidParameterError, match=match):
        make()


def test_valid_quenching_still_matches_lindhard():
    # the checks change nothing for valid input: Q(4.5 keVnr) = 0.2093 for Ge, k = 0.157
    # (Lindhard 1963 formula evaluated independently here)
    e, k, z = 4.5, 0.157, 32
    eps = 11.5 * e * z ** (-7 / 3)
    g = 3 * eps**0.15 + 0.7 * eps**0.6 + eps
    assert float(qu.Lindhard(k=k, z=z)(e)) == pytest.approx(e * k * g / (1 + k * g), rel=1e-12)


# --- fit parameters ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"prior": (NAN, 0.1)},
            r"parameter 'x': prior \(mean, sigma\) must be finite, got \(nan, 0\.1\)",
        ),
        ({"prior": (0.0, INF)}, r"prior \(mean, sigma\) must be finite, got \(0\.0, inf\)"),
        ({"prior": (0.0, -0.1)}, r"prior sigma must be > 0, got \(0\.0, -0\.1\)"),
        ({"prior": (0.0,)}, r"prior must be \(mean, sigma\), got \(0\.0,\)"),
        ({"limits": (NAN, 1.0)}, r"limits must satisfy lo < hi, got \(nan, 1\.0\)"),
        ({"limits": (1.0, 0.0)}, r"limits must satisfy lo < hi"),
        ({"value": 2.0, "limits": (0.0, 1.0)}, r"start value 2\.0 is outside its limits"),
        ({"step": 0.0}, r"step must be > 0, got 0\.0"),
    ],
    ids=[
        "prior-nan-mean",
        "prior-inf-sigma",
        "prior-negative-sigma",
        "prior-one-number",
        "limits-nan",
        "limits-inverted",
        "value-outside",
        "step-zero",
    ],
)
def test_parameter_refuses(kw, match):
    args = {"name": "x", "value": 0.5} | kw
    with pytest.raises(InvalidParameterError, match=match):
        Parameter(**args)


# --- detectors: sizes and the response a subclass computes -------------------------------------
class _Ge(Detector):
    """A user detector whose hooks return what the test asks for."""

    def __init__(self, *, quench=0.2, prob=None, **kw):
        super().__init__(
            "user_ge",
            Target.element("Ge"),
            mass_kg=1.0,
            live_days=1.0,
            bin_edges=[0.2, 0.3, 0.4],
            **kw,
        )
        self._q, self._p = quench, prob

    def _quench(self, e_nr_kev):
        return self._q(e_nr_kev) if callable(self._q) else self._q * e_nr_kev

    def _smear(self, true, edges):
        if self._p is not None:  # the same probability in both bins
            return np.full((2, true.size), self._p)
        return GaussianResolution(sigma_n_kev=0.05).bin_probabilities(true, edges)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"n_nodes": 10**9}, rf"n_nodes must be an integer in 50\.\.{MAX_NODES}, got 1000000000"),
        ({"n_nodes": 1500.5}, r"n_nodes must be an integer in 50\.\.\d+, got 1500\.5"),
        ({"n_nodes": True}, r"n_nodes must be an integer .*got True"),
    ],
    ids=["n_nodes-1e9", "n_nodes-float", "n_nodes-bool"],
)
def test_detector_sizes_are_bounded(kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        _Ge(**kw)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"prob": 3.26},
            r"user_ge: smearing probabilities must lie in \[0, 1\]; _Ge gives 3\.26 in bin 0 "
            r"for a recoil of 0\.01 keVnr",
        ),
        ({"prob": -0.1}, r"smearing probabilities must lie in \[0, 1\]; _Ge gives -0\.1 in"),
        (
            {"quench": lambda e: 0.2 * e - 0.01},  # negative below 0.05 keVnr
            r"user_ge: the quenched energy must be finite and >= 0 keVee, got -0\.00\d+ for a "
            r"recoil of",
        ),
        (
            {"quench": lambda e: np.full_like(e, np.nan)},
            r"quenched energy must be finite .*got nan",
        ),
    ],
    ids=["probability-3.26", "probability-negative", "negative-quenched-energy", "nan-quenched"],
)
def test_detector_response_is_checked_when_built(kw, match):
    det = _Ge(**kw)
    nodes = np.geomspace(0.01, 5.0, 200)
    with pytest.raises(InvalidParameterError, match=match):
        det.response_matrix(nodes)


def test_probabilities_summing_above_one_are_refused():
    # each bin probability below 1 but the two bins of one recoil together 1.6
    with pytest.raises(InvalidParameterError, match=r"sum to 1\.6 > 1 \(_Ge\)"):
        _Ge(prob=0.8).response_matrix(np.geomspace(0.01, 5.0, 60))


def test_a_valid_user_response_is_unchanged():
    # the Gaussian bin probabilities of a 0.2 QF, checked against scipy directly; rtol 1e-9:
    # the same CDF differences in another order of operations (rounding only)
    from scipy import stats

    det = _Ge()
    nodes = np.geomspace(0.01, 5.0, 200)
    r = det.response_matrix(nodes)
    w = np.zeros(nodes.size)
    w[:-1] += np.diff(nodes) / 2
    w[1:] += np.diff(nodes) / 2
    sigma = GaussianResolution(sigma_n_kev=0.05).sigma(0.2 * nodes)
    cdf = stats.norm.cdf(np.array([0.2, 0.3, 0.4])[:, None], 0.2 * nodes, sigma)
    np.testing.assert_allclose(r, np.diff(cdf, axis=0) * w, rtol=1e-9, atol=1e-15)
