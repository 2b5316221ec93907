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

Parameters are named ``<experiment>.<name>_<parameter>`` in fits. The ``lines`` kind
(:class:`~cevns.likelihood.lines.LinesBackground`: a constant, an exponential and Gaussian
lines, some tied to a parent line) names each parameter itself (``name = "..."``, default
``<name>_<term>_<parameter>``); ``models/experiments/dresden_ii.toml`` declares seed 004
Eq. 18 with it::

    [[backgrounds]]
    kind = "lines"
    name = "bkg"
    evaluation = "centres"                               # or "integrated"
    constant = { name = "n_epith", value = 14.0, limits = [0.0, 25.0] }

    [backgrounds.exponential]
    reference = 0.2
    amplitude = { name = "a_epith", value = 63.0, limits = [0.0, 150.0] }
    decay = { name = "tau_epith", value = 0.26, limits = [0.001, 2.0] }

    [[backgrounds.lines]]
    name = "L1"
    amplitude = { name = "a_l1", value = 84.6, limits = [70.0, 250.0] }
    mean = { name = "e_l1", value = 1.2923, limits = [1.2, 1.4] }
    sigma = { name = "sigma_l1", value = 0.0696, limits = [0.04, 0.1] }

    [[backgrounds.tied_lines]]
    name = "L2"                                          # 0.008 x L1, L1's width
    parent = "L1"
    mean = 1.142
    sigma = "parent"
    amplitude_ratio = 0.008

    [[backgrounds.tied_lines]]
    name = "M"                                           # area beta x L1's, fixed width
    parent = "L1"
    mean = 0.158
    sigma = 0.0685
    area_ratio = { name = "beta_m_l1", value = 0.16, limits = [0.0, 0.3], prior = [0.16, 0.03] }
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.likelihood.background import (
    ExponentialBackground,
    FlatBackground,
    GaussianLineBackground,
    TemplateBackground,
)
from cevns.likelihood.lines import Exponential, Line, LinesBackground, TiedLine
from cevns.physics.families import Parameter

__all__ = ["COMPONENTS", "LinesOptions", "NamedParameterOptions", "ParameterOptions",
           "anticoincidence_background"]  # fmt: skip


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


# ---------------------------------------------------------------------- lines
_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


class NamedParameterOptions(ParameterOptions):
    """A parameter of the ``lines`` kind: :class:`ParameterOptions`, its name and unit.

    Parameters
    ----------
    value, limits, prior, fixed, step
        As :class:`ParameterOptions`.
    name : str, optional
        Name of the parameter in fits (prefixed by the experiment); default
        ``<background>_<term>_<parameter>``.
    unit : str, optional
        Unit shown in the fit tables.
    """

    name: str | None = Field(None, pattern=_IDENTIFIER)
    unit: str = ""

    def named(self, default: str) -> Parameter:
        """As a :class:`~cevns.physics.families.Parameter`, named ``name`` or ``default``.

        Parameters
        ----------
        default : str
            The name when none is given.

        Returns
        -------
        Parameter
            The parameter.
        """
        return self.parameter(self.name or default, self.unit)


class ExponentialTermOptions(ComponentOptions):
    """``exponential = {...}``: ``amplitude exp(-(x - reference) / decay)``."""

    amplitude: NamedParameterOptions
    decay: NamedParameterOptions
    reference: float


class LineOptions(ComponentOptions):
    """One entry of ``lines``: a Gaussian line with free amplitude, mean and sigma."""

    name: str = Field(pattern=_IDENTIFIER)
    amplitude: NamedParameterOptions
    mean: NamedParameterOptions
    sigma: NamedParameterOptions


Ratio = Annotated[float, Field(ge=0)] | NamedParameterOptions


