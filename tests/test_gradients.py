"""Analytic gradients of backgrounds, costs and profiled costs against central differences.

The reference is a central difference of the *value* written here (step h relative to the
parameter's scale, error O(h^2 f''') plus rounding O(eps f / h)): with h = 1e-5 of the
scale both stay below 1e-6 of the gradient's size, so the comparisons use rtol 1e-5 on
well-scaled components and an absolute floor of 1e-5 of the largest component (a
component that is zero analytically may come out at rounding level numerically).
"""

import numpy as np
import pytest

from cevns import Target
from cevns.config import load_experiment
from cevns.likelihood.background import (
    TemplateBackground,
)
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.profiled import ProfiledCost
from cevns.likelihood.signal import Signal
from cevns.likelihood.systematics import NormSystematic, ShapeSystematic
from cevns.physics.families import family
from cevns.stats.fit import fit

from .test_lines import dresden_eq18, every_tie
from .test_profiled import EDGES
from .test_profiled import _backgrounds as profiled_backgrounds
from .test_signal import RecoilCounter, _reactor


def central(f, x, rel=1e-5):
    """Central differences of ``f(*x)`` with steps ``rel * max(|x_i|, 1e-2)``."""
    x = np.asarray(x, dtype=float)
    g = np.empty(x.size)
    for i in range(x.size):
        h = rel * max(abs(x[i]), 1e-2)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(*up) - f(*down)) / (2 * h)
    return g


def assert_gradient(analytic, numeric, rtol=1e-5):
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    floor = 1e-5 * np.max(np.abs(numeric))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=floor)


def _backgrounds():
    """The profiled-cost tests' flat, exponential and Gaussian line, a template, Eq. 18
    (the shipped Dresden-II declaration) and lines with every kind of tie, integrated."""
    return [
        *profiled_backgrounds(),
        TemplateBackground("tpl", np.linspace(1.0, 3.0, 28), norm_prior=(1.0, 0.2)),
        dresden_eq18(),
        every_tie("integrated"),
    ]


@pytest.mark.parametrize("bkg", _backgrounds(), ids=lambda b: f"{type(b).__name__}-{b.name}")
def test_background_jacobian_matches_central_differences(bkg):
    """Every row of jacobian() is d expected / d parameter, at random interior points."""
    assert bkg.has_jacobian
    rng = np.random.default_rng(3)
    names = [p.name for p in bkg.parameters]
    for _ in range(4):
        x = np.array([rng.uniform(*p.limits) for p in bkg.parameters])
        x = np.clip(x, [p.limits[0] * 1.05 + 1e-3 for p in bkg.parameters], None)
        jac = bkg.jacobian(dict(zip(names, x, strict=True)))
        assert jac.shape == (len(names), *bkg.expected({}).shape)
        for b in range(jac.shape[1]):

            def one_bin(*v, b=b):
                return bkg.expected(dict(zip(names, v, strict=True)))[b]

            np.testing.assert_allclose(
                jac[:, b], central(one_bin, x), rtol=1e-5, atol=1e-7 * (1 + abs(one_bin(*x)))
            )


def test_morphed_template_has_no_jacobian():
    """The shape morphing has no analytic derivative: the background says so, a cost falls back."""
    tpl = TemplateBackground(
        "tpl",
        np.linspace(1.0, 3.0, 28),
        systematics=[ShapeSystematic.updown("tpl_shape", np.linspace(2.0, 3.5, 28), np.ones(28))],
    )
    assert not tpl.has_jacobian
    with pytest.raises(NotImplementedError, match="no analytic jacobian"):
        tpl.jacobian({"tpl_norm": 1.0, "tpl_shape": 0.0})
    exp = _experiment("chi2", extra=[tpl])
    cost = exp.cost("sin2w")
    assert not cost.has_grad
    assert not ProfiledCost(cost).has_grad
    # fit(gradient=True) then runs Minuit with numerical derivatives, same minimum
    r0 = fit(cost, warn=False, hesse=False)
    r1 = fit(cost, warn=False, hesse=False, gradient=True)
    assert r1.nfcn == r0.nfcn
    assert r1.fval == r0.fval


def _experiment(likelihood, extra=(), systematics=()):
    det = RecoilCounter(Target.by_name("ge"), EDGES, exposure_kg_day=2.0)
    sig = Signal(_reactor(), det)
    flat, expo, line, *_ = _backgrounds()
    bkgs = [flat, expo, line, *extra]
    mu = sig.expected_counts(family("sin2w").build({"sin2_theta_w": 0.24}))
    mu = mu + sum(b.expected({}) for b in bkgs)
    n = np.random.default_rng(5).poisson(mu).astype(float)
    data = Dataset.from_arrays(n, EDGES, errors=np.sqrt(np.maximum(n, 1.0)), name="toy")
    return Experiment(
        "toy",
        sig,
        data,
        bkgs,
        likelihood=likelihood,
        flux_norm_uncertainty=0.1,
        systematics=systematics,
    )


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_cost_gradient_matches_central_differences(likelihood):
    """ExperimentCost.grad: signal expansion, flux norm, backgrounds, priors (sin2w family)."""
    cost = _experiment(likelihood).cost("sin2w")
    assert cost.has_grad
    rng = np.random.default_rng(11)
    base = np.array([cost.defaults[n] for n in cost._parameters])
    for _ in range(3):
        x = base * rng.uniform(0.9, 1.1, base.size)
        assert_gradient(cost.grad(*x), central(cost, x))


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_profiled_gradient_is_the_derivative_of_the_profile(likelihood):
    """ProfiledCost.grad (envelope theorem) against central differences of the profile itself.

    The differences re-solve the linear parameters at every shifted point, so they check
    that the partial gradient at a* is the total derivative of min_a cost.
    """
    pc = ProfiledCost(_experiment(likelihood).cost("sin2w"))
    assert pc.has_grad
    x = np.array(
        [
            {"sin2_theta_w": 0.23, "toy.exp_d": 0.45}.get(p.name, p.value)
            for p in pc.parameter_objects
        ]
    )
    # a Poisson profile is converged to 1e-10 in the cost: coarser steps keep that noise down
    rel = 1e-5 if likelihood == "chi2" else 1e-4
    assert_gradient(
        pc.grad(*x), central(pc, x, rel=rel), rtol=1e-5 if likelihood == "chi2" else 1e-4
    )


