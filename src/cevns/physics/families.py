"""Physics-model families: named, public parameters mapped to :class:`~cevns.physics.nsi.NSIModel`.

A :class:`ModelFamily` is what fits and scans see: a list of :class:`Parameter` with
stable public names (``sin2_theta_w``, ``mediator_mass_mev``, ``eps_<ab>_<f>``,
``eps_<ab>_q``, ``x``, ``g_nu_g_q``, ``alpha11``, ``alpha12``, ``alpha13``,
``c_<x>_<q>``) and a builder. Parameters are classified for the fast path:

* *linear* parameters enter the amplitude affinely at fixed mediator mass, so expected
  counts are an exact quadratic polynomial in them (couplings, sin^2(theta_W), x, g_nu g_q);
* ``mediator_mass_mev`` is *structural*: changing it rebuilds (cached) templates;
* ``alpha1j`` (non-unitarity) multiply the rate per flavour by a known polynomial.

Electromagnetic families (:mod:`cevns.physics.electromagnetic`): ``mu_nu_<l>`` (magnetic
moment [1e-10 mu_B]; its rate adds incoherently, so the counts are ``a + b mu^2``: exact
quadratic), ``r2_nu_<l>`` (charge radius <r^2> [1e-32 cm^2]) and ``q_nu_<l>`` (millicharge
[1e-12 e]), the last two affine in the amplitude as vector NSI proportional to the electric
charge.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cevns.core._validation import unknown_name
from cevns.core.constants import SIN2_THETA_W_LOW_ENERGY, SIN2_THETA_W_Z
from cevns.core.exceptions import InvalidParameterError
from cevns.physics.electromagnetic import (
    PHOTON_MASS_PROXY_MEV,
    MagneticMomentModel,
    charge_radius_eps,
    millicharge_eps,
)
from cevns.physics.nsi import NSIModel, eps_from_couplings

__all__ = [
    "FAMILIES",
    "ModelFamily",
    "Parameter",
    "family",
]


def __dir__() -> list[str]:
    return __all__


@dataclass(frozen=True)
class Parameter:
    """A named fit parameter.

    Parameters
    ----------
    name : str
        Public, stable name.
    value : float
        Default (start) value.
    limits : (float, float)
        Allowed range; ``-inf``/``inf`` for none.
    step : float
        Typical scale (initial step for Minuit and scale of the quadratic expansion).
    prior : (mean, sigma), optional
        Gaussian constraint added to the cost.
    fixed : bool
        Fixed by default.
    unit : str
        Unit label for reports.
    structural : bool
        Changing it rebuilds the signal templates (a mediator mass): fits and scans hold
        it at grid values instead of letting Minuit move it.
    """

    name: str
    value: float
    limits: tuple[float, float] = (-math.inf, math.inf)
    step: float = 0.1
    prior: tuple[float, float] | None = None
    fixed: bool = False
    unit: str = ""
    structural: bool = False

    def __post_init__(self) -> None:
        lo, hi = (float(v) for v in self.limits)
        object.__setattr__(self, "limits", (lo, hi))
        if not lo < hi:
            msg = f"parameter {self.name!r}: limits must satisfy lo < hi, got {self.limits}"
            raise InvalidParameterError(msg)
        if not (math.isfinite(self.value) and lo <= self.value <= hi):
            msg = (
                f"parameter {self.name!r}: start value {self.value!r} is outside its limits "
                f"[{lo}, {hi}]"
            )
            raise InvalidParameterError(msg)
        if not (math.isfinite(self.step) and self.step > 0):
            msg = f"parameter {self.name!r}: step must be > 0, got {self.step!r}"
            raise InvalidParameterError(msg)
        if self.prior is not None:
            try:
                mean, sigma = (float(v) for v in self.prior)
            except (TypeError, ValueError):
                msg = f"parameter {self.name!r}: prior must be (mean, sigma), got {self.prior!r}"
                raise InvalidParameterError(msg) from None
            if not (math.isfinite(mean) and math.isfinite(sigma)):
                msg = (
                    f"parameter {self.name!r}: prior (mean, sigma) must be finite, "
                    f"got ({mean!r}, {sigma!r})"
                )
                raise InvalidParameterError(msg)
            if not sigma > 0:
                msg = f"parameter {self.name!r}: prior sigma must be > 0, got ({mean!r}, {sigma!r})"
                raise InvalidParameterError(msg)
            object.__setattr__(self, "prior", (mean, sigma))

    def replace(self, **changes: Any) -> Parameter:
        """A validated copy with some fields changed."""
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d.update(changes)
        return Parameter(**d)


_DIAG = ("ee", "mumu", "tautau")
_OFFDIAG = ("emu", "etau", "mutau")
_ALPHAS = ("alpha11", "alpha12", "alpha13")


@dataclass(frozen=True)
class ModelFamily:
    """A family of physics models with named parameters.

    Parameters
    ----------
    name : str
    parameters : sequence of Parameter
        Every parameter the builder accepts (mediator mass and alphas included if used).
    builder : callable
        ``builder(values: dict) -> NSIModel`` given a value for every parameter.
    description : str
    """

    name: str
    parameters: tuple[Parameter, ...]
    builder: Callable[[Mapping[str, float]], NSIModel]
    description: str = ""
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            msg = f"model family {self.name!r}: duplicate parameter names {names}"
            raise InvalidParameterError(msg)
        object.__setattr__(self, "parameters", tuple(self.parameters))
        self._index.update({n: i for i, n in enumerate(names)})

    # ------------------------------------------------------------------ names
    @property
    def names(self) -> tuple[str, ...]:
        """All parameter names, in order."""
        return tuple(p.name for p in self.parameters)

    @property
    def linear_names(self) -> tuple[str, ...]:
        """Parameters in which the counts are an exact quadratic polynomial."""
        return tuple(n for n in self.names if n != "mediator_mass_mev" and n not in _ALPHAS)

    @property
    def rate_names(self) -> tuple[str, ...]:
        """Non-unitarity parameters (multiplicative rate factors)."""
        return tuple(n for n in self.names if n in _ALPHAS)

    @property
    def has_mediator_mass(self) -> bool:
        """Whether the mediator mass is a parameter."""
        return "mediator_mass_mev" in self._index

    def parameter(self, name: str) -> Parameter:
        """Look a parameter up by name (did-you-mean on failure).

        Parameters
        ----------
        name : str
            Public parameter name.

        Returns
        -------
        Parameter
            Its default, limits and whether it is structural.
        """
        if name not in self._index:
            kind = f"parameter of model {self.name!r}"
            raise unknown_name(kind, name, self.names)
        return self.parameters[self._index[name]]

    def defaults(self) -> dict[str, float]:
        """Default values of all parameters."""
        return {p.name: p.value for p in self.parameters}

    def with_defaults(self, **values: float) -> ModelFamily:
        """A copy with new default values (validated against the limits)."""
        for k in values:
            self.parameter(k)
        params = tuple(
            p.replace(value=float(values[p.name])) if p.name in values else p
            for p in self.parameters
        )
        return ModelFamily(self.name, params, self.builder, self.description)

    # ------------------------------------------------------------------ building
    def build(self, values: Mapping[str, float] | None = None, **kwargs: float) -> NSIModel:
        """The :class:`NSIModel` at the given values (defaults for the missing ones).

        Parameters
        ----------
        values : mapping of str to float, optional
            Parameter values by name.
        **kwargs : float
            More values by keyword.

        Returns
        -------
        NSIModel
            The model.
        """
        full = self.defaults()
        given = dict(values or {}) | kwargs
        for k, v in given.items():
            self.parameter(k)
            full[k] = float(v)
        return self.builder(full)

    def rate_factors(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Per-flavour (e, mu, tau) non-unitarity factors at ``values`` (ones if unused).

        Parameters
        ----------
        values : mapping of str to float
            Parameter values by name.

        Returns
        -------
        ndarray
            Shape ``(3,)``.
        """
        if not self.rate_names:
            return np.ones(3)
        a11 = float(values.get("alpha11", 1.0))
        a12 = float(values.get("alpha12", 0.0))
        a13 = float(values.get("alpha13", 0.0))
        a = np.array([[a11, 0, 0], [a12, 1.0, 0], [a13, 0, 1.0]])
        nn = a @ a.T
        return np.asarray(np.sum(nn**2, axis=1), dtype=np.float64)


