"""Generic detector kinds for experiment files that need no Python (``[detector] kind = ...``).

Six kinds, declared in the ``cevns.components`` entry points (and :func:`pidar_timed`,
which adds pi-DAR timing options to any detector builder):

``ionization``
    :class:`~cevns.detectors.base.IonizationDetector`: ``target`` (a preset name such as
    ``"germanium"`` or a chemical formula such as ``"NaI"``), ``mass_kg``, ``live_days``,
    observed bins in keVee (``bin_edges = [...]`` or ``binning = {start, stop, n}``),
    ``ionisation_threshold_kev`` (no default: it depends on the material), and
    ``quenching``, ``resolution``, ``efficiency`` tables (below).
``scintillator``
    :class:`~cevns.detectors.base.ScintillatorDetector`: Poisson photoelectron statistics
    with ``light_yield_pe_per_kev`` [PE/keVee], integer PE bin edges, ``quenching`` and an
    optional per-PE ``acceptance`` (an efficiency table, below).
``response_matrix``
    :class:`~cevns.detectors.tabulated.TabulatedResponseDetector`: a published table of
    the probability for a recoil at each E_nr node to be observed in each bin. The text
    file has the E_nr nodes [keVnr] in its first column and one column per observed bin.
``recoil_threshold``
    every recoil above ``threshold_kevnr`` counted (a count-only detector), optionally with
    pi-DAR timing.
``response_templates``
    :class:`~cevns.detectors.mono_response.MonoResponse`: a release's mono-energetic
    efficiency templates (one histogram per recoil energy), interpolated in energy, on a
    grid of nuisance values (a shape systematic), optionally in blocks (science runs).
``psd``
    :class:`~cevns.detectors.psd.PSDDetector`: reconstructed energy [keVee] x a
    pulse-shape variable (F90) x optional pulsed-beam time bins, from a p(PSD | E) table
    and a fine-grid efficiency table; resolution ``relative`` (sigma/E = a/sqrt(E)) too
    (:func:`psd_detector`).

Quenching (``model = ...``): ``lindhard`` {k, z}, ``constant`` {qf}, ``linear`` {a, b},
``polynomial`` {coefficients, unit, max_kev}, ``tabulated`` {path, e_column, qf_column,
above}. ``quenching`` may instead be a table per element or isotope,
``quenching = {Na = {model = "constant", qf = 0.3}, I = {...}}``; every nucleus of the
target must be covered. ``lindhard`` without ``z`` takes the Z of its element (an error
for a compound-wide model).

Resolution: ``gaussian`` {sigma_kev, or a_kev and b_sqrt_kev for sigma = a + b sqrt(E)},
``fano`` {sigma_n_kev, eta_kev, fano} (sigma^2 = sigma_n^2 + eta F E), ``truncated`` (the
same, renormalised to positive energies). Efficiency: ``unit``, ``tabulated`` {path,
x_column, eff_column}, ``sigmoid`` {a, b, c, d}: ``a / (1 + exp(-b (x - c))) + d``.

Relative paths are relative to the experiment file's folder
(:data:`cevns.config.components.DataFile`). The models are the classes of
:mod:`cevns.detectors.quenching`, :mod:`cevns.detectors.resolution` and
:mod:`cevns.detectors.efficiency`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Discriminator, Field, Tag, model_validator

from cevns.config.components import Component, ComponentOptions, DataFile
from cevns.core.exceptions import InvalidConfigError
from cevns.detectors.base import MAX_NODES, MIN_NODES

if TYPE_CHECKING:
    from cevns.likelihood.experiment import DetectorSetup

__all__ = ["pidar_timed", "psd_detector", "updown_setup"]


def __dir__() -> list[str]:
    return __all__


def _model_tag(value: Any) -> str | None:
    """The union tag of a ``model = ...`` table (``<name>``: not a key in error paths)."""
    model = value.get("model") if isinstance(value, Mapping) else getattr(value, "model", None)
    return None if model is None else f"<{model}>"


def _choice(what: str, models: str) -> Discriminator:
    """Select the option model by ``model``; a missing or unknown one names the choices."""
    return Discriminator(
        _model_tag,
        custom_error_type=f"{what}_model",
        custom_error_message=f"needs model = one of {models}",
    )


# ---------------------------------------------------------------------- quenching
class LindhardSpec(ComponentOptions):
    """``model = "lindhard"``: :class:`cevns.detectors.quenching.Lindhard`."""

    model: Literal["lindhard"]
    k: float = Field(gt=0)
    z: int | None = Field(None, ge=1, le=118)


class ConstantSpec(ComponentOptions):
    """``model = "constant"``: E_ee = qf E_nr."""

    model: Literal["constant"]
    qf: float = Field(gt=0, le=1)


class LinearSpec(ComponentOptions):
    """``model = "linear"``: QF = a + b E_nr [keVnr]."""

    model: Literal["linear"]
    a: float = Field(gt=0, le=1)
    b: float
    max_kev: float = Field(gt=0)


class PolynomialSpec(ComponentOptions):
    """``model = "polynomial"``: E_ee = sum_i c_i E_nr^(i+1) in ``unit``, valid to ``max_kev``."""

    model: Literal["polynomial"]
    coefficients: list[float] = Field(min_length=1)
    unit: Literal["keV", "MeV"]
    max_kev: float = Field(gt=0)


class TabulatedQuenchingSpec(ComponentOptions):
    """``model = "tabulated"``: QF(E_nr) from two columns of a text file."""

    model: Literal["tabulated"]
    path: DataFile
    e_column: int = Field(0, ge=0)
    qf_column: int = Field(1, ge=0)
    above: Literal["error", "constant"] = "error"


QuenchingSpec = Annotated[
    Annotated[LindhardSpec, Tag("<lindhard>")]
    | Annotated[ConstantSpec, Tag("<constant>")]
    | Annotated[LinearSpec, Tag("<linear>")]
    | Annotated[PolynomialSpec, Tag("<polynomial>")]
    | Annotated[TabulatedQuenchingSpec, Tag("<tabulated>")],
    _choice("quenching", "'lindhard', 'constant', 'linear', 'polynomial', 'tabulated'"),
]


def _quenching_shape(value: Any) -> str:
    """One model (a table with ``model``) or a table of tables by element / isotope."""
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) for v in value.values()):
        return "<per_element>"
    return "<model>"


QuenchingField = Annotated[
    Annotated[QuenchingSpec, Tag("<model>")]
    | Annotated[dict[str, QuenchingSpec], Tag("<per_element>")],
    Discriminator(_quenching_shape),
]


# ---------------------------------------------------------------------- resolution
class GaussianSpec(ComponentOptions):
    """``model = "gaussian"``: sigma_kev, or sigma = a_kev + b_sqrt_kev sqrt(E / keVee)."""

    model: Literal["gaussian"]
    sigma_kev: float | None = Field(None, gt=0)
    a_kev: float | None = Field(None, ge=0)
    b_sqrt_kev: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_form(self) -> GaussianSpec:
        linear = (self.a_kev, self.b_sqrt_kev)
        if self.sigma_kev is not None and any(v is not None for v in linear):
            msg = "give either sigma_kev or (a_kev, b_sqrt_kev), not both"
            raise ValueError(msg)
        if self.sigma_kev is None:
            if any(v is None for v in linear):
                msg = "give sigma_kev, or both a_kev and b_sqrt_kev (sigma = a + b sqrt(E))"
                raise ValueError(msg)
            if self.a_kev == 0:
                msg = "a_kev must be > 0 (sigma at E = 0 would vanish)"
                raise ValueError(msg)
        return self


class FanoSpec(ComponentOptions):
    """``model = "fano"``: sigma^2 = sigma_n^2 + eta F E."""

    model: Literal["fano"]
    sigma_n_kev: float = Field(gt=0)
    eta_kev: float = Field(ge=0)
    fano: float = Field(ge=0)


class TruncatedSpec(FanoSpec):
    """``model = "truncated"``: the ``fano`` Gaussian renormalised to positive energies."""

    model: Literal["truncated"]  # type: ignore[assignment]


ResolutionSpec = Annotated[
    Annotated[GaussianSpec, Tag("<gaussian>")]
    | Annotated[FanoSpec, Tag("<fano>")]
    | Annotated[TruncatedSpec, Tag("<truncated>")],
    _choice("resolution", "'gaussian', 'fano', 'truncated'"),
]


@dataclass(frozen=True)
class SqrtSigma:
    """``sigma(E) = a + b sqrt(E)`` [keVee] (E clipped at 0), for ``SigmaResolution``."""

    a_kev: float
    b_sqrt_kev: float

    def __call__(self, e_kev: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sigma [keVee] at true energies ``e_kev``."""
        return np.asarray(
            self.a_kev + self.b_sqrt_kev * np.sqrt(np.clip(e_kev, 0.0, None)), dtype=np.float64
        )


