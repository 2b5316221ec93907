"""XENONnT solar 8B CEvNS (SR0, SR1, SR2): an extended binned Poisson likelihood in 4-D.

Data release: Zenodo 10.5281/zenodo.20576156 (CC-BY-4.0), the folder ``xenonnt_8b_2026/``
found in ``$CEVNS_DATA_DIR`` or the cache (:func:`cevns.data.store.release`; a missing
release is one error that says how to fetch it; every file is verified against the
release's ``MANIFEST.sha256`` when it is opened). Analyses: arXiv:2408.02877 (SR0+SR1) and
arXiv:2604.06002 (SR0+SR1+SR2).

Model (``xenonnt_8b_sr0/sr1/sr2`` per run, ``xenonnt_8b_2024/2026`` combined)
-----------------------------------------------------------------------------
* observables: cS2, the S2-shadow quantile, the S1 and the S2 BDT scores, 3 bins each
  (``binning/sr*.yaml``; the edges differ between the runs);
* backgrounds: accidental coincidences (AC), electronic recoils (ER) and radiogenic
  neutrons (``rg``) as :class:`~cevns.likelihood.background.TemplateBackground` of the
  release's templates [1/(t yr)] times the run's exposure;
* light yield ``tly`` and charge yield ``tqy`` (in units of their sigma, grid -3..3 in
  steps of 1): one :class:`~cevns.likelihood.systematics.ShapeSystematic` grid (code 0,
  multilinear) that morphs the signal response and the neutron template together;
* priors: those of the collaboration's statistical model of the SR0+SR1 8B-CEvNS analysis
  space (``statistical_model_base.yaml`` of github.com/XENONnT/light_wimp_data_release @
  a09cd8f, the light-dark-matter release of arXiv:2409.17868 whose binning, AC templates
  and exposures are those of this release): AC 9.04 % (SR0) and 5.76 % (SR1), one ER
  rate for all runs (100 %), one neutron rate for all runs (58 %), ``t_ly`` and ``t_qy``
  N(0, 1) shared by the runs, a signal efficiency of 25 % (``signal_efficiency``). SR2's
  AC uncertainty is not public: the files use SR1's 5.76 % (an assumption, marked there);
* combined runs: the runs' binnings differ, so they cannot share one 4-D histogram; the
  ``xenonnt_8b_combined`` kinds concatenate the runs' 81 bins into one likelihood
  (``xenonnt_8b_2024``: SR0+SR1, ``xenonnt_8b_2026``: SR0+SR1+SR2,
  :func:`combined_experiment`), so that a shared nuisance and its prior appear once; a
  background's ``runs`` say which blocks its normalisation scales. The single-run
  experiments ``xenonnt_8b_sr0/1/2`` carry the same priors each (adding their costs would
  count the shared priors once per run);
* signal: CEvNS on natural xenon (every isotope with its abundance and weak charge,
  :class:`~cevns.physics.nuclei.Target`) from the solar 8B and hep fluxes at the Earth
  (:class:`~cevns.sources.solar.SolarFlux`, B16-GS98 by default), quadratic in the
  couplings (:class:`~cevns.likelihood.signal.Signal`).

Signal recipe (mono-energetic efficiencies)
-------------------------------------------
The release gives, at recoil energies ``E_k = 0.5, 0.6, ..., 5.0`` keVnr, the probability
``eps_k[b]`` for a recoil of energy ``E_k`` to be selected in bin ``b``. Between the nodes
the efficiency is interpolated linearly, ``eps(E) = sum_k eps_k h_k(E)`` with the tent
functions ``h_k`` of the node grid (half tents at 0.5 and 5.0 keVnr), so that::

    mu_b = exposure * sum_k eps_k[b] w_k,     w_k = int h_k(E) dR/dE_nr(E) dE_nr.

Recoils below 0.5 keVnr contribute nothing (the release gives no efficiency there: the
analysis threshold) and neither do recoils above 5.0 keVnr: there the 8B spectrum on
xenon is zero (the 8B endpoint of ~16.4 MeV gives at most 4.66 keVnr, on 124Xe) and the hep
part above 5 keVnr is 1.4e-4 of 331 events / (t yr) in 0.5..5 keVnr, 4e-7 of the signal
(:func:`rate_above_window`, tested < 1e-6). The integrals are computed with
:data:`GAUSS_POINTS` Gauss-Legendre points in each 0.1 keVnr interval, where ``eps`` is
linear (:class:`MonoResponse` is the response matrix ``R[b, j] = eps(E_j)[b] w_j``): 180
nodes, 1.3e-10 from adaptive quadrature per bin (the earlier 901-node trapezoid rule was
1.3e-5 off and five times as slow to fold: the template time grows with the nodes).

Units: exposure in tonne-years of 1000 kg x 365.25 days.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from cevns.config.components import Component, ComponentOptions
from cevns.core.exceptions import DataNotFoundError, InvalidConfigError, InvalidParameterError
from cevns.physics.nuclei import Target

__all__ = [
    "AXES",
    "COMBINED",
    "EXPOSURE_T_YR",
    "FIT_TOLERANCES",
    "GRID",
    "MONO_E_KEV",
    "RELEASE",
    "RUNS",
    "MonoResponse",
    "ReleaseFiles",
    "combined_cost",
    "combined_experiment",
    "expected_per_run",
    "experiment",
    "fit_restarted",
    "rate_above_window",
    "read_template",
    "summary_numbers",
]


def __dir__() -> list[str]:
    return __all__


#: Registry key and folder name of the data release.
RELEASE = "xenonnt_8b_2026"
#: Science runs of the release.
RUNS: tuple[str, ...] = ("sr0", "sr1", "sr2")
#: Exposures [t yr] of the release's example (README of the release, plot.ipynb).
EXPOSURE_T_YR: Mapping[str, float] = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}
#: The four observables: names in the binning files and the data.
AXES: tuple[str, ...] = ("cs2", "s2_shadow_s2_time_shadow_quantile", "s1_bdt_score", "s2_bdt_score")
#: The same axes as named in the templates (``bins/<i>`` attribute ``name``).
TEMPLATE_AXES: tuple[str, ...] = ("cs2", "s2_shadow_s2_time_shadow", "s1_bdt_score", "s2_bdt_score")
#: Recoil energies [keVnr] of the mono-energetic templates.
MONO_E_KEV: NDArray[np.float64] = np.round(np.arange(0.5, 5.0 + 1e-9, 0.1), 3)
#: Light-yield and charge-yield grid (in sigma) of the neutron and mono-energetic templates.
GRID: tuple[float, ...] = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
#: Gauss-Legendre points of the signal integral per 0.1 keVnr interval of the efficiencies.
GAUSS_POINTS = 4
#: Days of a year of the exposure unit t yr.
DAYS_PER_YEAR = 365.25
#: Relative tolerance of template edges against the binning files.
EDGE_RTOL = 1e-9

Component_ = Literal["ac", "er", "rg"]


# ---------------------------------------------------------------------------- reading
def read_template(file: str | Path, edges: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """A 4-D template of the release (``inference-interface`` HDF5 layout), checked.

    The file holds ``bins/0..3`` (edges, attribute ``name``) and ``templates/template``.

    Parameters
    ----------
    file : path
    edges : sequence of 4 arrays
        The run's bin edges (``binning/sr*.yaml``), in the order of :data:`AXES`.

    Returns
    -------
    ndarray of shape (3, 3, 3, 3)

    Raises
    ------
    InvalidConfigError
        The layout, the axis names, the edges or the values are not those expected.
    """
    import h5py

    p = Path(file)
    try:
        h = h5py.File(p, "r")
    except OSError as exc:
        msg = f"{p}: not a readable HDF5 template ({exc})"
        raise InvalidConfigError(msg) from exc
    with h:
        if "templates/template" not in h or "bins" not in h:
            msg = (
                f"{p}: expected the inference-interface layout (bins/0..3, templates/template), "
                f"got top-level groups {sorted(h.keys())}"
            )
            raise InvalidConfigError(msg)
        # each dataset looked up once (2305 files per run: h5py lookups are the cost)
        bins = h["bins"]
        axes = [bins[str(i)] for i in range(len(bins))]
        names = tuple(str(ax.attrs.get("name", "")) for ax in axes)
        if names != TEMPLATE_AXES:
            msg = f"{p}: template axes are {list(names)}, expected {list(TEMPLATE_AXES)}"
            raise InvalidConfigError(msg)
        for ax, name, want in zip(axes, names, edges, strict=True):
            got = np.asarray(ax[()], dtype=np.float64)
            same = got.shape == want.shape and (
                np.array_equal(got, want) or np.allclose(got, want, rtol=EDGE_RTOL, atol=0)
            )
            if not same:
                msg = (
                    f"{p}: edges of axis {name!r} are {got.tolist()}, the binning file gives "
                    f"{want.tolist()}"
                )
                raise InvalidConfigError(msg)
        t = np.asarray(h["templates/template"][...], dtype=np.float64)
    shape = tuple(e.size - 1 for e in edges)
    if t.shape != shape:
        msg = f"{p}: template has shape {t.shape}, the binning {shape}"
        raise InvalidConfigError(msg)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        msg = f"{p}: template values must be finite and >= 0 (min {np.nanmin(t)!r})"
        raise InvalidConfigError(msg)
    return t


def _fmt(v: float) -> str:
    return f"{v:.1f}"


class ReleaseFiles:
    """The files of one science run of the release (verified when opened).

    Parameters
    ----------
    run : {"sr0", "sr1", "sr2"}
    root : path, optional
        A folder laid out like the release (tests: broken copies). Default: the registered
        release found by :func:`cevns.data.store.release` (checksums verified).
    """

    def __init__(self, run: str, root: str | Path | None = None) -> None:
        if run not in RUNS:
            msg = f"run must be one of {list(RUNS)}, got {run!r}"
            raise InvalidParameterError(msg)
        self.run = run
        if root is None:
            from cevns.data import store

            rel = store.release(RELEASE)
            self._open = rel.path
            self.root = rel.root
        else:
            self.root = Path(root)
            self._open = self._plain
        self.edges = self._read_edges()

    def _plain(self, relative: str) -> Path:
        assert self.root is not None
        p = self.root / relative
        if not p.is_file():
            msg = f"science run {self.run!r}: file {relative!r} is missing in {self.root}"
            raise DataNotFoundError(msg)
        return p

    def path(self, relative: str) -> Path:
        """Path of a file of the release, e.g. ``"data/sr0.csv"``.

        Parameters
        ----------
        relative : str
            Path inside the release, with ``/`` separators.

        Returns
        -------
        Path
            The file on disk.
        """
        return self._open(relative)

    def _read_edges(self) -> tuple[NDArray[np.float64], ...]:
        import yaml

        p = self.path(f"binning/{self.run}.yaml")
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or tuple(doc) != AXES:
            got = list(doc) if isinstance(doc, dict) else type(doc).__name__
            msg = f"{p}: binning axes are {got}, expected {list(AXES)}"
            raise InvalidConfigError(msg)
        return tuple(np.asarray(doc[a], dtype=np.float64) for a in AXES)

    def template(self, component: Component_, tly: float = 0.0, tqy: float = 0.0) -> Any:
        """AC / ER (no grid) or neutron (``rg``, at a grid point) template [1/(t yr)].

        Parameters
        ----------
        component : {"ac", "er", "rg"}
            Accidental coincidences, electronic recoils or radiogenic neutrons.
        tly, tqy : float, optional
            Light- and charge-yield grid point in units of their sigma (-3..3; ``rg`` only).

        Returns
        -------
        ndarray
            The 4-D template [1/(t yr)] on the run's bins.
        """
        r = self.run
        if component in ("ac", "er"):
            rel = f"templates/{r}/{component}/template_XENONnT_{r}_{component}_cevns.h5"
        else:
            rel = (
                f"templates/{r}/rg/template_XENONnT_{r}_rg_cevns_tly_{_fmt(tly)}_tqy_{_fmt(tqy)}.h5"
            )
        return read_template(self.path(rel), self.edges)

    def efficiency(self, tly: float = 0.0, tqy: float = 0.0) -> NDArray[np.float64]:
        """Mono-energetic efficiencies ``(n_E, n_bins)`` at :data:`MONO_E_KEV` at a grid point.

        Parameters
        ----------
        tly, tqy : float, optional
            Light- and charge-yield grid point in units of their sigma (-3..3, default 0).

        Returns
        -------
        ndarray of shape (n_E, n_bins)
            Efficiency of each observed bin for each energy of :data:`MONO_E_KEV`.
        """
        r = self.run
        rows = []
        for e in MONO_E_KEV:
            rel = (
                f"templates/{r}/mono/template_XENONnT_{r}_mono_{e:.3f}_cevns_tly_{_fmt(tly)}"
                f"_tqy_{_fmt(tqy)}.h5"
            )
            t = read_template(self.path(rel), self.edges)
            rows.append(t.ravel())
        eff = np.array(rows)
        if np.any(eff > 1.0 + 1e-9) or np.any(eff.sum(axis=1) > 1.0 + 1e-6):
            msg = (
                f"science run {r!r} (tly {tly}, tqy {tqy}): mono-energetic templates must be "
                f"efficiencies (each <= 1, summing to <= 1 per energy); max bin {eff.max():.4g}, "
                f"max sum {eff.sum(axis=1).max():.4g}"
            )
            raise InvalidConfigError(msg)
        return eff

    def events(self) -> NDArray[np.float64]:
        """Selected events ``(n, 4)`` in the order of :data:`AXES`."""
        p = self.path(f"data/{self.run}.csv")
        header = p.read_text(encoding="utf-8").splitlines()[0].split(",")
        missing = [a for a in AXES if a not in header]
        if missing:
            msg = f"{p}: columns {missing} missing; the header is {header}"
            raise InvalidConfigError(msg)
        table = np.loadtxt(p, delimiter=",", skiprows=1, ndmin=2)
        return np.asarray(table[:, [header.index(a) for a in AXES]], dtype=np.float64)


# ---------------------------------------------------------------------------- response
class MonoResponse:
    """Signal response of one science run from its mono-energetic efficiencies.

    Implements :class:`cevns.likelihood.signal.Response`. The recoil nodes are
    ``gauss_points`` Gauss-Legendre points in each interval between two efficiency energies
    and ``response_matrix(nodes)`` is ``R[b, j] = eps(E_j)[b] w_j`` (the efficiencies
    interpolated linearly, exact inside an interval, times the Gauss-Legendre weights), so
    that ``counts = exposure * R @ dR/dE`` is the recipe of the module notes.

    Parameters
    ----------
    name : str
    efficiencies : array, shape (n_E, n_bins)
        At the recoil energies ``e_nr_kev``.
    e_nr_kev : array
        Increasing recoil energies [keVnr] of the efficiencies.
    exposure_t_yr : float
    target : Target, optional
        Default natural xenon.
    gauss_points : int
        Gauss-Legendre points per interval (default :data:`GAUSS_POINTS`).
    """

    def __init__(
        self,
        name: str,
        efficiencies: ArrayLike,
        e_nr_kev: ArrayLike,
        exposure_t_yr: float,
        *,
        target: Target | None = None,
        gauss_points: int = GAUSS_POINTS,
    ) -> None:
        self.name = name
        self.e_nr_kev = np.asarray(e_nr_kev, dtype=np.float64)
        eff = np.asarray(efficiencies, dtype=np.float64)
        if eff.ndim != 2 or eff.shape[0] != self.e_nr_kev.size:
            msg = (
                f"{name}: efficiencies must have shape (n_energies = {self.e_nr_kev.size}, "
                f"n_bins), got {eff.shape}"
            )
            raise InvalidParameterError(msg)
        if self.e_nr_kev.size < 2 or np.any(np.diff(self.e_nr_kev) <= 0):
            msg = f"{name}: e_nr_kev must be >= 2 increasing energies, got {self.e_nr_kev.tolist()}"
            raise InvalidParameterError(msg)
        if not exposure_t_yr > 0:
            msg = f"{name}: exposure_t_yr must be > 0, got {exposure_t_yr!r}"
            raise InvalidParameterError(msg)
        if not isinstance(gauss_points, int) or gauss_points < 1:
            msg = f"{name}: gauss_points must be an integer >= 1, got {gauss_points!r}"
            raise InvalidParameterError(msg)
        self.efficiencies = eff
        self.exposure_t_yr = float(exposure_t_yr)
        self.target = Target.element("Xe") if target is None else target
        self.gauss_points = gauss_points
        x, w = np.polynomial.legendre.leggauss(gauss_points)
        lo, hi = self.e_nr_kev[:-1, None], self.e_nr_kev[1:, None]
        self._nodes = (0.5 * (hi - lo) * x + 0.5 * (hi + lo)).ravel()
        self._weights = (0.5 * (hi - lo) * w).ravel()
        t = (x + 1.0) / 2.0  # position inside the interval, 0..1
        k = np.arange(self.e_nr_kev.size - 1)
        self._eps = (
            eff[k][:, None, :] * (1.0 - t)[None, :, None]
            + eff[k + 1][:, None, :] * t[None, :, None]
        ).reshape(-1, eff.shape[1])
        self.response_key = (name, eff.tobytes().__hash__(), gauss_points)

    @property
    def n_bins(self) -> int:
        """Observed bins (flattened 4-D)."""
        return int(self.efficiencies.shape[1])

    @property
    def exposure_kg_day(self) -> float:
        """Exposure [kg day] (1 t yr = 1000 kg x 365.25 d)."""
        return self.exposure_t_yr * 1000.0 * DAYS_PER_YEAR

    def recoil_grid(self, e_nr_max_kev: float) -> NDArray[np.float64]:
        """The Gauss-Legendre nodes [keVnr] over the efficiency range, for any ``e_nr_max_kev``.

        Nothing is observed outside the range.

        Parameters
        ----------
        e_nr_max_kev : float
            Largest recoil energy of the signal [keVnr]; ignored (the nodes are fixed).

        Returns
        -------
        ndarray
            A copy of the Gauss-Legendre nodes [keVnr].
        """
        return self._nodes.copy()

    def response_matrix(self, e_nr_nodes: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(n_bins, n_nodes)`` at the nodes of :meth:`recoil_grid` (other nodes: an error).

        Parameters
        ----------
        e_nr_nodes : ndarray
            Recoil energies [keVnr]; must be the nodes of :meth:`recoil_grid`.

        Returns
        -------
        ndarray of shape (n_bins, n_nodes)
            Efficiency of each observed bin times the quadrature weight of each node.
        """
        x = np.asarray(e_nr_nodes, dtype=np.float64)
        if x.shape != self._nodes.shape or not np.array_equal(x, self._nodes):
            msg = (
                f"{self.name}: response_matrix needs the {self._nodes.size} Gauss-Legendre "
                f"nodes of recoil_grid(), got {x.size} other nodes"
            )
            raise InvalidParameterError(msg)
        return np.ascontiguousarray((self._eps * self._weights[:, None]).T)

    def __repr__(self) -> str:
        return f"MonoResponse({self.name!r}, exposure_t_yr={self.exposure_t_yr})"


