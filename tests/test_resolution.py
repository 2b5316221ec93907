"""Resolution models: bin probabilities, normalisation, moments and seed 004 Eq. 17."""

import math

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.detectors.resolution import (
    GaussianResolution,
    PoissonPE,
    RelativeGaussian,
    Resolution,
    SigmaResolution,
    TruncatedGaussianResolution,
)

# Dresden-II (seed 004 Sec. 3.1, Eq. 17): sigma_n = 68.5 eV, eta = 2.96 eV, F = 0.105
SIGMA_N, ETA, FANO = 0.0685, 2.96e-3, 0.105

WIDE = np.linspace(-2.0, 4.0, 6001)  # 1 eV bins, far beyond +-10 sigma of every true value
POSITIVE = np.linspace(0.0, 4.0, 4001)
TRUE = np.array([0.0, 0.01, 0.05, 0.1, 0.3, 0.8, 1.5])

GAUSSIANS = {
    "gaussian": GaussianResolution(sigma_n_kev=0.0685),
    "sigma_fn": SigmaResolution(lambda e: 0.02 + 0.05 * e),
    "relative": RelativeGaussian(a=0.1),
}


def _centres(edges):
    return 0.5 * (edges[1:] + edges[:-1])


# ---------------------------------------------------------------------- seed 004 Eq. 17
def test_dresden_ii_width_at_300_ev():
    # sigma^2 = sigma_n^2 + eta F E = 0.0685^2 + 2.96e-3 * 0.105 * 0.3
    #         = 4.69225e-3 + 9.324e-5 = 4.78549e-3 keV^2 -> sigma = 0.0691773 keVee
    r = GaussianResolution(sigma_n_kev=0.0685)
    assert (r.sigma_n_kev, r.eta_kev, r.fano) == (SIGMA_N, ETA, FANO)
    assert float(r.sigma(0.3)) == pytest.approx(0.0691773, rel=1e-6)
    assert float(TruncatedGaussianResolution(sigma_n_kev=0.0685).sigma(0.3)) == pytest.approx(
        0.0691773, rel=1e-6
    )


def test_width_limits():
    r = GaussianResolution(sigma_n_kev=0.0685)
    assert float(r.sigma(0.0)) == SIGMA_N  # pure electronic noise
    assert float(r.sigma(-0.1)) == SIGMA_N  # negative energies are clipped
    # at 1.5 keVee: sqrt(4.69225e-3 + 4.662e-4) = sqrt(5.15845e-3) = 0.0718224
    assert float(r.sigma(1.5)) == pytest.approx(0.0718224, rel=1e-6)
    assert np.all(np.diff(r.sigma(np.linspace(0, 2, 50))) > 0)


def test_gaussian_bins_are_integrals_not_centre_samples():
    # one bin of +-1 sigma around the true value holds erf(1/sqrt2) = 0.682689
    r = GaussianResolution(sigma_n_kev=0.0685)
    mu = 0.3
    s = float(r.sigma(mu))
    p = r.bin_probabilities(np.array([mu]), np.array([mu - s, mu + s]))
    assert p.shape == (1, 1)
    assert float(p[0, 0]) == pytest.approx(math.erf(1 / math.sqrt(2)), rel=1e-10)


# ---------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("name", list(GAUSSIANS))
def test_gaussians_conserve_probability(name):
    r = GAUSSIANS[name]
    assert isinstance(r, Resolution)
    true = TRUE[1:]
    p = r.bin_probabilities(true, WIDE)
    assert p.shape == (WIDE.size - 1, true.size)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", list(GAUSSIANS))
def test_gaussians_preserve_mean_and_width(name):
    r = GAUSSIANS[name]
    true = np.array([0.3, 0.8, 1.5])
    p = r.bin_probabilities(true, WIDE)
    x = _centres(WIDE)
    mean = x @ p
    np.testing.assert_allclose(mean, true, atol=1e-9)
    var = (x**2) @ p - mean**2
    if name == "gaussian":
        want = SIGMA_N**2 + ETA * FANO * true
    elif name == "sigma_fn":
        want = (0.02 + 0.05 * true) ** 2
    else:
        want = 0.1**2 * true  # sigma = a sqrt(E)
    # binning adds (bin width)^2 / 12 to the variance
    np.testing.assert_allclose(var, want + 1e-6 / 12, rtol=1e-4)