# ---------------------------------------------------------------------- efficiency
class UnitSpec(ComponentOptions):
    """``model = "unit"``: efficiency 1."""

    model: Literal["unit"]


class TabulatedEfficiencySpec(ComponentOptions):
    """``model = "tabulated"``: efficiency from two columns of a text file."""

    model: Literal["tabulated"]
    path: DataFile
    x_column: int = Field(0, ge=0)
    eff_column: int = Field(1, ge=0)


class SigmoidSpec(ComponentOptions):
    """``model = "sigmoid"``: ``a / (1 + exp(-b (x - c))) + d`` (values in [0, 1])."""

    model: Literal["sigmoid"]
    a: float = Field(gt=0, le=1)
    b: float = Field(gt=0)
    c: float
    d: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _at_most_one(self) -> SigmoidSpec:
        if self.a + self.d > 1:
            msg = f"a + d (the plateau) must be <= 1, got {self.a + self.d!r}"
            raise ValueError(msg)
        return self


EfficiencySpec = Annotated[
    Annotated[UnitSpec, Tag("<unit>")]
    | Annotated[TabulatedEfficiencySpec, Tag("<tabulated>")]
    | Annotated[SigmoidSpec, Tag("<sigmoid>")],
    _choice("efficiency", "'unit', 'tabulated', 'sigmoid'"),
]


# ---------------------------------------------------------------------- options
class _Uniform(ComponentOptions):
    """Uniform bins ``{start, stop, n}``."""

    start: float
    stop: float
    n: int = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> _Uniform:
        if self.stop <= self.start:
            msg = f"stop ({self.stop}) must be > start ({self.start})"
            raise ValueError(msg)
        return self


class _DetectorBase(ComponentOptions):
    target: str
    mass_kg: float = Field(gt=0)
    live_days: float = Field(gt=0)
    bin_edges: list[float] | None = Field(None, min_length=2)
    binning: _Uniform | None = None
    n_nodes: int = Field(1500, ge=MIN_NODES, le=MAX_NODES)
    name: str | None = None

    @model_validator(mode="after")
    def _one_binning(self) -> _DetectorBase:
        if (self.bin_edges is None) == (self.binning is None):
            msg = "give exactly one of bin_edges = [...] or binning = {start, stop, n}"
            raise ValueError(msg)
        return self

    def edges(self) -> NDArray[np.float64]:
        if self.bin_edges is not None:
            return np.asarray(self.bin_edges, dtype=np.float64)
        b = self.binning
        assert b is not None  # checked by _one_binning
        return np.linspace(b.start, b.stop, b.n + 1)