# ---------------------------------------------------------------------- families
def _sin2(default: float = SIN2_THETA_W_Z) -> Parameter:
    return Parameter("sin2_theta_w", default, (0.0, 1.0), 0.01)


def _mass(default: float = 10.0) -> Parameter:
    return Parameter("mediator_mass_mev", default, (1e-3, 1e6), 1.0, unit="MeV", structural=True)


def _sm(couplings: str) -> ModelFamily:
    default = SIN2_THETA_W_Z if couplings == "radiative" else SIN2_THETA_W_LOW_ENERGY
    return ModelFamily(
        f"sm_{couplings}" if couplings == "tree" else "sm",
        (_sin2(default).replace(fixed=True),),
        lambda v: NSIModel(sin2_theta_w=v["sin2_theta_w"], couplings=couplings),  # type: ignore[arg-type]
        f"Standard Model, {couplings} nucleon couplings; sin2_theta_w fixed by default",
    )


def _sin2w(couplings: str) -> ModelFamily:
    default = SIN2_THETA_W_Z if couplings == "radiative" else SIN2_THETA_W_LOW_ENERGY
    return ModelFamily(
        "sin2w" if couplings == "tree" else "sin2w_radiative",
        (_sin2(default),),
        lambda v: NSIModel(sin2_theta_w=v["sin2_theta_w"], couplings=couplings),  # type: ignore[arg-type]
        f"weak mixing angle free, {couplings} couplings (seed 004 Sec. 2.1 uses tree level)",
    )