class TiedLineOptions(ComponentOptions):
    """One entry of ``tied_lines``: a line at a fixed energy following a free parent line.

    ``sigma`` is ``"parent"`` (the parent's width) or a fixed width; exactly one of
    ``amplitude_ratio`` (``A = r A_parent``) and ``area_ratio`` (``A sigma = r A_parent
    sigma_parent``), each a number >= 0 or a parameter with limits >= 0.
    """

    name: str = Field(pattern=_IDENTIFIER)
    parent: str
    mean: float
    sigma: Literal["parent"] | Annotated[float, Field(gt=0)]
    amplitude_ratio: Ratio | None = None
    area_ratio: Ratio | None = None

    def ratio(self) -> tuple[Literal["amplitude", "area"], float | NamedParameterOptions]:
        """Which ratio is given, and its value or parameter options.

        Returns
        -------
        (str, float or NamedParameterOptions)
            ``"amplitude"`` or ``"area"`` and the ratio.
        """
        if self.amplitude_ratio is not None:
            return "amplitude", self.amplitude_ratio
        if self.area_ratio is not None:
            return "area", self.area_ratio
        msg = f"tied line {self.name!r}: no ratio"  # refused by the validator below
        raise ValueError(msg)

    @model_validator(mode="after")
    def _one_ratio(self) -> TiedLineOptions:
        given = [k for k in ("amplitude_ratio", "area_ratio") if getattr(self, k) is not None]
        if len(given) != 1:
            msg = (
                f"tied line {self.name!r}: give exactly one of amplitude_ratio and "
                f"area_ratio, got {given or 'neither'}"
            )
            raise ValueError(msg)
        ratio = getattr(self, given[0])
        if isinstance(ratio, NamedParameterOptions) and ratio.limits[0] < 0:
            msg = (
                f"tied line {self.name!r}: {given[0]}.limits must be >= 0 (a ratio of "
                f"amplitudes or areas), got {list(ratio.limits)}"
            )
            raise ValueError(msg)
        return self


class LinesOptions(_Named):
    """``kind = "lines"``: a constant, an exponential and Gaussian lines, some tied.

    ``evaluation = "centres"`` takes the rate at the bin centres (amplitudes in counts
    per bin, seed 004 Eq. 18); ``"integrated"`` integrates it over each bin (amplitudes
    per unit of the dataset axis). See :mod:`cevns.likelihood.lines`.

    Parameters
    ----------
    name : str
        Name of the background component.
    evaluation : {"centres", "integrated"}
        At the bin centres or integrated over the bins (no default: it sets the unit of
        the amplitudes).
    constant : NamedParameterOptions, optional
        The constant term (default name ``<name>_level``).
    exponential : ExponentialTermOptions, optional
        ``amplitude``, ``decay`` (default names ``<name>_amplitude``, ``<name>_decay``)
        and ``reference``.
    lines : list of LineOptions
        Free lines: ``name``, ``amplitude``, ``mean``, ``sigma`` (default names
        ``<name>_<line>_amplitude`` ...).
    tied_lines : list of TiedLineOptions
        Tied lines: ``name``, ``parent`` (one of ``lines``), ``mean``, ``sigma``
        (``"parent"`` or a number) and one of ``amplitude_ratio``, ``area_ratio`` (a
        number or a parameter, default name ``<name>_<line>_ratio``).
    """

    evaluation: Literal["centres", "integrated"]
    constant: NamedParameterOptions | None = None
    exponential: ExponentialTermOptions | None = None
    lines: list[LineOptions] = Field(default_factory=list)
    tied_lines: list[TiedLineOptions] = Field(default_factory=list)

    @model_validator(mode="after")
    def _parents(self) -> LinesOptions:
        if self.constant is None and self.exponential is None and not self.lines:
            msg = "give at least one of constant, exponential and lines"
            raise ValueError(msg)
        free = [ln.name for ln in self.lines]
        for i, t in enumerate(self.tied_lines):
            if t.parent not in free:
                msg = (
                    f"tied_lines[{i}] ({t.name!r}): parent {t.parent!r} is not one of the "
                    f"lines {free}"
                )
                raise ValueError(msg)
        names = free + [t.name for t in self.tied_lines]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            msg = f"line names must be unique among lines and tied_lines, {doubled} repeat"
            raise ValueError(msg)
        return self


def _lines(opts: LinesOptions, dataset: Any) -> LinesBackground:
    name = opts.name
    lines: list[Line | TiedLine] = [
        Line(
            ln.name,
            ln.amplitude.named(f"{name}_{ln.name}_amplitude"),
            ln.mean.named(f"{name}_{ln.name}_mean"),
            ln.sigma.named(f"{name}_{ln.name}_sigma"),
        )
        for ln in opts.lines
    ]
    for t in opts.tied_lines:
        of, r = t.ratio()
        ratio = r.named(f"{name}_{t.name}_ratio") if isinstance(r, NamedParameterOptions) else r
        sigma = None if t.sigma == "parent" else float(t.sigma)
        lines.append(TiedLine(t.name, t.parent, t.mean, ratio, of, sigma))
    ex = opts.exponential
    return LinesBackground(
        name,
        _edges(dataset, "lines"),
        opts.evaluation,
        constant=None if opts.constant is None else opts.constant.named(f"{name}_level"),
        exponential=None
        if ex is None
        else Exponential(
            ex.amplitude.named(f"{name}_amplitude"), ex.decay.named(f"{name}_decay"), ex.reference
        ),
        lines=lines,
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
        "lines",
        LinesOptions,
        _lines,
        "constant + exponential + Gaussian lines, some tied to a parent line (e.g. Ge L/M shells)",
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