# ---------------------------------------------------------------------------- assembly
@functools.lru_cache(maxsize=8)
def _run_inputs(run: str, root: str | None) -> dict[str, Any]:
    files = ReleaseFiles(run, root)
    grid = [(a, b) for a in GRID for b in GRID]
    eff = {p: files.efficiency(*p) for p in grid}
    rg = {p: files.template("rg", *p) for p in grid}
    return {
        "files": files,
        "eff": eff,
        "rg": rg,
        "ac": files.template("ac"),
        "er": files.template("er"),
        "events": files.events(),
    }


def _variants(values: Mapping[tuple[float, float], Any]) -> dict[tuple[float, float], Any]:
    return {p: v for p, v in values.items() if p != (0.0, 0.0)}


class DatasetOptions(ComponentOptions):
    """``[dataset] kind = "xenonnt_8b"``: the selected events of one run, binned in 4-D."""

    run: Literal["sr0", "sr1", "sr2"] = "sr0"
    root: str | None = None


def _dataset(opts: DatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    inp = _run_inputs(opts.run, opts.root)
    return Dataset.from_events(
        inp["events"],
        inp["files"].edges,
        name=f"xenonnt_8b_{opts.run}",
        axis_names=AXES,
        axis_units=("PE", "", "", ""),
        unit="events",
    )


class DetectorOptions(ComponentOptions):
    """``[detector] kind = "xenonnt_8b"``: mono-energetic response with the tly x tqy grid."""

    run: Literal["sr0", "sr1", "sr2"] = "sr0"
    exposure_t_yr: float | None = Field(None, gt=0)
    root: str | None = None
    gauss_points: int = Field(GAUSS_POINTS, ge=1, le=20)
    #: relative Gaussian uncertainty of the signal efficiency (parameter ``signal_efficiency``)
    efficiency_uncertainty: float | None = Field(None, gt=0)


def _detector(opts: DetectorOptions) -> Any:
    from cevns.likelihood.experiment import DetectorSetup
    from cevns.likelihood.systematics import ScaleSystematic, ShapeSystematic

    inp = _run_inputs(opts.run, opts.root)
    exposure = EXPOSURE_T_YR[opts.run] if opts.exposure_t_yr is None else opts.exposure_t_yr

    def response(p: tuple[float, float]) -> MonoResponse:
        name = f"xenonnt_{opts.run}_tly{p[0]:+.0f}_tqy{p[1]:+.0f}"
        return MonoResponse(
            name, inp["eff"][p], MONO_E_KEV, exposure, gauss_points=opts.gauss_points
        )

    variants = {p: response(p) for p in _variants(inp["eff"])}
    yields = ShapeSystematic(
        ("tly", "tqy"),
        (GRID, GRID),
        variants,
        description="light yield x charge yield (sigma units), release grid",
    )
    systematics: list[Any] = [yields]
    if opts.efficiency_uncertainty is not None:
        systematics.append(
            ScaleSystematic("signal_efficiency", opts.efficiency_uncertainty, limits=(0.5, 1.5))
        )
    return DetectorSetup(response((0.0, 0.0)), systematics=tuple(systematics))


class BackgroundOptions(ComponentOptions):
    """``[[backgrounds]] kind = "xenonnt_8b"``: AC, ER or radiogenic neutrons of one run."""

    component: Literal["ac", "er", "rg"]
    run: Literal["sr0", "sr1", "sr2"] = "sr0"
    exposure_t_yr: float | None = Field(None, gt=0)
    norm_uncertainty: float | None = Field(None, gt=0)
    root: str | None = None


def _background(opts: BackgroundOptions, dataset: Any) -> Any:
    from cevns.likelihood.background import TemplateBackground
    from cevns.likelihood.systematics import ShapeSystematic

    inp = _run_inputs(opts.run, opts.root)
    exposure = EXPOSURE_T_YR[opts.run] if opts.exposure_t_yr is None else opts.exposure_t_yr
    systematics = []
    if opts.component == "rg":
        nominal = inp["rg"][(0.0, 0.0)] * exposure
        variants = {p: v * exposure for p, v in _variants(inp["rg"]).items()}
        systematics.append(ShapeSystematic(("tly", "tqy"), (GRID, GRID), variants))
    else:
        nominal = inp[opts.component] * exposure
    return TemplateBackground(
        opts.component,
        nominal,
        norm_uncertainty=opts.norm_uncertainty,
        norm_limits=(0.0, 50.0),
        systematics=systematics,
    )


# ---------------------------------------------------------------------- combined runs
Run_ = Literal["sr0", "sr1", "sr2"]
#: ``Dataset.meta`` key of the runs of a combined dataset, in block order
META_RUNS = "xenonnt_8b_runs"
#: observed bins of one science run (3 x 3 x 3 x 3)
BINS_PER_RUN = 81


def _all_runs() -> list[Run_]:
    return ["sr0", "sr1", "sr2"]


def _check_runs(field: str, runs: Sequence[str]) -> tuple[str, ...]:
    out = tuple(runs)
    if not out or len(set(out)) != len(out) or any(r not in RUNS for r in out):
        msg = f"{field} must list distinct science runs of {list(RUNS)}, got {list(out)}"
        raise InvalidParameterError(msg)
    return out


class CombinedDatasetOptions(ComponentOptions):
    """``[dataset] kind = "xenonnt_8b_combined"``: the runs' events, one block of 81 bins each."""

    runs: list[Run_] = Field(default_factory=_all_runs)
    root: str | None = None


def _combined_dataset(opts: CombinedDatasetOptions) -> Any:
    from cevns.likelihood.dataset import Dataset

    runs = _check_runs("dataset.runs", opts.runs)
    blocks = [
        _dataset(DatasetOptions.model_validate({"run": r, "root": opts.root})).counts.ravel()
        for r in runs
    ]
    counts = np.concatenate(blocks)
    return Dataset.from_arrays(
        counts,
        np.arange(counts.size + 1, dtype=np.float64),
        name="xenonnt_8b_" + "_".join(runs),
        axis_names=("bin",),
        axis_units=("",),
        unit="events",
    ).with_meta(**{META_RUNS: runs})


def _dataset_runs(dataset: Any) -> tuple[str, ...]:
    runs = getattr(dataset, "meta", {}).get(META_RUNS)
    if runs is None:
        msg = (
            "a xenonnt_8b_combined background needs the xenonnt_8b_combined dataset (its "
            f"meta[{META_RUNS!r}] names the runs); got dataset "
            f"{getattr(dataset, 'name', dataset)!r}"
        )
        raise InvalidConfigError(msg)
    return tuple(runs)


def _concatenate(
    runs: Sequence[str], blocks: Mapping[str, NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Blocks of the runs in order; runs without a block are zeros."""
    zero = np.zeros(BINS_PER_RUN)
    return np.concatenate([blocks[r].ravel() if r in blocks else zero for r in runs])


class CombinedDetectorOptions(ComponentOptions):
    """``[detector] kind = "xenonnt_8b_combined"``: one response over the runs' blocks.

    One light-yield and one charge-yield nuisance (``tly``, ``tqy``) morph every run's
    signal (and, through ``xenonnt_8b_combined`` backgrounds, the neutrons of every run):
    the collaboration's model has one ``t_ly`` and one ``t_qy`` for all science runs.
    """

    runs: list[Run_] = Field(default_factory=_all_runs)
    root: str | None = None
    gauss_points: int = Field(GAUSS_POINTS, ge=1, le=20)
    #: relative Gaussian uncertainty of the signal efficiency (parameter ``signal_efficiency``)
    efficiency_uncertainty: float | None = Field(None, gt=0)


def _combined_detector(opts: CombinedDetectorOptions) -> Any:
    from cevns.likelihood.experiment import DetectorSetup
    from cevns.likelihood.systematics import ScaleSystematic, ShapeSystematic

    runs = _check_runs("detector.runs", opts.runs)
    inputs = {r: _run_inputs(r, opts.root) for r in runs}

    def response(p: tuple[float, float]) -> MonoResponse:
        # each run's efficiencies weighted by its exposure [t yr]; the response's own is 1 t yr
        eff = np.concatenate([inputs[r]["eff"][p] * EXPOSURE_T_YR[r] for r in runs], axis=1)
        name = f"xenonnt_{'_'.join(runs)}_tly{p[0]:+.0f}_tqy{p[1]:+.0f}"
        return MonoResponse(name, eff, MONO_E_KEV, 1.0, gauss_points=opts.gauss_points)

    variants = {p: response(p) for p in _variants(inputs[runs[0]]["eff"])}
    systematics: list[Any] = [
        ShapeSystematic(
            ("tly", "tqy"),
            (GRID, GRID),
            variants,
            description="light yield x charge yield (sigma units), shared by the runs",
        )
    ]
    if opts.efficiency_uncertainty is not None:
        systematics.append(
            ScaleSystematic("signal_efficiency", opts.efficiency_uncertainty, limits=(0.5, 1.5))
        )
    return DetectorSetup(response((0.0, 0.0)), systematics=tuple(systematics))


class CombinedBackgroundOptions(ComponentOptions):
    """``[[backgrounds]] kind = "xenonnt_8b_combined"``: one normalisation over some runs.

    ``runs`` are the runs whose template this normalisation scales (default: every run of
    the dataset, e.g. one ER and one neutron rate for all runs); the other blocks are zero.
    """

    component: Literal["ac", "er", "rg"]
    runs: list[Run_] | None = None
    name: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    norm_uncertainty: float | None = Field(None, gt=0)
    root: str | None = None


def _combined_background(opts: CombinedBackgroundOptions, dataset: Any) -> Any:
    from cevns.likelihood.background import TemplateBackground
    from cevns.likelihood.systematics import ShapeSystematic

    layout = _dataset_runs(dataset)
    runs = layout if opts.runs is None else _check_runs("backgrounds.runs", opts.runs)
    outside = [r for r in runs if r not in layout]
    if outside:
        msg = (
            f"background {opts.component!r}: runs {outside} are not in the dataset's runs "
            f"{list(layout)}"
        )
        raise InvalidConfigError(msg)
    inputs = {r: _run_inputs(r, opts.root) for r in runs}
    name = opts.name or (
        opts.component if opts.runs is None else f"{opts.component}_{'_'.join(runs)}"
    )
    systematics = []
    if opts.component == "rg":

        def at(p: tuple[float, float]) -> NDArray[np.float64]:
            return _concatenate(layout, {r: inputs[r]["rg"][p] * EXPOSURE_T_YR[r] for r in runs})

        nominal = at((0.0, 0.0))
        variants = {p: at(p) for p in _variants(inputs[runs[0]]["rg"])}
        systematics.append(ShapeSystematic(("tly", "tqy"), (GRID, GRID), variants))
    else:
        nominal = _concatenate(
            layout, {r: inputs[r][opts.component] * EXPOSURE_T_YR[r] for r in runs}
        )
    return TemplateBackground(
        name,
        nominal,
        norm_uncertainty=opts.norm_uncertainty,
        norm_limits=(0.0, 50.0),
        systematics=systematics,
    )


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component("dataset", "xenonnt_8b", DatasetOptions, _dataset, "XENONnT 8B events, 4-D bins"),
    Component(
        "detector", "xenonnt_8b", DetectorOptions, _detector, "XENONnT mono-energetic NR response"
    ),
    Component("background", "xenonnt_8b", BackgroundOptions, _background, "XENONnT AC/ER/neutrons"),
    Component(
        "dataset",
        "xenonnt_8b_combined",
        CombinedDatasetOptions,
        _combined_dataset,
        "XENONnT 8B events of several runs, 81 bins per run",
    ),
    Component(
        "detector",
        "xenonnt_8b_combined",
        CombinedDetectorOptions,
        _combined_detector,
        "XENONnT NR response of several runs, one tly x tqy pair",
    ),
    Component(
        "background",
        "xenonnt_8b_combined",
        CombinedBackgroundOptions,
        _combined_background,
        "XENONnT AC/ER/neutrons of some runs, one normalisation",
    ),
)


# ---------------------------------------------------------------------------- analysis
def experiment(run: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """The shipped experiment ``xenonnt_8b_<run>`` (``models/experiments``).

    Parameters
    ----------
    run : {"sr0", "sr1", "sr2"}
        Science run.
    overrides : Mapping[str, object], optional
        Dotted keys set before validation, as in :func:`~cevns.config.loader.load_experiment`.

    Returns
    -------
    Experiment
        The loaded experiment.
    """
    from cevns.config.loader import load_experiment

    if run not in RUNS:
        msg = f"run must be one of {list(RUNS)}, got {run!r}"
        raise InvalidParameterError(msg)
    return load_experiment(f"xenonnt_8b_{run}", overrides)


#: The shipped combined experiments by their runs (one likelihood, shared tly and tqy).
COMBINED: Mapping[tuple[str, ...], str] = {
    ("sr0", "sr1"): "xenonnt_8b_2024",
    ("sr0", "sr1", "sr2"): "xenonnt_8b_2026",
}


def combined_experiment(
    runs: Sequence[str] = RUNS, overrides: Mapping[str, Any] | None = None
) -> Any:
    """The experiment of several science runs in one likelihood (:data:`COMBINED`).

    One light-yield and one charge-yield nuisance, one ER and one neutron normalisation
    for all runs, one AC normalisation per run, the signal efficiency and the free 8B
    normalisation ``<name>.flux_norm``, as in the collaboration's statistical model
    (module notes). A single run is its own experiment (:func:`experiment`).

    Parameters
    ----------
    runs : sequence of str
        ``("sr0", "sr1")`` (``xenonnt_8b_2024``) or ``("sr0", "sr1", "sr2")``
        (``xenonnt_8b_2026``), or one run.
    overrides : mapping, optional
        Applied to the experiment file (``load_experiment``).

    Returns
    -------
    Experiment
    """
    from cevns.config.loader import load_experiment

    key = tuple(runs)
    if len(key) == 1:
        return experiment(key[0], overrides)
    if key not in COMBINED:
        msg = (
            f"runs must be one run of {list(RUNS)} or one of the shipped combinations "
            f"{[list(k) for k in COMBINED]}, got {list(key)}"
        )
        raise InvalidParameterError(msg)
    return load_experiment(COMBINED[key], overrides)


def combined_cost(
    runs: Sequence[str] = RUNS,
    model_family: Any = "sm",
    *,
    signal: bool = True,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """The cost of :func:`combined_experiment` (``signal=False``: background only).

    Parameters
    ----------
    runs : sequence of str
    model_family : ModelFamily or str
    signal : bool
    overrides : mapping, optional

    Returns
    -------
    ExperimentCost
    """
    return combined_experiment(runs, overrides).cost(model_family, signal=signal)


def rate_above_window(e_nr_kev: tuple[float, float] = (0.5, 5.0)) -> dict[str, float]:
    """SM CEvNS rates on xenon [1/(t yr)] inside the window and above it, per component.

    Quantifies what the mono-energetic templates leave out above 5 keVnr.

    Parameters
    ----------
    e_nr_kev : (float, float), optional
        Recoil window [keVnr] (default 0.5 to 5); rates above are integrated up to 8 keVnr.

    Returns
    -------
    dict of str -> float
        ``8B_inside``, ``8B_above``, ``hep_inside`` and ``hep_above`` [1/(t yr)].
    """
    from cevns.likelihood.spectrum import recoil_spectrum
    from cevns.physics.nsi import NSIModel
    from cevns.sources.solar import SolarFlux

    xe = Target.element("Xe")
    out: dict[str, float] = {}
    for comp in ("8B", "hep"):
        flux = SolarFlux(components=(comp,))
        e = np.linspace(e_nr_kev[0], 8.0, 7501)
        rate = np.asarray(recoil_spectrum(flux, xe, NSIModel.sm(), e), dtype=np.float64)
        rate = rate * 1000.0 * DAYS_PER_YEAR  # per kg day keV -> per t yr keV
        inside, above = e <= e_nr_kev[1], e >= e_nr_kev[1]
        out[f"{comp}_inside"] = float(np.trapezoid(rate[inside], e[inside]))
        out[f"{comp}_above"] = float(np.trapezoid(rate[above], e[above]))
    return out


#: Migrad tolerances tried in turn by :func:`fit_restarted`. The code-0 (multilinear)
#: yield morphing has kinks at the grid nodes; a minimum at tly = 0 (background-only fits)
#: sits on one, where Migrad's EDM estimate can miss the tighter goal while the minimum
#: value agrees to 3e-5 between the tolerances.
FIT_TOLERANCES: tuple[float, ...] = (0.001, 0.01)


def fit_restarted(cost: Any, **kwargs: Any) -> Any:
    """:func:`cevns.stats.fit.fit` at each of :data:`FIT_TOLERANCES` until one is valid.

    Parameters
    ----------
    cost : iminuit cost
    **kwargs
        Passed to ``fit`` (not ``tol``).

    Returns
    -------
    FitResult
        The first valid fit, else the one with the lowest minimum (``valid`` False).
    """
    from cevns.stats.fit import fit

    tried = []
    for tol in FIT_TOLERANCES:
        r = fit(cost, tol=tol, warn=False, **kwargs)
        if r.valid:
            return r
        tried.append(r)
    return min(tried, key=lambda r: r.fval)


def expected_per_run(run: str, root: str | None = None) -> dict[str, float]:
    """SM 8B and hep events (B16-GS98, nominal yields), backgrounds and data of one run.

    Folds the nominal mono-energetic efficiencies directly (no experiment file, no
    stacked yield variants): the numbers of the shipped ``xenonnt_8b_<run>`` at its
    defaults.

    Parameters
    ----------
    run : {"sr0", "sr1", "sr2"}
    root : str, optional
        A folder laid out like the release (default the registered release).

    Returns
    -------
    dict
        ``8B``, ``hep``, ``ac``, ``er``, ``rg`` and ``observed`` [events].
    """
    from cevns.likelihood.signal import Signal
    from cevns.physics.form_factors import Helm
    from cevns.physics.nsi import NSIModel
    from cevns.sources.solar import SolarFlux

    _check_runs("run", [run])
    inp = _run_inputs(run, root)
    exposure = EXPOSURE_T_YR[run]
    det = MonoResponse(f"xenonnt_{run}_nominal", inp["eff"][(0.0, 0.0)], MONO_E_KEV, exposure)
    out = {
        comp: float(
            Signal(SolarFlux(components=(comp,)), det, form_factor=Helm(), kinematics="full")
            .expected_counts(NSIModel.sm())
            .sum()
        )
        for comp in ("8B", "hep")
    }
    out |= {c: float(inp[c].sum() if c != "rg" else inp["rg"][(0.0, 0.0)].sum()) * exposure
            for c in ("ac", "er", "rg")}  # fmt: skip
    out["observed"] = float(
        _dataset(DatasetOptions.model_validate({"run": run, "root": root})).counts.sum()
    )
    return out


def summary_numbers(
    scan_points: int = 61, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Expected SM counts per run and the measured 8B flux and significance.

    Parameters
    ----------
    scan_points : int
        Points of the profile scan of the flux normalisation (0 to 3 x B16-GS98).
    overrides : mapping, optional
        Applied to every experiment file (e.g. ``{"backgrounds.0.norm_uncertainty": 0.05}``).

    Returns
    -------
    dict
        ``expected``: per run :func:`expected_per_run` (not affected by ``overrides``);
        ``"2024"`` (SR0+SR1,
        ``xenonnt_8b_2024``) and ``"2026"`` (SR0+SR1+SR2, ``xenonnt_8b_2026``): the SM
        signal and background totals, ``flux_norm`` best fit and its 68.27 % interval
        from a profile scan (Delta(-2 ln L) = 1), the 8B flux and interval [1/(cm^2 s)],
        the background-only significance ``sqrt(Delta(-2 ln L))`` and the fit validity.
    """
    from cevns.sources.solar import solar_total_flux
    from cevns.stats.scan import profile_scan

    out: dict[str, Any] = {"expected": {}}
    for run in RUNS:
        out["expected"][run] = expected_per_run(run)
    phi0 = solar_total_flux("8B", "b16_gs98")
    for label, runs in (("2024", ("sr0", "sr1")), ("2026", RUNS)):
        exp = combined_experiment(runs, overrides)
        cost = exp.cost("sm")
        norm = f"{exp.name}.flux_norm"
        best = fit_restarted(cost)
        b_only = fit_restarted(exp.cost("sm", signal=False))
        grid = np.linspace(0.0, 3.0, scan_points)
        scan = profile_scan(cost, {norm: grid})
        segments = scan.interval(0.6827).segments
        lo, hi = (segments[0][0], segments[-1][1]) if segments else (float("nan"),) * 2
        nominal = exp.expected("sm")
        out[label] = {
            "experiment": exp.name,
            "sm_signal": float(nominal.signal.sum()),
            "background": float(sum(v.sum() for v in nominal.backgrounds.values())),
            "observed": float(exp.dataset.counts.sum()),
            "flux_norm": float(best.values[norm]),
            "interval": (float(lo), float(hi)),
            "flux_cm2_s": float(best.values[norm] * phi0),
            "flux_interval_cm2_s": (float(lo * phi0), float(hi * phi0)),
            "significance": float(np.sqrt(max(b_only.fval - best.fval, 0.0))),
            "valid": bool(best.valid and b_only.valid),
        }
    return out