def _lma_dark(y_n: float = 1.0 / 3.0, couplings: str = "radiative") -> ModelFamily:
    def build(v: Mapping[str, float]) -> NSIModel:
        return NSIModel.lma_dark(
            x=v["x"], y_n=y_n, mediator_mass_mev=v["mediator_mass_mev"], **_sm_kwargs(v, couplings)
        )

    return ModelFamily(
        "lma_dark" + _suffix(couplings),
        (
            Parameter("x", 0.0, (-10.0, 10.0), 0.5),
            _mass(10.0).replace(fixed=True),
            *_sm_params(couplings),
        ),
        build,
        "LMA-Dark (eps_ee, eps_mumu, eps_tautau) = (x-2, x, x) at Y_n = 1/3, eps^u = eps^d, "
        "light Z'",
    )


def _light_zprime(flavours: tuple[str, ...] = ("ee",), couplings: str = "radiative") -> ModelFamily:
    def build(v: Mapping[str, float]) -> NSIModel:
        eps0 = float(eps_from_couplings(v["g_nu_g_q"], v["mediator_mass_mev"]))
        entries = {f"{p}_q": eps0 for p in flavours}
        return NSIModel.vector_nsi(
            entries, mediator_mass_mev=v["mediator_mass_mev"], **_sm_kwargs(v, couplings)
        )

    return ModelFamily(
        ("light_zprime" if flavours == ("ee",) else "light_zprime_mumu") + _suffix(couplings),
        (
            Parameter("g_nu_g_q", 0.0, (-1e-2, 1e-2), 1e-11),
            _mass(10.0).replace(fixed=True),
            *_sm_params(couplings),
        ),
        build,
        f"vector Z' coupled to quarks (u = d) and to {'/'.join(flavours)} neutrinos",
    )


def _suffix(couplings: str) -> str:
    return "" if couplings == "radiative" else f"_{couplings}"


def _sm_params(couplings: str) -> tuple[Parameter, ...]:
    """Tree-level twins carry sin2_theta_w as a (fixed by default) parameter."""
    return () if couplings == "radiative" else (_sin2(SIN2_THETA_W_LOW_ENERGY).replace(fixed=True),)


def _sm_kwargs(v: Mapping[str, float], couplings: str) -> dict[str, Any]:
    kw: dict[str, Any] = {"couplings": couplings}
    if couplings != "radiative":
        kw["sin2_theta_w"] = v["sin2_theta_w"]
    return kw


def _vector_nsi(
    entries: Sequence[str], *, contact: bool = True, couplings: str = "radiative"
) -> ModelFamily:
    params = []
    for e in entries:
        pair = e.rsplit("_", 1)[0]
        # eps(0) of a light mediator is suppressed by M^2 / (q^2 + M^2): allow large values
        lim = 5.0 if contact else 1e3
        params.append(Parameter(f"eps_{e}", 0.0, (-lim, lim), 0.05))
        if pair not in _DIAG + _OFFDIAG:
            raise unknown_name("NSI flavour pair", pair, _DIAG + _OFFDIAG)
    if not contact:
        params.append(_mass(1e3).replace(fixed=True))
    params.extend(_sm_params(couplings))

    def build(v: Mapping[str, float]) -> NSIModel:
        eps = {k[4:]: val for k, val in v.items() if k.startswith("eps_")}
        return NSIModel.vector_nsi(
            eps, mediator_mass_mev=v.get("mediator_mass_mev"), **_sm_kwargs(v, couplings)
        )

    return ModelFamily(
        "vector_nsi_" + "_".join(entries) + _suffix(couplings),
        tuple(params),
        build,
        "vector NSI (contact)" if contact else "vector NSI with a light mediator",
    )


