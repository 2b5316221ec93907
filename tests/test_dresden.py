"""Dresden-II through the public API: seed 004 numbers, and the ROOT ingestion paths.

Published values are from seed 004 (Majumdar et al. 2022) Sec. 3.2 and Table III. Where the
framework differs from the paper, the framework's own value is pinned tightly (a regression
guard) and the paper's value loosely, with the reason in docs/validation.md.
"""

import math

import numpy as np
import pytest
import uproot

from cevns.config import load_experiment
from cevns.experiments.dresden_ii import dresden_ii_dataset
from cevns.likelihood.dataset import Dataset
from cevns.stats.fit import fit


@pytest.fixture(scope="module")
def fef():
    return load_experiment("dresden_ii")


@pytest.fixture(scope="module")
def ybe():
    return load_experiment("dresden_ii", {"detector.quenching": "ybe"})


@pytest.fixture(scope="module")
def sm_fef(fef):
    return fit(fef.cost("sm_tree"))


def test_background_only_chi2_matches_paper(fef):
    # seed 004 Sec. 3.2: chi2_min = 110.69 for backgrounds only
    res = fit(fef.cost("sm_tree", signal=False))
    assert res.valid
    assert res.fval == pytest.approx(110.69, abs=0.01)


# What we claim against seed 004 (docs/validation.md): the YBe chi2 within 0.3, the fitted
# events within 0.2 %, the Table III background parameters within 3 %. The Fef chi2 is
# 1.1 above the paper (an unexplained Fef-specific shape difference): only our value is pinned.
CHI2_AGREEMENT = 0.3
EVENTS_AGREEMENT = 2e-3
TABLE3_AGREEMENT = 0.03


def test_sm_fit_fef(sm_fef):
    # seed 004 Table III (Fef): chi2 102.66, fitted events 5103.4; ours 103.78 / 5096.0
    assert sm_fef.valid
    assert sm_fef.fval == pytest.approx(103.778, abs=0.01)
    e = sm_fef.expected["dresden_ii"]
    assert e["signal"] + e["background"] == pytest.approx(5103.4, rel=EVENTS_AGREEMENT)


def test_sm_fit_ybe(ybe):
    # seed 004 Table III (YBe): chi2 105.95, fitted events 5080.29
    res = fit(ybe.cost("sm_tree"))
    assert res.fval == pytest.approx(106.162, abs=0.01)
    assert res.fval == pytest.approx(105.95, abs=CHI2_AGREEMENT)
    e = res.expected["dresden_ii"]
    assert e["signal"] + e["background"] == pytest.approx(5080.29, rel=EVENTS_AGREEMENT)


@pytest.mark.parametrize(
    ("param", "published", "ours"),
    [  # seed 004 Table III, Fef column; our fit
        ("n_epith", 13.779, 13.92),
        ("a_epith", 62.947, 64.63),
        ("tau_epith", 0.262, 0.2553),
        ("a_l1", 84.63, 84.61),
        ("e_l1", 1.29237, 1.29233),
        ("sigma_l1", 0.06963, 0.06952),
        ("beta_m_l1", 0.158, 0.162),
    ],
)
def test_table3_background_parameters_fef(sm_fef, param, published, ours):
    got = sm_fef.values[f"dresden_ii.{param}"]
    assert got == pytest.approx(ours, rel=3e-3)
    assert got == pytest.approx(published, rel=TABLE3_AGREEMENT)


