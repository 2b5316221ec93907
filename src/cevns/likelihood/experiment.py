"""Experiments and their likelihoods as iminuit cost functions.

An :class:`Experiment` assembles a :class:`~cevns.likelihood.signal.Signal`
(flux x detector x CEvNS),
backgrounds, a dataset and nuisance parameters. :meth:`Experiment.cost` returns an
:class:`ExperimentCost`: an :class:`iminuit.cost.Cost` with named parameters. Physics
parameters keep their public names (shared between experiments), nuisance parameters are
prefixed with the experiment name (``dresden_ii.flux_norm``), so ``a.cost(m) + b.cost(m)``
is a combined likelihood in which the physics parameters are common.

Likelihoods
-----------
``"chi2"``: Gaussian chi^2 with the dataset errors plus pull terms for every parameter
with a prior (seed 004 Eq. 19, seed 002 Eq. 4.8). ``"poisson"``: binned Poisson
likelihood reported as -2 ln(L / L_saturated) = 2 sum(mu - n + n ln(n/mu)) plus the same
pulls; both are in chi^2 units (errordef 1).

Systematics and normalisation
-----------------------------
``Experiment(..., systematics=[...])`` declares systematic uncertainties
(:mod:`cevns.likelihood.systematics`): shape variations of the signal
(:class:`~cevns.likelihood.systematics.ShapeSystematic` whose variants are detector responses:
the signal is computed for all of them at once and morphed at the nuisance values),
normalisation systematics (:class:`~cevns.likelihood.systematics.NormSystematic`) and
Gaussian-constrained scales (:class:`~cevns.likelihood.systematics.ScaleSystematic`) of the
signal or of a background. Shape variations of a background template are declared on the
:class:`~cevns.likelihood.background.TemplateBackground`. ``normalisation=`` (a
:class:`NormaliseToEvents`) scales the exposure so that a reference model gives a published
number of events.

A detector component of an experiment file declares timing, systematics and normalisation
by returning a :class:`DetectorSetup` (see :func:`cevns.config.loader.load_experiment`).

Gradients
---------
:meth:`ExperimentCost.gradient` (iminuit's ``cost.grad``, ``has_grad``) is analytic for the
signal expansion, the flux normalisation, the priors and every background with a
:meth:`~cevns.likelihood.background.Background.jacobian`; the mediator mass by a central
difference. Shape and normalisation systematics, rate factors and function backgrounds have
none: ``has_grad`` is False and Minuit differentiates numerically. :func:`cevns.stats.fit.fit`
gives it to Migrad only with ``gradient=True``.

:meth:`ExperimentCost.analytic_hessian` (``has_analytic_hessian``) adds the exact second
derivatives where every background has a
:meth:`~cevns.likelihood.background.Background.hessian` (the ``lines`` background, a
template without shape systematics): the signal's from the quadratic expansion, the
backgrounds' own, ``J^T W J`` from the first derivatives. ``fit(gradient=True)`` then hands
it to Migrad and Hesse as well (see :func:`cevns.stats.fit.fit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from iminuit.cost import Cost
from numpy.typing import NDArray

from cevns.core._validation import check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.background import Background, _tuple_getter
from cevns.likelihood.dataset import Dataset, check_compatible, observed_axes
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.likelihood.signal import Response, Signal
from cevns.likelihood.systematics import (
    Morphing,
    NormSystematic,
    ScaleSystematic,
    ShapeSystematic,
    StackedResponse,
)
from cevns.physics.families import ModelFamily, Parameter
from cevns.physics.families import family as get_family
from cevns.physics.form_factors import FormFactor
from cevns.physics.nsi import NSIModel

__all__ = ["DetectorSetup", "Expected", "Experiment", "ExperimentCost", "NormaliseToEvents"]


def __dir__() -> list[str]:
    return __all__


Likelihood = Literal["chi2", "poisson"]
Systematic = ShapeSystematic | NormSystematic | ScaleSystematic


@dataclass(frozen=True)
class NormaliseToEvents:
    """Scale the signal exposure so that a reference model gives ``events`` events.

    A documented convention, not a fit: the expected signal of the experiment is multiplied
    by ``events / N_ref``, where ``N_ref`` is the reference model's (nominal) signal summed
    over the observed bins at the nominal exposure. :class:`Experiment` keeps ``N_ref`` in
    :attr:`Experiment.reference_events` and the factor in :attr:`Experiment.exposure_factor`.

    Parameters
    ----------
    events : float
        Target number of signal events in the observed bins (> 0), e.g. COHERENT's 173.
    model : NSIModel, optional
        Reference model; default the Standard Model (:meth:`NSIModel.sm`).
    form_factor : form factor, optional
        Form factor of the reference calculation; default the signal's own.

    Examples
    --------
    >>> NormaliseToEvents(173.0, NSIModel.sm(0.2225, couplings="tree")).events
    173.0
    """

    events: float
    model: NSIModel | None = None
    form_factor: FormFactor | None = None

    def __post_init__(self) -> None:
        check_positive("normalise_to_events: events", self.events)

    def reference_counts(self, signal: Signal) -> float:
        """Reference-model events of ``signal`` in its observed bins (nominal exposure).

        Parameters
        ----------
        signal : Signal
            The experiment's signal.

        Returns
        -------
        float
            Reference-model events.
        """
        model = NSIModel.sm() if self.model is None else self.model
        if self.form_factor is not None and self.form_factor != signal.form_factor:
            signal = Signal(
                signal.flux,
                signal.detector,
                form_factor=self.form_factor,
                kinematics=signal.kinematics,
                n_enu=signal.n_enu,
                timing=_timing_mapping(signal),
            )
        return float(signal.expected_counts(model).sum())


@dataclass(frozen=True)
class DetectorSetup:
    """A detector together with what it declares for the experiment.

    Detector components of experiment files return one (or a bare detector): the loader
    passes the time fractions to the :class:`~cevns.likelihood.signal.Signal` and the
    systematics and normalisation to the :class:`Experiment`.

    Parameters
    ----------
    detector : Response
    timing : callable, optional
        ``flavours -> {flavour: fraction of its events per time bin}`` (pulsed sources).
    systematics : tuple of ShapeSystematic, NormSystematic or ScaleSystematic
    normalisation : NormaliseToEvents, optional
    """

    detector: Response
    timing: Callable[[Sequence[str]], Mapping[str, Any]] | None = None
    systematics: tuple[Systematic, ...] = field(default=())
    normalisation: NormaliseToEvents | None = None


def _timing_mapping(signal: Signal) -> dict[str, Any] | None:
    if signal.timing is None:
        return None
    return dict(zip(signal.flavours, signal.timing, strict=True))


@dataclass(frozen=True)
class Expected:
    """Expected counts at one parameter point, by component.

    Parameters
    ----------
    signal : ndarray
        Expected CEvNS counts per bin.
    backgrounds : dict of str -> ndarray
        Expected counts per bin of each background, by name.
    """

    signal: NDArray[np.float64]
    backgrounds: dict[str, NDArray[np.float64]]

    @property
    def background(self) -> NDArray[np.float64]:
        """Sum of the backgrounds."""
        if not self.backgrounds:
            return np.zeros_like(self.signal)
        return np.asarray(sum(self.backgrounds.values()))

    @property
    def total(self) -> NDArray[np.float64]:
        """Signal plus backgrounds."""
        return self.signal + self.background


class Experiment:
    """Signal, backgrounds, data and nuisance parameters of one measurement.

    Parameters
    ----------
    name : str
        Used as the prefix of nuisance parameters; a valid identifier.
    signal : Signal
    dataset : Dataset
    backgrounds : sequence of Background
    likelihood : {"chi2", "poisson"}
    flux_norm_uncertainty : float, optional
        Relative Gaussian prior of the signal normalisation ``<name>.flux_norm`` (e.g. 0.02
        for sigma_a of seed 004 Eq. 19); ``None`` fixes the normalisation to 1.
    signal_scale : float
        Converts signal counts to the units of the data (e.g. per day), default 1.
    systematics : sequence of ShapeSystematic, NormSystematic or ScaleSystematic
        Declared systematic uncertainties (module notes): shape systematics vary the signal
        (their variants are detector responses like ``signal.detector``); normalisation
        systematics and scales name their ``target`` (``"signal"`` or a background).
        Parameters ``<name>.<nuisance>`` follow those of the backgrounds.
    normalisation : NormaliseToEvents, optional
        Scale the exposure so that a reference model gives a published number of events.
    free_flux_norm : bool
        The signal normalisation ``flux_norm`` is a free parameter without prior (start 1,
        limits 0..100): a measurement of the flux. Excludes ``flux_norm_uncertainty``.
    shared : sequence of str
        Local names of nuisance parameters that keep their name unprefixed, so that the
        experiments of a combined cost (``a.cost(m) + b.cost(m)``) share them (e.g. a common
        free ``flux_norm`` of several science runs). Only parameters without a prior can be
        shared: a prior would be counted once per experiment.
    description : str

    Notes
    -----
    A nuisance of a signal shape systematic and of a background's shape systematic with the
    same name and the same definition is one parameter (e.g. a light yield that morphs the
    signal and a neutron background together).
    """

    def __init__(
        self,
        name: str,
        signal: Signal,
        dataset: Dataset,
        backgrounds: Sequence[Background] = (),
        *,
        likelihood: Likelihood = "chi2",
        flux_norm_uncertainty: float | None = None,
        signal_scale: float = 1.0,
        systematics: Sequence[Systematic] = (),
        normalisation: NormaliseToEvents | None = None,
        free_flux_norm: bool = False,
        shared: Sequence[str] = (),
        description: str = "",
    ) -> None:
        if not name.isidentifier():
            msg = f"experiment name must be an identifier (letters, digits, _), got {name!r}"
            raise InvalidParameterError(msg)
        if likelihood not in ("chi2", "poisson"):
            msg = f"likelihood must be 'chi2' or 'poisson', got {likelihood!r}"
            raise InvalidParameterError(msg)
        if likelihood == "chi2" and dataset.errors is None:
            msg = f"{name}: the chi2 likelihood needs dataset errors; {dataset.name!r} has none"
            raise InvalidParameterError(msg)
        if likelihood == "poisson" and dataset.allow_negative:
            msg = f"{name}: the Poisson likelihood needs non-negative counts"
            raise InvalidParameterError(msg)
        self.name = name
        self.signal = signal
        self.dataset = dataset
        self.backgrounds = tuple(backgrounds)
        self.likelihood: Likelihood = likelihood
        self.signal_scale = float(signal_scale)
        self.description = description
        local: list[Parameter] = []
        if free_flux_norm and flux_norm_uncertainty is not None:
            msg = f"{name}: give flux_norm_uncertainty or free_flux_norm, not both"
            raise InvalidParameterError(msg)
        self._has_flux_norm = flux_norm_uncertainty is not None or free_flux_norm
        if free_flux_norm:
            local.append(Parameter("flux_norm", 1.0, (0.0, 100.0), 0.1))
        if flux_norm_uncertainty is not None:
            local.append(
                Parameter(
                    "flux_norm",
                    1.0,
                    (0.0, 10.0),
                    flux_norm_uncertainty,
                    prior=(1.0, flux_norm_uncertainty),
                )
            )
        for b in self.backgrounds:
            local.extend(b.parameters)
        background_shapes = {
            p.name: p
            for b in self.backgrounds
            for p in getattr(getattr(b, "morphing", None), "parameters", ())
        }
        #: nuisances shared by a signal shape systematic and a background shape systematic
        self._shared_shapes: set[str] = set()
        self.systematics: tuple[Systematic, ...] = tuple(systematics)
        targets = {"signal", *(b.name for b in self.backgrounds)}
        for syst in self.systematics:
            given: object = syst
            if not isinstance(given, ShapeSystematic | NormSystematic | ScaleSystematic):
                msg = (
                    f"{name}: systematics must be ShapeSystematic, NormSystematic or "
                    f"ScaleSystematic, got {type(given).__name__}"
                )
                raise InvalidParameterError(msg)
            if not isinstance(syst, ShapeSystematic) and syst.target not in targets:
                msg = (
                    f"{name}: systematic {syst.name!r} targets {syst.target!r}, expected "
                    f"'signal' or a background: {sorted(targets - {'signal'})}"
                )
                raise InvalidParameterError(msg)
            for p in syst.parameters:
                if isinstance(syst, ShapeSystematic) and background_shapes.get(p.name) == p:
                    self._shared_shapes.add(p.name)  # one parameter for signal and background
                else:
                    local.append(p)
        shapes = [s for s in self.systematics if isinstance(s, ShapeSystematic)]
        #: morphing of the signal (``None`` without shape systematics)
        self.signal_morphing = Morphing(shapes) if shapes else None
        self._signal_nuisances = tuple(
            p.name
            for syst in self.systematics
            if isinstance(syst, ShapeSystematic) or syst.target == "signal"
            for p in syst.parameters
        )
        names = [p.name for p in local]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            msg = f"{name}: nuisance parameter names collide: {dup}"
            raise InvalidParameterError(msg)
        self.nuisances: tuple[Parameter, ...] = tuple(local)
        by_name = {p.name: p for p in local}
        for n in shared:
            if n not in by_name:
                msg = f"{name}: shared parameter {n!r} is not a nuisance; known: {sorted(by_name)}"
                raise InvalidParameterError(msg)
            if by_name[n].prior is not None:
                msg = (
                    f"{name}: shared parameter {n!r} has a prior {by_name[n].prior}; a shared "
                    "prior would be counted once per experiment of a combined cost"
                )
                raise InvalidParameterError(msg)
        self.shared: frozenset[str] = frozenset(shared)
        self._check_shapes()
        #: the Signal that is evaluated: ``signal`` itself, or stacked with its shape variants
        self.model_signal = signal
        if self.signal_morphing is not None:
            self.model_signal = Signal(
                signal.flux,
                StackedResponse(signal.detector, self.signal_morphing.variants),
                form_factor=signal.form_factor,
                kinematics=signal.kinematics,
                n_enu=signal.n_enu,
                timing=_timing_mapping(signal),
                max_cached_masses=signal._max_cached,
            )
            self._shape_public = tuple(self.prefixed(n) for n in self.signal_morphing.names)
            # the stacked response is built now: a variant that does not fit fails here
            n_stacked = self.model_signal.n_bins
            if n_stacked != self.signal_morphing.n_blocks * self.signal.n_bins:
                msg = (
                    f"{name}: the stacked signal has {n_stacked} bins, expected "
                    f"{self.signal_morphing.n_blocks} x {self.signal.n_bins}"
                )
                raise InvalidParameterError(msg)
        self.normalisation = normalisation
        #: factor applied to the signal by ``normalisation`` (1 without)
        self.exposure_factor = 1.0
        #: the reference model's events before the normalisation (``None`` without)
        self.reference_events: float | None = None
        if normalisation is not None:
            norm_given: object = normalisation
            if not isinstance(norm_given, NormaliseToEvents):
                msg = (
                    f"{name}: normalisation must be a NormaliseToEvents, "
                    f"got {type(norm_given).__name__}"
                )
                raise InvalidParameterError(msg)
            ref = normalisation.reference_counts(signal)
            if not (ref > 0 and math.isfinite(ref)):
                msg = (
                    f"{name}: the reference model gives {ref!r} events, not a positive finite "
                    "number: nothing to normalise (an input out of range: the flux, e.g. its "
                    "power or baseline, or the exposure?)"
                )
                raise InvalidParameterError(msg)
            self.reference_events = ref
            self.exposure_factor = float(normalisation.events) / ref

    def _signal_bins(self) -> int:
        """Observed bins the signal produces (a subclass with stacked templates overrides)."""
        return int(self.signal.n_bins) * (
            1 if self.signal.timing is None else int(self.signal.timing.shape[1])
        )

    def _check_shapes(self) -> None:
        n_sig = self._signal_bins()
        if n_sig != self.dataset.counts.size:
            msg = (
                f"{self.name}: the signal gives {n_sig} bins but the dataset "
                f"{self.dataset.name!r} has {self.dataset.shape}: the binnings do not match"
            )
            raise InvalidParameterError(msg)
        # edges, axis names and units (cevns.likelihood.dataset.check_compatible)
        check_compatible(self.dataset, observed_axes(self.signal), self.name)
        for b in self.backgrounds:
            shape = b.expected({}).shape
            if shape != self.dataset.shape:
                msg = (
                    f"{self.name}: background {b.name!r} gives shape {shape}, "
                    f"the dataset {self.dataset.name!r} has {self.dataset.shape}"
                )
                raise InvalidParameterError(msg)

    # ------------------------------------------------------------------ parameters
    def prefixed(self, local: str) -> str:
        """Public name of a nuisance parameter (unprefixed if it is ``shared``).

        Parameters
        ----------
        local : str
            The nuisance's name within the experiment.

        Returns
        -------
        str
            ``"<experiment>.<local>"``, or ``local`` for a shared nuisance.
        """
        if local in self.__dict__.get("shared", ()):
            return local
        return f"{self.name}.{local}"

    def nuisance_parameters(self) -> tuple[Parameter, ...]:
        """Nuisance parameters under their public (prefixed) names."""
        return tuple(p.replace(name=self.prefixed(p.name)) for p in self.nuisances)

    # ------------------------------------------------------------------ predictions
    def _signal_counts(self, counts: NDArray[np.float64]) -> NDArray[np.float64]:
        if counts.shape != self.dataset.shape:
            if counts.size != self.dataset.counts.size:
                msg = (
                    f"{self.name}: the signal gives {counts.shape} bins but the dataset "
                    f"{self.dataset.name!r} has {self.dataset.shape}"
                )
                raise InvalidParameterError(msg)
            counts = counts.reshape(self.dataset.shape)
        if self.exposure_factor != 1.0:
            return counts * (self.signal_scale * self.exposure_factor)
        return counts * self.signal_scale

    def _model_counts(
        self, counts: NDArray[np.float64], vals: Mapping[str, float]
    ) -> NDArray[np.float64]:
        """Signal counts per observed bin from the counts of :attr:`model_signal`.

        With shape systematics the counts are stacked (nominal, then every variant) and
        are morphed at the nuisance values in ``vals`` (public names; missing ones at 0).
        """
        if self.signal_morphing is not None:
            stacked = counts.reshape((self.signal_morphing.n_blocks, *self.dataset.shape))
            alpha = np.array([float(vals.get(n, 0.0)) for n in self._shape_public])
            counts = self.signal_morphing.apply(stacked, alpha)
        return self._signal_counts(counts)

    def _factor(self, target: str, vals: Mapping[str, float]) -> float:
        """Product of the normalisation systematics and scales of ``target``."""
        f = 1.0
        for syst in self.systematics:
            if not isinstance(syst, ShapeSystematic) and syst.target == target:
                f *= syst.factor({syst.name: vals.get(self.prefixed(syst.name), 0.0)})
        return f

    def expected(
        self, model_family: ModelFamily | str, values: Mapping[str, float] | None = None
    ) -> Expected:
        """Expected counts by component at ``values`` (public names; defaults elsewhere).

        Uses the direct (template) path, not the quadratic expansion.

        Parameters
        ----------
        model_family : ModelFamily or str
            The physics model (a family or its name).
        values : mapping of str to float, optional
            Parameter values by public name; defaults elsewhere.

        Returns
        -------
        Expected
            Signal and backgrounds per bin.
        """
        fam = get_family(model_family) if isinstance(model_family, str) else model_family
        vals = (
            fam.defaults()
            | {p.name: p.value for p in self.nuisance_parameters()}
            | dict(values or {})
        )
        sig = self._model_counts(
            self.model_signal.expected_counts(fam.build({k: vals[k] for k in fam.names})), vals
        )
        return self._assemble(sig, vals)

    def _assemble(self, sig: NDArray[np.float64], vals: Mapping[str, float]) -> Expected:
        if self._has_flux_norm:
            sig = sig * vals[self.prefixed("flux_norm")]
        if self._norm_targets:
            sig = sig * self._factor("signal", vals)
        bkgs = {}
        for b in self.backgrounds:
            local = {
                p.name: vals[self.prefixed(p.name)]
                for p in b.parameters
                if self.prefixed(p.name) in vals
            }
            bkgs[b.name] = b.expected(local)
            if b.name in self._norm_targets:
                bkgs[b.name] = bkgs[b.name] * self._factor(b.name, vals)
        return Expected(sig, bkgs)

    @property
    def _norm_targets(self) -> set[str]:
        return {s.target for s in self.systematics if not isinstance(s, ShapeSystematic)}

    def cost(
        self, model_family: ModelFamily | str = "sm", *, signal: bool = True
    ) -> ExperimentCost:
        """The likelihood of this experiment as an iminuit cost function.

        ``signal=False`` gives the background-only likelihood: no CEvNS, no physics
        parameters and no signal-normalisation pull.

        Parameters
        ----------
        model_family : ModelFamily or str
            The physics model (a family or its name, e.g. ``"sin2w"``).
        signal : bool
            Include the CEvNS signal (default); False for the background-only likelihood.

        Returns
        -------
        ExperimentCost
            The cost; add costs with ``+`` to combine experiments.
        """
        from cevns.physics.model_files import load_model

        fam = load_model(model_family) if isinstance(model_family, str) else model_family
        return ExperimentCost(self, fam, signal=signal)

    def __repr__(self) -> str:
        return (
            f"Experiment({self.name!r}, dataset={self.dataset.name!r}, "
            f"backgrounds={[b.name for b in self.backgrounds]}, likelihood={self.likelihood!r})"
        )


class ExperimentCost(Cost):  # type: ignore[misc]
    """iminuit cost of one :class:`Experiment` for a :class:`~cevns.physics.families.ModelFamily`.

    Physics parameters carry the family's public names; nuisances are prefixed. Evaluating
    the cost uses the exact quadratic expansion of the signal (a few microseconds).

    Attributes
    ----------
    experiment : Experiment
    family : ModelFamily
    parameter_objects : tuple of Parameter
        All parameters with public names, defaults, limits, priors.

    Parameters
    ----------
    experiment : Experiment
        The experiment.
    family : ModelFamily
        The physics model.
    signal : bool
        Include the CEvNS signal (default); False for the background-only likelihood.
    """

    def __init__(self, experiment: Experiment, family: ModelFamily, *, signal: bool = True) -> None:
        self.experiment = experiment
        self.family = family
        self.has_signal = signal
        self.expansion = QuadraticExpansion.shared(experiment.model_signal, family)
        nuis = experiment.nuisance_parameters()
        if not signal:  # no signal: no normalisation, its systematics fixed (they do nothing)
            nuis = tuple(p for p in nuis if p.name != experiment.prefixed("flux_norm"))
            fixed = {
                experiment.prefixed(n)
                for n in experiment._signal_nuisances
                if n not in experiment._shared_shapes
            }
            nuis = tuple(p.replace(fixed=True) if p.name in fixed else p for p in nuis)
        self.parameter_objects: tuple[Parameter, ...] = (family.parameters if signal else ()) + nuis
        self._names = tuple(p.name for p in self.parameter_objects)
        clash = set(family.names) & {p.name for p in experiment.nuisance_parameters()}
        if clash:
            msg = f"physics and nuisance parameter names collide: {sorted(clash)}"
            raise InvalidParameterError(msg)
        self._priors = [
            (i, p.prior[0], p.prior[1])
            for i, p in enumerate(self.parameter_objects)
            if p.prior is not None
        ]
        self._obs = experiment.dataset.counts
        self._err = experiment.dataset.errors
        self._poisson = experiment.likelihood == "poisson"
        # hot path: argument indices of the flux normalisation and of each background
        index = {n: i for i, n in enumerate(self._names)}
        self._i_flux = index.get(experiment.prefixed("flux_norm")) if signal else None
        self._bkg_args = [
            (b, [(p.name, index[experiment.prefixed(p.name)]) for p in b.parameters])
            for b in experiment.backgrounds
        ]
        # normalisation systematics: (target, systematic, argument index)
        self._norm_args = [
            (syst.target, syst, index[experiment.prefixed(syst.name)])
            for syst in experiment.systematics
            if isinstance(syst, NormSystematic | ScaleSystematic)
            and (signal or syst.target != "signal")
        ]
        if self._poisson:
            n = self._obs
            self._n_log_n = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0)), 0.0)
        self._compile(index)
        super().__init__({p.name: p.limits for p in self.parameter_objects}, 0)

    def _compile(self, index: Mapping[str, int]) -> None:
        """Argument indices of the hot path, so that a call builds no mapping.

        Without rate factors (non-unitarity) the signal is ``outer(q, q) @ C(mass)`` with
        ``q`` read from the arguments by index; the shape nuisances of the signal morphing
        and the background parameters are read the same way.
        """
        exp, fam = self.experiment, self.family
        self._fast = self.has_signal and not fam.rate_names
        self._lin_idx = np.array(
            [index[n] for n in fam.linear_names] if self.has_signal else [], dtype=np.intp
        )
        # the same indices read from the argument tuple directly (a tuple of floats keys
        # the kept signal: no array is built from Minuit's arguments on a call)
        self._lin_get = _tuple_getter(self._lin_idx.tolist())
        self._mass_idx = (
            index.get("mediator_mass_mev") if fam.has_mediator_mass and self.has_signal else None
        )
        self._mass_default = (
            float(fam.parameter("mediator_mass_mev").value) if fam.has_mediator_mass else None
        )
        self._alpha_idx = (
            np.array([index[n] for n in exp._shape_public], dtype=np.intp)
            if exp.signal_morphing is not None and self.has_signal
            else None
        )
        self._scale = exp.signal_scale * exp.exposure_factor
        alpha_list = [] if self._alpha_idx is None else self._alpha_idx.tolist()
        self._alpha_get = _tuple_getter(alpha_list)
        self._morph_key: tuple[Any, ...] | None = None
        self._morph_val = np.zeros(0)
        self._obs_flat = np.ascontiguousarray(self._obs).ravel()
        self._bkg_eval = [(b.name, b.evaluator(pars)) for b, pars in self._bkg_args]
        # the same, with each target's normalisation systematics resolved once
        self._sig_norm_args = [(syst, i) for t, syst, i in self._norm_args if t == "signal"]
        self._bkg_calls = [
            (evaluate, [(syst, i) for t, syst, i in self._norm_args if t == name])
            for name, evaluate in self._bkg_eval
        ]
        self._n_sum = float(self._obs_flat.sum())
        if self._poisson:
            self._n_log_n_sum = float(np.sum(self._n_log_n))
        self._shape = self._obs.shape
        self._sig_key: tuple[int, float | None, tuple[float, ...]] | None = None
        self._sig_val: tuple[NDArray[np.float64], NDArray[np.float64] | None] = (
            np.zeros(0),
            None,
        )
        if self._err is not None:
            self._inv_err = 1.0 / np.asarray(self._err, dtype=np.float64)
            self._inv_err2 = (self._inv_err * self._inv_err).ravel()
        # the signal part of the gradient, kept for the last physics point (_signal_jacobian)
        self._grad_key: tuple[int, float | None, tuple[float, ...], bool] | None = None
        self._grad_mass = True
        self._grad_val: tuple[Any, Any, Any] = (None, None, None)
        # analytic gradient: the components that have one
        self._bkg_jac = [
            (b, np.array([i for _, i in pars], dtype=np.intp)) for b, pars in self._bkg_args
        ]
        reasons = []
        if self.has_signal and not self._fast:
            reasons.append("rate factors")
        if self.has_signal and exp.signal_morphing is not None:
            reasons.append("signal shape systematics")
        if self._norm_args:
            reasons.append("normalisation systematics")
        reasons.extend(
            f"background {b.name!r} without a jacobian"
            for b in exp.backgrounds
            if not b.has_jacobian
        )
        self._grad_reason = ", ".join(reasons)
        self._grad_ok = not reasons
        reasons.extend(
            f"background {b.name!r} without a hessian"
            for b in exp.backgrounds
            if b.has_jacobian and not b.has_hessian
        )
        self._hess_reason = ", ".join(reasons)
        # analytic hessian: where each part's second derivatives go, the signal's kept
        sig_idx = self._lin_idx.tolist() + ([] if self._i_flux is None else [self._i_flux])
        self._sig_cut = np.ix_(sig_idx, sig_idx)
        self._bkg_cut = [np.ix_(idx, idx) for _, idx in self._bkg_jac]
        self._second_key: tuple[int, float | None] | None = None
        self._grad_memo: tuple[Any, Any, Any, Any] | None = None
        self._second_val: NDArray[np.float64] = np.zeros((0, 0, 0))

    # -- iminuit Cost interface
    def _ndata(self) -> int:
        return int(self._obs.size)

    def _has_grad(self) -> bool:
        return self._grad_ok

    def _grad(self, args: Any) -> NDArray[np.float64]:
        """Gradient of the cost in every parameter (see :meth:`gradient`)."""
        if not self._grad_ok:
            msg = (
                f"{self.experiment.name}: no analytic gradient ({self._grad_reason}); "
                "Minuit computes it numerically"
            )
            raise NotImplementedError(msg)
        x = np.asarray(args, dtype=np.float64)
        n_par = x.size
        g = np.zeros(n_par)
        signal = None
        if self.has_signal:
            signal = self._signal_jacobian(x)
            mu = signal[0] * signal[3]
        else:
            mu = np.zeros(self._obs_flat.size)
        bkg_jac = []
        for (b, idx), (_, evaluate) in zip(self._bkg_jac, self._bkg_eval, strict=True):
            mu += np.ravel(evaluate(args))  # a background's counts have the dataset's size
            local = {p.name: x[i] for p, i in zip(b.parameters, idx, strict=True)}
            bkg_jac.append((idx, b.jacobian(local).reshape(idx.size, -1)))
        # for analytic_hessian at the same point (Migrad asks for both at its last points)
        self._grad_memo = (
            (x.tobytes(), self.expansion.signal._quick_generation()),
            mu,
            signal,
            bkg_jac,
        )
        if self._poisson:
            if mu.min() <= 0:  # the cost is the constant 1e30 there
                return g
            g_mu = 2.0 * (1.0 - self._obs_flat / mu)
        else:
            w2 = self._inv_err2
            g_mu = 2.0 * (mu - self._obs_flat) * w2
        if signal is not None:
            counts, dlin, d_mass, f = signal
            g[self._lin_idx] += (dlin @ g_mu) * f
            if self._i_flux is not None:
                g[self._i_flux] += float(counts @ g_mu) * self._scale
            if d_mass is not None and self._mass_idx is not None:
                g[self._mass_idx] += float(d_mass @ g_mu) * f
        for idx, d in bkg_jac:
            g[idx] += d @ g_mu  # a background's parameters are distinct
        for i, mean, sigma in self._priors:
            g[i] += 2.0 * (x[i] - mean) / (sigma * sigma)
        return g

    def _signal_jacobian(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None, float]:
        """``(counts, d counts / d linear, d counts / d mass or None, factor)`` at ``x``.

        The expansion's part is kept for the last physics point and template generation
        (in a fit at fixed physics parameters every gradient call shares it); ``factor``
        is the signal scale times ``flux_norm``. The mediator mass has no analytic
        derivative: a central difference of the expansion (relative step 1e-4, templates
        at two more masses); it is left at 0 while ``_grad_mass`` is False, which
        :func:`cevns.stats.fit.fit` sets for the calls of a fit that holds the mass fixed
        (Minuit does not read a fixed parameter's component).
        """
        mass = self._mass_default if self._mass_idx is None else float(x[self._mass_idx])
        lin = tuple(x[self._lin_idx].tolist())
        with_mass = self._mass_idx is not None and mass is not None and self._grad_mass
        key = (self.expansion.signal._quick_generation(), mass, lin, with_mass)
        if key != self._grad_key:
            q = np.array(lin, dtype=np.float64)
            counts, dlin = self.expansion.evaluate_jacobian(q, mass)
            d_mass = None
            if with_mass and mass is not None:
                h = 1e-4 * mass
                up = self.expansion.evaluate(q, mass + h)
                down = self.expansion.evaluate(q, mass - h)
                d_mass = (up - down) / (2.0 * h)
            self._grad_key, self._grad_val = key, (counts, dlin, d_mass)
        counts, dlin, d_mass = self._grad_val
        f = self._scale * (float(x[self._i_flux]) if self._i_flux is not None else 1.0)
        return counts, dlin, d_mass, f

    @property
    def has_analytic_hessian(self) -> bool:
        """Whether :meth:`analytic_hessian` is available (see there).

        Returns
        -------
        bool
            True where :attr:`has_grad` is and every background has a
            :meth:`~cevns.likelihood.background.Background.hessian`.
        """
        return not self._hess_reason

    def analytic_hessian(self, *args: float) -> NDArray[np.float64]:
        """The cost's matrix of second derivatives in all parameters, exact (chi^2 units).

        With ``mu`` the expectation per bin, ``J = d mu / d p`` and ``D = d^2 mu / d p d p``:
        ``2 sum w (J J^T + (mu - n) D)`` for chi^2 (``w = 1 / sigma^2``) and
        ``2 sum (n / mu^2 J J^T + (1 - n / mu) D)`` for Poisson, plus ``2 / sigma^2`` of
        each prior. ``D`` is exact: the expansion ``q^T M q`` is quadratic in the linear
        parameters (``f (M + M^T)``), the flux normalisation multiplies it, the backgrounds
        give their :meth:`~cevns.likelihood.background.Background.hessian`. The mediator mass has no
        analytic derivative: its row and column are ``nan`` (a fit uses this matrix only
        with the mass fixed). Not named ``hessian``, so that iminuit does not take it for
        every Minuit built on this cost: :func:`cevns.stats.fit.fit` passes it (with
        ``gradient=True``) to a Minuit that has no fixed parameters (root#20954).

        Parameters
        ----------
        *args : float
            Values of all parameters, in the cost's order.

        Returns
        -------
        ndarray of shape (n_parameters, n_parameters)

        Raises
        ------
        NotImplementedError
            Where :attr:`has_analytic_hessian` is False (the reason is named).
        """
        if self._hess_reason:
            msg = f"{self.experiment.name}: no analytic hessian ({self._hess_reason})"
            raise NotImplementedError(msg)
        x = np.asarray(args, dtype=np.float64)
        jac = np.zeros((x.size, self._obs_flat.size))
        second: list[tuple[Any, NDArray[np.float64]]] = []
        memo = self._grad_memo
        if memo is not None and memo[0] != (
            x.tobytes(),
            self.expansion.signal._quick_generation(),
        ):
            memo = None
        if self.has_signal:
            if memo is not None:
                counts, dlin, _, f = memo[2]
            else:
                with_mass, self._grad_mass = self._grad_mass, False  # no mass derivative
                try:
                    counts, dlin, _, f = self._signal_jacobian(x)
                finally:
                    self._grad_mass = with_mass
            mu = counts * f
            jac[self._lin_idx] += dlin * f
            if self._i_flux is not None:
                jac[self._i_flux] += counts * self._scale
            second.append((self._sig_cut, self._signal_second(x, dlin, f)))
        else:
            mu = np.zeros(self._obs_flat.size)
        for k, ((b, idx), (_, evaluate), cut) in enumerate(
            zip(self._bkg_jac, self._bkg_eval, self._bkg_cut, strict=True)
        ):
            local = {p.name: x[i] for p, i in zip(b.parameters, idx, strict=True)}
            if memo is not None:  # the gradient's jacobian at this point
                d1, d2 = memo[3][k][1], b.hessian(local)
            else:
                mu = mu + np.ravel(evaluate(args))
                d1, d2 = b.jacobian_and_hessian(local)
            jac[idx] += d1.reshape(idx.size, -1)  # a background's parameters are distinct
            second.append((cut, d2.reshape(idx.size, idx.size, -1)))
        if memo is not None:
            mu = memo[1]
        if self._poisson:
            if mu.min() <= 0:
                msg = f"{self.experiment.name}: an expectation <= 0, where the cost is 1e30"
                raise InvalidParameterError(msg)
            weight = 2.0 * self._obs_flat / (mu * mu)
            g_mu = 2.0 * (1.0 - self._obs_flat / mu)
        else:
            weight = 2.0 * self._inv_err2
            g_mu = 2.0 * (mu - self._obs_flat) * self._inv_err2
        hess = (jac * weight) @ jac.T
        for cut, d2 in second:
            hess[cut] += d2 @ g_mu
        for i, _, sigma in self._priors:
            hess[i, i] += 2.0 / (sigma * sigma)
        if self._mass_idx is not None:
            hess[self._mass_idx, :] = hess[:, self._mass_idx] = np.nan
        return np.asarray(hess, dtype=np.float64)

    def _signal_second(
        self, x: NDArray[np.float64], dlin: NDArray[np.float64], f: float
    ) -> NDArray[np.float64]:
        """``d^2 signal / d p d p`` over (linear parameters, flux_norm if any), per bin.

        ``counts = q^T M q`` gives ``M_ij + M_ji`` in the linear parameters (kept per
        template generation and mass), times ``f``; the flux normalisation's cross terms
        are ``d counts / d q`` times the scale.
        """
        mass = self._mass_default if self._mass_idx is None else float(x[self._mass_idx])
        key = (self.expansion.signal._quick_generation(), mass)
        if key != self._second_key:
            k = self._lin_idx.size + 1
            c = self.expansion.observed_coefficients(mass).reshape(k, k, -1)[1:, 1:]
            self._second_key, self._second_val = key, c + c.transpose(1, 0, 2)
        sym = self._second_val
        if self._i_flux is None:
            return np.asarray(f * sym, dtype=np.float64)
        k = self._lin_idx.size
        out = np.zeros((k + 1, k + 1, sym.shape[2]))
        out[:k, :k] = f * sym
        out[:k, k] = out[k, :k] = dlin * self._scale
        return out

    def gradient(self, *args: float) -> NDArray[np.float64]:
        """Analytic gradient of the cost in all parameters (chi^2 units).

        Exact for the signal (the quadratic expansion, flux normalisation) and for the
        backgrounds' :meth:`~cevns.likelihood.background.Background.jacobian`; the
        mediator mass, which has no analytic derivative, by a central difference of the
        expansion (relative step 1e-4, which builds the templates at two more masses).
        Available where :attr:`has_grad` is True: not with shape or normalisation
        systematics, rate factors or a background without a jacobian.

        Parameters
        ----------
        *args : float
            Values of all parameters, in the cost's order.

        Returns
        -------
        ndarray
            ``d cost / d parameter``.
        """
        return self._grad(args)

    def _signal_fast(self, args: Any) -> NDArray[np.float64]:
        """Signal counts per observed bin (dataset shape) without mappings (see _compile).

        In a fit at fixed physics parameters (every point of a scan) only the nuisances
        change: the expansion's counts (and, with a signal morphing, the variants'
        differences to the nominal) are kept for the last physics point and the signal's
        template generation, so a call only morphs and scales. The returned array may be
        that cached one: callers do not modify it.
        """
        mass = self._mass_default
        if self._mass_idx is not None:
            mass = float(args[self._mass_idx])
        lin = self._lin_get(args)
        key = (self.expansion.signal._quick_generation(), mass, lin)
        if key != self._sig_key:
            counts = self.expansion.evaluate(np.array(lin, dtype=np.float64), mass)
            morph = self.experiment.signal_morphing
            if self._alpha_idx is not None and morph is not None:
                # Morphing.apply's nominal + c @ (variants - nominal), differences kept
                flat = counts.reshape(morph.n_blocks, -1)
                nominal = flat[0].reshape(self._shape)
                self._sig_val = (nominal, flat[1:] - flat[0])
            else:
                self._sig_val = (counts.reshape(self._shape) * self._scale, None)
            self._sig_key = key
        nominal, deltas = self._sig_val
        if deltas is None:
            return nominal
        morph = self.experiment.signal_morphing
        assert morph is not None  # deltas are kept only with a signal morphing
        # the morphed signal of the last (signal, nuisance values): most Minuit calls move
        # a parameter of neither
        alpha_key = (key, self._alpha_get(args))
        if alpha_key != self._morph_key:
            alpha = np.array(alpha_key[1], dtype=np.float64)
            self._morph_val = morph.apply_deltas(nominal, deltas, alpha) * self._scale
            self._morph_key = alpha_key
        return self._morph_val

    def _value(self, args: Any) -> float:
        if self._fast:
            mu = self._signal_fast(args)
        elif self.has_signal:
            vals = dict(zip(self._names, args, strict=True))
            mu = self.experiment._model_counts(self.expansion(vals), vals)
        else:
            mu = np.zeros(self._obs.shape)
        if self.has_signal:
            if self._i_flux is not None:
                mu = mu * args[self._i_flux]
            for syst, i in self._sig_norm_args:
                mu = mu * syst.factor({syst.name: args[i]})
        for evaluate, norms in self._bkg_calls:
            bkg = evaluate(args)
            for syst, i in norms:
                bkg = bkg * syst.factor({syst.name: args[i]})
            mu = mu + bkg
        if self._poisson:
            flat = mu.ravel()
            if flat.min() <= 0:
                return 1e30
            c = 2.0 * (float(flat.sum()) - self._n_sum - float(self._obs_flat @ np.log(flat)))
            c += 2.0 * self._n_log_n_sum
        else:
            r = (mu - self._obs) * self._inv_err
            c = float(np.dot(r.ravel(), r.ravel()))
        for i, mean, sigma in self._priors:
            c += ((args[i] - mean) / sigma) ** 2
        return c

    # -- cevns helpers
    def with_data(
        self,
        counts: NDArray[np.float64],
        *,
        prior_means: Mapping[str, float] | None = None,
    ) -> ExperimentCost:
        """The same likelihood for other observed counts (toys), sharing the templates.

        ``prior_means`` replaces the central values of Gaussian priors (the auxiliary
        measurements, fluctuated in frequentist toys).

        Parameters
        ----------
        counts : ndarray
            Observed counts (or values), the shape of the dataset.
        prior_means : mapping of str to float, optional
            New central values of the Gaussian priors, by public name.

        Returns
        -------
        ExperimentCost
            A new cost; this one is unchanged.
        """
        new = object.__new__(ExperimentCost)
        new.__dict__.update(self.__dict__)
        Cost.__init__(new, dict(self._parameters), 0)
        obs = np.asarray(counts, dtype=np.float64).reshape(self._obs.shape)
        if not np.all(np.isfinite(obs)):
            msg = "toy counts must be finite"
            raise InvalidParameterError(msg)
        new._obs = obs
        new._obs_flat = np.ascontiguousarray(obs).ravel()
        new._n_sum = float(new._obs_flat.sum())
        if new._poisson:
            if np.any(obs < 0):
                msg = "Poisson toy counts must be >= 0"
                raise InvalidParameterError(msg)
            new._n_log_n = np.where(obs > 0, obs * np.log(np.where(obs > 0, obs, 1.0)), 0.0)
            new._n_log_n_sum = float(np.sum(new._n_log_n))
        if prior_means:
            unknown = set(prior_means) - {self._names[i] for i, _, _ in self._priors}
            if unknown:
                msg = f"prior_means for parameters without a prior: {sorted(unknown)}"
                raise InvalidParameterError(msg)
            new._priors = [
                (i, prior_means.get(self._names[i], mean), sigma) for i, mean, sigma in self._priors
            ]
        return new

    @property
    def priors(self) -> dict[str, tuple[float, float]]:
        """Gaussian priors ``name -> (mean, sigma)`` of this cost."""
        return {self._names[i]: (m, s) for i, m, s in self._priors}

    @property
    def defaults(self) -> dict[str, float]:
        """Start values of all parameters."""
        return {p.name: p.value for p in self.parameter_objects}

    @property
    def fixed_by_default(self) -> set[str]:
        """Parameters fixed unless freed (e.g. the mediator mass of a scan)."""
        return {p.name for p in self.parameter_objects if p.fixed}

    def predict(self, values: Mapping[str, float]) -> Expected:
        """Expected counts by component (fast path) at a full set of public values.

        Parameters
        ----------
        values : mapping of str to float
            Every parameter of the cost by public name.

        Returns
        -------
        Expected
            Signal and backgrounds per bin.
        """
        if not self.has_signal:
            zero = np.zeros(self.experiment.dataset.shape)
            flux = {self.experiment.prefixed("flux_norm"): 0.0}
            return self.experiment._assemble(zero, dict(values) | flux)
        sig = self.experiment._model_counts(self.expansion(values), values)
        return self.experiment._assemble(sig, values)

    def __repr__(self) -> str:
        return (
            f"ExperimentCost({self.experiment.name!r}, family={self.family.name!r}, "
            f"parameters={list(self._names)})"
        )
