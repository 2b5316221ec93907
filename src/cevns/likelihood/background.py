"""Backgrounds: parametric (named parameters, limits, priors) and templates with a normalisation.

A background gives expected counts in the observed bins for a set of its own parameter
values. Parameter names are local (``n_epith``); an :class:`~cevns.likelihood.experiment.Experiment`
prefixes them with the experiment name (``dresden_ii.n_epith``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_positive
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.systematics import Morphing, ShapeSystematic
from cevns.physics.families import Parameter

__all__ = [
    "Background",
    "DresdenIIBackground",
    "FunctionBackground",
    "TemplateBackground",
]


def __dir__() -> list[str]:
    return __all__


class Background(abc.ABC):
    """Base class: subclasses define :attr:`parameters` and :meth:`_expected`."""

    name: str
    parameters: tuple[Parameter, ...]

    def expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Expected counts per bin for local parameter values (missing ones at defaults)."""
        full = {p.name: p.value for p in self.parameters}
        full.update(values)
        return self._expected(full)

    @abc.abstractmethod
    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]: ...


class FunctionBackground(Background):
    """Background from a user function ``f(bin_centres, **params) -> counts per bin``.

    Parameters
    ----------
    name : str
    function : callable
    centres : array or tuple of arrays
        Bin centres passed to the function (one array per axis).
    parameters : sequence of Parameter

    Examples
    --------
    >>> import numpy as np
    >>> from cevns.physics.families import Parameter
    >>> bkg = FunctionBackground("flat", lambda x, level: np.full_like(x, level),
    ...                          np.arange(3.0), [Parameter("level", 2.0, (0, 10))])
    >>> bkg.expected({"level": 3.0})
    array([3., 3., 3.])
    """

    def __init__(
        self,
        name: str,
        function: Callable[..., ArrayLike],
        centres: ArrayLike | tuple[ArrayLike, ...],
        parameters: Sequence[Parameter],
    ) -> None:
        self.name = name
        self.function = function
        self.centres = centres
        self.parameters = tuple(parameters)

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        args = self.centres if isinstance(self.centres, tuple) else (self.centres,)
        return np.asarray(self.function(*args, **values), dtype=np.float64)


class TemplateBackground(Background):
    """A template scaled by a normalisation parameter, optionally with shape systematics.

    ``mu = norm * max(T_0 + sum_m c_m(alpha) (T_m - T_0), 0)`` with the interpolation of
    :mod:`cevns.likelihood.systematics`; without systematics ``mu = norm * T_0``.
    Parameters: ``<name>_norm`` and the nuisances of the systematics (their own names).

    Parameters
    ----------
    name : str
    template : array
        Expected counts per bin at normalisation 1, >= 0.
    norm_uncertainty : float, optional
        Relative prior width of the normalisation (e.g. 0.25 for the COHERENT prompt
        beam-related neutrons); ``None`` for an unconstrained normalisation.
    norm_limits : (float, float)
    fixed : bool
        Fix the normalisation by default.
    norm_prior : (mean, sigma), optional
        Gaussian prior of the normalisation with its start value ``mean`` (instead of
        ``norm_uncertainty``: e.g. a predicted count divided by the template sum).
    systematics : sequence of ShapeSystematic
        Shape variations of the template (variants are arrays of the template's shape).

    Examples
    --------
    >>> from cevns.likelihood.systematics import ShapeSystematic
    >>> bkg = TemplateBackground("b", [1.0, 3.0], norm_prior=(1.0, 0.1),
    ...                          systematics=[ShapeSystematic.updown("b_s", [2.0, 2.0])])
    >>> [p.name for p in bkg.parameters]
    ['b_norm', 'b_s']
    >>> bkg.expected({"b_s": -1.0}).tolist()
    [0.0, 4.0]
    """

    def __init__(
        self,
        name: str,
        template: ArrayLike,
        *,
        norm_uncertainty: float | None = None,
        norm_limits: tuple[float, float] = (0.0, 10.0),
        fixed: bool = False,
        norm_prior: tuple[float, float] | None = None,
        systematics: Sequence[ShapeSystematic] = (),
    ) -> None:
        self.name = name
        t = as_float_array(f"{name}: template", template)
        if np.any(t < 0):
            msg = f"{name}: template must be >= 0"
            raise InvalidParameterError(msg)
        self.template = t
        if norm_prior is not None and norm_uncertainty is not None:
            msg = f"{name}: give norm_uncertainty or norm_prior, not both"
            raise InvalidParameterError(msg)
        prior = None
        start = 1.0
        if norm_uncertainty is not None:
            prior = (1.0, check_positive(f"{name}: norm_uncertainty", norm_uncertainty))
        if norm_prior is not None:
            prior = (
                float(norm_prior[0]),
                check_positive(f"{name}: norm prior sigma", norm_prior[1]),
            )
            start = prior[0]
        step = prior[1] if prior else 0.1
        norm = Parameter(f"{name}_norm", start, norm_limits, step, prior=prior, fixed=fixed)
        self.morphing = Morphing(systematics)
        deltas = []
        for syst in self.morphing.systematics:
            for point, v in zip(syst.points, syst.variants, strict=True):
                where = f"{name}: shape variant {list(syst.names)} at {point}"
                arr = as_float_array(where, v)
                if arr.shape != t.shape:
                    msg = f"{where} has shape {arr.shape}, the template {t.shape}"
                    raise InvalidParameterError(msg)
                deltas.append(arr - t)
        self._deltas = np.array(deltas).reshape(len(deltas), *t.shape)
        self.parameters = (norm, *self.morphing.parameters)
        self._alpha_names = self.morphing.names

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        norm = values[f"{self.name}_norm"]
        if not self._alpha_names:
            return norm * self.template
        alpha = np.array([values[n] for n in self._alpha_names])
        return norm * self.morphing.apply_deltas(self.template, self._deltas, alpha)