class IonizationOptions(_DetectorBase):
    """``[detector] kind = "ionization"`` (see the module notes)."""

    ionisation_threshold_kev: float = Field(ge=0)
    quenching: QuenchingField
    resolution: ResolutionSpec
    efficiency: EfficiencySpec = Field(default_factory=lambda: UnitSpec(model="unit"))


class ScintillatorOptions(_DetectorBase):
    """``[detector] kind = "scintillator"`` (see the module notes)."""

    light_yield_pe_per_kev: float = Field(gt=0)
    quenching: QuenchingField
    acceptance: EfficiencySpec = Field(default_factory=lambda: UnitSpec(model="unit"))

    @model_validator(mode="after")
    def _integer_edges(self) -> ScintillatorOptions:
        e = self.edges()
        if np.any(e < 0) or not np.allclose(e, np.round(e)):
            msg = (
                "PE bin edges must be integers >= 0 (a bin [lo, hi) holds lo .. hi-1), "
                f"got {e.tolist()}"
            )
            raise ValueError(msg)
        return self


class ResponseMatrixOptions(_DetectorBase):
    """``[detector] kind = "response_matrix"`` (see the module notes)."""

    path: DataFile
    observable: str = "keVee"
    above_last_node: Literal["error", "zero"] = "error"


# ---------------------------------------------------------------------- builders
def _target(name: str) -> Any:
    from cevns.physics.nuclei import TARGET_PRESETS, Target

    return Target.by_name(name) if name.strip().lower() in TARGET_PRESETS else Target.compound(name)


def _table(path: Path, what: str) -> NDArray[np.float64]:
    """The numeric table of a text file (whitespace or commas, ``#`` comments)."""
    full = path
    lines = [ln for ln in full.read_text().splitlines() if ln.strip() and ln.lstrip()[0] != "#"]
    delimiter = "," if lines and "," in lines[-1] else None
    try:
        return np.loadtxt(full, delimiter=delimiter, comments="#", ndmin=2)
    except ValueError as e:
        msg = f"{what}: {full} is not a numeric table: {e}"
        raise ValueError(msg) from e


def _columns(path: Path, columns: tuple[int, ...], what: str) -> list[NDArray[np.float64]]:
    table = _table(path, what)
    for c in columns:
        if c >= table.shape[1]:
            msg = f"{what}: column {c} requested but {path} has {table.shape[1]} columns"
            raise ValueError(msg)
    return [table[:, c] for c in columns]


def _quenching(spec: Any, z_of: int | None, where: str) -> Any:
    from cevns.detectors import quenching as q

    if isinstance(spec, LindhardSpec):
        z = spec.z if spec.z is not None else z_of
        if z is None:
            msg = (
                f"{where}: lindhard needs z for a target of several elements; give z or a "
                "quenching per element"
            )
            raise ValueError(msg)
        return q.Lindhard(k=spec.k, z=z)
    if isinstance(spec, ConstantSpec):
        return q.ConstantQuenching(spec.qf)
    if isinstance(spec, LinearSpec):
        return q.LinearQuenching(spec.a, spec.b, valid_range_kev=(0.0, spec.max_kev))
    if isinstance(spec, PolynomialSpec):
        return q.PolynomialQuenching(
            tuple(spec.coefficients), spec.unit, valid_range_kev=(0.0, spec.max_kev)
        )
    e, qf = _columns(spec.path, (spec.e_column, spec.qf_column), where)
    return q.TabulatedQuenching(e, qf, label=str(spec.path), above=spec.above)


def _quenching_by_element(value: Any, target: Any) -> Any:
    elements = {n.symbol for n in target.nuclei}
    if not isinstance(value, dict):
        return _quenching(value, target.nuclei[0].z if len(elements) == 1 else None, "quenching")
    known = sorted(elements | {n.name for n in target.nuclei})
    out = {}
    for key, spec in value.items():
        hits = [n for n in target.nuclei if key in (n.name, n.symbol)]
        if not hits:
            msg = (
                f"quenching.{key}: {target.name} has no element or isotope {key!r} (known: {known})"
            )
            raise ValueError(msg)
        out[key] = _quenching(spec, hits[0].z, f"quenching.{key}")
    return out


def _resolution(spec: Any) -> Any:
    from cevns.detectors import resolution as r

    if isinstance(spec, GaussianSpec):
        if spec.sigma_kev is not None:
            return r.GaussianResolution(sigma_n_kev=spec.sigma_kev, eta_kev=0.0, fano=0.0)
        return r.SigmaResolution(SqrtSigma(spec.a_kev, spec.b_sqrt_kev))  # type: ignore[arg-type]
    cls = r.TruncatedGaussianResolution if spec.model == "truncated" else r.GaussianResolution
    return cls(sigma_n_kev=spec.sigma_n_kev, eta_kev=spec.eta_kev, fano=spec.fano)


def _efficiency(spec: Any, where: str) -> Callable[[NDArray[np.float64]], ArrayLike] | None:
    from cevns.detectors import efficiency as e

    if isinstance(spec, UnitSpec):
        return None
    if isinstance(spec, SigmoidSpec):
        return e.SigmoidEfficiency2021(spec.a, spec.b, spec.c, spec.d)
    x, eff = _columns(spec.path, (spec.x_column, spec.eff_column), where)
    return e.TabulatedEfficiency(x, eff)


