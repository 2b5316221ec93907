"""Linear parameters profiled exactly (cevns.likelihood.profiled, fit(profile_linear=True)).

The reference is always the full fit of the same cost (Minuit over every parameter) or a
direct numerical minimisation over the linear parameters (scipy), never the solver itself.
Tolerances: Migrad stops at an EDM of 2e-5 x tol (tol = 0.01 here is tightened to 1e-4 in
the comparisons), so two fits of one function agree in chi^2 to well below 1e-6; parabolic
errors come from numerical second derivatives on different parameter sets and agree to
~1e-3 relative.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

from cevns import Target
from cevns.config import load_experiment
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.background import (
    ExponentialBackground,
    FlatBackground,
    GaussianLineBackground,
    TemplateBackground,
)
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.profiled import ProfiledCost, linear_candidates, profile_linear
from cevns.likelihood.signal import Signal
from cevns.likelihood.systematics import ShapeSystematic
from cevns.physics.families import Parameter, family
from cevns.stats.fit import fit

from .test_lines import dresden_eq18, every_tie
from .test_signal import RecoilCounter, _reactor

EDGES = np.linspace(0.1, 1.5, 29)


def _backgrounds():
    return [
        FlatBackground("flat", EDGES, Parameter("level", 400.0, (0.0, 5000.0), 20.0)),
        ExponentialBackground(
            "exp",
            EDGES,
            Parameter("a", 1500.0, (0.0, 50000.0), 100.0),
            Parameter("d", 0.4, (0.05, 5.0), 0.02),
        ),
        GaussianLineBackground(
            "line",
            EDGES,
            Parameter("n", 150.0, (0.0, 2000.0), 10.0),
            Parameter("m", 1.1, (0.9, 1.3), 0.01),
            Parameter("s", 0.06, (0.01, 0.3), 0.01),
        ),
    ]


def _experiment(likelihood="chi2", flat_scale=1.0, seed=1):
    """Signal (flux_norm with a 10 % prior) + flat + Gaussian line: well-conditioned.

    (The exponential is left out here: over 0.1-1.5 keVnr it is degenerate with the
    falling reactor signal or with the flat level, and the parabolic errors of the full
    fit along such a direction are numerically fragile; its linearity is tested above.)
    """
    det = RecoilCounter(Target.by_name("ge"), EDGES, exposure_kg_day=2.0)
    sig = Signal(_reactor(), det)
    flat, _, line = _backgrounds()
    bkgs = [flat, line]
    truth = sig.expected_counts(family("sin2w").build({"sin2_theta_w": 0.24}))
    mu = truth + flat_scale * flat.expected({}) + line.expected({})
    rng = np.random.default_rng(seed)
    n = rng.poisson(mu).astype(float)
    data = Dataset.from_arrays(
        n, EDGES, errors=np.sqrt(np.maximum(n, 1.0)), name=f"toy_{likelihood}"
    )
    return Experiment("toy", sig, data, bkgs, likelihood=likelihood, flux_norm_uncertainty=0.1)


@pytest.mark.parametrize(
    "bkg",
    [
        *_backgrounds(),
        TemplateBackground(
            "tpl",
            np.linspace(1.0, 3.0, 28),
            norm_prior=(1.0, 0.2),
            systematics=[
                ShapeSystematic.updown("tpl_shape", np.linspace(2.0, 3.5, 28), np.ones(28))
            ],
        ),
        dresden_eq18(),
        every_tie("integrated"),
    ],
    ids=lambda b: f"{type(b).__name__}-{b.name}",
)
def test_linear_terms_reassemble_the_expectation(bkg):
    """expected(v) == rest + sum_k v_k T_k at random points (the declared linearity)."""
    rng = np.random.default_rng(7)
    for _ in range(5):
        vals = {
            p.name: float(rng.uniform(*(p.limits if np.isfinite(p.limits[1]) else (0, 2))))
            for p in bkg.parameters
        }
        rest, t = bkg.linear_terms(vals)
        a = np.array([vals[n] for n in bkg.linear_parameters])
        rebuilt = rest + np.tensordot(a, t, axes=1)
        np.testing.assert_allclose(rebuilt, bkg.expected(vals), rtol=1e-12, atol=1e-12)
        # and doubling a linear parameter adds exactly its template
        k = bkg.linear_parameters[0]
        doubled = bkg.expected(vals | {k: 2 * vals[k]}) - bkg.expected(vals)
        np.testing.assert_allclose(doubled, vals[k] * t[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_profile_value_is_the_minimum_over_the_linear_parameters(likelihood):
    """ProfiledCost(theta) == min_a cost(theta, a), the minimum found by scipy directly."""
    cost = _experiment(likelihood).cost("sin2w")
    pc = ProfiledCost(cost)
    assert set(pc.profiled) == {"toy.flux_norm", "toy.flat_level", "toy.line_counts"}
    theta = {"sin2_theta_w": 0.23, "toy.line_mean": 1.12, "toy.line_sigma": 0.07}
    args = [theta[p.name] for p in pc.parameter_objects]
    a, value = pc.solve(args)
    names = list(cost._parameters)
    lin = list(pc.profiled)

    def full(x):
        v = cost.defaults | theta | dict(zip(lin, x, strict=True))
        return cost(*[v[n] for n in names])

    bounds = [cost._parameters[n] for n in lin]
    scale = np.array([1.0, 400.0, 150.0])  # variables of order 1 for the search

    def scaled(y):
        return full(y * scale)

    ref = minimize(
        scaled,
        x0=np.ones(3),
        bounds=[(lo / s, hi / s) for (lo, hi), s in zip(bounds, scale, strict=True)],
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000},
    )
    ref.x = ref.x * scale
    assert value == pytest.approx(ref.fun, abs=1e-6)
    assert value <= ref.fun + 1e-9  # the exact solve is never worse than a search
    np.testing.assert_allclose(a, ref.x, rtol=2e-3)


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_profiled_fit_equals_full_fit(likelihood):
    cost = _experiment(likelihood).cost("sin2w")
    full = fit(cost, tol=1e-4, profile_linear=False)
    prof = fit(cost, tol=1e-4, profile_linear=True)
    assert full.valid
    assert prof.valid
    assert prof.fval == pytest.approx(full.fval, abs=1e-6)
    assert prof.nfree == full.nfree
    assert prof.ndof == full.ndof
    assert prof.free == full.free
    for n in full.values:
        assert prof.values[n] == pytest.approx(full.values[n], abs=2e-3 * full.errors[n] + 1e-12)
        assert prof.errors[n] == pytest.approx(full.errors[n], rel=5e-3)
    corr_full = full.covariance / np.sqrt(
        np.outer(np.diag(full.covariance), np.diag(full.covariance))
    )
    corr_prof = prof.covariance / np.sqrt(
        np.outer(np.diag(prof.covariance), np.diag(prof.covariance))
    )
    np.testing.assert_allclose(corr_prof, corr_full, atol=5e-3)
    assert prof.nfcn < full.nfcn
    assert prof.n_signal == pytest.approx(full.n_signal, rel=1e-4)


def test_bounded_solution_equals_full_fit():
    """Data with no flat background: its level sits on the limit 0 in both fits."""
    exp = _experiment("chi2", flat_scale=0.0)
    cost = exp.cost("sin2w")
    full = fit(cost, tol=1e-4, warn=False, profile_linear=False)
    prof = fit(cost, tol=1e-4, profile_linear=True, warn=False)
    assert prof.fval == pytest.approx(full.fval, abs=1e-6)
    assert prof.values["toy.flat_level"] == pytest.approx(full.values["toy.flat_level"], abs=1e-3)
    assert prof.values["toy.flat_level"] >= 0.0


@pytest.mark.parametrize(
    ("name", "flat_scale", "at_limit"),
    [
        ("toy.flux_norm", 1.0, False),  # interior, the backgrounds in the rest
        ("toy.flat_level", 1.0, False),
        ("toy.flat_level", 0.0, True),  # no flat background in the data: on its limit 0
    ],
)
def test_one_profiled_parameter_is_the_bounded_minimum(name, flat_scale, at_limit):
    """One profiled parameter (closed form): min over it by a bounded scalar search."""
    from scipy.optimize import minimize_scalar

    cost = _experiment("chi2", flat_scale=flat_scale).cost("sin2w")
    pc = ProfiledCost(cost, [name])
    assert pc.profiled == (name,)
    theta = cost.defaults | {"sin2_theta_w": 0.23, "toy.line_mean": 1.12}
    args = [theta[p.name] for p in pc.parameter_objects]
    a, value = pc.solve(args)
    names = list(cost._parameters)
    lo, hi = cost._parameters[name]
    scale = 1.0 if name == "toy.flux_norm" else 400.0
    hi = min(hi, 10.0 * scale)  # a finite bracket for the search

    def full(x):
        return cost(*[(theta | {name: x})[n] for n in names])

    ref = minimize_scalar(full, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    assert value == pytest.approx(ref.fun, abs=1e-8)
    assert value <= ref.fun + 1e-9
    assert a[0] == pytest.approx(ref.x, abs=1e-6 * scale)
    assert value == pytest.approx(full(a[0]), rel=1e-12)  # the value is the cost there
    assert bool(a[0] == lo) is at_limit


def test_one_profiled_parameter_without_a_rest():
    """Signal alone, flux_norm profiled with its 10 % prior: every term in the column."""
    det = RecoilCounter(Target.by_name("ge"), EDGES, exposure_kg_day=2.0)
    sig = Signal(_reactor(), det)
    truth = sig.expected_counts(family("sin2w").build({"sin2_theta_w": 0.24}))
    n = np.random.default_rng(3).poisson(1.3 * truth).astype(float)
    data = Dataset.from_arrays(n, EDGES, errors=np.sqrt(np.maximum(n, 1.0)), name="sig_only")
    exp = Experiment("sig", sig, data, [], likelihood="chi2", flux_norm_uncertainty=0.1)
    cost = exp.cost("sin2w")
    pc = ProfiledCost(cost)
    assert pc.profiled == ("sig.flux_norm",)
    a, value = pc.solve([0.23])
    # the weighted normal equation with the prior, written out
    t = sig.expected_counts(family("sin2w").build({"sin2_theta_w": 0.23})) * exp.exposure_factor
    w2 = 1.0 / np.maximum(n, 1.0)
    a_ref = (np.sum(t * n * w2) + 1.0 / 0.1**2) / (np.sum(t * t * w2) + 1.0 / 0.1**2)
    assert a[0] == pytest.approx(a_ref, rel=1e-12)
    assert value == pytest.approx(cost(0.23, a_ref), rel=1e-10)


def test_dresden_ii_sm_fit_profiled():
    """Seed 004 Eq. 18-19 fit: n_epith, a_epith, a_l1 and the flux normalisation solved."""
    cost = load_experiment("dresden_ii").cost("sm_tree")
    full = fit(cost, tol=1e-4, profile_linear=False)
    prof = fit(cost, tol=1e-4, profile_linear=True)
    assert set(linear_candidates(cost)) == {
        "dresden_ii.flux_norm",
        "dresden_ii.n_epith",
        "dresden_ii.a_epith",
        "dresden_ii.a_l1",
    }
    assert prof.fval == pytest.approx(full.fval, abs=1e-6)
    for n in full.values:
        assert prof.errors[n] == pytest.approx(full.errors[n], rel=5e-3, abs=1e-12)


def test_minos_on_a_nonlinear_parameter_matches_full():
    cost = _experiment("chi2").cost("sin2w")
    full = fit(cost, minos=["sin2_theta_w"], tol=1e-4, profile_linear=False)
    prof = fit(cost, minos=["sin2_theta_w"], tol=1e-4, profile_linear=True)
    np.testing.assert_allclose(prof.minos["sin2_theta_w"], full.minos["sin2_theta_w"], rtol=5e-3)


def test_fixed_and_minos_linear_parameters_stay_with_minuit():
    cost = _experiment("chi2").cost("sin2w")
    red, prof = profile_linear(cost, exclude={"toy.flat_level"})
    assert "toy.flat_level" not in prof
    assert "toy.flat_level" in red._parameters
    res = fit(cost, fix={"toy.flat_level": 10.0}, profile_linear=True)
    assert res.values["toy.flat_level"] == 10.0
    assert "toy.flat_level" in res.fixed


def test_combined_costs_profile_each_part_and_keep_shared_ones():
    a = _experiment("chi2", seed=1).cost("sin2w")
    b_exp = _experiment("chi2", seed=2)
    b_exp.name = "other"
    total = a + b_exp.cost("sin2w")
    full = fit(total, tol=1e-4, profile_linear=False)
    prof = fit(total, tol=1e-4, profile_linear=True)
    assert prof.fval == pytest.approx(full.fval, abs=1e-6)
    assert prof.values["sin2_theta_w"] == pytest.approx(full.values["sin2_theta_w"], abs=1e-5)


def test_profiling_a_nonlinear_parameter_is_refused():
    cost = _experiment("chi2").cost("sin2w")
    with pytest.raises(InvalidParameterError, match=r"cannot profile \['toy.exp_decay'\]"):
        ProfiledCost(cost, ["toy.exp_decay"])


def test_default_profiles_chi2_experiments_only():
    chi2 = _experiment("chi2").cost("sin2w")
    pois = _experiment("poisson").cost("sin2w")
    assert fit(chi2).nfcn < fit(chi2, profile_linear=False).nfcn
    assert fit(pois).nfcn == fit(pois, profile_linear=False).nfcn
    assert fit(pois).nfcn > fit(pois, profile_linear=True).nfcn


def test_profiled_cost_uses_the_priors_of_a_toy():
    """with_data(prior_means=) moves the auxiliary measurement: the solve must follow it."""
    cost = _experiment("chi2").cost("sin2w")
    toy = cost.with_data(cost.experiment.dataset.counts, prior_means={"toy.flux_norm": 1.2})
    full = fit(toy, tol=1e-4, profile_linear=False)
    prof = fit(toy, tol=1e-4, profile_linear=True)
    assert prof.fval == pytest.approx(full.fval, abs=1e-6)
    assert prof.values["toy.flux_norm"] == pytest.approx(full.values["toy.flux_norm"], abs=1e-4)


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_reused_profiled_cost_gives_the_numbers_of_a_new_one(likelihood):
    """Fits of one cost at a sequence of fixed values (a scan line) reuse its profiled
    cost; each fit equals, bit for bit, the fit with a profiled cost built anew (the
    Poisson solve's warm start from the previous fit must not leak into the next one).
    """
    from cevns.stats import fit as fit_module

    cost = _experiment(likelihood).cost("sin2w")
    points = [0.22, 0.26, 0.22, 0.3]
    reused, fresh = [], []
    for s in points:
        reused.append(fit(cost, fix={"sin2_theta_w": s}, hesse=False, profile_linear=True))
    kept = fit_module._LAST_REDUCED.entry[3]
    for s in points:
        fit_module._LAST_REDUCED.entry = None
        fresh.append(fit(cost, fix={"sin2_theta_w": s}, hesse=False, profile_linear=True))
    assert kept is not fit_module._LAST_REDUCED.entry[3]  # the second series built new ones
    for r, f in zip(reused, fresh, strict=True):
        assert r.fval == f.fval
        assert r.values == f.values
        assert r.nfcn == f.nfcn


def test_profiled_cost_reuse_is_per_thread():
    """The kept profiled cost carries solver state: another thread builds its own."""
    import threading

    from cevns.stats import fit as fit_module

    cost = _experiment("poisson").cost("sin2w")
    fit(cost, fix={"sin2_theta_w": 0.22}, hesse=False, profile_linear=True)
    mine = fit_module._LAST_REDUCED.entry[3]
    seen = []

    def other():
        seen.append(fit_module._LAST_REDUCED.entry)  # nothing inherited from this thread
        fit(cost, fix={"sin2_theta_w": 0.22}, hesse=False, profile_linear=True)
        seen.append(fit_module._LAST_REDUCED.entry[3])

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(seen) == 2
    assert seen[0] is None
    assert seen[1] is not mine
    assert fit_module._LAST_REDUCED.entry[3] is mine


@pytest.mark.parametrize("profile_linear", [None, False])
def test_details_off_gives_the_same_minimum(profile_linear):
    # issue 14: scan points skip the profiled errors and expected counts they do not use;
    # the minimum (value, parameters, validity) is the one of the full result, bit for bit
    cost = load_experiment("dresden_ii").cost("lma_dark_tree")
    kw = {
        "fix": {"mediator_mass_mev": 10.0, "x": 1.5},
        "hesse": False,
        "warn": False,
        "profile_linear": profile_linear,
    }
    full, lean = fit(cost, **kw), fit(cost, details=False, **kw)
    assert lean.fval == full.fval
    assert lean.values == full.values
    assert lean.valid == full.valid
    assert lean.nfcn == full.nfcn
    assert lean.expected == {}
    assert full.expected["dresden_ii"]["signal"] > 0
    profiled = linear_candidates(cost)
    assert len(profiled) >= 3  # the background amplitudes at least
    for n in profiled:
        if profile_linear is None:  # solved inside the cost: no error without details
            assert np.isnan(lean.errors[n])
            assert full.errors[n] > 0
        else:  # Minuit's own errors are there either way
            assert lean.errors[n] == full.errors[n]


def test_box_qp_is_the_bounded_least_squares_solution():
    """The active-set solve against scipy's bounded least squares (BVLS) on random problems:
    1 to 5 variables, finite and infinite limits on either side, many minima on a limit.
    The cost a.G.a - 2 a.rhs is never above BVLS's by more than rounding (1e-12 relative)."""
    from scipy.linalg.lapack import dposv
    from scipy.optimize import lsq_linear

    from cevns.likelihood.profiled import box_qp

    rng = np.random.default_rng(1)
    on_limit = 0
    for _ in range(500):
        k = int(rng.integers(1, 6))
        n = int(rng.integers(k + 1, 40))
        design = rng.normal(size=(n, k)) * rng.uniform(0.1, 10.0, size=k)
        r = 3.0 * rng.normal(size=n)
        lo = np.where(rng.random(k) < 0.7, rng.uniform(-1.0, 0.5, size=k), -np.inf)
        hi = np.where(
            rng.random(k) < 0.5, np.where(np.isfinite(lo), lo, 0.0) + 2 * rng.random(k), np.inf
        )
        g, rhs = design.T @ design, design.T @ r
        _, unbounded, info = dposv(g, rhs)
        assert info == 0
        a = box_qp(g, rhs, lo, hi, unbounded)
        assert a is not None
        assert np.all(a >= lo)
        assert np.all(a <= hi)
        ref = lsq_linear(design, r, bounds=(lo, hi), method="bvls", tol=1e-14).x

        def cost(x, g=g, rhs=rhs):
            return x @ g @ x - 2.0 * x @ rhs

        assert cost(a) <= cost(ref) + 1e-12 * (1.0 + abs(cost(ref)))
        on_limit += bool(np.any((a == lo) | (a == hi)))
    assert on_limit > 200  # the limits are exercised


def test_box_qp_refuses_a_singular_system():
    """A reduced system that is not positive definite: None, for the general solver."""
    from cevns.likelihood.profiled import box_qp

    g = np.array([[1.0, 1.0], [1.0, 1.0]])
    lo, hi = np.zeros(2), np.full(2, np.inf)
    # nothing on a limit: the whole (singular) system is solved
    assert box_qp(g, np.array([1.0, 1.0]), lo, hi, np.array([0.5, 0.5])) is None
    # one variable on its limit: the other's 1 x 1 system is regular, and the answer exact
    a = box_qp(g, np.array([1.0, 2.0]), lo, hi, np.array([-1.0, 2.0]))
    np.testing.assert_allclose(a, [0.0, 2.0])


def test_a_fit_with_nothing_free_is_its_value():
    """All parameters fixed or profiled: the value is the minimum, valid when finite (Minuit
    reports the value as its EDM, so an exact 0 rounded to -1e-14 would read as invalid)."""

    def cost(x):
        return -1e-14 + 0.0 * x

    cost.errordef = 1.0
    res = fit(cost, start={"x": 1.0}, fix=["x"])
    assert res.valid
    assert res.message == "ok"
    assert res.fval == -1e-14
    # an experiment whose one linear parameter is profiled, the rest held
    exp = _experiment("chi2")
    c = exp.cost("sin2w")
    fixed = [n for n in c._parameters if n != "toy.flux_norm"]
    r = fit(c, fix=fixed, profile_linear=True)
    assert r.valid
    assert r.free == ("toy.flux_norm",)


def test_point_fitter_with_nothing_free_gives_fits_numbers():
    """A scan point where Minuit has nothing to move: the value and the solved linear
    parameters are those of fit() (which runs Migrad's single evaluation), bit for bit."""
    from cevns.stats.fit import PointFitter

    c = _experiment("chi2").cost("sin2w")
    held = [n for n in c._parameters if n not in linear_candidates(c)]
    pf = PointFitter(c, fixed=held, profile_linear=True)
    for x in (0.2, 0.23, 0.26):
        point = {"sin2_theta_w": x}
        fval, valid, values = pf.fit({}, point)
        ref = fit(c, fix=[*held], start=point, hesse=False, details=False, profile_linear=True)
        assert valid
        assert ref.valid
        assert fval == ref.fval
        assert values == ref.values
