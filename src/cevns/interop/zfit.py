"""zfit interoperability (optional extra ``cevns[zfit]``).

:func:`to_zfit` exports a cevns cost (one experiment or a sum) as zfit objects: one
``zfit.Parameter`` per cost parameter (same start values, limits and steps), a
``zfit.loss.SimpleLoss`` whose value is the cevns cost, the observed data as
``zfit.data.BinnedData`` and the prediction at any parameter point as a binned
``zfit.pdf.HistogramPDF``. zfit's minimisers (e.g. ``zfit.minimize.Minuit``) then reach the
same minimum as :func:`cevns.stats.fit.fit`.

zfit stays out of the hot loop: the loss calls the cevns cost (numpy, a few dot
products) with the parameter values; no TensorFlow graph is built around it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cevns.stats.fit import _components, parameter_info

__all__ = ["ZfitExport", "to_zfit"]


def __dir__() -> list[str]:
    return __all__


def _zfit() -> Any:
    os.environ.setdefault("ZFIT_DISABLE_TF_WARNINGS", "1")
    try:
        import zfit
    except ModuleNotFoundError as e:
        msg = "zfit interoperability needs the extra: pip install 'cevns[zfit]'"
        raise ModuleNotFoundError(msg) from e
    return zfit


@dataclass
class ZfitExport:
    """A cevns cost seen from zfit.

    Attributes
    ----------
    params : dict
        cevns parameter name -> ``zfit.Parameter`` (fixed cevns parameters are
        ``floating=False``).
    loss : zfit.loss.SimpleLoss
        The cevns cost (chi^2 or -2 ln L, errordef 1) as a function of ``params``.
    """

    params: dict[str, Any]
    loss: Any
    _cost: Any

    def values(self) -> dict[str, float]:
        """Current values of the zfit parameters under their cevns names."""
        return {k: float(p.value()) for k, p in self.params.items()}

    def data(self, experiment: str | None = None) -> Any:
        """The observed counts of one experiment as ``zfit.data.BinnedData``.

        Parameters
        ----------
        experiment : str, optional
            Name of the experiment; required when the cost combines several.

        Returns
        -------
        zfit.data.BinnedData
            The observed counts (with their errors if the dataset has them).
        """
        ds = _experiment(self._cost, experiment).experiment.dataset
        return _zfit().data.BinnedData.from_hist(_hist(ds, ds.counts, ds.errors))

    def prediction(
        self, values: Mapping[str, float] | None = None, experiment: str | None = None
    ) -> Any:
        """Expected counts at ``values`` (default: current) as an extended ``HistogramPDF``.

        Parameters
        ----------
        values : Mapping[str, float], optional
            Parameter values overriding the current ones.
        experiment : str, optional
            Name of the experiment; required when the cost combines several.

        Returns
        -------
        zfit.pdf.HistogramPDF
            The expected total counts as an extended binned PDF.
        """
        comp = _experiment(self._cost, experiment)
        vals = self.values() | dict(values or {})
        total = comp.predict(vals).total
        ds = comp.experiment.dataset
        return _zfit().pdf.HistogramPDF(_hist(ds, total, None), extended=True)


def _experiment(cost: Any, name: str | None) -> Any:
    comps = [c for c in _components(cost) if hasattr(c, "experiment")]
    if name is None:
        if len(comps) != 1:
            names = [c.experiment.name for c in comps]
            msg = f"the cost combines {names}: name the experiment"
            raise ValueError(msg)
        return comps[0]
    for c in comps:
        if c.experiment.name == name:
            return c
    msg = f"no experiment {name!r} in the cost; it has {[c.experiment.name for c in comps]}"
    raise ValueError(msg)


def _hist(ds: Any, counts: Any, errors: Any) -> Any:
    import hist

    axes = [
        hist.axis.Variable(e, name=f"x{i}", label=lab)
        for i, (e, lab) in enumerate(zip(ds.edges, ds.axis_labels, strict=True))
    ]
    h = hist.Hist(*axes, storage=hist.storage.Weight())
    view = h.view()
    view.value = np.asarray(counts, float)
    view.variance = (
        np.asarray(errors, float) ** 2 if errors is not None else np.asarray(counts, float)
    )
    return h


def to_zfit(cost: Any, start: Mapping[str, float] | None = None) -> ZfitExport:
    """Export a cevns cost to zfit (see the module notes).

    Parameters
    ----------
    cost : iminuit cost
        ``experiment.cost(model)`` or a sum of such costs.
    start : mapping, optional
        Start values overriding the cevns defaults.
    """
    zfit = _zfit()
    defaults, fixed, steps = parameter_info(cost)
    names = tuple(cost._parameters)
    limits: dict[str, tuple[float, float]] = {}
    for comp in _components(cost):
        for p in getattr(comp, "parameter_objects", ()):
            limits.setdefault(p.name, p.limits)
    missing = [n for n in names if n not in defaults]
    if missing:
        msg = f"no start values for {missing}: pass them in start"
        if not start or any(n not in start for n in missing):
            raise ValueError(msg)
    values = dict(defaults) | dict(start or {})
    params: dict[str, Any] = {}
    for n in names:
        a, b = limits.get(n, (-np.inf, np.inf))
        lo = float(a) if np.isfinite(a) else None
        hi = float(b) if np.isfinite(b) else None
        params[n] = zfit.Parameter(
            n.replace(".", "__"),
            float(values[n]),
            lower=lo,
            upper=hi,
            step_size=float(steps.get(n, 0.0)) or None,
            floating=n not in fixed,
        )
    order = list(params.values())

    def value(ps: list[float]) -> float:
        return float(cost(*ps))

    floating = [p for p in order if p.floating]
    positions = [order.index(p) for p in floating]

    def loss_func(ps: Any) -> float:
        full = [float(p.value()) for p in order]
        for i, v in zip(positions, ps, strict=True):
            full[i] = float(v)
        return value(full)

    loss = zfit.loss.SimpleLoss(loss_func, params=floating, errordef=1.0)
    return ZfitExport(params, loss, cost)