def _ionization(opts: IonizationOptions) -> Any:
    from cevns.detectors.base import IonizationDetector

    target = _target(opts.target)
    return IonizationDetector(
        opts.name or f"ionization_{opts.target}",
        target,
        quenching=_quenching_by_element(opts.quenching, target),
        resolution=_resolution(opts.resolution),
        efficiency=_efficiency(opts.efficiency, "efficiency"),
        ionisation_threshold_kev=opts.ionisation_threshold_kev,
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        bin_edges=opts.edges(),
        n_nodes=opts.n_nodes,
    )


def _scintillator(opts: ScintillatorOptions) -> Any:
    from cevns.detectors.base import ScintillatorDetector

    target = _target(opts.target)
    return ScintillatorDetector(
        opts.name or f"scintillator_{opts.target}",
        target,
        quenching=_quenching_by_element(opts.quenching, target),
        light_yield_pe_per_kev=opts.light_yield_pe_per_kev,
        acceptance=_efficiency(opts.acceptance, "acceptance"),
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        bin_edges=np.round(opts.edges()),
        n_nodes=opts.n_nodes,
    )


def _response_matrix(opts: ResponseMatrixOptions) -> Any:
    from cevns.detectors.tabulated import TabulatedResponseDetector

    edges = opts.edges()
    n_bins = edges.size - 1
    table = _table(opts.path, "path")
    if table.shape[1] != n_bins + 1:
        msg = (
            f"path: {opts.path} has {table.shape[1]} columns (the E_nr nodes and "
            f"{table.shape[1] - 1} bins), but the detector has {n_bins} bins "
            f"({edges.size} edges): expected {n_bins + 1} columns"
        )
        raise ValueError(msg)
    return TabulatedResponseDetector(
        opts.name or f"response_matrix_{opts.target}",
        _target(opts.target),
        e_nr_nodes_kev=table[:, 0],
        probabilities=table[:, 1:],
        mass_kg=opts.mass_kg,
        live_days=opts.live_days,
        bin_edges=edges,
        observable=opts.observable,
        above_last_node=opts.above_last_node,
        n_nodes=opts.n_nodes,
    )


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component(
        "detector",
        "ionization",
        IonizationOptions,
        _ionization,
        "ionisation detector: quenching (per element), resolution, efficiency in keVee",
    ),
    Component(
        "detector",
        "scintillator",
        ScintillatorOptions,
        _scintillator,
        "scintillator in photoelectrons: light yield, Poisson PE, quenching (per element)",
    ),
    Component(
        "detector",
        "response_matrix",
        ResponseMatrixOptions,
        _response_matrix,
        "published response table: probability per recoil node and observed bin",
    ),
)


# ---------------------------------------------------------------------- pulsed pi-DAR detectors
# A detector at a pulsed pi-DAR source shares its events among time bins and may be
# normalised to a number of reference-SM events (a convention, e.g. seed 002's 173).
# :func:`pidar_timed` adds those options to any detector builder that takes ``timing``.
def _pidar_options(
    *,
    timing: Literal["p_c", "coherent_pdf", "none"] = "p_c",
    time_edges_us: tuple[float, ...] = (0.0, 1.0, 12.0),
    p_c: Annotated[float, Field(ge=0, le=1)] | None = None,
    pulse_width_us: Annotated[float, Field(gt=0)] = 0.695,
    p_c_convention: Literal["muon_at_rest", "seed002"] = "muon_at_rest",
    normalise_sm_to: Annotated[float, Field(gt=0)] | None = None,
    normalisation_sin2_theta_w: Annotated[float, Field(gt=0, lt=1)] | None = None,
    normalisation_couplings: Literal["tree", "radiative"] = "radiative",
    normalisation_form_factor: Literal["helm", "klein_nystrand", "unity"] = "helm",
) -> tuple[Any, Any]:
    """The pi-DAR timing (or None) and the SM normalisation (or None) of the options."""
    from cevns.likelihood.experiment import NormaliseToEvents
    from cevns.physics.form_factors import Helm, KleinNystrand, Unity
    from cevns.physics.nsi import NSIModel
    from cevns.sources.spallation import PiDARTiming, pidar_p_c

    model = None
    if timing != "none":
        if timing == "p_c" and len(time_edges_us) != 3:
            msg = f"time_edges_us: timing 'p_c' needs 3 edges, got {list(time_edges_us)}"
            raise ValueError(msg)
        if timing == "p_c" and p_c is None:
            prompt = time_edges_us[1] - time_edges_us[0]
            p_c = pidar_p_c(pulse_width_us, prompt, p_c_convention)
        model = PiDARTiming(time_edges_us, timing, -1.0 if p_c is None else p_c)
    if normalise_sm_to is None:
        return model, None
    ff = {"helm": Helm, "klein_nystrand": KleinNystrand, "unity": Unity}
    sm = NSIModel.sm(normalisation_sin2_theta_w, couplings=normalisation_couplings)
    return model, NormaliseToEvents(normalise_sm_to, sm, ff[normalisation_form_factor]())


