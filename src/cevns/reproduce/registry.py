"""Every published number cevns reproduces, with its source: the single place they live.

Values are a number, an interval ``[lo, hi]``, a union ``[[lo, hi], ...]`` or a best fit
``{"best": b, "lo": l, "hi": h}`` (the convention of ``summary.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PUBLISHED", "Published", "published"]


def __dir__() -> list[str]:
    return __all__


@dataclass(frozen=True)
class Published:
    """A published quantity.

    Parameters
    ----------
    id : str
        ``<analysis>/<quantity id>``.
    value : object
        The number, an interval ``[lo, hi]`` or a best fit ``{"best", "lo", "hi"}``.
    unit : str
        Unit of ``value`` (``""`` if dimensionless).
    source : str
        Paper, equation, table or figure the value is read from.
    note : str
        How it was read (e.g. digitised from a figure) and caveats.
    """

    id: str
    value: Any
    unit: str
    source: str
    note: str = ""


_S002 = "Denton, Farzan, Shoemaker, arXiv:1804.03660 (seed 002)"
_S004 = "Majumdar, Papoulias, Srivastava, Valle (seed 004)"
_S000 = "Denton, Gehrlein, arXiv:2204.09060 (seed 000)"
_CSI17 = "COHERENT CsI 2017, arXiv:1708.01294"
_CSI21 = "COHERENT CsI 2021, arXiv:2110.07730"
_LAR20 = "COHERENT LAr 2020, arXiv:2003.10630 (LArParametersAnlA.yaml of the release)"
_LAR20_PDF = "COHERENT LAr 2020 release arXiv:2006.12659, cevnspdf.txt"
#: Projections of the release's SM CEvNS PDF (cevnspdf.txt, 12 E x 8 F90 x 10 t, 128.0
#: events), summed over the other two axes; bin edges in the labels.
_LAR20_ENERGY_KEVEE = [78.6995, 36.9689, 9.8885, 2.3647, 0.0784, 0.0]  # 0-60 keVee, 10 wide
_LAR20_F90 = [12.9368, 18.8864, 24.8497, 28.1762, 24.9486, 13.9531, 3.9259, 0.3233]
_LAR20_TIME_US = [11.084, 39.7864, 18.7018, 14.8484, 11.867, 9.4864, 7.5846, 6.0317, 4.788, 3.8216]
_XE24 = "XENONnT, PRL 133 (2024) 191002, arXiv:2408.02877 (abstract)"


def _pm(best: float, sigma: float) -> dict[str, float]:
    """A result ``best +- sigma`` as a best fit ``{"best", "lo", "hi"}``."""
    return {"best": best, "lo": best - sigma, "hi": best + sigma}


_ENTRIES: list[Published] = [
    # ---------------------------------------------------------------- COHERENT releases
    Published(
        "coherent/csi_2017.sm_events",
        _pm(173.0, 48.0),
        "events",
        _CSI17,
        "SM expectation of the 2017 analysis (6-30 PE); seed 002 normalises to it",
    ),
    Published(
        "coherent/csi_2017.fit_events",
        _pm(134.0, 22.0),
        "events",
        _CSI17,
        "CEvNS best fit; quoted from memory in the data README",
    ),
    Published(
        "coherent/csi_2021.fit_events",
        _pm(306.0, 20.0),
        "events",
        _CSI21,
        "CEvNS best fit; quoted from memory in the data README",
    ),
    *[
        Published(f"coherent/lar_2020.{key}", _pm(best, sigma), "events", _LAR20, "analysis A")
        for key, (best, sigma) in {
            "cevns_prediction": (128.0, 17.0),
            "prompt_brn_prediction": (497.0, 160.0),
            "delayed_brn_prediction": (33.0, 33.0),
            "steady_state_prediction": (3154.0, 25.0),
            "cevns_best_fit": (159.0, 43.0),
            "prompt_brn_best_fit": (553.0, 34.0),
            "delayed_brn_best_fit": (10.0, 11.0),
            "steady_state_best_fit": (3131.0, 23.0),
        }.items()
    ],
    Published(
        "coherent/csi_2021.sm_events",
        _pm(333.0, 11.0),
        "events",
        _CSI21,
        "SM prediction 333 +- 11 (theory) +- 42 (experiment); the interval is the theory part",
    ),
    # ---------------------------------------------------------------- coherent_sm
    Published(
        "coherent_sm/lar_2020.total",
        128.0,
        "events",
        f"{_LAR20_PDF} (sum; yaml cevnsPredictionNormalization 128 +- 17)",
        "SM CEvNS inside the 3-D histogram",
    ),
    *[
        Published(
            f"coherent_sm/lar_2020.energy.{10 * i}-{10 * i + 10}_kevee",
            v,
            "events",
            f"{_LAR20_PDF} (energy projection)",
        )
        for i, v in enumerate(_LAR20_ENERGY_KEVEE)
    ],
    *[
        Published(
            f"coherent_sm/lar_2020.f90.{0.5 + 0.05 * i:.2f}-{0.55 + 0.05 * i:.2f}",
            v,
            "events",
            f"{_LAR20_PDF} (F90 projection)",
        )
        for i, v in enumerate(_LAR20_F90)
    ],
    *[
        Published(
            f"coherent_sm/lar_2020.time.{-0.1 + 0.5 * i:.1f}-{0.4 + 0.5 * i:.1f}_us",
            v,
            "events",
            f"{_LAR20_PDF} (time projection)",
        )
        for i, v in enumerate(_LAR20_TIME_US)
    ],
    # ---------------------------------------------------------------- dfs2018 (seed 002)
    Published("dfs2018/p_c", 0.246, "", f"{_S002} Eq. 4.2", "p_w = 0.695 us, b_w = 1 us"),
    Published(
        "dfs2018/eps_degenerate_csi", 0.18, "", f"{_S002} Eq. 4.6", "g_n = -1/2, g_p ~ 0.055"
    ),
    Published(
        "dfs2018/lma_dark_mz_bound_mev.marginalized",
        48.0,
        "MeV",
        f"{_S002} Fig. 2, Sec. 4.1",
        "95% CL, 1 dof",
    ),
    Published("dfs2018/lma_dark_mz_bound_mev.x0", 17.0, "MeV", f"{_S002} Sec. 4.1", "x = 0"),
    Published(
        "dfs2018/chi2_zero_mz_mev.x1p5", 38.0, "MeV", f"{_S002} Sec. 4.1", "chi2 vanishes, x = 3/2"
    ),
    Published(
        "dfs2018/chi2_zero_mz_mev.x1", 18.0, "MeV", f"{_S002} Sec. 4.1", "chi2 vanishes, x = 1"
    ),
    Published(
        "dfs2018/table2.ee", [[-0.073, 0.023], [0.16, 0.25]], "", f"{_S002} Table 2", "90% CL"
    ),
    Published(
        "dfs2018/table2.mumu", [[-0.0070, 0.033], [0.15, 0.19]], "", f"{_S002} Table 2", "90% CL"
    ),
    Published("dfs2018/table2.emu", [-0.055, 0.055], "", f"{_S002} Table 2", "90% CL"),
    Published("dfs2018/table2.etau", [-0.014, 0.014], "", f"{_S002} Table 2", "90% CL"),
    Published("dfs2018/table2.mutau", [-0.051, 0.051], "", f"{_S002} Table 2", "90% CL"),
    Published("dfs2018/chi2_min.ee_heavy", 2.9, "", f"{_S002} Fig. 1, 4 captions", "minimum chi2"),
    Published(
        "dfs2018/conus_mz_bound_mev.ge.x0", 1.3, "MeV", f"{_S002} Sec. 5.2, Fig. 6", "95% CL"
    ),
    Published(
        "dfs2018/conus_mz_bound_mev.si.x0", 0.45, "MeV", f"{_S002} Sec. 5.2, Fig. 6", "95% CL"
    ),
    Published("dfs2018/conus_mz_bound_mev.ge.x1p5", 2.6, "MeV", f"{_S002} Sec. 5.2", "95% CL"),
    Published("dfs2018/conus_mz_bound_mev.si.x1p5", 0.9, "MeV", f"{_S002} Sec. 5.2", "95% CL"),
    Published(
        "dfs2018/conus_mz_bound_mev.ge.sys1pct",
        0.45,
        "MeV",
        f"{_S002} Sec. 5.2",
        "1% flux systematics",
    ),
    Published(
        "dfs2018/conus_mz_bound_mev.si.sys1pct",
        0.15,
        "MeV",
        f"{_S002} Sec. 5.2",
        "1% flux systematics",
    ),
    Published(
        "dfs2018/fig5.saturated_bound_mev",
        10.0,
        "MeV",
        f"{_S002} Fig. 5 caption",
        "expected COHERENT CsI exclusion, marginalised over x, saturates at ~10 MeV",
    ),
    Published(
        "dfs2018/forecast_10yr_mz_bound_mev.x0",
        12.0,
        "MeV",
        f"{_S002} Sec. 5.2, Fig. 7",
        "after ten more years of COHERENT CsI, LMA-Dark survives for 5.3 < M_Z' < 12 MeV",
    ),
    Published(
        "dfs2018/ge76_pion_dar_10kgyr.sm_events.prompt",
        100.0,
        "events",
        "Denton, talk (seed 001), backup slide 'Pulsed beam: flavor discrimination'",
        "'~100 prompt': read as the set-up of the 10 kg yr 76Ge forecast (the slides with "
        "22 m, E_tr = 5 keV, Z = 32, N = 44, P_c = 0.138, 10% normalisation, 20% "
        "background; ref. arXiv:1701.04828); an order of magnitude, not a computed number",
    ),
    Published(
        "dfs2018/ge76_pion_dar_10kgyr.sm_events.delayed",
        200.0,
        "events",
        "Denton, talk (seed 001), backup slide 'Pulsed beam: flavor discrimination'",
        "'~200 delayed', as for the prompt count",
    ),
    # ---------------------------------------------------------------- majumdar2022 (seed 004)
    Published("majumdar2022/chi2_min.bkg_only", 110.69, "", f"{_S004} Sec. 3.2"),
    Published("majumdar2022/chi2_min.sm_fef", 102.66, "", f"{_S004} Sec. 3.2, Table III"),
    Published("majumdar2022/chi2_min.sm_ybe", 105.95, "", f"{_S004} Sec. 3.2, Table III"),
    Published("majumdar2022/fitted_events.fef", 5103.4, "counts/(3 kg day)", f"{_S004} Table III"),
    Published("majumdar2022/fitted_events.ybe", 5080.29, "counts/(3 kg day)", f"{_S004} Table III"),
    Published(
        "majumdar2022/sin2w.fef",
        {"best": 0.236, "lo": 0.178, "hi": 0.284},
        "",
        f"{_S004} Sec. 3.2",
        "1 sigma",
    ),
    Published(
        "majumdar2022/sin2w.ybe",
        {"best": 0.321, "lo": 0.227, "hi": 0.396},
        "",
        f"{_S004} Sec. 3.2",
        "1 sigma",
    ),
    Published(
        "majumdar2022/alpha11_90cl.fef", 0.805, "", f"{_S004} Table II", "lower bound, 90% CL"
    ),
    Published(
        "majumdar2022/alpha11_90cl.ybe", 0.758, "", f"{_S004} Table II", "lower bound, 90% CL"
    ),
    Published(
        "majumdar2022/alpha12_90cl.fef", 0.747, "", f"{_S004} Table II", "upper bound, 90% CL"
    ),
    *[
        Published(f"majumdar2022/table3.{p}.{qf}", v, u, f"{_S004} Table III")
        for p, u, vals in (
            ("n_epith", "counts/(10 eV 3 kg day)", (13.779, 14.082)),
            ("a_epith", "counts/(10 eV 3 kg day)", (62.947, 66.505)),
            ("tau_epith", "keVee", (0.262, 0.249)),
            ("a_l1", "counts/(10 eV 3 kg day)", (84.63, 84.577)),
            ("e_l1", "keVee", (1.29237, 1.29228)),
            ("sigma_l1", "keVee", (0.06963, 0.0694)),
            ("beta_m_l1", "", (0.158, 0.17)),
        )
        for qf, v in zip(("fef", "ybe"), vals, strict=True)
    ],
    *[
        Published(
            f"majumdar2022/chi2_min.ngi_{x}_{qf}",
            v,
            "",
            f"{_S004} Sec. 3.3",
            "one NGI (C^u, C^d) free on top of the SM",
        )
        for qf, vals in (("ybe", (104.53, 105.16, 104.82)), ("fef", (102.59, 102.63, 102.62)))
        for x, v in zip("svt", vals, strict=True)
    ],
    *[
        Published(
            f"majumdar2022/chi2_min.ngi_{pair}_{qf}",
            v,
            "",
            f"{_S004} Sec. 3.3, Fig. 6",
            "two NGI free, C^u = C^d",
        )
        for qf, vals in (("ybe", (103.81, 104.39, 104.54)), ("fef", (102.01, 102.05, 102.59)))
        for pair, v in zip(("vs", "vt", "st"), vals, strict=True)
    ],
    # ---------------------------------------------------------------- dg2022 (seed 000)
    Published(
        "dg2022/lma_dark_excluded_3sigma_above_mev.fef",
        1.0,
        "MeV",
        f"{_S000} Fig. 2",
        "excluded down to ~1 MeV",
    ),
    Published(
        "dg2022/lma_dark_excluded_3sigma_above_mev.modified_lindhard",
        1.0,
        "MeV",
        f"{_S000} Fig. 2",
        "excluded down to ~1 MeV",
    ),
    Published(
        "dg2022/eps_ee_allowed_3sigma",
        [-0.05, 0.2],
        "",
        f"{_S000} Sec. IV, Fig. 5",
        "eps_ee^{f,V}, M_Z' scan",
    ),
    Published(
        "dg2022/x_allowed_window", [1.9, 2.2], "", f"{_S000} Sec. IV, Fig. 4", "for 3.1-15 MeV"
    ),
    # ---------------------------------------------------------------- XENONnT solar 8B
    Published(
        "xenonnt2026/flux_2024",
        {"best": 4.7e6, "lo": 2.4e6, "hi": 8.3e6},
        "1/(cm^2 s)",
        _XE24,
        "measured 8B flux (4.7 +3.6 -2.3) x 1e6, SR0+SR1",
    ),
    Published(
        "xenonnt2026/significance_2024",
        2.73,
        "sigma",
        _XE24,
        "background-only hypothesis rejected, SR0+SR1",
    ),
    Published(
        "xenonnt2026/background_2024",
        26.4,
        "events",
        _XE24,
        "expected background (26.4 +1.4 -1.3) above 0.5 keV",
    ),
    Published("xenonnt2026/observed_2024", 37.0, "events", _XE24, "observed above 0.5 keV"),
]

# The CONUS projections under the variant convention (a pull on the predicted normalisation
# instead of the systematic in the measurement's error budget): compared with the same
# published numbers, so the validation page shows what the convention does.
_ENTRIES += [
    Published(
        e.id.replace("conus_mz_bound_mev.", "conus_mz_bound_mev_pull."),
        e.value,
        e.unit,
        e.source,
        f"{e.note}; the paper's number, compared with the pull-convention variant",
    )
    for e in list(_ENTRIES)
    if e.id.startswith("dfs2018/conus_mz_bound_mev.")
]

# Seed 004 under the variant flux convention (Eq. 14 literally, Huber-Mueller + BESTIOLE,
# instead of the stated total 4.8e13 /cm^2/s): the same published numbers, ids ``eq14.*``.
_EQ14 = (
    "chi2_min.sm_fef",
    "chi2_min.sm_ybe",
    "fitted_events.fef",
    "fitted_events.ybe",
    "sin2w.fef",
    "sin2w.ybe",
    "alpha11_90cl.fef",
    "alpha11_90cl.ybe",
    "alpha12_90cl.fef",
)
_ENTRIES += [
    Published(
        e.id.replace("majumdar2022/", "majumdar2022/eq14."),
        e.value,
        e.unit,
        e.source,
        "; ".join(t for t in (e.note, "compared with the variant flux (Eq. 14 literally)") if t),
    )
    for e in list(_ENTRIES)
    if e.id.removeprefix("majumdar2022/") in _EQ14
]

#: Published quantities by id (``<analysis>/<quantity id>``).
PUBLISHED: dict[str, Published] = {e.id: e for e in _ENTRIES}


def published(analysis: str, qid: str) -> Published:
    """Look a published quantity up.

    Parameters
    ----------
    analysis : str
        Analysis name (``"flagship"``, ``"dfs2018"``, ...).
    qid : str
        Quantity id within the analysis.

    Returns
    -------
    Published
        The registered value with its source.
    """
    key = f"{analysis}/{qid}"
    if key not in PUBLISHED:
        from cevns.core._validation import unknown_name

        raise unknown_name("published quantity", key, PUBLISHED)
    return PUBLISHED[key]
