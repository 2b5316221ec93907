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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from iminuit.cost import Cost
from numpy.typing import NDArray

from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.background import Background
from cevns.likelihood.dataset import Dataset, check_compatible, observed_axes
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.likelihood.signal import Signal
from cevns.physics.families import ModelFamily, Parameter
from cevns.physics.families import family as get_family

__all__ = ["Expected", "Experiment", "ExperimentCost"]


def __dir__() -> list[str]:
    return __all__


Likelihood = Literal["chi2", "poisson"]


@dataclass(frozen=True)
class Expected:
    """Expected counts at one parameter point, by component."""

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
    extra_parameters : sequence of Parameter
        Further nuisance parameters (local names) used by subclasses.
    description : str
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
        self._has_flux_norm = flux_norm_uncertainty is not None
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
        names = [p.name for p in local]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            msg = f"{name}: nuisance parameter names collide: {dup}"
            raise InvalidParameterError(msg)
        self.nuisances: tuple[Parameter, ...] = tuple(local)
        self._check_shapes()

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
        """Public name of a nuisance parameter."""
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
        return counts * self.signal_scale

    def expected(
        self, model_family: ModelFamily | str, values: Mapping[str, float] | None = None
    ) -> Expected:
        """Expected counts by component at ``values`` (public names; defaults elsewhere).

        Uses the direct (template) path, not the quadratic expansion.
        """
        fam = get_family(model_family) if isinstance(model_family, str) else model_family
        vals = (
            fam.defaults()
            | {p.name: p.value for p in self.nuisance_parameters()}
            | dict(values or {})
        )
        sig = self._signal_counts(
            self.signal.expected_counts(fam.build({k: vals[k] for k in fam.names}))
        )
        return self._assemble(sig, vals)

    def _assemble(self, sig: NDArray[np.float64], vals: Mapping[str, float]) -> Expected:
        if self._has_flux_norm:
            sig = sig * vals[self.prefixed("flux_norm")]
        bkgs = {}
        for b in self.backgrounds:
            local = {
                p.name: vals[self.prefixed(p.name)]
                for p in b.parameters
                if self.prefixed(p.name) in vals
            }
            bkgs[b.name] = b.expected(local)
        return Expected(sig, bkgs)

    def cost(
        self, model_family: ModelFamily | str = "sm", *, signal: bool = True
    ) -> ExperimentCost:
        """The likelihood of this experiment as an iminuit cost function.

        ``signal=False`` gives the background-only likelihood: no CEvNS, no physics
        parameters and no signal-normalisation pull.
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
    """

    def __init__(self, experiment: Experiment, family: ModelFamily, *, signal: bool = True) -> None:
        self.experiment = experiment
        self.family = family
        self.has_signal = signal
        self.expansion = QuadraticExpansion(experiment.signal, family)
        nuis = experiment.nuisance_parameters()
        if not signal:
            nuis = tuple(p for p in nuis if p.name != experiment.prefixed("flux_norm"))
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
        if self._poisson:
            n = self._obs
            self._n_log_n = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0)), 0.0)
        super().__init__({p.name: p.limits for p in self.parameter_objects}, 0)

    # -- iminuit Cost interface
    def _ndata(self) -> int:
        return int(self._obs.size)

    def _has_grad(self) -> bool:
        return False

    def _grad(self, args: Any) -> NDArray[np.float64]:  # pragma: no cover - _has_grad is False
        msg = "ExperimentCost has no analytic gradient"
        raise NotImplementedError(msg)

    def _value(self, args: Any) -> float:
        if self.has_signal:
            vals = dict(zip(self._names, args, strict=True))
            mu = self.experiment._signal_counts(self.expansion(vals))
            if self._i_flux is not None:
                mu = mu * args[self._i_flux]
        else:
            mu = np.zeros(self._obs.shape)
        for b, pars in self._bkg_args:
            mu = mu + b._expected({name: args[i] for name, i in pars})
        if self._poisson:
            if np.any(mu <= 0):
                return 1e30
            n = self._obs
            c = 2.0 * float(np.sum(mu - n - n * np.log(mu)) + np.sum(self._n_log_n))
        else:
            c = float(np.sum(((mu - self._obs) / self._err) ** 2))  # type: ignore[operator]
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
        """
        new = object.__new__(ExperimentCost)
        new.__dict__.update(self.__dict__)
        Cost.__init__(new, dict(self._parameters), 0)
        obs = np.asarray(counts, dtype=np.float64).reshape(self._obs.shape)
        if not np.all(np.isfinite(obs)):
            msg = "toy counts must be finite"
            raise InvalidParameterError(msg)
        new._obs = obs
        if new._poisson:
            if np.any(obs < 0):
                msg = "Poisson toy counts must be >= 0"
                raise InvalidParameterError(msg)
            new._n_log_n = np.where(obs > 0, obs * np.log(np.where(obs > 0, obs, 1.0)), 0.0)
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
        """Expected counts by component (fast path) at a full set of public values."""
        if not self.has_signal:
            zero = np.zeros(self.experiment.dataset.shape)
            flux = {self.experiment.prefixed("flux_norm"): 0.0}
            return self.experiment._assemble(zero, dict(values) | flux)
        sig = self.experiment._signal_counts(self.expansion(values))
        return self.experiment._assemble(sig, values)

    def __repr__(self) -> str:
        return (
            f"ExperimentCost({self.experiment.name!r}, family={self.family.name!r}, "
            f"parameters={list(self._names)})"
        )