def pidar_timed(builder: Callable[..., Any]) -> Callable[..., Any]:
    """A detector builder with the pi-DAR timing and SM-normalisation options added.

    The returned function takes the keyword arguments of ``builder`` except ``timing``,
    plus ``timing`` (``"p_c"``: two bins, seed 002 Eq. 4.1; ``"coherent_pdf"``: the
    tabulated arrival-time PDFs; ``"none"``), ``time_edges_us``, ``p_c`` (default from
    ``pulse_width_us`` and ``p_c_convention``, :func:`cevns.sources.spallation.pidar_p_c`),
    and ``normalise_sm_to`` with the reference SM (``normalisation_sin2_theta_w``,
    ``normalisation_couplings``, ``normalisation_form_factor``). It builds the detector
    with the :class:`~cevns.sources.spallation.PiDARTiming` and returns a
    :class:`~cevns.likelihood.experiment.DetectorSetup`; pass it to
    :meth:`Component.from_function <cevns.config.components.Component.from_function>`.

    Parameters
    ----------
    builder : callable
        Makes the detector from keyword arguments, one of them ``timing``.

    Returns
    -------
    callable
        The builder of the detector setup, with the signature described above.
    """
    import inspect
    import typing

    from cevns.likelihood.experiment import DetectorSetup

    target = builder.__init__ if inspect.isclass(builder) else builder  # a class: its __init__
    hints = typing.get_type_hints(target, include_extras=True)
    own = [
        p.replace(kind=p.KEYWORD_ONLY, annotation=hints.get(n, p.annotation))
        for n, p in list(inspect.signature(target).parameters.items())[inspect.isclass(builder) :]
        if n != "timing"
    ]
    extra_hints = typing.get_type_hints(_pidar_options, include_extras=True)
    extra = [
        p.replace(annotation=extra_hints[n])
        for n, p in inspect.signature(_pidar_options).parameters.items()
    ]

    def timed(**kwargs: Any) -> Any:
        timing, norm = _pidar_options(**{p.name: kwargs.pop(p.name) for p in extra})
        det = builder(**kwargs, timing=timing)
        return DetectorSetup(
            det, timing=None if timing is None else timing.fractions, normalisation=norm
        )

    timed.__signature__ = inspect.Signature([*own, *extra])  # type: ignore[attr-defined]
    timed.__doc__ = builder.__doc__
    timed.__module__ = builder.__module__
    timed.__qualname__ = timed.__name__ = f"pidar_timed({builder.__qualname__})"
    return timed


def _recoil_threshold(
    *,
    target: str,
    threshold_kevnr: Annotated[float, Field(gt=0)],
    upper_kevnr: Annotated[float, Field(gt=0)] = 1000.0,
    mass_kg: Annotated[float, Field(gt=0)],
    live_days: Annotated[float, Field(gt=0)],
    n_nodes: Annotated[int, Field(ge=MIN_NODES, le=MAX_NODES)] = 1500,
    timing: Any = None,
) -> Any:
    """Every nuclear recoil of a preset target above a keVnr threshold."""
    from cevns.detectors.threshold import RecoilThresholdDetector
    from cevns.physics.nuclei import Target

    return RecoilThresholdDetector(
        Target.by_name(target),
        threshold_kev=threshold_kevnr,
        upper_kev=upper_kevnr,
        mass_kg=mass_kg,
        live_days=live_days,
        timing=timing,
        n_nodes=n_nodes,
        name=f"recoil_threshold_{target}",
    )


COMPONENTS += (
    Component.from_function(
        "detector",
        "recoil_threshold",
        pidar_timed(_recoil_threshold),
        "all recoils above a keVnr threshold (seed 002: CsI, 7 keVnr), optional pi-DAR timing",
    ),
)


def updown_setup(
    make: Callable[..., Any],
    nominal: Mapping[str, Any],
    shifts: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any], str]],
    *,
    timing: Callable[..., Any] | None = None,
) -> DetectorSetup:
    """A detector with +-1 sigma variants as shape nuisances (piecewise-linear morphing).

    Parameters
    ----------
    make : callable
        ``make(tag, **arguments)`` builds a detector; ``tag`` is ``""`` for the nominal and
        ``"_<nuisance>_up"`` / ``"_<nuisance>_down"`` for the variants (name suffixes).
    nominal : mapping
        The nominal arguments of ``make``.
    shifts : mapping of str to (up, down, description)
        Per nuisance, the arguments that differ from ``nominal`` at +1 and -1 sigma.
    timing : callable, optional
        Time fractions of the detector setup (pulsed sources).

    Returns
    -------
    DetectorSetup
        The nominal detector with one
        :class:`~cevns.likelihood.systematics.ShapeSystematic` per nuisance.
    """
    from cevns.likelihood.experiment import DetectorSetup
    from cevns.likelihood.systematics import ShapeSystematic

    syst = tuple(
        ShapeSystematic.updown(
            name,
            make(f"_{name}_up", **{**nominal, **up}),
            make(f"_{name}_down", **{**nominal, **down}),
            description=description,
        )
        for name, (up, down, description) in shifts.items()
    )
    return DetectorSetup(make("", **nominal), timing=timing, systematics=syst)


