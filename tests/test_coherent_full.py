"""COHERENT CsI 2017 and 2021 as binned Poisson likelihoods in PE x time (coherent_full)."""

import numpy as np
import pytest

import cevns.experiments.coherent_csi_full  # noqa: F401  (registers the components)
from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.experiments.coherent_csi_full import (
    csi_2017_brn_template,
    csi_2017_dataset,
    csi_2017_histograms,
    csi_2021_brn_nin_template,
    csi_2021_dataset,
    csi_2021_events,
    csi_2021_full_detector,
    csi_2021_time_efficiency,
)
from cevns.likelihood.experiment import Experiment
from cevns.likelihood.signal import Signal
from cevns.likelihood.systematics import Morphing, ShapeSystematic
from cevns.reproduce.registry import published
from cevns.stats.fit import fit

SHAPE_2017 = ("qf", "acc_a", "acc_k", "acc_x0")
SHAPE_2021 = ("eff", "scint0", "scint1")
FREE_NORM = {"signal.flux_norm_uncertainty": 1000.0}


def _published(qid: str) -> tuple[float, float]:
    """A COHERENT result ``best +- sigma`` from the registry of published numbers."""
    v = published("coherent", qid).value
    return v["best"], (v["hi"] - v["lo"]) / 2


@pytest.fixture(scope="module")
def exp17():
    return load_experiment("coherent_csi_2017")


@pytest.fixture(scope="module")
def exp21():
    return load_experiment("coherent_csi_2021")


@pytest.fixture(scope="module")
def fit17(exp17):
    cost = exp17.cost("sm")
    return cost, fit(cost, warn=False)


@pytest.fixture(scope="module")
def fit21(exp21):
    cost = exp21.cost("sm")
    return cost, fit(cost, warn=False)


# ---------------------------------------------------------------- data (README sanity numbers)
def test_2017_release_totals():
    c, ac = csi_2017_histograms("on")
    assert c.shape == ac.shape == (25, 24)
    assert (c.sum(), ac.sum()) == (1207.0, 1032.0)
    c_off, ac_off = csi_2017_histograms("off")
    assert (c_off.sum(), ac_off.sum()) == (507.0, 507.0)
    # excess C - AC in 6 <= PE < 30, t < 6 us: 547 - 405 = 142
    assert (c[3:15, :12].sum(), ac[3:15, :12].sum()) == (547.0, 405.0)


def test_2017_dataset(exp17):
    d = exp17.dataset
    assert d.shape == (12, 24)
    assert d.counts.sum() == 855.0
    assert d.meta["anticoincidence"].sum() == 703.0
    assert d.edges[0][[0, -1]].tolist() == [6.0, 30.0]
    assert d.edges[1][[0, -1]].tolist() == [0.0, 12.0]
    assert exp17.likelihood == "poisson"


def test_2021_release_totals():
    assert csi_2021_events("c").shape == (5142, 2)
    assert csi_2021_events("ac").shape == (4890, 2)
    d = csi_2021_dataset([0.0, 60.0], [0.0, 6.0])
    assert d.counts.sum() == 1578.0
    assert d.meta["anticoincidence"].sum() == 1295.0


def test_2021_dataset(exp21):
    d = exp21.dataset
    assert d.shape == (13, 12)
    assert d.counts.sum() == 1567.0


# ---------------------------------------------------------------- backgrounds
def test_2017_backgrounds_at_priors(exp17):
    ss, brn = exp17.backgrounds
    assert ss.expected({}).sum() == pytest.approx(703.0)
    assert np.all(ss.expected({}) > 0)  # factorised template: no empty bin
    assert brn.expected({}).sum() == pytest.approx(5.419, abs=1e-3)
    priors = {p.name: p.prior for p in exp17.nuisance_parameters()}
    assert priors["coherent_csi_2017.ss_norm"] == pytest.approx((1.0, 1.0 / np.sqrt(703.0)))
    assert priors["coherent_csi_2017.brn_norm"] == (1.0, 0.25)
    assert priors["coherent_csi_2017.flux_norm"] == (1.0, 0.1)
    for n in SHAPE_2017:
        assert priors[f"coherent_csi_2017.{n}"] == (0.0, 1.0)


def test_2017_brn_numbers():
    # README: 3.995/GWhr x 7.476 GWhr = 29.9 before acceptance, 7.6 after, 5.4 in 6-30 PE
    assert csi_2017_brn_template(slice(0, 25), slice(0, 24)).sum() == pytest.approx(
        7.619, abs=0.001
    )
    assert csi_2017_brn_template(slice(3, 15), slice(0, 24)).sum() == pytest.approx(
        5.419, abs=0.001
    )