def _ngi(couplings: str = "radiative") -> ModelFamily:
    names = ("c_s_u", "c_s_d", "c_v_u", "c_v_d", "c_t_u", "c_t_d")
    params = tuple(Parameter(n, 0.0, (-10.0, 10.0), 0.05, fixed=True) for n in names)

    def build(v: Mapping[str, float]) -> NSIModel:
        return NSIModel.ngi(**{n: v[n] for n in names}, **_sm_kwargs(v, couplings))

    return ModelFamily(
        "ngi" + _suffix(couplings),
        (*params, *_sm_params(couplings)),
        build,
        "generalised S/V/T interactions (seed 004 Eq. 10-13)",
    )


def _ngi_q(couplings: str = "radiative") -> ModelFamily:
    names = ("c_s_q", "c_v_q", "c_t_q")
    params = tuple(Parameter(n, 0.0, (-10.0, 10.0), 0.05, fixed=True) for n in names)

    def build(v: Mapping[str, float]) -> NSIModel:
        kw = {f"c_{x}_{q}": v[f"c_{x}_q"] for x in "svt" for q in "ud"}
        return NSIModel.ngi(**kw, **_sm_kwargs(v, couplings))

    return ModelFamily(
        "ngi_q" + _suffix(couplings),
        (*params, *_sm_params(couplings)),
        build,
        "generalised interactions with C^u = C^d (seed 004 Fig. 6)",
    )


def _non_unitarity(couplings: str = "radiative") -> ModelFamily:
    params = (
        Parameter("alpha11", 1.0, (0.0, 1.5), 0.02),
        Parameter("alpha12", 0.0, (0.0, 1.5), 0.05, fixed=True),
        Parameter("alpha13", 0.0, (0.0, 1.5), 0.05, fixed=True),
        *_sm_params(couplings),
    )

    def build(v: Mapping[str, float]) -> NSIModel:
        return NSIModel.non_unitary(
            v["alpha11"], v["alpha12"], v["alpha13"], **_sm_kwargs(v, couplings)
        )

    return ModelFamily(
        "non_unitarity" + _suffix(couplings),
        params,
        build,
        "non-unitary mixing (seed 004 Eq. 3-7)",
    )


_LEPTONS = {"e": 0, "mu": 1}


def _magnetic_moment(lepton: str = "e", couplings: str = "radiative") -> ModelFamily:
    index = _LEPTONS[lepton]
    name = f"mu_nu_{lepton}"

    def build(v: Mapping[str, float]) -> NSIModel:
        mu = np.zeros(3)
        mu[index] = v[name] * 1e-10
        return MagneticMomentModel(magnetic_moment_mub=mu, **_sm_kwargs(v, couplings))

    return ModelFamily(
        "magnetic_moment" + ("" if lepton == "e" else f"_{lepton}") + _suffix(couplings),
        (Parameter(name, 0.0, (-1e3, 1e3), 1.0, unit="1e-10 mu_B"), *_sm_params(couplings)),
        build,
        f"effective nu_{lepton} magnetic moment (nuclear and, for Ge ionisation detectors, "
        "electron recoils; only mu^2 enters)",
    )


def _charge_radius(lepton: str = "e", couplings: str = "radiative") -> ModelFamily:
    index = _LEPTONS[lepton]
    name = f"r2_nu_{lepton}"

    def build(v: Mapping[str, float]) -> NSIModel:
        r2 = np.zeros(3)
        r2[index] = v[name] * 1e-32
        return NSIModel(**charge_radius_eps(r2), **_sm_kwargs(v, couplings))

    return ModelFamily(
        "charge_radius" + ("" if lepton == "e" else f"_{lepton}") + _suffix(couplings),
        (Parameter(name, 0.0, (-1e3, 1e3), 1.0, unit="1e-32 cm^2"), *_sm_params(couplings)),
        build,
        f"nu_{lepton} charge radius <r^2>: g_V^p -> g_V^p - sqrt2 pi alpha <r^2> / (3 G_F)",
    )


