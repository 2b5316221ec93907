"""Systematics: HistFactory interpolation codes, template grids, morphed signals in costs."""

import numpy as np
import pytest

from cevns.core.exceptions import InvalidParameterError
from cevns.experiments.coherent_csi_2017 import CsI2017Detector, coherent_csi_2017_flux
from cevns.likelihood.background import TemplateBackground
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.signal import Signal
from cevns.likelihood.systematics import (
    Morphing,
    NormSystematic,
    ScaleSystematic,
    ShapeSystematic,
    axis_weights,
    histosys_weights,
    normsys_factor,
)
from cevns.physics.model_files import load_model

# nominal 10, +1 sigma 13, -1 sigma 8: delta_+ = 3, delta_- = 2
NOM, UP, DOWN = 10.0, 13.0, 8.0
ALPHAS = [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0]
# code 0: 10 + 3 a (a >= 0), 10 + 2 a (a < 0)
CODE0 = [10.0, 13.0, 8.0, 11.5, 9.0, 16.0, 6.0]
# code 4p inside |a| < 1: 10 + 2.5 a + (1/16) a^2 (15 - 10 a^2 + 3 a^4); at a = +-0.5 the
# polynomial term is 0.25 (15 - 2.5 + 0.1875) / 16 = 0.1982421875
CODE4P = [10.0, 13.0, 8.0, 10.0 + 1.25 + 0.1982421875, 10.0 - 1.25 + 0.1982421875, 16.0, 6.0]


def _one_bin(alpha, code):
    s = Morphing([ShapeSystematic.updown("a", np.array([UP]), np.array([DOWN]), code=code)])
    return float(s.apply(np.array([[NOM], [DOWN], [UP]]), np.array([alpha]))[0])


# ---------------------------------------------------------------- interpolation codes
@pytest.mark.parametrize(("code", "want"), [(0, CODE0), ("4p", CODE4P)])
def test_histosys_codes_against_hand_values(code, want):
    got = [_one_bin(a, code) for a in ALPHAS]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    w_plus, w_minus = histosys_weights(np.array(ALPHAS), code)
    np.testing.assert_allclose(NOM + w_plus * (UP - NOM) + w_minus * (NOM - DOWN), want, rtol=1e-14)


def test_code4p_is_smooth_at_one_and_zero():
    h = 1e-6
    for edge, slope in ((1.0, UP - NOM), (-1.0, NOM - DOWN)):
        inside = (_one_bin(edge, "4p") - _one_bin(edge - np.sign(edge) * h, "4p")) / h
        outside = (_one_bin(edge + np.sign(edge) * h, "4p") - _one_bin(edge, "4p")) / h
        # the linear extrapolation has the slope delta_+ (delta_-); the polynomial meets it
        assert inside * np.sign(edge) == pytest.approx(slope, rel=1e-5)
        assert outside * np.sign(edge) == pytest.approx(slope, rel=1e-9)
    left = (_one_bin(0.0, "4p") - _one_bin(-h, "4p")) / h
    right = (_one_bin(h, "4p") - _one_bin(0.0, "4p")) / h
    assert left == pytest.approx(right, rel=1e-5)  # S = 2.5 on both sides
    assert left == pytest.approx(2.5, rel=1e-5)
    # code 0 has a kink at 0: slopes 3 and 2
    assert (_one_bin(h, 0) - NOM) / h == pytest.approx(3.0)
    assert (NOM - _one_bin(-h, 0)) / h == pytest.approx(2.0)


def test_axis_weights_piecewise_linear_on_an_uneven_grid():
    pts = np.array([-2.0, 0.0, 1.0, 3.0])
    assert axis_weights(pts, 2.0).tolist() == [0.0, 0.0, 0.5, 0.5]
    assert axis_weights(pts, -1.0).tolist() == [0.5, 0.5, 0.0, 0.0]
    assert axis_weights(pts, 5.0).tolist() == [0.0, 0.0, -1.0, 2.0]  # outermost interval
    assert axis_weights(pts, -4.0).tolist() == [2.0, -1.0, 0.0, 0.0]


