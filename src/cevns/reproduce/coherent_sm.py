"""The COHERENT collaborations' own SM predictions, compared with cevns bin by bin.

Given the inputs a release states, does cevns predict what the collaboration predicted?

* **LAr 2020** (CENNS-10 Analysis A): the release's ``cevnspdf.txt`` is the collaboration's
  SM prediction in 12 (energy) x 8 (F90) x 10 (time) bins, 128.0 events. Compared: the
  total, the energy, F90 and time projections bin by bin, and the 3-D table (written to
  ``lar_2020_3d.csv``, summarised by the largest bin difference and the events placed in
  other bins).
* **CsI 2017** (6-30 PE x 0-12 us): the collaboration's 173 +- 48 events; the release has
  no SM PDF, so only the total.
* **CsI 2021** (8-60 PE x 0-6 us): 333 +- 11 (theory) +- 42 (experiment); no SM PDF in the
  release either.

Every number comes from ``load_experiment(NAME).expected("sm")`` (the path users call),
with the experiment files' defaults; variants that change one named input are reported
next to it, so that each remaining difference is attached to a measured input. For LAr
(:data:`LAR_VARIANTS`, issue 18) each variant gives the total, the energy, time and F90
ratios to the release and the events in 40-50 keVee; the table and what it shows are on
``docs/experiments/coherent_lar_2020.md``. The fits on the releases (free
signal normalisation) are then re-done and compared with the collaborations' best fits.

Diagnosis of the LAr time shape (:func:`decompose_time_shape`): the release's time
projection is fitted as ``a p(t) + b d(t)`` with the prompt and delayed time fractions of
the pulsed-beam model; ``a`` and ``b`` are the collaboration's prompt (nu_mu) and
delayed-in-window (nu_e + anti-nu_mu) events under that model, to compare with the
flavour split of cevns.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidParameterError
from cevns.experiments.coherent_lar_2020 import (
    ENERGY_EDGES_KEVEE,
    F90_EDGES,
    TIME_EDGES_US,
    release_pdf,
)
from cevns.likelihood.signal import Signal
from cevns.physics.form_factors import FormFactor, Helm
from cevns.physics.nsi import NSIModel
from cevns.reproduce.summary import Quantity, Summary
from cevns.sources.spallation import PiDARTimeFractions
from cevns.stats.fit import fit

__all__ = ["LAR_VARIANTS", "compare_lar_2020", "decompose_time_shape", "run"]


def __dir__() -> list[str]:
    return __all__


_FREE = {"signal.flux_norm_uncertainty": 1000.0}  # the signal normalisation made free
#: Helm with R = 1.2 A^(1/3) fm and r0^2 = R^2 - 5 s^2 for Ar-40: r0 = 3.576 fm (the
#: c_fm that gives it in the Lewin-Smith parametrisation r0^2 = c^2 + 7/3 pi^2 a^2 - 5 s^2)
_HELM_R12 = Helm(c_fm=float(np.sqrt((1.2 * 40 ** (1 / 3)) ** 2 - 7 / 3 * np.pi**2 * 0.52**2)))
_PROJECTIONS = ("energy", "time", "f90")
#: The investigation of issue 18: one input changed at a time -> total, E, t, F90 (key,
#: experiment-file overrides, form factor replacing the experiment's, what changes).
LAR_VARIANTS: tuple[tuple[str, dict[str, Any], FormFactor | None, str], ...] = (
    ("nominal", {}, None, "the experiment file: release inputs, Helm (Lewin-Smith), radiative"),
    ("mass_+1sigma", {"detector.mass_kg": 25.01}, None, "fiducial mass 24.4 + 0.61 kg (yaml)"),
    ("qf_a_+1sigma", {"detector.qf_a": 0.252}, None, "QF a = 0.246 + 0.006 (yaml)"),
    ("qf_a_-1sigma", {"detector.qf_a": 0.240}, None, "QF a = 0.246 - 0.006 (yaml)"),
    (
        "qf_b_0.000784",
        {"detector.qf_b": 0.000784},
        None,
        "QF b of the efficiency table's keVnr column (fit: a = 0.24600, b = 0.000784)",
    ),
    ("resolution_0.87", {"detector.resolution_a": 0.87}, None, "sigma/E 1.5 x the yaml's 0.58"),
    (
        "resolution_width_of_reconstructed",
        {"detector.resolution_width_of": "reconstructed"},
        None,
        "sigma = 0.58 sqrt(E) of the reconstructed energy, as the yaml words it",
    ),
    (
        "efficiency_above_table_last",
        {"detector.efficiency_above_table": "last"},
        None,
        "efficiency 0.963 above 39.75 keVee instead of 0",
    ),
    (
        "efficiency_of_true_energy",
        {"detector.efficiency_of": "true_energy"},
        None,
        "efficiency table read as a function of the true keVee (applied before smearing)",
    ),
    (
        "klein_nystrand",
        {"signal.form_factor": "klein_nystrand"},
        None,
        "Klein-Nystrand instead of Helm",
    ),
    (
        "helm_r0_3.58fm",
        {},
        _HELM_R12,
        "Helm with R = 1.2 A^(1/3), r0 = sqrt(R^2 - 5 s^2) (3.58 fm for Ar-40, not 3.90)",
    ),
    (
        "pulse_mean_0.449us",
        {"detector.pulse_mean_us": 0.449},
        None,
        "pulse mean that fits the release time shape best (yaml: 440 +- 200 ns)",
    ),
    (
        "helm_r0_3.58fm+pulse_mean_0.449us",
        {"detector.pulse_mean_us": 0.449},
        _HELM_R12,
        "the two levers together (neither is stated by the release)",
    ),
)


def decompose_time_shape(
    time_counts: ArrayLike, fractions: PiDARTimeFractions
) -> tuple[float, float, float]:
    """Least-squares split of a time projection into prompt and delayed events.

    Parameters
    ----------
    time_counts : array_like
        Events per time bin (e.g. the release's CEvNS PDF summed over energy and F90).
    fractions : PiDARTimeFractions
        Prompt and delayed fractions per bin on the same bins.

    Returns
    -------
    (prompt, delayed, max_residual) : tuple of float
        Prompt and delayed events *inside* the bins (``a * prompt.sum()``,
        ``b * delayed.sum()``) and the largest residual per bin [events].

    Examples
    --------
    >>> t = PiDARTimeFractions([0.0, 1.0, 2.0, 3.0], [0.9, 0.1, 0.0], [0.3, 0.4, 0.2])
    >>> [round(v, 6) for v in decompose_time_shape(10 * t.prompt + 20 * t.delayed, t)]
    [10.0, 18.0, 0.0]
    """
    y = np.asarray(time_counts, dtype=np.float64)
    if y.shape != (fractions.n_bins,):
        msg = f"time_counts must have one entry per time bin ({fractions.n_bins}), got {y.shape}"
        raise ValueError(msg)
    a = np.stack([fractions.prompt, fractions.delayed], axis=1)
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = float(np.max(np.abs(a @ coef - y)))
    return (
        float(coef[0] * fractions.prompt.sum()),
        float(coef[1] * fractions.delayed.sum()),
        resid,
    )


def compare_lar_2020(
    overrides: dict[str, Any] | None = None, *, form_factor: FormFactor | None = None
) -> dict[str, Any]:
    """The SM prediction of cevns for LAr 2020 against the release's, per projection.

    Parameters
    ----------
    overrides : dict, optional
        Experiment-file overrides (``load_experiment("coherent_lar_2020", overrides)``).
    form_factor : FormFactor, optional
        A form factor object replacing the experiment's (e.g. a Helm radius convention
        that the experiment-file names cannot express).

    Returns
    -------
    dict
        ``cevns`` and ``release`` (12, 8, 10) arrays, their ``energy``, ``f90`` and
        ``time`` projections (``(cevns, release)`` pairs), ``prompt`` and ``delayed`` cevns
        events inside the histogram, and the ``fractions`` (PiDARTimeFractions) used.
    """
    exp = load_experiment("coherent_lar_2020", overrides or {})
    signal, timing = exp.signal, exp.signal.timing
    if timing is None:
        msg = f"{exp.name}: the LAr comparison needs the signal's time fractions"
        raise InvalidParameterError(msg)
    if form_factor is not None:
        signal = Signal(
            signal.flux,
            signal.detector,
            form_factor=form_factor,
            kinematics=signal.kinematics,
            n_enu=signal.n_enu,
            timing=dict(zip(signal.flavours, timing, strict=True)),
        )
    sm = NSIModel.sm()
    counts = signal.expected_counts(sm) * exp.exposure_factor
    sig = np.asarray(counts, dtype=np.float64).reshape(12, 8, 10)
    rel = release_pdf("cevns")
    rows = dict(zip(signal.flavours, timing, strict=True))  # numu prompt, nue delayed
    fr = PiDARTimeFractions(TIME_EDGES_US, rows["numu"], rows["nue"])
    per_flav = signal.expected_counts_per_flavour(sm)  # (flavour, 96)
    totals = dict(zip(exp.signal.flavours, per_flav.sum(axis=1), strict=True))
    f = exp.exposure_factor
    prompt = f * totals["numu"] * float(fr.prompt.sum())
    delayed = f * (totals["nue"] + totals["numubar"]) * float(fr.delayed.sum())
    return {
        "cevns": sig,
        "release": rel,
        "energy": (sig.sum(axis=(1, 2)), rel.sum(axis=(1, 2))),
        "f90": (sig.sum(axis=(0, 2)), rel.sum(axis=(0, 2))),
        "time": (sig.sum(axis=(0, 1)), rel.sum(axis=(0, 1))),
        "prompt": prompt,
        "delayed": delayed,
        "fractions": fr,
    }


def _write_3d(path: Path, cevns: NDArray[np.float64], release: NDArray[np.float64]) -> None:
    centres = [0.5 * (e[1:] + e[:-1]) for e in (ENERGY_EDGES_KEVEE, F90_EDGES, TIME_EDGES_US)]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["e_ee_kev", "f90", "t_us", "release", "cevns"])
        for idx in np.ndindex(release.shape):
            w.writerow(
                [
                    f"{centres[0][idx[0]]:g}",
                    f"{centres[1][idx[1]]:.3f}",
                    f"{centres[2][idx[2]]:g}",
                    f"{release[idx]:.6g}",
                    f"{cevns[idx]:.6g}",
                ]
            )


def _plot(out: Path, lar: dict[str, Any]) -> list[str]:
    from cevns.viz.plotting import _plt, save, style

    plt = _plt()
    style()  # the style of every figure (a run after another analysis had it already)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, key, edges, label in zip(
        axes,
        ("energy", "f90", "time"),
        (ENERGY_EDGES_KEVEE, F90_EDGES, TIME_EDGES_US),
        ("E [keVee]", "F90", "t [us]"),
        strict=True,
    ):
        mine, theirs = lar[key]
        ax.stairs(theirs, edges, label="COHERENT (cevnspdf.txt)", color="k")
        ax.stairs(mine, edges, label="cevns", color="C0", linestyle="--")
        ax.set_xlabel(label)
        ax.set_ylabel("SM CEvNS events")
    axes[0].set_xlim(0, 60)
    axes[0].legend(fontsize="small")
    fig.suptitle("COHERENT LAr 2020: SM prediction of the release and of cevns")
    fig.tight_layout()
    paths = save(fig, out / "coherent_sm_lar_2020")
    plt.close(fig)
    return [p.name for p in paths]


def _free_fit(name: str, overrides: dict[str, Any] | None = None) -> dict[str, float]:
    """CEvNS events of a fit with the signal normalisation free: best, lo, hi (Hesse)."""
    exp = load_experiment(name, _FREE | (overrides or {}))
    cost = exp.cost("sm")
    r = fit(cost, warn=False)
    if not r.valid:
        msg = f"{name}: the free-normalisation SM fit did not converge"
        raise RuntimeError(msg)
    n = float(cost.predict(r.values).signal.sum())
    norm = r.values[f"{exp.name}.flux_norm"]
    err = n * r.errors[f"{exp.name}.flux_norm"] / norm
    return {"best": n, "lo": n - err, "hi": n + err}


def _total(name: str, overrides: dict[str, Any] | None = None) -> float:
    exp = load_experiment(name, overrides or {})
    return float(np.sum(exp.expected("sm").signal))


def _inside(value: float, centre: float, half_width: float) -> str:
    return "inside" if abs(value - centre) <= half_width else "outside"


def run(out_dir: str | Path, *, progress: bool = True, fits: bool = True) -> Summary:
    """Compare the COHERENT SM predictions; write ``out_dir/coherent_sm/...``.

    Parameters
    ----------
    out_dir : path
        Output directory (``summary.{json,md}``, ``lar_2020_3d.csv`` and the figure in
        ``out_dir/coherent_sm``).
    progress : bool
        Unused (no scans); kept for the common signature.
    fits : bool
        Re-do the free-normalisation fits on the three releases (about a minute).

    Returns
    -------
    Summary
    """
    t0 = time.perf_counter()
    out = Path(out_dir) / "coherent_sm"
    out.mkdir(parents=True, exist_ok=True)
    s = Summary("coherent_sm", "COHERENT collaborations' SM predictions, bin by bin")

    # ------------------------------------------------------------------ LAr 2020
    lar = compare_lar_2020()
    sig, rel = lar["cevns"], lar["release"]
    s.add("lar_2020.total", float(sig.sum()), "Helm, radiative couplings, release inputs")
    e_mine = lar["energy"][0]
    for i in range(6):
        s.add(f"lar_2020.energy.{10 * i}-{10 * i + 10}_kevee", float(e_mine[i]))
    for i, v in enumerate(lar["f90"][0]):
        s.add(f"lar_2020.f90.{0.5 + 0.05 * i:.2f}-{0.55 + 0.05 * i:.2f}", float(v))
    for i, v in enumerate(lar["time"][0]):
        s.add(f"lar_2020.time.{-0.1 + 0.5 * i:.1f}-{0.4 + 0.5 * i:.1f}_us", float(v))
    _write_3d(out / "lar_2020_3d.csv", sig, rel)
    diff = sig - rel
    s.add_result(
        "lar_2020.table_3d.max_bin_difference",
        float(np.max(np.abs(diff))),
        "events",
        "largest |cevns - release| over the 960 bins (table: lar_2020_3d.csv)",
    )
    s.add_result(
        "lar_2020.table_3d.events_elsewhere",
        float(0.5 * np.sum(np.abs(sig / sig.sum() - rel / rel.sum())) * rel.sum()),
        "events",
        "of 128, in other bins after equal normalisation (half the L1 distance)",
    )
    p_rel, d_rel, resid = decompose_time_shape(lar["time"][1], lar["fractions"])
    s.add_result(
        "lar_2020.diagnosis.release_prompt_delayed",
        [p_rel, d_rel],
        "events",
        f"release time projection split with the pulsed model (0.44 us): prompt, delayed "
        f"in window; largest residual {resid:.2f} events per bin",
    )
    s.add_result(
        "lar_2020.diagnosis.cevns_prompt_delayed",
        [lar["prompt"], lar["delayed"]],
        "events",
        "cevns nu_mu and nu_e + anti-nu_mu events in the window",
    )
    for key, over, ff, note in LAR_VARIANTS:
        res = compare_lar_2020(over, form_factor=ff)
        (e_mine, e_rel), (t_mine, t_rel), (f_mine, f_rel) = (res[k] for k in _PROJECTIONS)
        s.add_result(f"lar_2020.variant.{key}.total", float(res["cevns"].sum()), "events", note)
        s.add_result(
            f"lar_2020.variant.{key}.energy_ratio",
            [float(x) for x in e_mine[:4] / e_rel[:4]],
            "",
            "cevns / release, 0-10, 10-20, 20-30, 30-40 keVee",
        )
        s.add_result(
            f"lar_2020.variant.{key}.energy_40_50_kevee",
            float(e_mine[4]),
            "events",
            "release: 0.078 (its efficiency table ends at 39.75 keVee)",
        )
        for what, mine, theirs in (("time", t_mine, t_rel), ("f90", f_mine, f_rel)):
            s.add_result(
                f"lar_2020.variant.{key}.{what}_ratio",
                [float(x) for x in mine / theirs],
                "",
                f"cevns / release per {what} bin",
            )

    # ------------------------------------------------------------------ CsI
    csi17 = _total("coherent_csi_2017")
    s.quantities.append(
        Quantity.of(
            "coherent",
            "csi_2017.sm_events",
            {"best": csi17, "lo": None, "hi": None},
            "cevns: Helm, radiative, 1.680e23 POT (7.47594 GWh at 1 GeV)",
        )
    )
    for key, over, note in (
        (
            "klein_nystrand",
            {"signal.form_factor": "klein_nystrand"},
            "Klein-Nystrand form factor (seed 002 ref. [29], as for COHERENT)",
        ),
        ("pot_1.76e23", {"flux.protons_on_target": 1.76e23}, "the POT quoted with the result"),
    ):
        total = _total("coherent_csi_2017", over)
        s.add_result(f"csi_2017.variant.{key}", total, "events", note)
        if key == "klein_nystrand":
            csi17_kn = total
    csi21 = _total("coherent_csi_2021")
    s.quantities.append(
        Quantity.of(
            "coherent",
            "csi_2021.sm_events",
            {"best": csi21, "lo": None, "hi": None},
            "cevns: Helm, radiative; POT, nu/POT and mass third-party",
        )
    )
    csi21_kn = _total("coherent_csi_2021", {"signal.form_factor": "klein_nystrand"})
    s.add_result(
        "csi_2021.variant.klein_nystrand", csi21_kn, "events", "Klein-Nystrand form factor"
    )

    # ------------------------------------------------------------------ fits
    if fits:
        s.quantities.append(
            Quantity.of(
                "coherent",
                "lar_2020.cevns_best_fit",
                _free_fit("coherent_lar_2020"),
                "free signal normalisation, pulsed timing",
            )
        )
        s.add_result(
            "lar_2020.fit_release_timing",
            _free_fit("coherent_lar_2020", {"detector.timing": "release"}),
            "events",
            "free signal normalisation, the release's flavour-summed time shape",
        )
        for qid in ("csi_2017", "csi_2021"):
            name = "coherent_" + qid
            s.quantities.append(
                Quantity.of(
                    "coherent",
                    f"{qid}.fit_events",
                    _free_fit(name),
                    "free signal normalisation, shape nuisances profiled",
                )
            )

    s.notes += [
        "LAr inputs (release yaml -> cevns): 13.8e22 POT, 27.5 m, 0.09 nu/flavour/POT, 24.4 kg, "
        "QF 0.246 + 0.00078 T, sigma/E = 0.58/sqrt(E), efficiency table (0 above 39.75 keVee), "
        "proton pulse 0.44 +- 0.15 us with pion and muon lifetimes: all taken from the release; "
        "form factor (not in the release): Helm; couplings: radiative.",
        "CsI 2017 inputs: 7.47594 GWh at 1 GeV (1.680e23 POT; 1.76e23 is quoted with the result), "
        "19.3 m, 0.08 nu/flavour/POT, 14.57 kg, QF 0.0878, 13.348 PE/keVee, acceptance at the "
        "1-PE bin centre n + 0.5 (one definition for the PE x time and the timing paths).",
        "The CsI releases carry no SM PDF: only totals are compared.",
        f"CsI totals against the collaboration's (issue-18 targets): 2017 {csi17:.1f} against "
        f"173 +- 48, {_inside(csi17, 173, 48)}; 2021 {csi21:.1f} against 333 +- 11 (theory "
        f"part), {100 * (csi21 / 333 - 1):+.1f} %, {_inside(csi21, 333, 11)}. The named input "
        "that moves it most is the form factor, which neither release states: Klein-Nystrand "
        f"gives {csi17_kn:.1f} (2017, {_inside(csi17_kn, 173, 48)}) and {csi21_kn:.1f} (2021, "
        f"{100 * (csi21_kn / 333 - 1):+.1f} %, {_inside(csi21_kn, 333, 11)}). The 2021 POT, "
        "neutrinos per POT (10 % uncertainty by itself) and mass are third-party values (data "
        "README): the release does not state them.",
    ]
    s.plots = _plot(out, lar)
    s.runtime_s = time.perf_counter() - t0
    s.write(Path(out_dir))
    return s
