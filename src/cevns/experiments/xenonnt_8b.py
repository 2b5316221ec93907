"""XENONnT solar 8B CEvNS (SR0, SR1, SR2): the release's readers and published inputs.

Release: Zenodo 10.5281/zenodo.20576156 (CC-BY-4.0), folder ``xenonnt_8b_2026/`` (every
file verified against ``MANIFEST.sha256``, :func:`cevns.data.store.release`). Analyses:
arXiv:2408.02877 (SR0+SR1), arXiv:2604.06002 (SR0+SR1+SR2). One run is a 4-D histogram
(cS2, S2-shadow quantile, S1 and S2 BDT scores; 3 bins each); the runs' binnings differ,
so several runs are one likelihood over their 81-bin blocks (shared nuisances and their
priors once). Kinds: the ``xenonnt_8b`` dataset and background (AC, ER, radiogenic
neutrons ``rg`` [1/(t yr)] x each run's exposure; ``rg`` on the tly x tqy grid, in sigma
-3..3); the signal is the generic ``response_templates`` kind on the mono-energetic
templates (:mod:`cevns.detectors.mono_response`: the recipe). The priors (the
collaboration's statistical model, github.com/XENONnT/light_wimp_data_release @ a09cd8f)
are in ``models/experiments/xenonnt_8b_*.toml``, and so are the exposures, once per file
(the detector's ``exposure_t_yr``, which the backgrounds take from the detector:
:meth:`~cevns.detectors.mono_response.MonoResponse.exposures_t_yr`). Exposure: t yr of
1000 kg x 365.25 d.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cevns.config.components import Component
from cevns.core.exceptions import DataNotFoundError, InvalidConfigError, InvalidParameterError
from cevns.data.hdf5_hist import read_histogram
from cevns.detectors.mono_response import MonoResponse, read_efficiency_grid

__all__ = ["AXES", "COMBINED", "GRID", "MONO_E_KEV", "MONO_TEMPLATE",
           "RELEASE", "RUNS", "ReleaseFiles", "background", "dataset", "experiment"]  # fmt: skip


def __dir__() -> list[str]:
    return __all__


#: Registry key and folder name of the data release.
RELEASE = "xenonnt_8b_2026"
#: Science runs of the release.
RUNS: tuple[str, ...] = ("sr0", "sr1", "sr2")
#: The four observables: names in the binning files and the data.
AXES: tuple[str, ...] = ("cs2", "s2_shadow_s2_time_shadow_quantile", "s1_bdt_score", "s2_bdt_score")
#: The same axes as named in the templates (``bins/<i>`` attribute ``name``).
TEMPLATE_AXES: tuple[str, ...] = ("cs2", "s2_shadow_s2_time_shadow", "s1_bdt_score", "s2_bdt_score")
#: Recoil energies [keVnr] of the mono-energetic templates.
MONO_E_KEV: NDArray[np.float64] = np.round(np.arange(0.5, 5.0 + 1e-9, 0.1), 3)
#: File names of the mono-energetic templates (``response_templates`` pattern).
MONO_TEMPLATE = (
    "templates/{block}/mono/template_XENONnT_{block}_mono_{e_nr_kev:.3f}_cevns_tly_{tly:.1f}"
    "_tqy_{tqy:.1f}.h5"
)
#: Light-yield and charge-yield grid (in sigma) of the neutron and mono-energetic templates.
GRID: tuple[float, ...] = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
#: ``Dataset.meta`` key of the runs of a dataset, in block order
META_RUNS = "xenonnt_8b_runs"

Component_ = Literal["ac", "er", "rg"]
Run_ = Literal["sr0", "sr1", "sr2"]


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
        self._release: Any = None
        if root is None:
            from cevns.data import store

            self._release = store.release(RELEASE)
            self.root: Path = self._release.root
        else:
            self.root = Path(root)
        self.edges = self._read_edges()

    def path(self, relative: str) -> Path:
        """Path of a file of the release, e.g. ``"data/sr0.csv"`` (checksum verified).

        Parameters
        ----------
        relative : str
            Path inside the release, with ``/`` separators.

        Returns
        -------
        Path
        """
        if self._release is not None:
            return Path(self._release.path(relative))
        p = self.root / relative
        if not p.is_file():
            msg = f"science run {self.run!r}: file {relative!r} is missing in {self.root}"
            raise DataNotFoundError(msg)
        return p

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
        ndarray of shape (3, 3, 3, 3)
            Checked (:func:`~cevns.data.hdf5_hist.read_histogram`): the layout, the axis
            names, the edges of the run's binning, finite values >= 0.
        """
        r = self.run
        if component in ("ac", "er"):
            rel = f"templates/{r}/{component}/template_XENONnT_{r}_{component}_cevns.h5"
        else:
            rel = f"templates/{r}/rg/template_XENONnT_{r}_rg_cevns_tly_{tly:.1f}_tqy_{tqy:.1f}.h5"
        return read_histogram(self.path(rel), axis_names=TEMPLATE_AXES, edges=self.edges).values

    def efficiency(self, tly: float = 0.0, tqy: float = 0.0) -> NDArray[np.float64]:
        """Mono-energetic efficiencies ``(n_E, n_bins)`` at :data:`MONO_E_KEV` at a grid point.

        Parameters
        ----------
        tly, tqy : float, optional
            Light- and charge-yield grid point in units of their sigma (-3..3, default 0).

        Returns
        -------
        ndarray of shape (n_E, n_bins)
        """
        energies, point = MONO_E_KEV.tolist(), {"tly": [tly], "tqy": [tqy]}
        grid = read_efficiency_grid(
            self.path,
            MONO_TEMPLATE,
            energies,
            point,
            block=self.run,
            axis_names=TEMPLATE_AXES,
            edges=self.edges,
        )
        return grid[(float(tly), float(tqy))]

    def dataset(self) -> Any:
        """The selected events of ``data/<run>.csv`` binned on the run's 4-D binning.

        Returns
        -------
        Dataset
            Poisson counts of shape (3, 3, 3, 3), axes :data:`AXES`.
        """
        from cevns.likelihood.dataset import Dataset

        return Dataset.from_events(
            self.path(f"data/{self.run}.csv"),
            self.edges,
            columns=AXES,
            name=f"xenonnt_8b_{self.run}",
            axis_names=AXES,
            axis_units=("PE", "", "", ""),
            unit="events",
        )