def test_normsys_codes():
    up, down = 1.2, 0.9
    assert normsys_factor(0.0, up, down) == pytest.approx(1.0, abs=1e-15)
    for code in (1, 4):
        assert normsys_factor(1.0, up, down, code) == pytest.approx(1.2, rel=1e-14)
        assert normsys_factor(-1.0, up, down, code) == pytest.approx(0.9, rel=1e-14)
        assert normsys_factor(2.0, up, down, code) == pytest.approx(1.44, rel=1e-14)
        assert normsys_factor(-2.0, up, down, code) == pytest.approx(0.81, rel=1e-14)
    assert normsys_factor(0.5, up, down, 1) == pytest.approx(np.sqrt(1.2), rel=1e-14)
    assert normsys_factor(-0.5, up, down, 1) == pytest.approx(np.sqrt(0.9), rel=1e-14)
    # code 4: value, slope and curvature continuous at +-1
    h = 1e-4
    for edge in (1.0, -1.0):
        s = np.sign(edge)
        f = [normsys_factor(edge + s * k * h, up, down, 4) for k in (-2, -1, 0, 1, 2)]
        slope_in, slope_out = (f[2] - f[1]) / h, (f[3] - f[2]) / h
        assert slope_in == pytest.approx(slope_out, rel=1e-3)
        curv_in, curv_out = (f[2] - 2 * f[1] + f[0]) / h**2, (f[4] - 2 * f[3] + f[2]) / h**2
        assert curv_in == pytest.approx(curv_out, rel=1e-2)


# ---------------------------------------------------------------- grids
def _grid_function(a, b):
    return np.array([10.0 + a * a + b + a * b, 5.0 + 2.0 * a - b])


def test_two_axis_grid_multilinear():
    ly, qy = (-1.0, 0.0, 1.0), (-1.0, 0.0, 1.0, 2.0)
    variants = {(a, b): _grid_function(a, b) for a in ly for b in qy if (a, b) != (0.0, 0.0)}
    syst = ShapeSystematic(("ly", "qy"), [ly, qy], variants)
    bkg = TemplateBackground("b", _grid_function(0.0, 0.0), systematics=[syst])
    assert [p.name for p in bkg.parameters] == ["b_norm", "ly", "qy"]
    for a in ly:
        for b in qy:  # every grid point is reproduced
            np.testing.assert_allclose(
                bkg.expected({"ly": a, "qy": b}), _grid_function(a, b), rtol=1e-14
            )
    # (0.5, 1.5): bilinear between T(0, 1), T(1, 1), T(0, 2), T(1, 2)
    corners = [_grid_function(a, b) for a in (0.0, 1.0) for b in (1.0, 2.0)]
    np.testing.assert_allclose(
        bkg.expected({"ly": 0.5, "qy": 1.5}), 0.25 * np.sum(corners, axis=0), rtol=1e-14
    )
    assert bkg.expected({"ly": 0.5, "qy": 1.5})[0] == pytest.approx(12.75)
    # the second row is linear in both: reproduced everywhere, also when extrapolating
    got = bkg.expected({"ly": -0.3, "qy": 2.7, "b_norm": 2.0})
    assert got[1] == pytest.approx(2.0 * (5.0 - 0.6 - 2.7), rel=1e-14)


def test_two_axis_grid_code4p_tensor_product():
    axis = (-1.0, 0.0, 1.0)
    variants = {(a, b): _grid_function(a, b) for a in axis for b in axis if (a, b) != (0.0, 0.0)}
    syst = ShapeSystematic(("ly", "qy"), [axis, axis], variants, code="4p")
    bkg = TemplateBackground("b", _grid_function(0.0, 0.0), systematics=[syst])
    # one-axis 4p weights of (-1, 0, +1) at +0.5 and -0.5 (hand values, see CODE4P)
    w_pos = [-0.0517578125, 0.603515625, 0.4482421875]
    w_neg = [0.4482421875, 0.603515625, -0.0517578125]
    want = sum(
        w_pos[i] * w_neg[j] * _grid_function(a, b)
        for i, a in enumerate(axis)
        for j, b in enumerate(axis)
    )
    np.testing.assert_allclose(bkg.expected({"ly": 0.5, "qy": -0.5}), want, rtol=1e-13)


