import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import NormalConstraint

from cevns import Target
from cevns.core.exceptions import InvalidParameterError, UnknownNameError
from cevns.likelihood.background import FunctionBackground, TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.signal import Signal
from cevns.physics.families import Parameter, family
from cevns.stats.fit import FitWarning, fit

from .test_signal import RecoilCounter, _pidar, _reactor


def _toy_experiment(name="toy", likelihood="chi2", truth=None, scale=1.0):
    det = RecoilCounter(Target.by_name("ge"), np.linspace(0.1, 1.5, 29), exposure_kg_day=0.05)
    sig = Signal(_reactor(), det)
    centres = 0.5 * (det.edges[1:] + det.edges[:-1])
    bkg = FunctionBackground(
        "flat",
        lambda x, level: np.full_like(x, level),
        centres,
        [Parameter("level", 50.0, (0, 500), 5)],
    )
    fam = family("sin2w")
    truth = truth or {"sin2_theta_w": 0.25}
    mu = sig.expected_counts(fam.build(truth)) * scale + 50.0
    data = Dataset.from_arrays(mu, det.edges, errors=np.sqrt(mu), name=f"{name}_asimov")
    return Experiment(name, sig, data, [bkg], likelihood=likelihood, flux_norm_uncertainty=0.05)


@pytest.mark.parametrize("likelihood", ["chi2", "poisson"])
def test_asimov_fit_recovers_truth(likelihood):
    exp = _toy_experiment(likelihood=likelihood)
    res = fit(exp.cost("sin2w"), start={"sin2_theta_w": 0.22})
    assert res.valid
    assert res.values["sin2_theta_w"] == pytest.approx(0.25, abs=1e-4)
    assert res.values["toy.level"] == pytest.approx(50.0, rel=1e-4)
    assert res.fval == pytest.approx(0.0, abs=1e-6)
    assert res.ndof == 28 - 3  # 28 bins, 3 free parameters
    assert "sin2_theta_w" in res.table()


def test_cost_equals_direct_evaluation():
    exp = _toy_experiment()
    cost = exp.cost("sin2w")
    vals = cost.defaults | {"sin2_theta_w": 0.3, "toy.level": 40.0, "toy.flux_norm": 1.03}
    fast = cost.predict(vals).total
    direct = exp.expected("sin2w", vals).total
    np.testing.assert_allclose(fast, direct, rtol=1e-9)
    obs, err = exp.dataset.counts, exp.dataset.errors
    chi2 = np.sum(((direct - obs) / err) ** 2) + ((1.03 - 1) / 0.05) ** 2
    assert cost(*vals.values()) == pytest.approx(chi2, rel=1e-9)


def test_costs_add_and_share_physics_parameters():
    a = _toy_experiment("a")
    b = _toy_experiment("b", truth={"sin2_theta_w": 0.25})
    total = a.cost("sin2w") + b.cost("sin2w") + NormalConstraint("sin2_theta_w", 0.25, 0.1)
    assert total._parameters.keys() >= {"sin2_theta_w", "a.level", "b.level", "a.flux_norm"}
    assert list(total._parameters).count("sin2_theta_w") == 1
    res = fit(total)
    assert res.valid
    assert res.values["sin2_theta_w"] == pytest.approx(0.25, abs=1e-4)
    assert set(res.expected) == {"a", "b"}
    # the sum behaves as a sequence
    assert total[0].experiment.name == "a"


def test_minuit_directly():
    cost = _toy_experiment().cost("sin2w")
    m = Minuit(cost, **cost.defaults)
    m.migrad()
    assert m.valid
    # limits come from the parameters
    assert m.limits["sin2_theta_w"] == (0.0, 1.0)


def test_minos_and_multistart():
    res = fit(_toy_experiment().cost("sin2w"), minos=["sin2_theta_w"], multistart=3)
    lo, hi = res.minos["sin2_theta_w"]
    assert lo < 0 < hi


def test_invalid_fit_is_reported():
    exp = _toy_experiment()
    with pytest.warns(FitWarning, match="fit did not converge"):
        res = fit(exp.cost("sin2w"), start={"sin2_theta_w": 0.9}, ncall=5)
    assert not res.valid
    assert "INVALID" in res.table()


def test_pidar_timing_experiment():
    det = RecoilCounter(Target.by_name("csi"), np.array([7.0, 60.0]), exposure_kg_day=14.57 * 300)
    timing = {"numu": [0.9, 0.1], "nue": [0.2, 0.8], "numubar": [0.2, 0.8]}
    sig = Signal(_pidar(), det, timing=timing)
    fam = family("nsi_ee_mumu_q")
    mu = sig.expected_counts(fam.build()).ravel()
    data = Dataset.from_arrays(mu, [0, 1, 2], errors=np.sqrt(1.2 * mu))
    exp = Experiment("timing", sig, data, flux_norm_uncertainty=0.2)
    res = fit(exp.cost(fam), fix=["eps_mumu_q"])
    assert res.valid
    assert res.values["eps_ee_q"] == pytest.approx(0.0, abs=1e-3) or res.values["eps_ee_q"] > 0.1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fix": ["sin2_theta"]}, "did you mean 'sin2_theta_w'"),
        ({"start": {"toy.levl": 1.0}}, "did you mean 'toy.level'"),
        ({"start": {"sin2_theta_w": 2.0}}, "outside its limits"),
        ({"minos": ["toy.flux_norm"], "fix": ["toy.flux_norm"]}, "not a free parameter"),
    ],
)
def test_fit_bad_input(kwargs, match):
    with pytest.raises((InvalidParameterError, UnknownNameError), match=match):
        fit(_toy_experiment().cost("sin2w"), **kwargs)


def test_experiment_bad_input():
    exp = _toy_experiment()
    with pytest.raises(InvalidParameterError, match="must be an identifier"):
        Experiment("dresden-ii", exp.signal, exp.dataset)
    nodata = Dataset.from_arrays(exp.dataset.counts, exp.dataset.edges[0])
    with pytest.raises(InvalidParameterError, match="chi2 likelihood needs dataset errors"):
        Experiment("x", exp.signal, nodata)
    wrong = TemplateBackground("brn", np.ones(5))
    with pytest.raises(InvalidParameterError, match="background 'brn' gives shape"):
        Experiment("x", exp.signal, exp.dataset, [wrong])
    small = Dataset.from_arrays([1.0, 2.0], [0, 1, 2], errors=[1, 1])
    with pytest.raises(InvalidParameterError, match="the binnings do not match"):
        Experiment("x", exp.signal, small)


def test_background_only_cost():
    exp = _toy_experiment()
    bo = exp.cost("sin2w", signal=False)
    assert set(bo._parameters) == {"toy.level"}
    res = fit(bo)
    assert res.valid
    # the background absorbs part of the signal, but not all: worse than the signal fit
    assert res.fval > fit(exp.cost("sin2w")).fval
    assert res.expected["toy"]["signal"] == 0.0