@functools.lru_cache(maxsize=8)
def _run_inputs(run: str, root: str | None) -> dict[str, Any]:
    files = ReleaseFiles(run, root)
    return {
        "files": files,
        "rg": {(a, b): files.template("rg", a, b) for a in GRID for b in GRID},
        "ac": files.template("ac"),
        "er": files.template("er"),
        "dataset": files.dataset(),
    }


def _check_runs(field: str, runs: Sequence[str] | None) -> tuple[str, ...]:
    out = RUNS if runs is None else tuple(runs)
    if not out or len(set(out)) != len(out) or any(r not in RUNS for r in out):
        msg = f"{field} must list distinct science runs of {list(RUNS)}, got {list(out)}"
        raise InvalidParameterError(msg)
    return out


def dataset(runs: list[Run_] | None = None, root: str | None = None) -> Any:
    """The selected events of some runs: one run in 4-D, several as 81-bin blocks.

    Parameters
    ----------
    runs : list of {"sr0", "sr1", "sr2"}, optional
        Default all three.
    root : str, optional
        A folder laid out like the release (default the registered release).

    Returns
    -------
    Dataset
        With ``meta[META_RUNS]``, the runs in block order.
    """
    from cevns.likelihood.dataset import Dataset

    names = _check_runs("dataset.runs", runs)
    per_run = [_run_inputs(r, root)["dataset"] for r in names]
    if len(per_run) > 1:
        counts = np.concatenate([d.counts.ravel() for d in per_run])
        edges = np.arange(counts.size + 1, dtype=np.float64)
        name = "xenonnt_8b_" + "_".join(names)
        per_run = [
            Dataset.from_arrays(counts, edges, name=name, axis_names=("bin",), unit="events")
        ]
    return per_run[0].with_meta(**{META_RUNS: names})