def test_systematics_of_one_component_add_their_deltas():
    nominal = np.array([10.0, 4.0])
    up, down, one_sided = np.array([13.0, 5.0]), np.array([8.0, 3.5]), np.array([11.0, 2.0])
    axis = (-1.0, 0.0, 1.0)
    grid = {
        (a, b): nominal + np.array([a + 2 * b, a * b])
        for a in axis
        for b in axis
        if (a, b) != (0, 0)
    }
    syst = [
        ShapeSystematic.updown("s", up, down, code="4p"),
        ShapeSystematic.updown("m", one_sided),
        ShapeSystematic(("ly", "qy"), [axis, axis], grid),
    ]
    bkg = TemplateBackground("b", nominal, systematics=syst)
    s, m, ly, qy = 0.5, -0.7, 0.25, -0.5
    q = s * s * (15 - 10 * s * s + 3 * s**4) / 16  # 4p: alpha S + A-term, S, A per bin
    delta_s = s * 0.5 * ((up - nominal) + (nominal - down)) + q * (
        (up - nominal) - (nominal - down)
    )
    delta_m = m * (one_sided - nominal)  # mirrored: linear on both sides
    delta_grid = np.array([ly + 2 * qy, ly * qy])  # bilinear reproduces a + 2b and ab
    want = np.clip(nominal + delta_s + delta_m + delta_grid, 0.0, None)
    got = bkg.expected({"s": s, "m": m, "ly": ly, "qy": qy})
    np.testing.assert_allclose(got, want, rtol=1e-13)


# ---------------------------------------------------------------- morphed signal in a cost
EDGES = [6.0, 10.0, 16.0, 22.0, 30.0]
QF0, DQF = 0.0878, 0.0166


@pytest.fixture(scope="module")
def qf_experiment():
    flux = coherent_csi_2017_flux()

    def det(qf):
        return CsI2017Detector(bin_edges=EDGES, qf=qf)

    obs = np.array([60.0, 55.0, 30.0, 12.0])
    syst = [
        ShapeSystematic.updown("qf", det(QF0 + DQF), det(QF0 - DQF)),
        NormSystematic("brn_xs", 1.3, 0.8, target="flat"),
        ScaleSystematic("sig_eff", 0.05),
    ]
    flat = TemplateBackground("flat", np.full(4, 2.0), norm_uncertainty=0.2)
    data = Dataset("toy", obs, (np.asarray(EDGES),))
    exp = Experiment(
        "toy",
        Signal(flux, det(QF0)),
        data,
        [flat],
        likelihood="poisson",
        flux_norm_uncertainty=0.1,
        systematics=syst,
    )
    # independent signals at the three QF values (each its own templates)
    direct = {q: Signal(flux, det(q)) for q in (QF0 - DQF, QF0, QF0 + DQF)}
    return exp, direct, obs


