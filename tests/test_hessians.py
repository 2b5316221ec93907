"""Analytic second derivatives: backgrounds, costs, profiled costs, and the fits that use them.

References are central differences of the analytic *gradients* (whose own correctness
against differences of the value is pinned in tests/test_gradients.py): with a step of
1e-6 of the parameter's scale the truncation error O(h^2 g''') and the rounding error
O(eps g / h) both stay near 1e-9 of the Hessian's size, hence rtol 1e-6 with an absolute
floor of 1e-7 of the largest element (entries that vanish analytically come out at
rounding level). A fit given the Hessian is compared with the default fit (numerical
derivatives): both stop within Migrad's EDM goal (2e-5 in chi^2 at tol 0.01), and Hesse's
numerical second derivatives are good to about 1e-5 relative, which sizes those
tolerances (1e-6 in chi^2; the errors: see the test).
"""

import numpy as np
import pytest

from cevns import Target
from cevns.config import load_experiment
from cevns.likelihood.background import ExponentialBackground, TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.profiled import ProfiledCost
from cevns.likelihood.signal import Signal
from cevns.physics.families import Parameter, family
from cevns.stats.fit import fit

from .test_lines import EDGES as LINE_EDGES
from .test_lines import dresden_eq18, every_tie
from .test_signal import RecoilCounter, _reactor


def jacobian_of(f, x, rel=1e-6, scales=None):
    """Central differences of the vector function ``f(x)``: column ``j`` is ``d f / d x_j``,
    with steps ``rel`` times ``scales`` (default ``max(|x_j|, 1e-2)``)."""
    x = np.asarray(x, dtype=float)
    scales = np.maximum(np.abs(x), 1e-2) if scales is None else np.asarray(scales)
    cols = []
    for j in range(x.size):
        h = rel * scales[j]
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        cols.append((np.asarray(f(up)) - np.asarray(f(down))) / (2 * h))
    return np.stack(cols, axis=-1)


def assert_hessian(analytic, numeric, rtol=1e-6):
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    np.testing.assert_allclose(analytic, analytic.T, rtol=1e-12, atol=0)
    floor = 1e-7 * np.max(np.abs(numeric))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=floor)


