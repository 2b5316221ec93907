import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.stats.scan import delta_chi2_threshold
from cevns.stats.toys import feldman_cousins, generate_toy, toy_fits

from .test_experiment import _toy_experiment


@pytest.fixture(scope="module")
def cost():
    return _toy_experiment(likelihood="poisson").cost("sin2w")


def test_toys_are_reproducible(cost):
    vals = cost.defaults | {"sin2_theta_w": 0.25}
    a = generate_toy(cost, vals, np.random.default_rng(3))
    b = generate_toy(cost, vals, np.random.default_rng(3))
    np.testing.assert_array_equal(a._obs, b._obs)
    assert a.priors["toy.flux_norm"] == b.priors["toy.flux_norm"]
    assert a.priors["toy.flux_norm"][0] != 1.0  # the auxiliary measurement fluctuates
    # the original cost is untouched and the templates are shared
    assert cost.priors["toy.flux_norm"] == (1.0, 0.05)
    assert a.expansion is cost.expansion


def test_toy_fits_are_unbiased(cost):
    vals = cost.defaults | {"sin2_theta_w": 0.25}
    r = toy_fits(cost, vals, 40, seed=1)
    assert r["valid"].mean() == 1.0
    pull_mean = np.mean(r["toy.level"]) - 50.0
    assert abs(pull_mean) < 3 * np.std(r["toy.level"]) / np.sqrt(40)
    again = toy_fits(cost, vals, 40, seed=1)
    np.testing.assert_array_equal(r["fval"], again["fval"])


def test_feldman_cousins_close_to_wilks_for_a_regular_problem(cost):
    grid = np.linspace(0.15, 0.35, 5)
    fc = feldman_cousins(cost, "sin2_theta_w", grid, n_toys=60, cl=0.9, seed=5)
    # away from boundaries the Delta chi2 distribution is chi2(1): critical ~ 2.71
    assert np.median(fc.critical) == pytest.approx(delta_chi2_threshold(0.9, 1), rel=0.5)
    d = fc.to_dict()
    assert d["n_toys"] == 60
    assert len(d["critical_delta_chi2"]) == 5
    par = feldman_cousins(cost, "sin2_theta_w", grid, n_toys=60, cl=0.9, seed=5, workers=2)
    np.testing.assert_array_equal(par.critical, fc.critical)


def test_feldman_cousins_bad_input(cost):
    with pytest.raises(KeyError, match="did you mean 'sin2_theta_w'"):
        feldman_cousins(cost, "sin2", [0.2, 0.3])
    with pytest.raises(InvalidParameterError, match="n_toys must be >= 10"):
        feldman_cousins(cost, "sin2_theta_w", [0.2, 0.3], n_toys=3)
    with pytest.raises(InvalidParameterError, match="grid must be increasing"):
        feldman_cousins(cost, "sin2_theta_w", [0.3, 0.2])


def test_asimov_returns_the_truth():
    from cevns.config import load_experiment
    from cevns.stats.fit import fit
    from cevns.stats.toys import asimov

    cost = load_experiment("dresden_ii").cost("sin2w")
    a = asimov(cost, {"sin2_theta_w": 0.25, "dresden_ii.flux_norm": 1.01})
    res = fit(a)
    assert res.fval < 1e-3  # Minuit's tolerance; the cost at the truth is exactly 0
    assert res.values["sin2_theta_w"] == pytest.approx(0.25, abs=2e-3)
    assert res.values["dresden_ii.flux_norm"] == pytest.approx(1.01, abs=1e-3)
    with pytest.raises(Exception, match="sin2_theta_W"):
        asimov(cost, {"sin2_theta_W": 0.2})