def test_2021_backgrounds_at_priors(exp21):
    ss, brn, nin = exp21.backgrounds
    assert ss.expected({}).sum() == pytest.approx(exp21.dataset.meta["anticoincidence"].sum())
    pe, t = np.arange(0.0, 61.0, 4.0), np.linspace(0.0, 6.0, 13)
    assert csi_2021_brn_nin_template("brn", pe, t).sum() == pytest.approx(18.4)
    assert csi_2021_brn_nin_template("nin", pe, t).sum() == pytest.approx(5.6)
    assert 0 < nin.expected({}).sum() < brn.expected({}).sum() < 18.4
    priors = {p.name: p.prior for p in exp21.nuisance_parameters()}
    assert priors["coherent_csi_2021.brn_norm"] == (1.0, 0.25)
    assert priors["coherent_csi_2021.nin_norm"] == (1.0, 0.35)
    for n in SHAPE_2021:
        assert priors[f"coherent_csi_2021.{n}"] == (0.0, 1.0)


def test_time_efficiency():
    eff = csi_2021_time_efficiency(np.array([0.0, 0.52, 1.52]))
    assert eff.tolist() == pytest.approx([1.0, 1.0, np.exp(-0.0494)])


# ---------------------------------------------------------------- morphing
def test_morph_piecewise_linear():
    # stack: nominal, then the variants at -1 and +1 sigma
    s = np.array([[10.0, 1.0], [9.0, 0.0], [12.0, 2.0]])
    m = Morphing([ShapeSystematic.updown("a", s[2], s[1])])

    def morph(stacked, alphas):
        return m.apply(stacked, np.array(alphas))

    assert morph(s, [0.0]).tolist() == [10.0, 1.0]
    assert morph(s, [1.0]).tolist() == [12.0, 2.0]
    assert morph(s, [-1.0]).tolist() == [9.0, 0.0]
    assert morph(s, [-3.0]).tolist() == [7.0, 0.0]  # clipped at 0
    with pytest.raises(InvalidParameterError, match="2 stacked templates, expected 3"):
        morph(s[:2], [0.0])


def test_shape_nuisance_reproduces_variant(exp17):
    """At qf = +1 the morphed signal is the signal of the detector with QF + 1 sigma."""
    assert exp17.signal_morphing.names == SHAPE_2017
    up = exp17.systematics[0].variant(1.0)
    direct = Signal(
        exp17.signal.flux,
        up,
        form_factor=exp17.signal.form_factor,
        timing=dict(zip(exp17.signal.flavours, exp17.signal.timing, strict=True)),
    )
    got = exp17.expected("sm", {"coherent_csi_2017.qf": 1.0}).signal
    from cevns.physics.families import family

    fam = family("sm")
    want = direct.expected_counts(fam.build(fam.defaults())).reshape(got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    nominal = exp17.expected("sm").signal.sum()
    assert got.sum() == pytest.approx(1.176 * nominal, rel=1e-3)  # QF + 19%: +17.6% events


def test_fast_path_matches_direct(exp17, exp21):
    for exp, names in ((exp17, SHAPE_2017), (exp21, SHAPE_2021)):
        cost = exp.cost("sm")
        vals = cost.defaults | {
            f"{exp.name}.{n}": v
            for n, v in zip(names, (0.7, -1.3, 0.4, -0.2)[: len(names)], strict=True)
        }
        vals[f"{exp.name}.flux_norm"] = 0.9
        fast = cost.predict(vals)
        direct = exp.expected("sm", vals)
        np.testing.assert_allclose(fast.signal, direct.signal, rtol=1e-8)
        np.testing.assert_allclose(fast.total, direct.total, rtol=1e-8)
        assert cost(*[vals[n] for n in cost._names]) == pytest.approx(
            2 * np.sum(fast.total - exp.dataset.counts)
            + 2
            * np.sum(
                np.where(
                    exp.dataset.counts > 0,
                    exp.dataset.counts * np.log(np.maximum(exp.dataset.counts, 1) / fast.total),
                    0.0,
                )
            )
            + sum(((vals[k] - m) / s) ** 2 for k, (m, s) in cost.priors.items()),
            rel=1e-9,
        )


# ---------------------------------------------------------------- fits
def test_2017_sm_fit(fit17):
    cost, r = fit17
    assert r.valid
    assert r.ndata == 288
    assert r.ndof == 281
    # 356.17 and 161.0 with 1.76e23 POT; the flux now takes the release's 7.47594 GWh at
    # 1 GeV (1.680e23 POT), the definition the timing path shares
    assert r.fval == pytest.approx(355.77, abs=0.05)
    n_sig = float(cost.predict(r.values).signal.sum())
    assert n_sig == pytest.approx(158.4, abs=0.5)
    pub, err = _published("csi_2017.fit_events")
    assert abs(n_sig - pub) < 2 * err  # loose check against COHERENT's 134 +- 22
    assert r.values["coherent_csi_2017.brn_norm"] == pytest.approx(1.0, abs=0.1)
    assert r.values["coherent_csi_2017.ss_norm"] == pytest.approx(0.993, abs=0.005)
    # SM prediction before the fit (COHERENT: 173 +- 48); 192.9 with 1.76e23 POT
    assert cost.predict(cost.defaults).signal.sum() == pytest.approx(184.2, abs=0.2)


def test_2017_free_normalisation_and_background_only(exp17, fit17):
    free = load_experiment("coherent_csi_2017", FREE_NORM).cost("sm")
    r = fit(free, warn=False)
    assert r.valid
    assert free.predict(r.values).signal.sum() == pytest.approx(144.0, abs=0.5)
    bkg = fit(exp17.cost("sm", signal=False), warn=False)
    assert bkg.valid
    assert bkg.ndof == 288 - 2  # shape nuisances fixed without a signal
    assert bkg.fval - fit17[1].fval == pytest.approx(46.06, abs=0.1)  # 45.66 at 1.76e23 POT


def test_2021_sm_fit(fit21):
    cost, r = fit21
    assert r.valid
    assert r.ndof == 156 - 7
    assert r.fval == pytest.approx(204.47, abs=0.05)
    n_sig = float(cost.predict(r.values).signal.sum())
    assert n_sig == pytest.approx(320.7, abs=0.5)
    pub, err = _published("csi_2021.fit_events")
    assert abs(n_sig - pub) < 2 * err  # loose check against COHERENT's 306 +- 20
    assert cost.predict(cost.defaults).signal.sum() == pytest.approx(348.6, abs=0.2)


@pytest.mark.parametrize("family_name", ["sm", "lma_dark", "nsi_ee_q_light"])
def test_combines_with_dresden(exp17, family_name):
    dresden = load_experiment("dresden_ii")
    total = exp17.cost(family_name) + dresden.cost(family_name)
    names = list(total._parameters)
    assert "coherent_csi_2017.qf" in names
    assert "dresden_ii.flux_norm" in names
    r = fit(total, warn=False)
    assert r.valid
    assert set(r.expected) == {"coherent_csi_2017", "dresden_ii"}


# ---------------------------------------------------------------- bad input
def test_bad_windows():
    with pytest.raises(InvalidParameterError, match="steps of 2"):
        csi_2017_dataset((7.0, 30.0))
    with pytest.raises(InvalidParameterError, match="0 <= lo < hi <= 12"):
        csi_2017_dataset((6.0, 30.0), (0.0, 13.0))
    with pytest.raises(InvalidParameterError, match="'on' or 'off'"):
        csi_2017_histograms("sideways")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"within \[0, 6\] us"):
        csi_2021_dataset([8.0, 60.0], [0.0, 8.0])
    with pytest.raises(InvalidParameterError, match="pe_edges must increase"):
        csi_2021_full_detector([20.0, 10.0])