def test_truncated_gaussian_normalised_on_positive_energies():
    r = TruncatedGaussianResolution(sigma_n_kev=0.0685)
    p = r.bin_probabilities(TRUE, POSITIVE)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    # the plain Gaussian loses the negative side: at E = 0 exactly half
    plain = GaussianResolution(sigma_n_kev=0.0685).bin_probabilities(TRUE, POSITIVE).sum(axis=0)
    assert plain[0] == pytest.approx(0.5, abs=1e-12)
    assert np.all(plain < 1.0 + 1e-12)


def test_truncated_gaussian_mean_is_truncated_normal_mean():
    # mean of a normal truncated to (0, inf): mu + sigma phi(mu/sigma) / Phi(mu/sigma)
    r = TruncatedGaussianResolution(sigma_n_kev=0.0685)
    true = np.array([0.0, 0.05, 0.1, 0.3])
    p = r.bin_probabilities(true, POSITIVE)
    mean = _centres(POSITIVE) @ p
    s = r.sigma(true)
    a = true / s
    phi = np.exp(-0.5 * a**2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in a]))
    np.testing.assert_allclose(mean, true + s * phi / cdf, rtol=0, atol=2e-6)  # 1 eV bins
    assert np.all(mean > true)


def test_truncation_factor_values():
    # factor 2 / (1 + erf(E / (sqrt2 sigma))): 2 at E = 0, 1.0000... far above sigma
    true = np.array([0.0, 0.0685, 1.0])
    edges = np.array([0.2, 0.21])
    ratio = (
        TruncatedGaussianResolution(sigma_n_kev=0.0685).bin_probabilities(true, edges)
        / GaussianResolution(sigma_n_kev=0.0685).bin_probabilities(true, edges)
    )[0]
    s1 = float(GaussianResolution(sigma_n_kev=0.0685).sigma(0.0685))
    assert ratio[0] == pytest.approx(2.0, rel=1e-12)
    assert ratio[1] == pytest.approx(2 / (1 + math.erf(0.0685 / (math.sqrt(2) * s1))), rel=1e-12)
    assert ratio[2] == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------- Poisson PE
def test_poisson_pe_probabilities():
    # mean = 10 PE/keVee * 0.2 keVee = 2 PE: P(n) = exp(-2) 2^n / n!
    r = PoissonPE(light_yield_pe_per_kev=10.0)
    edges = np.arange(0.0, 6.0)
    p = r.bin_probabilities(np.array([0.2]), edges)[:, 0]
    want = [math.exp(-2) * 2**n / math.factorial(n) for n in range(5)]
    np.testing.assert_allclose(p, want, rtol=1e-12)
    assert p[0] == pytest.approx(0.1353353, rel=1e-6)


def test_poisson_pe_bins_hold_integers_lo_to_hi_minus_one():
    r = PoissonPE(light_yield_pe_per_kev=10.0)
    single = r.bin_probabilities(np.array([0.2]), np.arange(0.0, 7.0))[:, 0]
    wide = r.bin_probabilities(np.array([0.2]), np.array([0.0, 2.0, 4.0, 6.0]))[:, 0]
    np.testing.assert_allclose(wide, [single[0:2].sum(), single[2:4].sum(), single[4:6].sum()])
    # [0.5, 2.5) holds the integers 1 and 2
    frac = r.bin_probabilities(np.array([0.2]), np.array([0.5, 2.5]))[0, 0]
    assert frac == pytest.approx(single[1] + single[2], rel=1e-12)


def test_poisson_pe_conserves_probability_and_mean():
    r = PoissonPE()  # COHERENT CsI 2017: 13.348 PE/keVee
    assert r.light_yield_pe_per_kev == 13.348
    true = np.array([0.0, 0.5, 2.0, 5.0])
    edges = np.arange(0.0, 200.0)
    p = r.bin_probabilities(true, edges)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(edges[:-1] @ p, 13.348 * true, rtol=1e-10)
    assert p[0, 0] == 1.0  # no light, no photoelectron