def test_background_is_eq18_with_the_table1_ties(fef):
    """The shipped declaration (generic ``lines`` kind) is seed 004 Eq. 18 with the Table I
    ties, written out here: L2 at 1.142 keV with 0.008 of L1's amplitude and L1's width,
    M at 0.158 keV with sigma_M = sigma_n = 68.5 eV and A_M sigma_M = beta A_L1 sigma_L1,
    amplitudes per 10 eV bin at the bin centres; parameters, ranges (Table III) and the
    beta prior (Eq. 19) as the reproductions read them. rtol 1e-12: the same formula."""
    (bkg,) = fef.backgrounds
    assert bkg.name == "bkg"
    assert [(p.name, p.limits) for p in bkg.parameters] == [
        ("n_epith", (0.0, 25.0)), ("a_epith", (0.0, 150.0)), ("tau_epith", (1e-3, 2.0)),
        ("a_l1", (70.0, 250.0)), ("e_l1", (1.2, 1.4)), ("sigma_l1", (0.04, 0.1)),
        ("beta_m_l1", (0.0, 0.3)),
    ]  # fmt: skip
    assert next(p for p in bkg.parameters if p.name == "beta_m_l1").prior == (0.16, 0.03)
    e = np.round(np.linspace(0.205, 1.495, 130), 9)  # the release's bin centres [keVee]

    def eq18(n, a, tau, a1, e1, s1, beta):
        def g(amp, mu, s):
            return amp * np.exp(-(((e - mu) / (np.sqrt(2) * s)) ** 2))

        a_m = beta * a1 * s1 / 0.0685
        return (n + a * np.exp(-(e - 0.2) / tau) + g(a1, e1, s1) + g(0.008 * a1, 1.142, s1)
                + g(a_m, 0.158, 0.0685))  # fmt: skip

    rng = np.random.default_rng(4)
    for _ in range(5):
        v = {p.name: float(rng.uniform(*p.limits)) for p in bkg.parameters}
        np.testing.assert_allclose(bkg.expected(v), eq18(*v.values()), rtol=1e-12, atol=0)


def test_signal_per_day(fef, ybe):
    # the framework's SM prediction (Huber-Mueller, 2.96 GW, 10.39 m, truncated Gaussian)
    assert fef.expected("sm_tree").signal.sum() == pytest.approx(98.02, abs=0.05)
    assert ybe.expected("sm_tree").signal.sum() == pytest.approx(52.84, abs=0.05)


def test_flux_norm_pull_is_two_percent(fef):
    cost = fef.cost("sm_tree")
    assert cost.priors["dresden_ii.flux_norm"] == (1.0, 0.02)


# ---------------------------------------------------------------------- ROOT round trips
def _weights_for(count, error):
    """Event weights whose sum is ``count`` and whose sum of squares is ``error**2``."""
    n = math.ceil(count**2 / error**2)
    # (n - 1) equal weights w and one weight v: (n-1) w + v = c, (n-1) w^2 + v^2 = e^2
    a, b, c = n * (n - 1), -2 * (n - 1) * count, count**2 - error**2
    w = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a) if n > 1 else count
    return [w] * (n - 1) + [count - (n - 1) * w]


def _write_root(tmp_path, ds):
    path = tmp_path / "dresden.root"
    ds.to_root(path, "dresden")
    energies, weights = [], []
    for x, c, e in zip(ds.centres[0], ds.counts, ds.errors, strict=True):
        w = _weights_for(c, e)
        energies += [x] * len(w)
        weights += w
    branches = {"energy_kevee": np.array(energies), "weight": np.array(weights)}
    with uproot.update(path) as f:
        f.mktree("events", {k: v.dtype for k, v in branches.items()})  # a TTree
        f["events"].extend(branches)
        f["events_rntuple"] = branches  # uproot >= 5.7 writes a dict as an RNTuple
    return path


def test_weights_construction():
    w = np.array(_weights_for(92.851, 15.057))
    assert w.sum() == pytest.approx(92.851, rel=1e-12)
    assert np.sum(w**2) == pytest.approx(15.057**2, rel=1e-10)


