r"""Non-CEvNS constraints on NSI: CHARM, NuTeV and the cosmological mediator-mass bound.

The scattering probes are Gaussian chi^2 terms written as :class:`iminuit.cost.Cost`
subclasses whose parameters carry the public names of a
:class:`~cevns.physics.families.ModelFamily`, so ``charm + nutev + experiment.cost(family)`` is a
combined likelihood in which the physics parameters are shared (iminuit matches the
parameters of a sum by name). Both are in chi^2 units (errordef 1).

Deep-inelastic NC/CC ratios (seed 001, "CHARM" and "NuTeV" slides)
-------------------------------------------------------------------
For incoming flavour alpha the effective chiral couplings are

.. math::

    (\tilde g^P_\alpha)^2 = \sum_{q=u,d} \Big[(g^P_q + \epsilon^{q,P}_{\alpha\alpha})^2
        + \sum_{\beta \ne \alpha} |\epsilon^{q,P}_{\alpha\beta}|^2\Big],\quad P = L, R,

with the SM couplings of quarks to the Z including two-loop radiative corrections
(J. Erler and S. Su, arXiv:1303.5522, as quoted by the PDG electroweak review):
``g^L_u = 0.3457``, ``g^L_d = -0.4288``, ``g^R_u = -0.1553``, ``g^R_d = 0.0777``. These give
``R_e,SM = 0.3335``, the "0.333 for q^2 ~ 20 GeV^2" of seed 001. The framework's NSI are
purely vector, ``eps^{q,V} = eps^{q,L} + eps^{q,R}`` with no axial part, so
``eps^{q,L} = eps^{q,R} = eps^{q,V} / 2``; with a mediator of mass M they are evaluated at
the probe's typical momentum transfer, ``eps(q) = eps(0) M^2 / (q^2 + M^2)``
(seed 000 Eq. 9).

* CHARM (nu_e and anti-nu_e on Fe, <E> = 54 GeV): ``R = (g~_e^L)^2 + (g~_e^R)^2 =
  0.406 +- 0.140`` (CHARM, PLB 180 (1986) 303; seed 001), probing ``eps_e.^q``.
* NuTeV (nu_mu and anti-nu_mu on Fe, <E> = 60 GeV): ``R^nu = 0.3919 +- 0.0013``,
  ``R^nubar = 0.4050 +- 0.0027`` (seed 001; NuTeV PRL 88 (2002) 091802), probing
  ``eps_mu.^q``. The measured ratios are experimental (acceptance, nu_e contamination,
  sea quarks), so NSI enter as a shift of the Llewellyn Smith combinations
  ``g_L^2 + r g_R^2`` and ``g_L^2 + g_R^2 / r`` (``r = 0.5``) added to NuTeV's SM
  predictions ``R^nu_SM = 0.3950``, ``R^nubar_SM = 0.4066`` (NuTeV PRL 88 (2002) 091802).
  By default the measurements carry the corrections of seed 001 (W. Bentz et al.,
  arXiv:0908.3198): ``delta R^nu = +0.0017``, ``delta R^nubar = -0.0016``.

Validity: contact interactions only. Seed 001 (table "NSI in scattering experiments probe
different scales") lists CHARM/NuTeV (DIS) for ``M_Z' >~ 1 GeV``; seed 000 Sec. V and the
seed 001 summary slide use ``M_Z' >~ 10 GeV``, which is the default minimum here
(``q ~ 4.5 GeV`` at ``q^2 ~ 20 GeV^2``: the propagator is within 20% of 1 above 10 GeV).
Families whose mediator is lighter are refused.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from iminuit.cost import Cost
from numpy.typing import ArrayLike, NDArray

from cevns.core._validation import as_float_array, check_positive, describe
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.families import ModelFamily, Parameter
from cevns.physics.nsi import NSIModel

__all__ = [
    "CHARM_Q2_GEV2",
    "HEAVY_MEDIATOR_MIN_MEV",
    "NUTEV_Q2_GEV2",
    "NUTEV_R",
    "SM_QUARK_COUPLINGS",
    "CharmCost",
    "CosmologyBound",
    "NuTeVCost",
    "ProbeCost",
    "charm_ratio",
    "effective_couplings",
    "nutev_ratios",
]


def __dir__() -> list[str]:
    return __all__


#: SM chiral couplings of quarks to the Z, ``{(chirality, quark): g}``, with two-loop
#: radiative corrections (Erler & Su arXiv:1303.5522 / PDG electroweak review); seed 001
#: "2-loop radiative corrections for SM couplings".
SM_QUARK_COUPLINGS: dict[tuple[str, str], float] = {
    ("L", "u"): 0.3457,
    ("L", "d"): -0.4288,
    ("R", "u"): -0.1553,
    ("R", "d"): 0.0777,
}
#: Lightest mediator [MeV] for which the DIS probes apply (10 GeV; seed 000 Sec. V,
#: seed 001 "CHARM and NuTeV for M_Z' >~ 10 GeV").
HEAVY_MEDIATOR_MIN_MEV: float = 1.0e4
#: Typical momentum transfer of CHARM [GeV^2]; seed 001 "q^2 ~ 20 GeV^2".
CHARM_Q2_GEV2: float = 20.0
#: Typical momentum transfer of NuTeV [GeV^2]; assumed equal to CHARM's (<E> = 60 vs 54 GeV;
#: not given in the seeds).
NUTEV_Q2_GEV2: float = 20.0
#: NuTeV numbers: measured ratios and errors (seed 001), corrections delta R (seed 001,
#: from Bentz et al. arXiv:0908.3198), SM predictions and r (NuTeV PRL 88 (2002) 091802).
NUTEV_R: dict[str, float] = {
    "nu": 0.3919,
    "nu_err": 0.0013,
    "nubar": 0.4050,
    "nubar_err": 0.0027,
    "nu_correction": 0.0017,
    "nubar_correction": -0.0016,
    "nu_sm": 0.3950,
    "nubar_sm": 0.4066,
    "r": 0.5,
}
_CHARM_R = (0.406, 0.140)


def effective_couplings(
    model: NSIModel, flavour: int, q2_gev2: float = CHARM_Q2_GEV2
) -> tuple[float, float]:
    """``((g~^L)^2, (g~^R)^2)`` for incoming flavour ``flavour`` (0 = e, 1 = mu, 2 = tau).

    Vector NSI split equally between chiralities; light mediators suppressed by
    ``M^2 / (q^2 + M^2)`` at ``q^2 = q2_gev2``.

    Parameters
    ----------
    model : NSIModel
        The model (SM couplings, NSI and mediator mass).
    flavour : int
        Incoming neutrino flavour: 0 = e, 1 = mu, 2 = tau.
    q2_gev2 : float, optional
        Momentum transfer squared [GeV^2] (>= 0) of the light-mediator suppression (default 20).

    Returns
    -------
    gl2, gr2 : float
        The squared left- and right-handed effective couplings, summed over outgoing flavours.

    Examples
    --------
    >>> gl2, gr2 = effective_couplings(NSIModel.sm(), 1)
    >>> round(gl2, 4), round(gr2, 4)
    (0.3034, 0.0302)
    """
    if flavour not in (0, 1, 2):
        msg = f"flavour must be a lepton index 0 (e), 1 (mu) or 2 (tau), got {flavour!r}"
        raise InvalidParameterError(msg)
    q2 = check_positive("q2_gev2", q2_gev2, allow_zero=True)
    g_m = float(model.propagator(math.sqrt(q2) * 1.0e3))
    out = []
    for chir in ("L", "R"):
        total = 0.0
        for quark, eps in (("u", model.eps_u), ("d", model.eps_d)):
            row = 0.5 * g_m * eps[flavour, :]
            for beta in range(3):
                if beta == flavour:
                    total += (SM_QUARK_COUPLINGS[(chir, quark)] + float(row[beta].real)) ** 2
                else:
                    total += float(abs(row[beta])) ** 2
        out.append(total)
    return out[0], out[1]


def charm_ratio(model: NSIModel, q2_gev2: float = CHARM_Q2_GEV2) -> float:
    """CHARM ``R = (g~_e^L)^2 + (g~_e^R)^2`` (seed 001).

    Parameters
    ----------
    model : NSIModel
        The model (SM couplings, NSI and mediator mass).
    q2_gev2 : float, optional
        Momentum transfer squared [GeV^2] of the light-mediator suppression (default 20).

    Returns
    -------
    float
        The ratio R.

    Examples
    --------
    >>> round(charm_ratio(NSIModel.sm()), 4)  # seed 001: R_e,SM = 0.333
    0.3335
    """
    gl2, gr2 = effective_couplings(model, 0, q2_gev2)
    return gl2 + gr2


def nutev_ratios(
    model: NSIModel, q2_gev2: float = NUTEV_Q2_GEV2, *, r: float | None = None
) -> tuple[float, float]:
    """Predicted NuTeV ``(R^nu, R^nubar)``: SM prediction plus the NSI shift.

    ``R^nu = R^nu_SM + d(g_L^2) + r d(g_R^2)``, ``R^nubar = R^nubar_SM + d(g_L^2) +
    d(g_R^2) / r`` with ``d`` the change of the muon-neutrino couplings (seed 001 formulas).

    Parameters
    ----------
    model : NSIModel
        The model (SM couplings, NSI and mediator mass).
    q2_gev2 : float, optional
        Momentum transfer squared [GeV^2] of the light-mediator suppression (default 20).
    r : float, optional
        Ratio of antineutrino to neutrino cross sections (> 0); None for NuTeV's 0.5.

    Returns
    -------
    r_nu, r_nubar : float
        The predicted neutrino and antineutrino ratios.

    Examples
    --------
    >>> nutev_ratios(NSIModel.sm())
    (0.395, 0.4066)
    """
    rr = NUTEV_R["r"] if r is None else check_positive("r", r)
    gl2, gr2 = effective_couplings(model, 1, q2_gev2)
    gl2_sm, gr2_sm = effective_couplings(NSIModel.sm(), 1, q2_gev2)
    dl, dr = gl2 - gl2_sm, gr2 - gr2_sm
    return NUTEV_R["nu_sm"] + dl + rr * dr, NUTEV_R["nubar_sm"] + dl + dr / rr


def _is_family(obj: object) -> bool:
    return isinstance(obj, ModelFamily)


class ProbeCost(Cost):  # type: ignore[misc]
    """Gaussian chi^2 of external measurements as a function of a model family.

    Subclasses define :meth:`predict_model` and the measurement. The parameters are all
    those of ``family`` under their public names; a ``mediator_mass_mev`` below
    ``min_mediator_mass_mev`` is refused (at construction for the family default, at
    evaluation otherwise) and the parameter's lower limit is raised to it.

    Parameters
    ----------
    family : ModelFamily or str
        A family object or the name of a built-in family / shipped model file.
    observed, errors : array_like
        Measured values and Gaussian errors.
    min_mediator_mass_mev : float
        Lightest mediator for which the probe applies [MeV].
    name : str
        Label.

    Attributes
    ----------
    parameter_objects : tuple of Parameter
        Parameters with defaults, limits and fixed flags (read by :func:`cevns.stats.fit.fit`).
    """

    def __init__(
        self,
        family: ModelFamily | str,
        observed: ArrayLike,
        errors: ArrayLike,
        *,
        min_mediator_mass_mev: float = HEAVY_MEDIATOR_MIN_MEV,
        name: str = "probe",
    ) -> None:
        if isinstance(family, str):
            from cevns.physics.model_files import load_model

            family = load_model(family)
        if not _is_family(family):
            msg = f"family must be a ModelFamily or a model name, got {describe(family)}"
            raise InvalidParameterError(msg)
        self.name = name
        self.family = family
        self.min_mediator_mass_mev = check_positive("min_mediator_mass_mev", min_mediator_mass_mev)
        self.observed = np.atleast_1d(as_float_array("observed", observed)).copy()
        self.errors = np.atleast_1d(as_float_array("errors", errors)).copy()
        if self.observed.shape != self.errors.shape or np.any(self.errors <= 0):
            msg = (
                f"{name}: errors must be > 0 and match observed; got observed "
                f"{self.observed.tolist()} and errors {self.errors.tolist()}"
            )
            raise InvalidParameterError(msg)
        params: list[Parameter] = []
        for p in family.parameters:
            if p.name == "mediator_mass_mev":
                self._check_mass(p.value, f"default of model family {family.name!r}")
                lo, hi = p.limits
                p = p.replace(limits=(max(lo, self.min_mediator_mass_mev), hi))
            params.append(p)
        self.parameter_objects: tuple[Parameter, ...] = tuple(params)
        self._names = tuple(p.name for p in params)
        super().__init__({p.name: p.limits for p in params}, 0)

    def _check_mass(self, mass: float | None, where: str) -> None:
        if mass is not None and mass < self.min_mediator_mass_mev:
            msg = (
                f"{self.name} applies to heavy mediators only: mediator_mass_mev ({where}) "
                f"= {mass:g} MeV is below {self.min_mediator_mass_mev:g} MeV; use a contact "
                "family or e.g. family.with_defaults(mediator_mass_mev=2e4)"
            )
            raise InvalidParameterError(msg)

    # -- physics
    @abc.abstractmethod
    def predict_model(self, model: NSIModel) -> NDArray[np.float64]:
        """Predicted observables for an ``NSIModel`` (each probe defines it).

        Parameters
        ----------
        model : NSIModel
            The model to predict for.

        Returns
        -------
        ndarray
            The predicted observables, in the order of ``observed``.
        """

    def model(self, values: Mapping[str, float] | None = None) -> NSIModel:
        """The model at ``values`` (family defaults for the missing ones).

        Parameters
        ----------
        values : Mapping[str, float], optional
            Parameter values (public names); None or missing ones take the defaults.

        Returns
        -------
        NSIModel
            The model built by the family.
        """
        vals = self.defaults | dict(values or {})
        model = self.family.build({k: vals[k] for k in self.family.names})
        self._check_mass(model.mediator_mass_mev, "value")
        return model

    def predict(self, values: Mapping[str, float] | None = None) -> NDArray[np.float64]:
        """Predicted observables at ``values`` (public names).

        Parameters
        ----------
        values : Mapping[str, float], optional
            Parameter values (public names); None or missing ones take the defaults.

        Returns
        -------
        ndarray
            The predicted observables.
        """
        return self.predict_model(self.model(values))

    def chi2(self, values: Mapping[str, float] | None = None) -> float:
        """``sum ((prediction - observed) / error)^2`` at ``values``.

        Parameters
        ----------
        values : Mapping[str, float], optional
            Parameter values (public names); None or missing ones take the defaults.

        Returns
        -------
        float
            The chi^2 of the probe.
        """
        pred = self.predict(values)
        return float(np.sum(((pred - self.observed) / self.errors) ** 2))

    @property
    def defaults(self) -> dict[str, float]:
        """Start values of all parameters."""
        return {p.name: p.value for p in self.parameter_objects}

    @property
    def fixed_by_default(self) -> set[str]:
        """Parameters fixed unless freed."""
        return {p.name for p in self.parameter_objects if p.fixed}

    @property
    def priors(self) -> dict[str, tuple[float, float]]:
        """No parameter priors: the measurement is the whole cost."""
        return {}

    # -- iminuit Cost interface
    def _ndata(self) -> int:
        return int(self.observed.size)

    def _has_grad(self) -> bool:
        return False

    def _grad(self, args: Any) -> NDArray[np.float64]:  # pragma: no cover - no gradient
        msg = f"{type(self).__name__} has no analytic gradient"
        raise NotImplementedError(msg)

    def _value(self, args: Any) -> float:
        return self.chi2(dict(zip(self._names, args, strict=True)))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(family={self.family.name!r}, "
            f"observed={self.observed.tolist()}, errors={self.errors.tolist()})"
        )


class CharmCost(ProbeCost):
    """CHARM NC/CC ratio of electron (anti)neutrinos, ``R = 0.406 +- 0.140`` (seed 001).

    Parameters
    ----------
    family : ModelFamily or str
        E.g. ``"nsi_ee_q"`` or ``"nsi_ee_ud"``.
    q2_gev2 : float
        Typical momentum transfer for a finite mediator mass (20 GeV^2, seed 001).
    min_mediator_mass_mev : float
        Default 10 GeV.

    Examples
    --------
    >>> c = CharmCost("nsi_ee_q")
    >>> round(c.chi2({"eps_ee_q": 0.0}), 3)  # ((0.3335 - 0.406) / 0.140)^2
    0.268
    """

    def __init__(
        self,
        family: ModelFamily | str,
        *,
        q2_gev2: float = CHARM_Q2_GEV2,
        min_mediator_mass_mev: float = HEAVY_MEDIATOR_MIN_MEV,
    ) -> None:
        self.q2_gev2 = check_positive("q2_gev2", q2_gev2, allow_zero=True)
        super().__init__(
            family,
            [_CHARM_R[0]],
            [_CHARM_R[1]],
            min_mediator_mass_mev=min_mediator_mass_mev,
            name="CHARM",
        )

    def predict_model(self, model: NSIModel) -> NDArray[np.float64]:
        """``[R]`` for the model.

        Parameters
        ----------
        model : NSIModel
            The model to predict for.

        Returns
        -------
        ndarray of shape (1,)
            The CHARM ratio R.
        """
        return np.array([charm_ratio(model, self.q2_gev2)])


class NuTeVCost(ProbeCost):
    """NuTeV NC/CC ratios of muon (anti)neutrinos (seed 001), uncorrelated errors.

    Parameters
    ----------
    family : ModelFamily or str
        E.g. ``"nsi_mumu_q"``.
    corrected : bool
        Apply the corrections ``delta R`` of seed 001 (default) or use the original values.
    q2_gev2 : float
        Typical momentum transfer for a finite mediator mass.
    min_mediator_mass_mev : float
        Default 10 GeV.

    Examples
    --------
    >>> round(NuTeVCost("nsi_mumu_q").chi2(), 2)  # seed 001: "corrected chi2_SM ~ 2.3"
    2.56
    """

    def __init__(
        self,
        family: ModelFamily | str,
        *,
        corrected: bool = True,
        q2_gev2: float = NUTEV_Q2_GEV2,
        min_mediator_mass_mev: float = HEAVY_MEDIATOR_MIN_MEV,
    ) -> None:
        self.q2_gev2 = check_positive("q2_gev2", q2_gev2, allow_zero=True)
        self.corrected = bool(corrected)
        n = NUTEV_R
        obs = [n["nu"], n["nubar"]]
        if self.corrected:
            obs = [obs[0] + n["nu_correction"], obs[1] + n["nubar_correction"]]
        super().__init__(
            family,
            obs,
            [n["nu_err"], n["nubar_err"]],
            min_mediator_mass_mev=min_mediator_mass_mev,
            name="NuTeV",
        )

    def predict_model(self, model: NSIModel) -> NDArray[np.float64]:
        """``[R^nu, R^nubar]`` for the model.

        Parameters
        ----------
        model : NSIModel
            The model to predict for.

        Returns
        -------
        ndarray of shape (2,)
            The ratios ``R^nu`` and ``R^nubar``.
        """
        return np.array(nutev_ratios(model, self.q2_gev2))


@dataclass(frozen=True)
class CosmologyBound:
    """Early-universe lower bound on the mediator mass (BBN / CMB N_eff).

    Parameters
    ----------
    mass_mev : float
        Mediators lighter than this are excluded [MeV].
    label : str
        Legend label.
    reference : str
        Where the number comes from.

    Examples
    --------
    >>> b = CosmologyBound.bbn()
    >>> b.mass_mev, b.excluded([1.0, 3.1, 10.0]).tolist()
    (3.1, [True, False, False])
    """

    mass_mev: float
    label: str = "cosmology"
    reference: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass_mev", check_positive("mass_mev", self.mass_mev))

    @classmethod
    def bbn(cls) -> CosmologyBound:
        """``M_Z' > 3.1 MeV`` from BBN only, 2 sigma (seed 000 Sec. II, its ref. [40])."""
        return cls(3.1, "BBN ($M_{Z'} < 3.1$ MeV)", "seed 000 Sec. II, ref. [40], BBN only")

    @classmethod
    def neff(cls) -> CosmologyBound:
        """``M_Z' > 5.3 MeV`` from Delta N_eff (seed 000 ref. [37]; seed 001 "N_eff-BBN")."""
        return cls(
            5.3,
            r"$\Delta N_\mathrm{eff}$ ($M_{Z'} < 5.3$ MeV)",
            "seed 000 Sec. II, ref. [37] (Kamada & Yu 1504.00711); seed 001",
        )

    @classmethod
    def strongest(cls) -> CosmologyBound:
        """``M_Z' > 10.1 MeV``, strongest combination of seed 000's ref. [40]."""
        return cls(10.1, "BBN+CMB ($M_{Z'} < 10.1$ MeV)", "seed 000 Sec. II, ref. [40]")

    def excluded(self, mass_mev: ArrayLike) -> NDArray[np.bool_]:
        """Mask of mediator masses [MeV] excluded by the bound (``mass < mass_mev``).

        Parameters
        ----------
        mass_mev : array_like
            Mediator masses [MeV].

        Returns
        -------
        ndarray of bool
            True where the mass is below the bound.
        """
        m = as_float_array("mass_mev", mass_mev)
        return np.asarray(m < self.mass_mev)

    def shade(self, ax: Any, *, color: str = "0.6", alpha: float = 0.4, **kwargs: Any) -> Any:
        """Shade the excluded masses on a matplotlib Axes whose x axis is ``M_Z'`` [MeV].

        Returns the patch of :meth:`matplotlib.axes.Axes.axvspan`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes
            Axes whose x axis is the mediator mass [MeV]; its x limits are widened to the bound.
        color : str, optional
            Colour of the band (default ``"0.6"``, grey).
        alpha : float, optional
            Opacity of the band (default 0.4).
        """
        import matplotlib  # noqa: F401 - lazy: fail early with a clear ImportError

        lo, hi = ax.get_xlim()
        if lo >= self.mass_mev or (ax.get_xscale() == "log" and lo <= 0):
            lo = self.mass_mev / 10.0 if ax.get_xscale() == "log" else 0.0
        kwargs.setdefault("label", self.label)
        patch = ax.axvspan(lo, self.mass_mev, color=color, alpha=alpha, lw=0, **kwargs)
        ax.set_xlim(lo, max(hi, self.mass_mev))
        return patch
