"""Generic background kinds for experiment files (``[[backgrounds]] kind = "..."``).

Each kind builds one of the parametric or template backgrounds of
:mod:`cevns.likelihood.background` on the observed bins of the experiment's dataset
(1-D datasets; the background's parameters are per unit of the dataset axis)::

    [[backgrounds]]
    kind = "flat"
    name = "flat"
    level = { value = 2.0, limits = [0.0, 50.0] }      # counts per keVee

    [[backgrounds]]
    kind = "gaussian_line"
    name = "l1"
    counts = { value = 40.0, limits = [0.0, 500.0] }
    mean = { value = 1.30, limits = [1.2, 1.4] }        # keVee
    sigma = { value = 0.07, limits = [0.03, 0.12], prior = [0.07, 0.01] }

    [[backgrounds]]
    kind = "template"
    name = "neutrons"
    path = "neutrons.txt"                                # counts per bin, one per line
    norm_uncertainty = 0.25

Parameters are named ``<experiment>.<name>_<parameter>`` in fits.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.likelihood.background import (
    ExponentialBackground,
    FlatBackground,
    GaussianLineBackground,
    TemplateBackground,
)
from cevns.physics.families import Parameter

__all__ = ["COMPONENTS", "ParameterOptions", "anticoincidence_background"]


def __dir__() -> list[str]:
    return __all__


class ParameterOptions(ComponentOptions):
    """One background parameter: start value, limits, optional Gaussian prior, fixed.

    Limits may be infinite (``limits = [0, inf]``); NaN anywhere is refused by
    :class:`~cevns.physics.families.Parameter`.

    Parameters
    ----------
    value : float
        Start value of the parameter (and its default when fixed).
    limits : (float, float), optional
        Lower and upper bound; either may be infinite. Default: unbounded.
    prior : (float, float), optional
        Gaussian prior ``(mean, sigma)``; None for no prior.
    fixed : bool, optional
        Whether the parameter is fixed by default in fits (default False).
    step : float, optional
        Initial Minuit step (> 0); None picks 5 % of a finite range, else 10 % of ``value``.
    """

    model_config = ConfigDict(allow_inf_nan=True)

    value: float
    limits: tuple[float, float] = (-math.inf, math.inf)
    prior: tuple[float, float] | None = None
    fixed: bool = False
    step: float | None = Field(None, gt=0)

    def parameter(self, name: str, unit: str = "") -> Parameter:
        """As a :class:`~cevns.physics.families.Parameter` (validated there).

        Parameters
        ----------
        name : str
            Name of the parameter in the cost.
        unit : str, optional
            Unit shown in the fit tables (default: none).

        Returns
        -------
        Parameter
            The parameter with these options and the derived step.
        """
        lo, hi = self.limits
        step = self.step
        if step is None:
            span = hi - lo
            step = 0.1 * abs(self.value) if not math.isfinite(span) else 0.05 * span
            step = step or 0.1
        return Parameter(name, self.value, self.limits, step, self.prior, self.fixed, unit)


class _Named(ComponentOptions):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


def _edges(dataset: Any, kind: str) -> Any:
    if dataset.ndim != 1:
        msg = (
            f"the {kind!r} background needs a 1-D dataset; {dataset.name!r} has "
            f"{dataset.ndim} axes (shape {dataset.shape})"
        )
        raise ValueError(msg)
    return dataset.edges[0]


class FlatOptions(_Named):
    """``kind = "flat"``: a constant rate per unit of the dataset axis."""

    level: ParameterOptions


def _flat(opts: FlatOptions, dataset: Any) -> FlatBackground:
    return FlatBackground(opts.name, _edges(dataset, "flat"), opts.level.parameter("level"))


class ExponentialOptions(_Named):
    """``kind = "exponential"``: ``amplitude exp(-(x - reference) / decay)`` per unit axis."""

    amplitude: ParameterOptions
    decay: ParameterOptions
    reference: float | None = None


def _exponential(opts: ExponentialOptions, dataset: Any) -> ExponentialBackground:
    return ExponentialBackground(
        opts.name,
        _edges(dataset, "exponential"),
        opts.amplitude.parameter("amplitude"),
        opts.decay.parameter("decay"),
        opts.reference,
    )


class GaussianLineOptions(_Named):
    """``kind = "gaussian_line"``: a line of ``counts`` events at ``mean``, width ``sigma``."""

    counts: ParameterOptions
    mean: ParameterOptions
    sigma: ParameterOptions


def _gaussian_line(opts: GaussianLineOptions, dataset: Any) -> GaussianLineBackground:
    return GaussianLineBackground(
        opts.name,
        _edges(dataset, "gaussian_line"),
        opts.counts.parameter("counts"),
        opts.mean.parameter("mean"),
        opts.sigma.parameter("sigma"),
    )


class TemplateOptions(_Named):
    """``kind = "template"``: expected counts per bin from a file, times a normalisation.

    The file holds one number per bin (whitespace separated, ``#`` comments), in the
    dataset's bin order (C order for several axes); ``norm_uncertainty`` is the relative
    Gaussian prior of ``<name>_norm`` (omit it for a free normalisation).
    """

    path: DataFile
    norm_uncertainty: float | None = Field(None, gt=0)
    norm_limits: tuple[float, float] = (0.0, 10.0)

    @model_validator(mode="after")
    def _limits(self) -> TemplateOptions:
        lo, hi = self.norm_limits
        if not lo < hi:
            msg = f"norm_limits must satisfy lo < hi, got {self.norm_limits}"
            raise ValueError(msg)
        return self


def _template(opts: TemplateOptions, dataset: Any) -> TemplateBackground:
    try:
        values = np.loadtxt(opts.path, dtype=np.float64, comments="#", ndmin=1).ravel()
    except (ValueError, UnicodeDecodeError) as e:
        msg = f"template file {opts.path}: not a list of numbers ({e})"
        raise ValueError(msg) from None
    if values.size != int(np.prod(dataset.shape)):
        msg = (
            f"template file {opts.path} has {values.size} values, the dataset "
            f"{dataset.name!r} has {int(np.prod(dataset.shape))} bins (shape {dataset.shape})"
        )
        raise ValueError(msg)
    if not np.all(np.isfinite(values)):
        msg = f"template file {opts.path}: values must be finite"
        raise ValueError(msg)
    return TemplateBackground(
        opts.name,
        values.reshape(dataset.shape),
        norm_uncertainty=opts.norm_uncertainty,
        norm_limits=opts.norm_limits,
    )


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component("background", "flat", FlatOptions, _flat, "constant rate per unit observable"),
    Component(
        "background",
        "exponential",
        ExponentialOptions,
        _exponential,
        "exponential rate per unit observable, integrated over bins",
    ),
    Component(
        "background",
        "gaussian_line",
        GaussianLineOptions,
        _gaussian_line,
        "Gaussian line (area, mean, width), integrated over bins",
    ),
    Component(
        "background",
        "template",
        TemplateOptions,
        _template,
        "counts per bin from a file times a (constrained) normalisation",
    ),
)


# ---------------------------------------------------------------------- anti-coincidence
def anticoincidence_background(
    dataset: Any,
    *,
    path: DataFile | None = None,
    template: Literal["factorised", "raw"] = "factorised",
    prior: Literal["poisson", "free", "fixed"] = "poisson",
    name: str = "ss",
) -> TemplateBackground:
    """Steady-state background measured in an anti-coincidence (AC) window.

    An AC window of the length of the coincidence window sees the same steady-state rate,
    so the AC counts in the dataset's bins estimate the background directly, without
    scaling. The counts come from ``path`` or from ``dataset.meta["anticoincidence"]``
    (filled by the readers of data releases that have an AC window).

    Parameters
    ----------
    dataset : Dataset
        The coincidence counts (their bins are the AC counts' bins).
    path : path, optional
        Text file of the AC counts in the dataset's bins, in the order of the dataset's
        counts (C order); default ``dataset.meta["anticoincidence"]``.
    template : {"factorised", "raw"}
        ``"factorised"`` (default, 2-D datasets): the outer product of the AC marginals
        divided by the AC total: smooth, no empty bins, assumes the two axes independent.
        ``"raw"``: the AC counts bin by bin (empty bins give a zero expectation).
    prior : {"poisson", "free", "fixed"}
        Normalisation ``<name>_norm``: Gaussian 1 +- 1/sqrt(N_AC) (Poisson statistics of
        the AC sample), unconstrained in [0, 3], or fixed at 1. Bin-by-bin fluctuations of
        the AC sample are not propagated.
    name : str
        Name of the background (prefix of its parameter).

    Returns
    -------
    TemplateBackground
        The AC template with its normalisation.

    Examples
    --------
    >>> from cevns.likelihood.dataset import Dataset
    >>> d = Dataset("d", np.ones((2, 2)), (np.arange(3.0), np.arange(3.0)),
    ...     meta={"anticoincidence": np.array([[1.0, 3.0], [1.0, 3.0]])})
    >>> anticoincidence_background(d).template.tolist()
    [[1.0, 3.0], [1.0, 3.0]]
    """
    if path is None:
        ac = np.asarray(dataset.meta.get("anticoincidence", np.nan), dtype=np.float64)
        where = f"dataset {dataset.name!r} meta['anticoincidence']"
    else:
        ac, where = np.loadtxt(path, comments="#", ndmin=1).ravel(), f"AC file {path}"
        ac = ac.reshape(dataset.shape) if ac.size == np.prod(dataset.shape) else ac
    if ac.shape != tuple(dataset.shape) or not np.all(np.isfinite(ac)) or np.any(ac < 0):
        msg = (
            f"{where}: the AC counts must be finite, >= 0 and of the dataset's shape "
            f"{tuple(dataset.shape)}, got shape {ac.shape}"
        )
        raise ValueError(msg)
    if template not in ("factorised", "raw"):
        msg = f"steady-state template must be 'factorised' or 'raw', got {template!r}"
        raise ValueError(msg)
    if prior not in ("poisson", "free", "fixed"):
        msg = f"steady-state prior must be 'poisson', 'free' or 'fixed', got {prior!r}"
        raise ValueError(msg)
    total = float(ac.sum())
    if total <= 0:
        msg = f"{where}: the anti-coincidence sample is empty in the dataset's bins"
        raise ValueError(msg)
    if template == "factorised" and ac.ndim != 2:
        msg = f"the factorised AC template needs a 2-D dataset, got shape {ac.shape}"
        raise ValueError(msg)
    tpl = (
        np.outer(ac.sum(axis=1), ac.sum(axis=0)) / total if template == "factorised" else ac.copy()
    )
    return TemplateBackground(
        name,
        tpl,
        norm_uncertainty=1.0 / np.sqrt(total) if prior == "poisson" else None,
        norm_limits=(0.0, 3.0),
        fixed=prior == "fixed",
    )


COMPONENTS += (
    Component.from_function(
        "background",
        "anticoincidence",
        anticoincidence_background,
        "steady-state background from the anti-coincidence counts of the dataset",
    ),
)