# ------------------------------------------------- response_templates (mono-energetic)
@functools.lru_cache(maxsize=16)
def _efficiency_grid(
    release: str | None,
    root: str | None,
    template: str,
    e_nr_kev: tuple[float, ...],
    axes: tuple[tuple[str, tuple[float, ...]], ...],
    block: str | None,
    dataset: str,
) -> dict[tuple[float, ...], NDArray[np.float64]]:
    """The templates of one block, read once per process (thousands of files a release).

    From a registered release they are also kept on disk (:meth:`Release.derived_arrays`,
    keyed on everything this call reads), so a new process does not read them again.
    """
    from cevns.detectors.mono_response import read_efficiency_grid

    if release is not None:
        from cevns.data import store

        rel = store.release(release)
        names = tuple(n for n, _ in axes)
        key = repr(("read_efficiency_grid/1", template, e_nr_kev, axes, block, dataset))

        def build() -> dict[str, NDArray[np.float64]]:
            grid = read_efficiency_grid(
                rel.path, template, e_nr_kev, dict(axes), block=block, dataset=dataset
            )
            points = np.array(list(grid), dtype=np.float64).reshape(len(grid), len(names))
            return {"points": points, "efficiencies": np.stack(list(grid.values()))}

        kept = rel.derived_arrays(key, build)
        return {
            tuple(float(v) for v in point): eff
            for point, eff in zip(kept["points"], kept["efficiencies"], strict=True)
        }
    assert root is not None

    def open_file(relative: str) -> Path:
        p = Path(root) / relative
        if not p.is_file():
            msg = f"response_templates: template {relative!r} is missing in {root}"
            raise InvalidConfigError(msg)
        return p

    return read_efficiency_grid(
        open_file, template, e_nr_kev, dict(axes), block=block, dataset=dataset
    )


def response_templates(
    target: str,
    e_nr_kev: Annotated[list[float], Field(min_length=2)],
    template: str,
    exposure_t_yr: Annotated[float, Field(gt=0)] | dict[str, Annotated[float, Field(gt=0)]],
    release: str | None = None,
    root: str | None = None,
    nuisances: dict[str, list[float]] | None = None,
    dataset: str = "templates/template",
    gauss_points: Annotated[int, Field(ge=1, le=20)] = 4,
    efficiency_uncertainty: Annotated[float, Field(gt=0)] | None = None,
    name: str | None = None,
) -> Any:
    """Mono-energetic efficiency templates on a nuisance grid (``response_templates``).

    :class:`~cevns.detectors.mono_response.MonoResponse` at the nominal point (every
    nuisance 0) and a multilinear :class:`~cevns.likelihood.systematics.ShapeSystematic`
    over the other grid points (parameters named by ``nuisances``, priors N(0, 1)).
    ``exposure_t_yr`` a table ``{block = exposure, ...}``: the blocks' templates (the
    ``{block}`` field of ``template``) side by side, each weighted by its exposure, so that
    one nuisance grid morphs every block (science runs with shared yields)::

        [detector]
        kind = "response_templates"
        release = "xenonnt_8b_2026"
        target = "xenon"
        e_nr_kev = [0.5, 0.6, 0.7]
        template = "templates/{block}/mono/t_{e_nr_kev:.3f}_tly_{tly:.1f}.h5"
        nuisances = { tly = [-1.0, 0.0, 1.0] }
        exposure_t_yr = { sr0 = 1.17, sr1 = 2.34 }

    Parameters
    ----------
    target : str
        A target preset (``"xenon"``) or a chemical formula.
    e_nr_kev : list of float
        Increasing energies [keVnr] of the templates.
    template : str
        File name pattern (:func:`~cevns.detectors.mono_response.read_efficiency_grid`).
    exposure_t_yr : float or dict of str to float
        The exposure [t yr], or one per block.
    release : str, optional
        A registered data release holding the files (checksums verified).
    root : str, optional
        A folder holding the files instead (exactly one of ``release`` and ``root``).
    nuisances : dict of str to list of float, optional
        Nuisance name -> grid values in sigma (increasing, containing 0).
    dataset : str
        HDF5 dataset of a template.
    gauss_points : int
        Gauss-Legendre points per interval between two energies.
    efficiency_uncertainty : float, optional
        Relative Gaussian uncertainty of the signal efficiency (``signal_efficiency``).
    name : str, optional
        Name of the response (default from the target).

    Returns
    -------
    DetectorSetup
        The nominal response and its systematics.
    """
    from cevns.detectors.mono_response import MonoResponse, weighted_blocks
    from cevns.likelihood.experiment import DetectorSetup
    from cevns.likelihood.systematics import ScaleSystematic, ShapeSystematic

    if (release is None) == (root is None):
        msg = f"response_templates: give exactly one of release and root, got {release!r}, {root!r}"
        raise InvalidConfigError(msg)
    axes = tuple((n, tuple(float(v) for v in vals)) for n, vals in (nuisances or {}).items())
    blocks: dict[str | None, float] = (
        dict(exposure_t_yr.items())
        if isinstance(exposure_t_yr, dict)
        else {None: float(exposure_t_yr)}
    )
    grids = {
        b: _efficiency_grid(release, root, template, tuple(e_nr_kev), axes, b, dataset)
        for b in blocks
    }
    label = name or f"response_templates_{target}"
    nucleus = _target(target)

    def at(point: tuple[float, ...]) -> Any:
        if None in blocks:
            eff, exposure = grids[None][point], blocks[None]
        else:
            eff = weighted_blocks([grids[b][point] for b in blocks], list(blocks.values()))
            exposure = 1.0
        tag = "_".join(f"{n}{v:+g}" for (n, _), v in zip(axes, point, strict=True))
        return MonoResponse(
            f"{label}_{tag}" if tag else label,
            eff,
            e_nr_kev,
            exposure,
            target=nucleus,
            gauss_points=gauss_points,
            block_exposures_t_yr={b: x for b, x in blocks.items() if b is not None} or None,
        )

    origin = (0.0,) * len(axes)
    systematics: list[Any] = []
    if axes:
        points = [p for p in itertools.product(*(v for _, v in axes)) if p != origin]
        systematics.append(
            ShapeSystematic(
                tuple(n for n, _ in axes),
                [v for _, v in axes],
                {p: at(p) for p in points},
                description="grid of mono-energetic efficiency templates",
            )
        )
    if efficiency_uncertainty is not None:
        systematics.append(
            ScaleSystematic("signal_efficiency", efficiency_uncertainty, limits=(0.5, 1.5))
        )
    return DetectorSetup(at(origin), systematics=tuple(systematics))