def _millicharge(lepton: str = "e", couplings: str = "radiative") -> ModelFamily:
    index = _LEPTONS[lepton]
    name = f"q_nu_{lepton}"

    def build(v: Mapping[str, float]) -> NSIModel:
        q = np.zeros(3)
        q[index] = v[name] * 1e-12
        return NSIModel(
            **millicharge_eps(q),
            mediator_mass_mev=PHOTON_MASS_PROXY_MEV,
            **_sm_kwargs(v, couplings),
        )

    return ModelFamily(
        "millicharge" + ("" if lepton == "e" else f"_{lepton}") + _suffix(couplings),
        (Parameter(name, 0.0, (-1e6, 1e6), 1.0, unit="1e-12 e"), *_sm_params(couplings)),
        build,
        f"nu_{lepton} electric millicharge: g_V^p -> g_V^p - 2 sqrt2 pi alpha q_nu / (G_F q^2)",
    )


#: Built-in families by name (configs in ``models/`` refer to these).
FAMILIES: dict[str, Callable[[], ModelFamily]] = {
    "sm": lambda: _sm("radiative"),
    "sm_tree": lambda: _sm("tree"),
    "sin2w": lambda: _sin2w("tree"),
    "sin2w_radiative": lambda: _sin2w("radiative"),
    "lma_dark": _lma_dark,
    "light_zprime": _light_zprime,
    "light_zprime_mumu": lambda: _light_zprime(("mumu", "tautau")),
    "ngi": _ngi,
    "ngi_q": _ngi_q,
    "non_unitarity": _non_unitarity,
    "nsi_ee_q": lambda: _vector_nsi(["ee_q"]),
    "nsi_mumu_q": lambda: _vector_nsi(["mumu_q"]),
    "nsi_ee_mumu_q": lambda: _vector_nsi(["ee_q", "mumu_q"]),
    "nsi_ee_ud": lambda: _vector_nsi(["ee_u", "ee_d"]),
    "nsi_emu_q": lambda: _vector_nsi(["emu_q"]),
    "nsi_etau_q": lambda: _vector_nsi(["etau_q"]),
    "nsi_mutau_q": lambda: _vector_nsi(["mutau_q"]),
    "nsi_ee_ud_light": lambda: _vector_nsi(["ee_u", "ee_d"], contact=False),
    "nsi_ee_q_light": lambda: _vector_nsi(["ee_q"], contact=False),
    "nsi_mumu_q_light": lambda: _vector_nsi(["mumu_q"], contact=False),
    "magnetic_moment": _magnetic_moment,
    "magnetic_moment_mu": lambda: _magnetic_moment("mu"),
    "charge_radius": _charge_radius,
    "charge_radius_mu": lambda: _charge_radius("mu"),
    "millicharge": _millicharge,
    "millicharge_mu": lambda: _millicharge("mu"),
}

# Tree-level twins (seed 002 uses tree-level couplings, g_p^V ~ 0.055): ``<name>_tree``.
_TREE_TWINS: dict[str, Callable[[], ModelFamily]] = {
    "lma_dark_tree": lambda: _lma_dark(couplings="tree"),
    "light_zprime_tree": lambda: _light_zprime(couplings="tree"),
    "light_zprime_mumu_tree": lambda: _light_zprime(("mumu", "tautau"), couplings="tree"),
    **{
        f"nsi_{pair}_q_tree": functools.partial(_vector_nsi, [f"{pair}_q"], couplings="tree")
        for pair in ("ee", "mumu", "emu", "etau", "mutau")
    },
    "nsi_ee_mumu_q_tree": lambda: _vector_nsi(["ee_q", "mumu_q"], couplings="tree"),
    "nsi_ee_ud_tree": lambda: _vector_nsi(["ee_u", "ee_d"], couplings="tree"),
    "ngi_tree": lambda: _ngi("tree"),
    "ngi_q_tree": lambda: _ngi_q("tree"),
    "non_unitarity_tree": lambda: _non_unitarity("tree"),
}
FAMILIES.update(_TREE_TWINS)


def family(name: str) -> ModelFamily:
    """A built-in model family by name.

    Parameters
    ----------
    name : str
        A built-in family (``"sm"``, ``"sin2w"``, ``"lma_dark"``, ``"light_zprime"``, ...).

    Returns
    -------
    ModelFamily
        The family.

    Examples
    --------
    >>> fam = family("lma_dark")
    >>> fam.names
    ('x', 'mediator_mass_mev')
    >>> float(fam.build(x=0.0).hamiltonian_eps(1/3)[0, 0].real)
    -2.0
    """
    if name not in FAMILIES:
        raise unknown_name("model", name, FAMILIES)
    return FAMILIES[name]()