# ---------------------------------------------------------------------- backgrounds
@pytest.mark.parametrize(
    "bkg",
    [every_tie("centres"), every_tie("integrated"), dresden_eq18()],
    ids=["every_tie-centres", "every_tie-integrated", "dresden_eq18"],
)
def test_lines_hessian_is_the_derivative_of_the_jacobian(bkg):
    """Every (i, j, bin) of LinesBackground.hessian, at random interior points; the
    jacobian that jacobian_and_hessian gives with it is the jacobian."""
    assert bkg.has_hessian
    names = [p.name for p in bkg.parameters]
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = np.array([rng.uniform(lo + 0.1 * (hi - lo), hi) for lo, hi in (
            p.limits for p in bkg.parameters)])  # fmt: skip
        v = dict(zip(names, x, strict=True))
        hess = bkg.hessian(v)
        assert hess.shape == (len(names), len(names), bkg.centres.size)
        num = jacobian_of(lambda y: bkg.jacobian(dict(zip(names, y, strict=True))), x)
        # num[i, bin, j] = d J_i / d x_j
        np.testing.assert_allclose(hess, hess.transpose(1, 0, 2), rtol=1e-12, atol=0)
        np.testing.assert_allclose(
            hess, num.transpose(0, 2, 1), rtol=1e-6, atol=1e-7 * np.abs(num).max()
        )
        jac, hess2 = bkg.jacobian_and_hessian(v)
        np.testing.assert_allclose(jac, bkg.jacobian(v), rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(hess2, hess)


def test_backgrounds_without_second_derivatives_say_so():
    """A template (linear in its norm) has an all-zero Hessian; a shape with a non-linear
    parameter and no analytic second derivative (the exponential kind) has none, and a
    cost with it names that background."""
    tpl = TemplateBackground("tpl", np.linspace(1.0, 3.0, 28))
    assert tpl.has_hessian
    np.testing.assert_array_equal(tpl.hessian({"tpl_norm": 1.3}), np.zeros((1, 1, 28)))
    expo = ExponentialBackground(
        "exp", LINE_EDGES, Parameter("a", 1500.0, (0.0, 5e4)), Parameter("d", 0.4, (0.05, 5.0))
    )
    assert expo.has_jacobian
    assert not expo.has_hessian
    with pytest.raises(NotImplementedError, match="no analytic hessian"):
        expo.hessian({"a": 1.0, "d": 0.4})
    cost = _experiment("chi2", [expo]).cost("sin2w")
    assert cost.has_grad
    assert not cost.has_analytic_hessian
    with pytest.raises(NotImplementedError, match="'exp' without a hessian"):
        cost.analytic_hessian(*[cost.defaults[n] for n in cost._parameters])


# ---------------------------------------------------------------------- costs
def _experiment(likelihood, backgrounds=None):
    """A germanium reactor toy on the lines' binning: the signal (sin2w family, flux
    normalisation with a 10 % prior) and every kind of tied line, integrated."""
    edges = LINE_EDGES
    det = RecoilCounter(Target.by_name("ge"), edges, exposure_kg_day=2.0)
    sig = Signal(_reactor(), det)
    bkgs = [every_tie("integrated")] if backgrounds is None else list(backgrounds)
    mu = sig.expected_counts(family("sin2w").build({"sin2_theta_w": 0.24}))
    mu = mu + sum(b.expected({}) for b in bkgs)
    n = np.random.default_rng(5).poisson(mu).astype(float)
    data = Dataset.from_arrays(n, edges, errors=np.sqrt(np.maximum(n, 1.0)), name="toy")
    return Experiment("toy", sig, data, bkgs, likelihood=likelihood, flux_norm_uncertainty=0.1)


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_cost_hessian_is_the_derivative_of_the_gradient(likelihood):
    """ExperimentCost.analytic_hessian: the signal expansion (quadratic in sin2_theta_w),
    the flux normalisation and its cross terms, the lines, the priors."""
    cost = _experiment(likelihood).cost("sin2w")
    assert cost.has_analytic_hessian
    rng = np.random.default_rng(2)
    base = np.array([cost.defaults[n] for n in cost._parameters])
    for _ in range(3):
        x = base * rng.uniform(0.95, 1.05, base.size)
        assert_hessian(cost.analytic_hessian(*x), jacobian_of(lambda y: cost.grad(*y), x))


def test_cost_hessian_after_the_gradient_at_the_same_point():
    """After grad at a point the Hessian there reuses the gradient's jacobian: the same
    matrix as from a cost that never computed a gradient, and no stale reuse after a move."""
    cost = _experiment("chi2").cost("sin2w")
    fresh = _experiment("chi2").cost("sin2w")
    x = np.array([cost.defaults[n] for n in cost._parameters]) * 1.02
    cost.grad(*x)
    np.testing.assert_allclose(
        cost.analytic_hessian(*x), fresh.analytic_hessian(*x), rtol=1e-13, atol=0
    )
    y = x * 1.01
    np.testing.assert_allclose(
        cost.analytic_hessian(*y), fresh.analytic_hessian(*y), rtol=1e-13, atol=0
    )


@pytest.mark.parametrize("model", ["sm_tree", "nsi_ee_q_tree", "light_zprime_tree"])
def test_dresden_ii_hessians(model):
    """The shipped Dresden-II cost (seed 004 Eq. 18 background at bin centres, Eq. 19
    pulls): full and profiled; the mediator mass's row and column are nan."""
    cost = load_experiment("dresden_ii").cost(model)
    assert cost.has_analytic_hessian
    names = list(cost._parameters)
    x = np.array([cost.defaults[n] for n in names], dtype=float)
    x *= 1 + 0.01 * np.sin(np.arange(x.size) + 1.0)
    if "eps_ee_q" in names:
        x[names.index("eps_ee_q")] = -0.05
    h = cost.analytic_hessian(*x)
    # steps on each parameter's own scale (Minuit's step; g_nu_g_q is of order 1e-10)
    steps = {p.name: p.step for p in cost.parameter_objects}
    scale = np.array([max(abs(v), steps[n]) for n, v in zip(names, x, strict=True)])
    num = jacobian_of(lambda y: cost.grad(*y), x, scales=scale)
    mass = [i for i, n in enumerate(names) if n == "mediator_mass_mev"]
    assert np.isnan(h[mass]).all()
    assert np.isnan(h[:, mass]).all()
    keep = [i for i in range(x.size) if i not in mass]
    assert_hessian(h[np.ix_(keep, keep)], num[np.ix_(keep, keep)])
    pc = ProfiledCost(cost)
    xs = np.array([x[names.index(p.name)] for p in pc.parameter_objects])
    own = [i for i, p in enumerate(pc.parameter_objects) if p.name != "mediator_mass_mev"]
    hp = pc.analytic_hessian(*xs)[np.ix_(own, own)]
    scale_p = np.array([scale[names.index(p.name)] for p in pc.parameter_objects])
    num_p = jacobian_of(lambda y: pc.grad(*y), xs, scales=scale_p)
    assert_hessian(hp, num_p[np.ix_(own, own)], rtol=1e-5)


def test_profiled_hessian_with_a_linear_parameter_on_its_limit():
    """Profiled amplitudes held at their lower limit (the toy's constant and exponential
    solve below 0 at the start values) drop out of the Schur complement: the Hessian is
    still the derivative of the profile's gradient there (the active set does not change
    within the differences' steps)."""
    pc = ProfiledCost(_experiment("chi2").cost("sin2w"))
    x = np.array([p.value for p in pc.parameter_objects]) * 1.01
    _, _, _, free = pc.hessian_blocks(x)
    assert free.any()
    assert not free.all()
    assert_hessian(pc.analytic_hessian(*x), jacobian_of(lambda y: pc.grad(*y), x), rtol=1e-5)


# ---------------------------------------------------------------------- fits
def test_second_order_fit_matches_the_default_fit():
    """fit(gradient=True) on the Dresden-II SM fit: Migrad and Hesse get the exact
    Hessian (a handful of calls instead of ~90), on a Minuit of the free parameters only
    (sin2_theta_w, the first parameter, is fixed: root#20954 would mix up its rows).
    Same minimum, errors and covariance as the default fit within the precision of the
    default's numerical derivatives."""
    cost = load_experiment("dresden_ii").cost("sm_tree")
    for fixed in ({}, {"dresden_ii.e_l1": 1.2923}):
        r0 = fit(cost, fix=fixed)
        r1 = fit(cost, fix=fixed, gradient=True)
        assert r1.valid
        assert r1.message == "ok"
        m = r1.minuit
        assert m is not None
        assert m.nhessian >= 1
        assert "sin2_theta_w" not in m.parameters
        assert r1.nfcn < r0.nfcn / 5
        assert abs(r1.fval - r0.fval) < 1e-6
        assert r1.free == r0.free
        assert r1.fixed == r0.fixed
        for n in r0.values:
            assert r1.values[n] == pytest.approx(r0.values[n], rel=1e-4, abs=1e-4 * r0.errors[n])
            # MnHesse's numerical second derivatives (strategy 1) move the default's
            # errors by up to 2e-4 here (beta_m_l1 with e_l1 fixed: 0.0283570 vs
            # 0.0283621, at minima 1e-7 apart); the exact ones: the next test
            assert r1.errors[n] == pytest.approx(r0.errors[n], rel=5e-4)
        sd = np.sqrt(np.diag(r0.covariance))
        np.testing.assert_allclose(  # the same 2e-4 in the errors is 4e-4 in a variance
            r1.covariance / np.outer(sd, sd), r0.covariance / np.outer(sd, sd), atol=1e-3
        )


def test_second_order_errors_are_the_inverse_hessian():
    """Independently of Minuit: at the minimum the covariance of all free parameters is
    2 H^-1 of the full cost's analytic Hessian (chi^2, errordef 1)."""
    cost = load_experiment("dresden_ii").cost("sm_tree")
    r = fit(cost, gradient=True)
    names = list(cost._parameters)
    h = cost.analytic_hessian(*[r.values[n] for n in names])
    idx = [names.index(n) for n in r.free]
    want = 2.0 * np.linalg.inv(h[np.ix_(idx, idx)])
    sd = np.sqrt(np.diag(want))
    np.testing.assert_allclose(r.covariance / np.outer(sd, sd), want / np.outer(sd, sd), atol=1e-5)


def test_second_order_only_where_it_applies():
    """Minos, extra starts or a part without second derivatives: Minuit differentiates
    as before (no Hessian calls), with the full parameter set."""
    cost = load_experiment("dresden_ii").cost("sm_tree")
    r = fit(cost, gradient=True, minos=["dresden_ii.tau_epith"])
    assert r.minuit.nhessian == 0
    assert "sin2_theta_w" in r.minuit.parameters
    r = fit(cost, gradient=True, multistart=1)
    assert r.minuit.nhessian == 0
    r = fit(cost)  # gradient=False: the default
    assert r.minuit.nhessian == 0


@pytest.mark.parametrize("x", ["s", "v", "t"])
def test_second_order_fit_from_a_start_that_is_not_convex(x, monkeypatch):
    """The NGI couplings from 0 on Dresden-II: the counts are quadratic in them and the
    data lie below the SM there, so the start's Hessian has a negative eigenvalue.
    Minuit2 (iminuit 2.33) then seeds from G2, which fit() supplies (the Hessian's
    diagonal; without it Migrad raised "'NoneType' object is not callable"). Along the
    nearly flat u-d direction the exact Hessian is close to singular (S, V: MnHesse
    forces it positive definite), and the fit falls back to the gradient alone: then it
    is that fit, bit for bit, judged as it would be without a Hessian. T converges with
    the Hessian. Either way it reaches the default fit's minimum or a lower one (1e-6 in
    chi^2: minima apart along the flat direction).

    Whether the gradient-only fit of S ends with a covariance forced positive definite
    depends on the machine, not on this code: it did on the machine of earlier sessions
    (CI passed with that verdict at e1b1c51), it does not on an AMD EPYC with the same
    commit (numpy 2.4.4 to 2.4.6 give the same; OpenBLAS picks its kernels by CPU). So
    the fallback is compared with that fit run here, not with a fixed verdict."""
    import cevns.stats.fit as fit_module

    cost = load_experiment("dresden_ii").cost("ngi_tree")
    names = list(cost._parameters)
    free = (f"c_{x}_u", f"c_{x}_d")
    start = np.array([cost.defaults[n] for n in names])
    h = cost.analytic_hessian(*start)
    idx = [names.index(n) for n in free]
    assert np.linalg.eigvalsh(h[np.ix_(idx, idx)]).min() < 0
    r0 = fit(cost, free=free, warn=False)
    r1 = fit(cost, free=free, gradient=True, warn=False)
    with monkeypatch.context() as mp:  # the gradient alone: what the fallback runs
        mp.setattr(fit_module, "_second_order", lambda *a, **k: False)
        r2 = fit(cost, free=free, gradient=True, warn=False)
    assert r2.minuit.nhessian == 0
    fell_back = r1.minuit.nhessian == 0
    assert fell_back == (x != "t")
    if fell_back:
        assert (r1.valid, r1.fval, r1.values) == (r2.valid, r2.fval, r2.values)
    else:
        assert r1.valid
    assert r1.fval <= r0.fval + 1e-6


def test_sum_of_costs_hessian_and_fit():
    """A sum (chi2 + Poisson toys sharing every parameter name): the Hessian is the parts'
    added on their parameters, the derivative of the sum's gradient; fit(gradient=True)
    on it (nothing profiled: every parameter is shared) ends with amplitudes on their
    limit 0, where Minuit2 maps the Hessian wrongly (root#22700: EDM 21 after Hesse), so
    it falls back to the gradient alone and reaches the default fit's minimum within
    Migrad's EDM goal (2e-5 at tol 0.01)."""
    from cevns.stats.fit import _analytic_hessian, _has_analytic_hessian

    total = _experiment("chi2").cost("sin2w") + _experiment("poisson").cost("sin2w")
    assert _has_analytic_hessian(total)
    x = np.array([p.value for p in total[0].parameter_objects]) * 1.01
    assert_hessian(_analytic_hessian(total, x), jacobian_of(lambda y: total.grad(*y), x))
    r0 = fit(total, warn=False)
    r1 = fit(total, gradient=True, warn=False)
    assert r1.minuit.nhessian == 0
    assert r1.minuit.ngrad > 0
    assert r1.valid
    assert r1.fval == pytest.approx(r0.fval, abs=2e-5)


@pytest.mark.parametrize("case", ["dresden_light_zprime", "toy_sum_on_limits"])
def test_point_fitter_with_the_hessian_gives_the_minimum_fit_gives(case):
    """PointFitter (a scan's fits) with the Hessian is fit(gradient=True, hesse=False)
    without the per-point set-up, bit for bit. The Dresden-II light-Z' points (warm
    starts) converge with the Hessian; on the toy sum (amplitudes near their limit 0, see
    above) from its start values at strategy 1, Migrad's closing Hesse invalidates some
    points, which both fall back to the gradient alone (no Hessian calls then)."""
    from cevns.stats.fit import PointFitter

    if case == "dresden_light_zprime":
        cost = load_experiment("dresden_ii").cost("light_zprime_tree")
        fixed = ["mediator_mass_mev", "g_nu_g_q"]
        points = [{"mediator_mass_mev": 10.0, "g_nu_g_q": g} for g in (-1e-11, -1e-10, -1e-9)]
        settings = {"strategy": 0, "tol": 1e-3, "gradient": True}
        start = dict(cost.defaults)
    else:
        cost = _experiment("chi2").cost("sin2w") + _experiment("poisson").cost("sin2w")
        fixed = ["sin2_theta_w"]
        points = [{"sin2_theta_w": s} for s in (0.2, 0.22, 0.24)]
        settings = {"strategy": 1, "tol": 1e-3, "gradient": True}
        start = {p.name: p.value for p in cost[0].parameter_objects}
    fitter = PointFitter(cost, fixed=fixed, **settings)
    assert fitter._so is not None
    used = []
    for fix in points:
        ref = fit(cost, start=start | fix, fix=fix, hesse=False, warn=False, details=False,
                  **settings)  # fmt: skip
        used.append(ref.minuit.nhessian > 0)
        got = fitter.fit(start, fix)
        assert got == (ref.fval, ref.valid, ref.values)
        if case == "dresden_light_zprime":  # warm starts; the toy's from its defaults
            start = got[2]
    assert any(used)
    assert all(used) == (case == "dresden_light_zprime")