def test_root_histogram_and_tree_fit_like_the_text_file(tmp_path, sm_fef):
    ds = dresden_ii_dataset("on")
    text = tmp_path / "dresden.txt"
    ds.to_text(text)
    root = _write_root(tmp_path, ds)
    edges = ds.edges[0]
    sources = {
        "text": {"kind": "text", "path": str(text)},
        "th1d": {"kind": "root", "path": str(root), "object": "dresden"},
        "ttree": {
            "kind": "root_tree",
            "path": str(root),
            "tree": "events",
            "branch": "energy_kevee",
            "weight": "weight",
            "binning": {"start": float(edges[0]), "stop": float(edges[-1]), "n": edges.size - 1},
        },
    }
    sources["rntuple"] = sources["ttree"] | {"tree": "events_rntuple"}
    chi2 = {}
    with uproot.open(root) as f:
        assert f["events"].classname == "TTree"
        assert "RNTuple" in f["events_rntuple"].classname
    for name, section in sources.items():
        exp = load_experiment("dresden_ii", {"dataset": section})
        np.testing.assert_allclose(exp.dataset.counts, ds.counts, rtol=1e-9)
        np.testing.assert_allclose(exp.dataset.errors, ds.errors, rtol=1e-9)
        res = fit(exp.cost("sm_tree"))
        assert res.valid, name
        chi2[name] = res.fval
        # results go back to ROOT: the fitted prediction as a histogram
        pred = Dataset.from_arrays(
            exp.cost("sm_tree").predict(res.values).total, edges, name=f"prediction_{name}"
        )
        pred.to_root(tmp_path / f"prediction_{name}.root")
        back = Dataset.from_root(tmp_path / f"prediction_{name}.root", f"prediction_{name}")
        np.testing.assert_allclose(back.counts, pred.counts, rtol=1e-12)
    for name, value in chi2.items():
        assert value == pytest.approx(sm_fef.fval, abs=1e-6), name


def test_dataset_section_errors_name_the_field(tmp_path):
    from cevns.core.exceptions import CevnsError

    with pytest.raises(CevnsError, match=r"dataset\.binning"):
        load_experiment(
            "dresden_ii",
            {"dataset": {"kind": "root_tree", "path": "x.root", "tree": "t", "branch": "e"}},
        )


# ---------------------------------------------------------------------- Coloma et al. 2022
@pytest.mark.parametrize(("qf", "column", "ratio"), [("fef", 1, 0.9145), ("ybe", 2, 0.9114)])
def test_coloma2022_prediction_shape_and_normalisation(qf, column, ratio):
    """Coloma et al. (arXiv:2202.10829) predict 119.2 (Fef) / 63.9 (YBe) events/day.

    With their spectra (the ``coloma2022`` tables), their quoted total flux 4.8e13 /cm^2/s
    and the seed-004 detector (truncated Gaussian), our prediction has their shape bin by bin
    (flat ratio, 0.5% scatter over 0.2-0.6 keVee) and 91% of their normalisation; the
    remaining 9% is not explained by the couplings (radiative: 94%), the form factor or
    the resolution (a plain Gaussian changes the shape). docs/validation.md records it.
    """
    from cevns.data.store import load_table
    from cevns.experiments.dresden_ii import dresden_ii_detector
    from cevns.likelihood.signal import Signal
    from cevns.physics.families import family
    from cevns.sources.reactor import ReactorFlux

    coloma = load_table("dresden_ii/coloma2022_model_predictions/Counts_SMN_Fef_YBe.txt")
    unscaled = ReactorFlux.dresden_ii(spectra="coloma2022").total_flux()
    assert unscaled == pytest.approx(4.124e13, rel=1e-3)  # their spectra at 2.96 GW
    flux = ReactorFlux.dresden_ii(spectra="coloma2022", thermal_power_gw=2.96 * 4.8e13 / unscaled)
    assert flux.total_flux() == pytest.approx(4.8e13, rel=1e-9)
    sm = family("sm_tree")
    ours = Signal(flux, dresden_ii_detector(qf)).expected_counts(sm.build(sm.defaults()))
    r = ours[:40] / coloma[:40, column]
    assert r.mean() == pytest.approx(ratio, abs=2e-3)
    assert r.std() < 0.01