@pytest.mark.parametrize("alpha", [-2.2, -1.0, -0.4, 0.0, 0.3, 1.0, 1.7])
def test_morphed_signal_in_cost_equals_direct(qf_experiment, alpha):
    exp, direct, obs = qf_experiment
    fam = load_model("nsi_ee_q_light")
    cost = exp.cost(fam)
    vals = cost.defaults | {
        "eps_ee_q": 0.15,
        "mediator_mass_mev": 50.0,
        "toy.qf": alpha,
        "toy.flux_norm": 0.93,
        "toy.flat_norm": 1.1,
        "toy.brn_xs": -0.6,
        "toy.sig_eff": 1.02,
    }
    model = fam.build({k: vals[k] for k in fam.names})
    n0, up, dn = (direct[q].expected_counts(model) for q in (QF0, QF0 + DQF, QF0 - DQF))
    sig = n0 + alpha * (up - n0) if alpha >= 0 else n0 + alpha * (n0 - dn)
    sig = np.clip(sig, 0.0, None) * 0.93 * 1.02
    bkg = 1.1 * 2.0 * normsys_factor(-0.6, 1.3, 0.8) * np.ones(4)
    mu = sig + bkg
    nll = 2 * np.sum(mu - obs + obs * np.log(obs / mu))
    pulls = alpha**2 + ((0.93 - 1) / 0.1) ** 2 + ((1.1 - 1) / 0.2) ** 2 + 0.6**2
    pulls += ((1.02 - 1) / 0.05) ** 2
    got = cost(*[vals[n] for n in cost._names])
    assert got == pytest.approx(nll + pulls, rel=1e-9)
    pred = cost.predict(vals)
    np.testing.assert_allclose(pred.signal, sig, rtol=1e-9)
    np.testing.assert_allclose(exp.expected(fam, vals).signal, sig, rtol=1e-9)
    if abs(alpha) == 1.0:  # a variant itself: the detector at QF +- 1 sigma
        q = QF0 + alpha * DQF
        np.testing.assert_allclose(
            pred.signal, direct[q].expected_counts(model) * 0.93 * 1.02, rtol=1e-9
        )


def test_constraints_in_the_cost(qf_experiment):
    exp, _, _ = qf_experiment
    cost = exp.cost("sm")
    assert cost.priors == {
        "toy.flux_norm": (1.0, 0.1),
        "toy.flat_norm": (1.0, 0.2),
        "toy.qf": (0.0, 1.0),
        "toy.brn_xs": (0.0, 1.0),
        "toy.sig_eff": (1.0, 0.05),
    }
    v = cost.defaults
    base = cost(*v.values())
    shifted = cost.with_data(cost._obs, prior_means={"toy.brn_xs": 0.5})
    # moving the constraint's centre by 0.5 adds (0 - 0.5)^2 at the same expectation
    assert shifted(*v.values()) - base == pytest.approx(0.25, rel=1e-12)
    # background only: the signal's systematics are fixed, the background's stay free
    bkg = exp.cost("sm", signal=False)
    fixed = bkg.fixed_by_default
    assert {"toy.qf", "toy.sig_eff"} <= fixed
    assert "toy.brn_xs" not in fixed
    assert "toy.flux_norm" not in bkg._names


# ---------------------------------------------------------------- bad input
def test_bad_grids():
    axis = (-1.0, 0.0, 1.0)
    full = {(a, b): np.ones(2) for a in axis for b in axis if (a, b) != (0.0, 0.0)}
    partial = {k: v for k, v in full.items() if k != (1.0, 1.0)}
    with pytest.raises(InvalidParameterError, match=r"grid point \(1\.0, 1\.0\) is missing"):
        ShapeSystematic(("ly", "qy"), [axis, axis], partial)
    with pytest.raises(InvalidParameterError, match="do not list it among the variants"):
        ShapeSystematic(("ly", "qy"), [axis, axis], full | {(0.0, 0.0): np.ones(2)})
    with pytest.raises(InvalidParameterError, match=r"not on the grid"):
        ShapeSystematic(("ly", "qy"), [axis, axis], full | {(0.5, 0.0): np.ones(2)})
    with pytest.raises(InvalidParameterError, match=r"must contain the nominal 0"):
        ShapeSystematic("ly", [(1.0, 2.0)], {(1.0,): np.ones(2), (2.0,): np.ones(2)})
    with pytest.raises(InvalidParameterError, match=r"code '4p' needs the points \(-1, 0, 1\)"):
        ShapeSystematic("ly", [(-2.0, 0.0, 2.0)], {-2.0: np.ones(2), 2.0: np.ones(2)}, code="4p")
    with pytest.raises(InvalidParameterError, match="code must be 0 or '4p', got 2"):
        ShapeSystematic.updown("ly", np.ones(2), np.ones(2), code=2)
    with pytest.raises(InvalidParameterError, match="must be identifiers"):
        ShapeSystematic.updown("l y", np.ones(2), np.ones(2))