def test_normalisation_systematic_falls_back():
    """A NormSystematic factor has no analytic derivative here: has_grad is False."""
    syst = NormSystematic("toy_eff", 1.05, 0.95, target="signal")
    cost = _experiment("chi2", systematics=[syst]).cost("sin2w")
    assert not cost.has_grad
    with pytest.raises(NotImplementedError, match="normalisation systematics"):
        cost.grad(*[cost.defaults[n] for n in cost._parameters])


def test_dresden_ii_light_mediator_gradient():
    """The real Dresden-II cost with the light-mediator family: eps, the mass (by a central
    difference of the expansion inside grad), flux norm and the seven background parameters.
    """
    cost = load_experiment("dresden_ii").cost("nsi_ee_q_light")
    assert cost.has_grad
    x = np.array([cost.defaults[n] for n in cost._parameters])
    names = list(cost._parameters)
    x[names.index("eps_ee_q")] = -0.05
    x[names.index("mediator_mass_mev")] = 10.0
    g = cost.grad(*x)
    assert_gradient(g, central(cost, x, rel=1e-5), rtol=1e-4)
    pc = ProfiledCost(cost)
    xs = np.array([dict(zip(names, x, strict=True))[p.name] for p in pc.parameter_objects])
    assert_gradient(pc.grad(*xs), central(pc, xs, rel=1e-5), rtol=1e-4)


def test_fit_with_gradient_finds_the_same_minimum():
    """fit(gradient=True) on the Dresden-II SM fit: same chi2 minimum (Migrad EDM 2e-4 x
    tol=0.01 bounds the difference far below 1e-6), full and profiled."""
    cost = load_experiment("dresden_ii").cost("sm_tree")
    for profile in (False, True):
        r0 = fit(cost, profile_linear=profile)
        r1 = fit(cost, profile_linear=profile, gradient=True)
        assert r1.valid
        assert r1.minuit is not None
        assert r1.minuit.ngrad > 0
        assert abs(r1.fval - r0.fval) < 1e-6


def test_cost_signal_cache_follows_the_detector():
    """ExperimentCost keeps the signal of the last physics point; a new exposure (template
    generation) must not reuse it: doubling live_days doubles the signal the cost sees."""
    exp = _experiment("chi2")
    cost = exp.cost("sin2w")
    x = [cost.defaults[n] for n in cost._parameters]
    before = cost._signal_fast(x).copy()
    np.testing.assert_array_equal(cost._signal_fast(x), before)  # the cached one
    exp.signal.detector._exposure *= 2.0  # RecoilCounter: a duck-typed detector
    np.testing.assert_allclose(cost._signal_fast(x), 2.0 * before, rtol=1e-10)


def test_gradient_signal_cache_follows_the_detector():
    """The gradient keeps the signal's expansion part for the last physics point, keyed like
    the value's: a new exposure (template generation) must not reuse it."""
    exp = _experiment("chi2")
    cost = exp.cost("sin2w")
    x = np.array([cost.defaults[n] for n in cost._parameters])
    cost.grad(*x)  # fills the cache
    exp.signal.detector._exposure *= 2.0
    assert_gradient(cost.grad(*x), central(cost, x))


def test_fixed_mass_gradient_skips_only_the_mass():
    """In a fit that holds the mediator mass fixed, fit() gives Migrad the gradient without
    the mass's central difference: every other component is the full gradient's, the
    mass's is 0, and the cost's own gradient is unchanged afterwards."""
    from cevns.stats.fit import _FixedMassGradient

    cost = load_experiment("dresden_ii").cost("nsi_ee_q_light")
    names = list(cost._parameters)
    x = np.array([cost.defaults[n] for n in names])
    x[names.index("eps_ee_q")] = -0.05
    x[names.index("mediator_mass_mev")] = 10.0
    full = cost.grad(*x)
    i = names.index("mediator_mass_mev")
    assert full[i] != 0.0
    for c in (cost, ProfiledCost(cost)):
        args = (
            x
            if c is cost
            else [dict(zip(names, x, strict=True))[p.name] for p in c.parameter_objects]
        )
        ref = c.grad(*args)
        fixed = _FixedMassGradient(c)(*args)
        j = list(c._parameters).index("mediator_mass_mev")
        assert fixed[j] == 0.0
        np.testing.assert_allclose(np.delete(fixed, j), np.delete(ref, j), rtol=1e-13, atol=0)
        np.testing.assert_array_equal(c.grad(*args), ref)