def test_bad_configuration():
    with pytest.raises(InvalidConfigError, match="binnings do not match"):
        load_experiment("coherent_csi_2017", {"detector.pe_range": [6.0, 20.0]})
    with pytest.raises(InvalidConfigError, match="steps of 2"):
        load_experiment("coherent_csi_2017", {"dataset.pe_range": [5.0, 30.0]})
    with pytest.raises(InvalidConfigError, match="template"):
        load_experiment("coherent_csi_2017", {"backgrounds.0.template": "smooth"})
    with pytest.raises(InvalidConfigError, match="time_offset_us"):
        load_experiment("coherent_csi_2021", {"detector.time_offset_us": 2.0})


def test_signal_variants_must_be_detectors():
    timing = load_experiment("coherent_csi_2017_timing")
    bad = ShapeSystematic.updown("s", np.ones(2), np.zeros(2))
    with pytest.raises(InvalidParameterError, match="signal variant 0 must be a detector response"):
        Experiment("x", timing.signal, timing.dataset, systematics=[bad])


# ---------------------------------------------------------------- one definition per input
@pytest.mark.parametrize(
    ("name", "shift"), [("coherent_csi_2017", 0.25), ("coherent_csi_2021", 0.1)]
)
def test_time_axis_compared_by_edges(name, shift):
    """A dataset with the right number of time bins but shifted edges is refused."""
    from cevns.likelihood.dataset import Dataset, check_compatible, observed_axes

    exp = load_experiment(name)
    axes = observed_axes(exp.signal)
    assert axes[-1].name == "t_us"
    assert axes[-1].edges is not None  # declared by the detector, not only a bin count
    np.testing.assert_allclose(axes[-1].edges, exp.dataset.edges[-1])
    d = exp.dataset
    moved = Dataset(d.name, d.counts, (d.edges[0], d.edges[1] + shift), axis_labels=d.axis_labels)
    with pytest.raises(InvalidParameterError, match="edges differ"):
        check_compatible(moved, axes, name)


def test_csi_2017_paths_share_the_flux():
    """The PE x time and the seed-002 timing experiments use one SNS flux definition."""
    pe_time = load_experiment("coherent_csi_2017").signal.flux
    timing = load_experiment("coherent_csi_2017_timing").signal.flux
    # coherent_parameters.yaml: 7.47594 GWh / 1 GeV = 1.6798e23 POT, 19.3 m, 0.08 / POT
    assert pe_time.protons_on_target == pytest.approx(7.47594 * 3.6e12 / 1.602176634e-10)
    for attr in ("protons_on_target", "baseline_m", "nu_per_flavour_per_proton"):
        assert getattr(pe_time, attr) == getattr(timing, attr)
    assert pe_time.fluence_per_flavour == timing.fluence_per_flavour