def test_bad_templates():
    with pytest.raises(
        InvalidParameterError,
        match=r"b: shape variant \['s'\] at \(1\.0,\) has shape \(3,\), the template \(2,\)",
    ):
        TemplateBackground("b", [1.0, 2.0], systematics=[ShapeSystematic.updown("s", np.ones(3))])
    with pytest.raises(
        InvalidParameterError,
        match=r"b: shape variant \['s'\] at \(-1\.0,\) must be finite, got non-finite values such as \[nan\]",
    ):
        TemplateBackground(
            "b",
            [1.0, 2.0],
            systematics=[ShapeSystematic.updown("s", [1.0, 1.0], [1.0, np.nan])],
        )
    with pytest.raises(InvalidParameterError, match="share nuisance names"):
        Morphing([ShapeSystematic.updown("s", [1.0]), ShapeSystematic.updown("s", [2.0])])
    with pytest.raises(InvalidParameterError, match="normsys 'x': up must be > 0"):
        NormSystematic("x", 0.0, 0.9)


def test_bad_experiment_systematics(qf_experiment):
    exp, _, _ = qf_experiment
    with pytest.raises(
        InvalidParameterError,
        match=r"targets 'nope', expected 'signal' or a background: \['flat'\]",
    ):
        Experiment(
            "e",
            exp.signal,
            exp.dataset,
            exp.backgrounds,
            systematics=[ScaleSystematic("s", 0.1, "nope")],
            likelihood="poisson",
        )
    coarse = CsI2017Detector(bin_edges=[6.0, 30.0])
    with pytest.raises(
        InvalidParameterError,
        match=r"response matrices of different shapes: \[\(1, \d+\), \(4, \d+\)\]",
    ):
        Experiment(
            "e",
            exp.signal,
            exp.dataset,
            systematics=[ShapeSystematic.updown("m", coarse)],
            likelihood="poisson",
        )
    other = CsI2017Detector(bin_edges=EDGES, mass_kg=1.0)
    with pytest.raises(
        InvalidParameterError, match="differs from the nominal detector in target or exposure"
    ):
        Experiment(
            "e",
            exp.signal,
            exp.dataset,
            systematics=[ShapeSystematic.updown("m", other)],
            likelihood="poisson",
        )
    with pytest.raises(
        InvalidParameterError, match=r"nuisance parameter names collide: \['flat_norm'\]"
    ):
        Experiment(
            "e",
            exp.signal,
            exp.dataset,
            exp.backgrounds,
            systematics=[ScaleSystematic("flat_norm", 0.1)],
            likelihood="poisson",
        )


def test_morphed_signal_cache_follows_every_parameter(qf_experiment):
    """The cost keeps the morphed signal (and a morphed background its template) for the
    last nuisance values: one cost walked through a sequence of points, with the QF
    nuisance, the coupling and a normalisation moving in turn and points repeated, gives
    at every point the value of a new cost (no history)."""
    exp, _, _ = qf_experiment
    fam = load_model("nsi_ee_q_light")
    walked = exp.cost(fam)
    base = walked.defaults | {"eps_ee_q": 0.15, "mediator_mass_mev": 50.0}
    points = [
        {"toy.qf": 0.3},
        {"toy.qf": 0.3, "toy.flux_norm": 0.9},
        {"toy.qf": -1.2, "toy.flux_norm": 0.9},
        {"toy.qf": -1.2, "eps_ee_q": 0.05},
        {"toy.qf": 0.3},
        {"toy.qf": 0.3, "eps_ee_q": 0.05},
    ]
    for p in points:
        vals = base | p
        args = [vals[n] for n in walked._names]
        assert walked(*args) == exp.cost(fam)(*args)
