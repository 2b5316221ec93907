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
    # seed 004 Sec. 3.2 / Table III / Table II; honest differences explained in the notes
    assert _value(s, "chi2_min.bkg_only") == pytest.approx(110.69, abs=0.01)
    assert _value(s, "chi2_min.sm_ybe") == pytest.approx(105.95, abs=0.3)
    assert _value(s, "chi2_min.sm_fef") == pytest.approx(103.78, abs=0.01)  # paper 102.66
    sin2 = _value(s, "sin2w.fef")  # paper 0.236 (-0.058, +0.048)
    assert sin2["lo"] < 0.236 < sin2["hi"]
    assert sin2["best"] == pytest.approx(0.2604, abs=2e-3)
    assert _value(s, "alpha11_90cl.fef") == pytest.approx(0.8134, abs=2e-3)  # paper 0.805
    # NGI minima (Sec. 3.3), YBe: 104.53, 105.16, 104.82; claimed agreement 0.1 in chi2
    # (the largest difference over the six YBe minima is 0.06)
    for x, v in zip("svt", (104.53, 105.16, 104.82), strict=True):
        assert _value(s, f"chi2_min.ngi_{x}_ybe") == pytest.approx(v, abs=0.1)


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