COMPONENTS = (
    *COMPONENTS,
    Component.from_function(
        "detector",
        "response_templates",
        response_templates,
        "mono-energetic efficiency templates on a nuisance grid, in blocks (science runs)",
    ),
)


# ------------------------------------------------- psd (energy x pulse shape x time)
class RelativeSpec(ComponentOptions):
    """``model = "relative"``: sigma / E = a / sqrt(E / keVee), i.e. sigma = a sqrt(E)."""

    model: Literal["relative"]
    a_sqrt_kev: float = Field(gt=0)
    #: The energy of the width: the true one, or the reconstructed one (RelativeGaussian).
    width_of: Literal["true", "reconstructed"] = "true"


PSDResolutionSpec = Annotated[
    Annotated[RelativeSpec, Tag("<relative>")]
    | Annotated[GaussianSpec, Tag("<gaussian>")]
    | Annotated[FanoSpec, Tag("<fano>")]
    | Annotated[TruncatedSpec, Tag("<truncated>")],
    _choice("resolution", "'relative', 'gaussian', 'fano', 'truncated'"),
]


class PSDTableSpec(ComponentOptions):
    """``psd_table``: a histogram of (energy bin, PSD bin) counts, any normalisation.

    ``layout = "matrix"``: one row per energy bin, one column per PSD bin; ``"rows"``:
    one line per bin ``(energy centre, PSD centre, count)``, PSD fastest (a release's
    histogram file), the centres checked against the detector's edges. Each energy row is
    normalised to p(PSD | E); an empty row is an error unless ``empty_rows = "nearest"``
    (it copies the nearest filled row, the lower on a tie).
    """

    path: DataFile
    layout: Literal["matrix", "rows"] = "matrix"
    empty_rows: Literal["error", "nearest"] = "error"


class FineEfficiencySpec(ComponentOptions):
    """``efficiency``: a table per fine bin of reconstructed energy from 0 [keVee].

    Column ``x_column`` must be the fine-bin centres ``(i + 1/2) step_kevee``; column
    ``eff_column`` the efficiency (in [0, 1]).
    """

    path: DataFile
    step_kevee: float = Field(gt=0)
    x_column: int = Field(0, ge=0)
    eff_column: int = Field(1, ge=0)


def _psd_rows(spec: PSDTableSpec, e_edges: list[float], psd_edges: list[float]) -> Any:
    from cevns.detectors.psd import histogram_from_rows, psd_given_energy

    table = _table(spec.path, "psd_table.path")
    if spec.layout == "rows":
        hist = histogram_from_rows(table, [e_edges, psd_edges], name=f"psd_table {spec.path}")
    else:
        hist = table
        if hist.shape != (len(e_edges) - 1, len(psd_edges) - 1):
            msg = (
                f"psd_table: {spec.path} is {hist.shape[0]} x {hist.shape[1]}, expected one row "
                f"per energy bin and one column per PSD bin ({len(e_edges) - 1} x "
                f"{len(psd_edges) - 1})"
            )
            raise ValueError(msg)
    empty = np.flatnonzero(hist.sum(axis=1) <= 0)
    if empty.size and spec.empty_rows == "error":
        msg = (
            f"psd_table: {spec.path} has empty energy rows {empty.tolist()}; fill them or "
            'set empty_rows = "nearest"'
        )
        raise ValueError(msg)
    return psd_given_energy(hist)