def background(
    dataset: Any,
    component: Component_,
    runs: list[Run_] | None = None,
    name: str | None = None,
    norm_uncertainty: float | None = None,
    root: str | None = None,
    exposure_t_yr: Mapping[str, float] | None = None,
) -> Any:
    """AC, ER or radiogenic neutrons (``rg``, on the tly x tqy grid) of some runs.

    One normalisation scales the template [1/(t yr)] x exposure of each of ``runs``
    (default every run of the dataset); the dataset's other blocks get zeros. In an
    experiment file the exposures are the detector's (the loader passes it): they are
    written once, in the ``[detector]`` section.

    Parameters
    ----------
    dataset : Dataset
        Of the ``xenonnt_8b`` kind (its runs in block order).
    component : {"ac", "er", "rg"}
    runs : list of str, optional
    name : str, optional
        Default the component, with the runs appended when they are given.
    norm_uncertainty : float, optional
        Relative Gaussian prior of the normalisation.
    root : str, optional
    exposure_t_yr : mapping of str to float
        Exposure [t yr] of each run of ``runs`` (required; from the detector in a file).

    Returns
    -------
    TemplateBackground
    """
    from cevns.likelihood.background import TemplateBackground
    from cevns.likelihood.systematics import ShapeSystematic

    layout = getattr(dataset, "meta", {}).get(META_RUNS)
    if layout is None:
        msg = (
            f"a xenonnt_8b background needs the xenonnt_8b dataset (its meta[{META_RUNS!r}] "
            f"names the runs); got dataset {getattr(dataset, 'name', dataset)!r}"
        )
        raise InvalidConfigError(msg)
    chosen = layout if runs is None else _check_runs("backgrounds.runs", runs)
    outside = [r for r in chosen if r not in layout]
    if outside:
        msg = f"background {component!r}: runs {outside} are not in the dataset's runs {layout}"
        raise InvalidConfigError(msg)
    missing = [r for r in chosen if r not in (exposure_t_yr or {})]
    if missing:
        msg = (
            f"background {component!r}: exposure_t_yr must give the exposure [t yr] of the "
            f"runs {list(chosen)}, got {exposure_t_yr} (missing {missing})"
        )
        raise InvalidConfigError(msg)
    exposures = dict(exposure_t_yr or {})
    inputs = {r: _run_inputs(r, root) for r in chosen}

    def blocks(template_of: Any) -> NDArray[np.float64]:
        per = {r: template_of(r).ravel() * exposures[r] for r in chosen}
        out = [per[r] if r in per else np.zeros(per[chosen[0]].size) for r in layout]
        return np.concatenate(out).reshape(dataset.counts.shape)

    systematics = []
    if component == "rg":
        nominal = blocks(lambda r: inputs[r]["rg"][(0.0, 0.0)])
        grid = [p for p in inputs[chosen[0]]["rg"] if p != (0.0, 0.0)]
        variants = {p: blocks(lambda r, p=p: inputs[r]["rg"][p]) for p in grid}
        systematics.append(ShapeSystematic(("tly", "tqy"), (GRID, GRID), variants))
    else:
        nominal = blocks(lambda r: inputs[r][component])
    return TemplateBackground(
        name or (component if runs is None else f"{component}_{'_'.join(chosen)}"),
        nominal,
        norm_uncertainty=norm_uncertainty,
        norm_limits=(0.0, 50.0),
        systematics=systematics,
    )


_BACKGROUND = Component.from_function(
    "background", "xenonnt_8b", background, "XENONnT AC/ER/neutrons", exclude=("exposure_t_yr",)
)


def _background_kind(options: Any, *, dataset: Any, detector: Any) -> Any:
    """The ``xenonnt_8b`` background of a file: the exposures are the detector's."""
    if not isinstance(detector, MonoResponse):
        msg = f"a xenonnt_8b background needs a response_templates detector, got {detector!r}"
        raise InvalidConfigError(msg)
    runs = getattr(dataset, "meta", {}).get(META_RUNS, ())
    exposures = detector.exposures_t_yr(runs)
    return _BACKGROUND.builder(options, dataset=dataset, exposure_t_yr=exposures)


#: the kinds of this module (``cevns.components`` entry points)
COMPONENTS: tuple[Component, ...] = (
    Component.from_function("dataset", "xenonnt_8b", dataset, "XENONnT 8B events of some runs"),
    dataclasses.replace(_BACKGROUND, builder=_background_kind),
)


# ---------------------------------------------------------------------------- experiments
#: The shipped experiments by their runs (one likelihood, shared tly and tqy).
COMBINED: Mapping[tuple[str, ...], str] = {
    ("sr0", "sr1"): "xenonnt_8b_2024",
    ("sr0", "sr1", "sr2"): "xenonnt_8b_2026",
}


def experiment(runs: str | Sequence[str], overrides: Mapping[str, Any] | None = None) -> Any:
    """The shipped experiment of one run (``xenonnt_8b_<run>``) or of several (:data:`COMBINED`).

    Several runs: one tly and one tqy, one ER and one neutron normalisation for all runs,
    one AC normalisation per run, the signal efficiency and the free ``flux_norm``.

    Parameters
    ----------
    runs : str or sequence of str
        ``"sr0"``, ``"sr1"``, ``"sr2"``, ``("sr0", "sr1")`` (``xenonnt_8b_2024``) or
        ``("sr0", "sr1", "sr2")`` (``xenonnt_8b_2026``).
    overrides : Mapping[str, object], optional
        Dotted keys set before validation, as in :func:`~cevns.config.loader.load_experiment`.

    Returns
    -------
    Experiment
        The loaded experiment.
    """
    from cevns.config.loader import load_experiment

    key = (runs,) if isinstance(runs, str) else tuple(runs)
    shipped = {(r,): f"xenonnt_8b_{r}" for r in RUNS} | dict(COMBINED)
    if key not in shipped:
        got = repr(runs) if isinstance(runs, str) else list(key)
        msg = (
            f"run must be one of {list(RUNS)} or runs one of the shipped combinations "
            f"{[list(k) for k in COMBINED]}, got {got}"
        )
        raise InvalidParameterError(msg)
    return load_experiment(shipped[key], overrides)