class DresdenIIBackground(Background):
    """The Dresden-II background of seed 004 Eq. 18 with the Table I ties.

    ``R(E) = N_epith + A_epith exp(-(E - 0.2 keV)/tau_epith) + sum_{L1, L2, M} A_i
    exp(-((E - E_i)/(sqrt2 sigma_i))^2)`` with L2: A = 0.008 A_L1, E = 1.142 keV,
    sigma = sigma_L1; M: A = beta_M/L1 (sigma_L1/sigma_M) A_L1, E = 0.158 keV,
    sigma_M = sigma_n = 68.5 eV. Amplitudes are counts per 10 eV bin per 3 kg per day:
    the function is evaluated at the bin centres (the "integrated spectrum" of seed 004
    Appendix A). Ranges: Table III; beta_M/L1 has the prior 0.16 +- 0.03 of Eq. 19.

    Parameters
    ----------
    centres_kev : array
        Bin centres [keVee].

    Examples
    --------
    >>> import numpy as np
    >>> bkg = DresdenIIBackground(np.array([0.205, 1.295]))
    >>> [p.name for p in bkg.parameters][:3]
    ['n_epith', 'a_epith', 'tau_epith']
    """

    #: Fixed shape constants (seed 004 Eq. 18 and Table I).
    E_EPITH_KEV = 0.2
    E_L2_KEV = 1.142
    E_M_KEV = 0.158
    SIGMA_M_KEV = 0.0685
    L2_OVER_L1 = 0.008

    def __init__(self, centres_kev: ArrayLike, name: str = "bkg") -> None:
        self.name = name
        self.centres = as_float_array("centres_kev", centres_kev)
        # Table III allowed ranges; start values near the published best fits.
        self.parameters = (
            Parameter("n_epith", 14.0, (0.0, 25.0), 1.0, unit="counts/(10 eV 3 kg d)"),
            Parameter("a_epith", 63.0, (0.0, 150.0), 5.0, unit="counts/(10 eV 3 kg d)"),
            Parameter("tau_epith", 0.26, (1e-3, 2.0), 0.02, unit="keVee"),
            Parameter("a_l1", 84.6, (70.0, 250.0), 3.0, unit="counts/(10 eV 3 kg d)"),
            Parameter("e_l1", 1.2923, (1.2, 1.4), 0.002, unit="keVee"),
            Parameter("sigma_l1", 0.0696, (0.04, 0.1), 0.003, unit="keVee"),
            Parameter("beta_m_l1", 0.16, (0.0, 0.3), 0.03, prior=(0.16, 0.03)),
        )

    def components(self, values: Mapping[str, float]) -> dict[str, NDArray[np.float64]]:
        """The individual terms of Eq. 18 (epithermal constant and exponential, L1, L2, M)."""
        v = {p.name: p.value for p in self.parameters} | dict(values)
        e = self.centres
        sig_l1 = v["sigma_l1"]
        a_l1 = v["a_l1"]
        a_m = v["beta_m_l1"] * sig_l1 / self.SIGMA_M_KEV * a_l1

        def gauss(a: float, mu: float, s: float) -> NDArray[np.float64]:
            return np.asarray(a * np.exp(-(((e - mu) / (np.sqrt(2.0) * s)) ** 2)), dtype=np.float64)

        return {
            "epithermal_constant": np.full_like(e, v["n_epith"]),
            "epithermal_exponential": v["a_epith"]
            * np.exp(-(e - self.E_EPITH_KEV) / v["tau_epith"]),
            "L1": gauss(a_l1, v["e_l1"], sig_l1),
            "L2": gauss(self.L2_OVER_L1 * a_l1, self.E_L2_KEV, sig_l1),
            "M": gauss(a_m, self.E_M_KEV, self.SIGMA_M_KEV),
        }

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        # the sum of components(), without building the dict (hot path of fits)
        e = self.centres
        a_l1, sig_l1 = values["a_l1"], values["sigma_l1"]
        inv = 1.0 / (2.0 * sig_l1 * sig_l1)
        d1 = e - values["e_l1"]
        d2 = e - self.E_L2_KEV
        dm = e - self.E_M_KEV
        a_m = values["beta_m_l1"] * sig_l1 / self.SIGMA_M_KEV * a_l1
        return np.asarray(
            values["n_epith"]
            + values["a_epith"] * np.exp(-(e - self.E_EPITH_KEV) / values["tau_epith"])
            + a_l1 * (np.exp(-d1 * d1 * inv) + self.L2_OVER_L1 * np.exp(-d2 * d2 * inv))
            + a_m * np.exp(-dm * dm / (2.0 * self.SIGMA_M_KEV**2)),
            dtype=np.float64,
        )