def test_poisson_pe_acceptance_applied_per_integer():
    def acc(n):
        return np.where(n >= 3, 0.5, 0.0)

    r = PoissonPE(light_yield_pe_per_kev=10.0, acceptance=acc)
    bare = PoissonPE(light_yield_pe_per_kev=10.0)
    true = np.array([0.2, 0.4])
    edges = np.array([0.0, 2.0, 4.0, 6.0])
    single = bare.bin_probabilities(true, np.arange(0.0, 7.0))
    p = r.bin_probabilities(true, edges)
    np.testing.assert_allclose(p[0], 0.0)
    np.testing.assert_allclose(p[1], 0.5 * single[3])
    np.testing.assert_allclose(p[2], 0.5 * (single[4] + single[5]))


# ---------------------------------------------------------------------- invalid parameters
@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: PoissonPE(light_yield_pe_per_kev=0.0), "light_yield_pe_per_kev"),
        (lambda: PoissonPE(light_yield_pe_per_kev=-3.0), "light_yield_pe_per_kev"),
        (lambda: PoissonPE(light_yield_pe_per_kev=float("nan")), "light_yield_pe_per_kev"),
        (lambda: GaussianResolution(sigma_n_kev=0.0), "sigma_n_kev"),
        (lambda: GaussianResolution(sigma_n_kev=-0.0685), "sigma_n_kev"),
        (lambda: GaussianResolution(sigma_n_kev=0.0685, fano=-0.1), "fano"),
        (lambda: GaussianResolution(sigma_n_kev=0.0685, eta_kev=-1e-3), "eta_kev"),
        (lambda: TruncatedGaussianResolution(sigma_n_kev=0.0), "sigma_n_kev"),
        (lambda: RelativeGaussian(a=0.0), "a"),
    ],
)
def test_invalid_parameters_rejected(factory, field):
    with pytest.raises(InvalidParameterError, match=rf"^{field} must be"):
        factory()


def test_sigma_function_must_give_positive_widths():
    from cevns.core.exceptions import InvalidParameterError

    res = SigmaResolution(lambda e: 0.05 - e)  # negative above 0.05 keV
    with pytest.raises(InvalidParameterError, match=r"finite widths > 0; got .* at e_true = 0\.1"):
        res.bin_probabilities(np.array([0.01, 0.1]), np.linspace(0.0, 1.0, 11))


def test_relative_gaussian_width_of_the_reconstructed_energy():
    """width_of="reconstructed": p(E_rec | E) = N(E_rec; E, a sqrt(E_rec)) on E_rec > 0
    (the COHERENT LAr yaml's wording), against scipy quad of that density, whose integral
    over E_rec > 0 is exactly 1 (checked); far above a^2 it approaches the true-energy
    width."""
    from scipy.integrate import quad

    from cevns.detectors.resolution import RelativeGaussian

    a = 0.58
    res = RelativeGaussian(a, width_of="reconstructed")
    true = np.array([0.3, 2.0, 8.0, 25.0])
    edges = np.array([0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0])
    p = res.bin_probabilities(true, edges)

    def dens(x, t):
        s = a * np.sqrt(x)
        return np.exp(-0.5 * ((x - t) / s) ** 2) / (np.sqrt(2 * np.pi) * s)

    for j, t in enumerate(true):
        norm = quad(dens, 0.0, t, args=(t,), limit=200)[0]
        norm += quad(dens, t, np.inf, args=(t,), limit=200)[0]
        assert norm == pytest.approx(1.0, rel=1e-8)
        for i in range(edges.size - 1):
            inside = [t] if edges[i] < t < edges[i + 1] else None
            ref = quad(dens, edges[i], edges[i + 1], args=(t,), points=inside, limit=200)[0]
            ref /= norm
            assert p[i, j] == pytest.approx(ref, rel=1e-6, abs=1e-10)  # 48 nodes per bin
    # far above a^2 (E = 400 keVee, sigma ~ 11.6): close to the true-energy width, with the
    # upper tail heavier (a wider Gaussian above E) and the lower one lighter
    high = np.array([400.0])
    wide = np.array([300.0, 380.0, 400.0, 420.0, 500.0])
    rec = res.bin_probabilities(high, wide)[:, 0]
    tru = RelativeGaussian(a).bin_probabilities(high, wide)[:, 0]
    np.testing.assert_allclose(rec[1:3], tru[1:3], rtol=0.02)
    assert rec[0] < tru[0]
    assert rec[3] > tru[3]
    with pytest.raises(InvalidParameterError, match="width_of must be 'true' or 'reconstructed'"):
        RelativeGaussian(a, width_of="measured")