def psd_detector(
    *,
    target: str,
    mass_kg: Annotated[float, Field(gt=0)],
    live_days: Annotated[float, Field(gt=0)],
    quenching: QuenchingField,
    resolution: PSDResolutionSpec,
    energy_edges_kevee: Annotated[list[float], Field(min_length=2)],
    psd_edges: Annotated[list[float], Field(min_length=2)],
    psd_table: PSDTableSpec,
    efficiency: FineEfficiencySpec | None = None,
    efficiency_step_kevee: Annotated[float, Field(gt=0)] | None = None,
    efficiency_above_table: Literal["zero", "last"] = "zero",
    efficiency_of: Literal["reconstructed", "true_energy"] = "reconstructed",
    time_edges_us: Annotated[list[float], Field(min_length=2)] | None = None,
    pulse_mean_us: float | None = None,
    pulse_sigma_us: Annotated[float, Field(gt=0)] | None = None,
    min_recoil_kevnr: Annotated[float, Field(gt=0)] = 0.1,
    psd_name: str = "f90",
    n_nodes: Annotated[int, Field(ge=MIN_NODES, le=MAX_NODES)] = 1500,
    name: str | None = None,
) -> DetectorSetup:
    """Reconstructed energy x pulse shape (x time) detector (``[detector] kind = "psd"``).

    :class:`~cevns.detectors.psd.PSDDetector` from files: ``counts[E, psd, t] = sum_f
    N_f[E] p(psd | E) p_f(t)`` with ``N_f[E]`` the quenched recoil spectrum smeared by
    ``resolution`` on the fine grid of the efficiency table, times the efficiency::

        [detector]
        kind = "psd"
        target = "argon"
        mass_kg = 24.4
        live_days = 1.0
        quenching = { model = "linear", a = 0.246, b = 0.00078, max_kev = 1000.0 }
        resolution = { model = "relative", a_sqrt_kev = 0.58 }   # sigma/E = 0.58/sqrt(E)
        energy_edges_kevee = [0.0, 10.0, 20.0, 30.0, 40.0]
        psd_edges = [0.5, 0.6, 0.7, 0.8, 0.9]
        psd_table = { path = "f90_given_e.txt" }                  # 4 x 4 counts
        efficiency = { path = "efficiency.txt", step_kevee = 0.5 }
        time_edges_us = [0.0, 1.0, 6.0]
        pulse_mean_us = 0.44                                      # SNS beam trace
        pulse_sigma_us = 0.15

    Parameters
    ----------
    target : str
        A target preset (``"argon"``) or a chemical formula.
    mass_kg, live_days : float
        Active mass [kg] and live time [days] (the flux's).
    quenching : table
        A quenching model (the ``ionization`` kind's models), e.g. ``linear``.
    resolution : table
        ``relative`` {a_sqrt_kev} (sigma = a sqrt(E/keVee)) or a ``gaussian``, ``fano``,
        ``truncated`` model of the ``ionization`` kind.
    energy_edges_kevee, psd_edges : list of float
        Analysis bins: reconstructed energy [keVee] (on the efficiency grid) and PSD.
    psd_table : table
        The (energy, PSD) histogram file (:class:`PSDTableSpec`).
    efficiency : table, optional
        The fine-grid efficiency file (:class:`FineEfficiencySpec`); None: efficiency 1
        on a fine grid of ``efficiency_step_kevee``.
    efficiency_step_kevee : float, optional
        The fine grid without an efficiency table (give exactly one of the two).
    efficiency_above_table, efficiency_of : str
        As :class:`~cevns.detectors.psd.PSDDetector` (no implicit choice: the defaults are
        the efficiency 0 above the table, a function of the reconstructed energy).
    time_edges_us : list of float, optional
        Time bins [us] of a pulsed pi-DAR source: the prompt and delayed fractions of the
        SNS-like beam ``pulse_mean_us`` +- ``pulse_sigma_us`` (Gaussian trace convolved
        with the pion and muon lifetimes, :class:`~cevns.sources.spallation.PulsedBeamTiming`),
        both required with ``time_edges_us``.
    pulse_mean_us, pulse_sigma_us : float, optional
        The beam trace [us].
    min_recoil_kevnr : float
        Lowest recoil energy [keVnr] that can give a signal.
    psd_name : str
        Name of the PSD axis (compared with the dataset's).
    n_nodes : int
        Recoil-energy nodes of the response.
    name : str, optional
        Detector name (default ``psd_<target>``).

    Returns
    -------
    DetectorSetup
        The detector and, with ``time_edges_us``, its per-flavour time fractions.
    """
    from cevns.detectors.psd import PSDDetector
    from cevns.detectors.resolution import RelativeGaussian
    from cevns.likelihood.experiment import DetectorSetup
    from cevns.sources.spallation import PiDARTimeFractions, PulsedBeamTiming

    if (efficiency is None) == (efficiency_step_kevee is None):
        msg = "give exactly one of efficiency = {path, step_kevee} and efficiency_step_kevee"
        raise ValueError(msg)
    pulse = (pulse_mean_us, pulse_sigma_us)
    if (time_edges_us is None) != (pulse_mean_us is None) or (pulse_mean_us is None) != (
        pulse_sigma_us is None
    ):
        msg = (
            "time_edges_us, pulse_mean_us and pulse_sigma_us go together (all or none), got "
            f"time_edges_us={time_edges_us}, pulse {pulse}"
        )
        raise ValueError(msg)
    eff = None
    step = efficiency_step_kevee
    if efficiency is not None:
        step = efficiency.step_kevee
        where = "efficiency.path"
        x, eff = _columns(efficiency.path, (efficiency.x_column, efficiency.eff_column), where)
        centres = (np.arange(x.size) + 0.5) * step
        if not np.allclose(x, centres, rtol=0, atol=1e-6 * step):
            msg = f"{where}: column {efficiency.x_column} of {efficiency.path} is not the "
            msg += f"centres (i + 1/2) x {step} keVee of the fine bins from 0"
            raise ValueError(msg)
    assert step is not None  # one of the two: checked above
    nucleus = _target(target)
    res = resolution
    det = PSDDetector(
        name or f"psd_{target}",
        nucleus,
        mass_kg=mass_kg,
        live_days=live_days,
        quenching=_quenching_by_element(quenching, nucleus),
        resolution=RelativeGaussian(res.a_sqrt_kev, width_of=res.width_of)
        if isinstance(res, RelativeSpec)
        else _resolution(res),
        energy_edges_kevee=energy_edges_kevee,
        psd_edges=psd_edges,
        psd_given_energy=_psd_rows(psd_table, energy_edges_kevee, psd_edges),
        efficiency_step_kevee=step,
        efficiency=eff,
        efficiency_above_table=efficiency_above_table,
        efficiency_of=efficiency_of,
        time_edges_us=time_edges_us,
        min_recoil_kev=min_recoil_kevnr,
        psd_name=psd_name,
        n_nodes=n_nodes,
    )
    if time_edges_us is None or pulse_mean_us is None or pulse_sigma_us is None:
        return DetectorSetup(det)  # all three or none: checked above
    beam = PulsedBeamTiming(pulse_mean_us=pulse_mean_us, pulse_sigma_us=pulse_sigma_us)
    fractions = PiDARTimeFractions.from_model(beam, time_edges_us)
    return DetectorSetup(det, timing=fractions.fractions)


COMPONENTS = (
    *COMPONENTS,
    Component.from_function(
        "detector",
        "psd",
        psd_detector,
        "energy [keVee] x pulse shape (F90) x pulsed-beam time: PSD table, fine-grid efficiency",
    ),
)
