"""`cevns reproduce`: the summary format of issue 6 and the seed-004 numbers end to end."""

import json

import pytest

from cevns.core.exceptions import UnknownNameError
from cevns.reproduce import PUBLISHED, majumdar2022, runner
from cevns.reproduce.summary import Summary, write_validation_page

_REQUIRED_MAJUMDAR = [
    "chi2_min.bkg_only",
    "chi2_min.sm_fef",
    "chi2_min.sm_ybe",
    "fitted_events.fef",
    "fitted_events.ybe",
    "sin2w.fef",
    "sin2w.ybe",
    "alpha11_90cl.fef",
    "alpha11_90cl.ybe",
    "alpha12_90cl.fef",
    *[
        f"table3.{p}.{qf}"
        for p in ("n_epith", "a_epith", "tau_epith", "a_l1", "e_l1", "sigma_l1", "beta_m_l1")
        for qf in ("fef", "ybe")
    ],
]


@pytest.fixture(scope="module")
def majumdar(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    summary = majumdar2022.run(out, progress=False, grid=5)
    return out, summary


def test_summary_files_and_schema(majumdar):
    out, _ = majumdar
    data = json.loads((out / "majumdar2022" / "summary.json").read_text())
    ids = [q["id"] for q in data["quantities"]]
    assert set(_REQUIRED_MAJUMDAR) <= set(ids)
    for q in data["quantities"]:
        assert set(q) >= {"id", "source", "published", "reproduced", "unit", "note"}
        assert q["source"]
    md = (out / "majumdar2022" / "summary.md").read_text()
    assert "| quantity | source | published | reproduced | difference | note |" in md
    for plot in ("fig1_spectrum_fef", "fig2_sin2w", "fig4_non_unitarity", "fig5_ngi"):
        assert (out / "majumdar2022" / f"{plot}.png").stat().st_size > 10_000
        assert not (out / "majumdar2022" / f"{plot}.pdf").exists()  # PNG by default


def _value(summary, qid):
    return next(q.reproduced for q in summary.quantities if q.id == qid)


def test_seed004_numbers(majumdar):
    _, s = majumdar
    # seed 004 Sec. 3.2 / Table III / Table II; honest differences explained in the notes.
    # The reproduction normalises the total flux to the stated 4.8e13 /cm^2/s (Sec. 3.1).
    assert _value(s, "chi2_min.bkg_only") == pytest.approx(110.69, abs=0.01)
    # YBe chi2 105.95 and the fitted events 5103.4 / 5080.29: our 105.941 / 5103.09 / 5082.12
    # (Minuit's EDM tolerance moves chi2 by < 1e-3: 0.01 pins our value)
    assert _value(s, "chi2_min.sm_ybe") == pytest.approx(105.941, abs=0.01)
    assert _value(s, "chi2_min.sm_ybe") == pytest.approx(105.95, abs=0.05)
    assert _value(s, "fitted_events.fef") == pytest.approx(5103.4, rel=1e-4)
    assert _value(s, "fitted_events.ybe") == pytest.approx(5080.29, rel=5e-4)
    assert _value(s, "chi2_min.sm_fef") == pytest.approx(103.78, abs=0.01)  # paper 102.66
    sin2 = _value(s, "sin2w.fef")  # paper 0.236 (-0.058, +0.048)
    assert sin2["best"] == pytest.approx(0.2394, abs=1e-3)
    assert sin2["best"] == pytest.approx(0.236, abs=0.005)  # within 2 units of its rounding
    assert sin2["lo"] < 0.236 < sin2["hi"]
    sin2 = _value(s, "sin2w.ybe")  # paper 0.321 (-0.094, +0.075): ours 0.308 sits inside
    assert sin2["best"] == pytest.approx(0.3081, abs=1e-3)
    assert sin2["lo"] < 0.321 < sin2["hi"]
    # Table II in the physical region alpha11 <= 1 (grid step 0.01, interpolated edges)
    assert _value(s, "alpha11_90cl.fef") == pytest.approx(0.7840, abs=2e-3)  # paper 0.805
    assert _value(s, "alpha11_90cl.ybe") == pytest.approx(0.7535, abs=2e-3)  # paper 0.758
    assert _value(s, "alpha12_90cl.fef") == pytest.approx(0.7919, abs=2e-3)  # paper 0.747
    assert _value(s, "alpha12_90cl.ybe") is None  # no bound for YBe, as in the paper
    # NGI minima (Sec. 3.3), YBe: 104.53, 105.16, 104.82; ours 0.18-0.27 above
    for x, v in zip("svt", (104.80, 105.34, 105.01), strict=True):
        assert _value(s, f"chi2_min.ngi_{x}_ybe") == pytest.approx(v, abs=0.02)
    for x, v in zip("svt", (104.53, 105.16, 104.82), strict=True):
        assert _value(s, f"chi2_min.ngi_{x}_ybe") == pytest.approx(v, abs=0.3)


def test_seed004_variant_flux(majumdar):
    _, s = majumdar
    # Eq. 14 literally with Huber-Mueller + BESTIOLE (total 4.81e13): 98.0 Fef events/day
    assert _value(s, "sm_signal_per_day.fef") == pytest.approx(109.77, abs=0.05)
    assert _value(s, "eq14.sm_signal_per_day.fef") == pytest.approx(97.99, abs=0.05)
    assert _value(s, "eq14.chi2_min.sm_ybe") == pytest.approx(106.162, abs=0.01)
    assert _value(s, "eq14.fitted_events.fef") == pytest.approx(5096.03, abs=0.1)
    assert _value(s, "eq14.sin2w.fef")["best"] == pytest.approx(0.2604, abs=2e-3)
    assert _value(s, "eq14.alpha11_90cl.fef") == pytest.approx(0.8063, abs=2e-3)
    assert _value(s, "eq14.alpha11_90cl.ybe") == pytest.approx(0.7495, abs=2e-3)
    assert _value(s, "eq14.alpha12_90cl.fef") == pytest.approx(0.9225, abs=2e-3)


def test_seed004_flux_conventions():
    from cevns.core.exceptions import InvalidParameterError

    exps = majumdar2022.experiments("stated_total")
    flux = exps["fef"].signal.flux
    assert flux.total_flux() == pytest.approx(4.8e13, rel=1e-12)
    # independent: the normalisation is 4.8e13 over the Eq. 14 total of the same tables
    from cevns.sources.reactor import ReactorFlux

    plain = ReactorFlux.dresden_ii(spectra="coloma2022")
    assert flux.normalisation == pytest.approx(4.8e13 / plain.total_flux(), rel=1e-12)
    with pytest.raises(InvalidParameterError, match="convention must be one of"):
        majumdar2022.experiments("eq15")


def test_non_unitarity_physical_limits():
    from cevns.physics.model_files import load_model

    for name in ("non_unitarity", "non_unitarity_tree"):
        fam = load_model(name)
        # alpha11 <= 1 by definition; |alpha12|, |alpha13| in [0, 1] (rows of N have norm <= 1)
        assert fam.parameter("alpha11").limits == (0.0, 1.0)
        assert fam.parameter("alpha12").limits == (0.0, 1.0)
        assert fam.parameter("alpha13").limits == (0.0, 1.0)
        # Eq. 7: the rate factor alpha11^2 (alpha11^2 + |alpha12|^2), checked by hand
        r = fam.rate_factors({"alpha11": 0.9, "alpha12": 0.3, "alpha13": 0.0})
        assert r[0] == pytest.approx(0.81 * (0.81 + 0.09), rel=1e-12)


def test_every_published_id_is_registered_once():
    from cevns.reproduce.registry import _ENTRIES

    ids = [p.id for p in _ENTRIES]
    assert len(ids) == len(set(ids))
    assert set(PUBLISHED) == set(ids)


def test_unknown_analysis_suggests():
    with pytest.raises(UnknownNameError, match="majumdar2022"):
        runner.run("majumdar2021", "unused")


def test_validation_page_is_generated(tmp_path, majumdar):
    _, s = majumdar
    page = write_validation_page([s, Summary("empty", "Nothing")], tmp_path / "validation.md")
    text = page.read_text()
    assert text.startswith("# Validation")
    assert "chi2_min.bkg_only" in text


@pytest.fixture(scope="module")
def dg(tmp_path_factory):
    from cevns.reproduce import dg2022

    return dg2022.run(tmp_path_factory.mktemp("dg"), progress=False, n_mass=7)


def test_dg2022_numbers(dg):
    # seed 000 Sec. IV: LMA-Dark (x = 0) excluded down to ~1 MeV (ours 1.69, see the note);
    # eps_ee allowed in [-0.05, 0.2] (ours [-0.054, 0.236]): our values are pinned
    assert _value(dg, "lma_dark_excluded_3sigma_above_mev.fef") == pytest.approx(1.687, abs=0.01)
    lo, hi = _value(dg, "eps_ee_allowed_3sigma")
    assert lo == pytest.approx(-0.0541, abs=1e-3)
    assert hi == pytest.approx(0.2362, abs=1e-3)
    assert _value(dg, "lma_dark_excluded_3sigma_above_mev.modified_lindhard") is None
    window = _value(dg, "x_allowed_window")
    assert window[0] < 1.9  # ours is wider than the paper's [1.9, 2.2]: see the note
    assert window[1] > 2.2


def test_flagship_combines(tmp_path):
    from cevns.reproduce import flagship

    s = flagship.run(tmp_path, progress=False, n_mass=7)
    assert (tmp_path / "flagship" / "flagship_exclusion.png").exists()
    coherent = _value(s, "lma_dark_excluded_3sigma_above_mev.coherent_csi_2017")
    combined = _value(s, "lma_dark_excluded_3sigma_above_mev.combined")
    assert combined <= coherent
    # the combined minimum is at least the sum of the separate minima
    assert (
        _value(s, "chi2_min.combined")
        >= _value(s, "chi2_min.dresden_ii")
        + _value(s, "chi2_min.coherent_csi_2017")
        + _value(s, "chi2_min.coherent_lar")
        - 1e-6
    )
    data = json.loads((tmp_path / "flagship" / "summary.json").read_text())
    assert all(q["published"] is None for q in data["quantities"])


def test_mean_momentum_transfer_against_quadrature():
    # CONUS Ge (recoil_threshold: every recoil above 0.6 keVnr is recorded): the mean |q| is
    # int q dR/dE dE / int dR/dE dE, done here independently with scipy quad per nucleus
    import numpy as np
    from scipy import integrate

    from cevns.config import load_experiment
    from cevns.likelihood.spectrum import recoil_spectrum
    from cevns.physics.nsi import NSIModel
    from cevns.physics.nuclei import Target

    exp = load_experiment("conus_ge")
    sig, target = exp.signal, exp.signal.detector.target
    model = NSIModel.sm(couplings="tree")
    num = den = 0.0
    for n, c in zip(target.nuclei, target.counts, strict=True):
        one = Target(n.name, (n,), (c,), target.molar_mass_g)

        def rate(x, one=one):
            return float(recoil_spectrum(sig.flux, one, model, [x])[0])

        def q(x, n=n):
            return np.sqrt(2 * n.mass_mev * x * 1e-3 + (x * 1e-3) ** 2)

        num += integrate.quad(lambda x: rate(x) * q(x), 0.6, sig.e_nr_max_kev, limit=200)[0]
        den += integrate.quad(rate, 0.6, sig.e_nr_max_kev, limit=200)[0]
    # the framework integrates on its recoil nodes (trapezoid): 1e-4 relative is ample
    assert majumdar2022.mean_momentum_transfer_mev(exp) == pytest.approx(num / den, rel=1e-4)


def test_seed004_fig3(majumdar):
    out, s = majumdar
    # Dresden-II recoils of ~0.3-1.5 keVnr on Ge: |q| ~ 7-8 MeV (seed 004 Sec. 3.2: the
    # Dresden-II points fill the low-|q| gap); the two QF curves weight the recoils
    # differently near threshold. 0.01 MeV pins our values (node-grid precision ~1e-4)
    assert _value(s, "fig3.q_mev.dresden_ii_fef") == pytest.approx(7.542, abs=0.01)
    assert _value(s, "fig3.q_mev.dresden_ii_ybe") == pytest.approx(7.244, abs=0.01)
    assert _value(s, "fig3.sin2w.dresden_ii_fef")["best"] == pytest.approx(0.2394, abs=1e-3)
    # COHERENT CsI 2021 (its experiment file belongs to the COHERENT work): recoils of
    # ~5-40 keVnr on Cs/I give |q| of 35-100 MeV
    assert 35.0 < _value(s, "fig3.q_mev.coherent_csi_2021") < 100.0
    assert (out / "majumdar2022" / "fig3_sin2w_running.png").stat().st_size > 10_000
