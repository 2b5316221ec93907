"""Dresden-II (NCC-1701 Ge at the Dresden-II BWR): detector, data and background components.

Data release arXiv:2202.09672, analysis of seed 004 Sec. 3; the conventions (units of the
data, exposure, resolution, quenching, background) are in ``docs/experiments/dresden_ii.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from cevns.config.components import Component
from cevns.core._validation import as_float_array
from cevns.core.exceptions import InvalidParameterError
from cevns.data import store as data_store
from cevns.detectors.base import DEFAULT_NODES, IonizationDetector
from cevns.detectors.quenching import Lindhard, ModifiedLindhard, Quenching, TabulatedQuenching
from cevns.detectors.resolution import GaussianResolution, TruncatedGaussianResolution
from cevns.likelihood.background import Background
from cevns.likelihood.dataset import Dataset
from cevns.physics.families import Parameter
from cevns.physics.nuclei import Target

__all__ = [
    "DresdenIIBackground",
    "dresden_ii_background",
    "dresden_ii_dataset",
    "dresden_ii_detector",
    "dresden_ii_quenching",
]


def __dir__() -> list[str]:
    return __all__


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
    name : str, optional
        Name of the background component (default ``"bkg"``).

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
        self._d2 = self.centres - self.E_L2_KEV
        dm = self.centres - self.E_M_KEV
        self._m_shape = np.exp(-dm * dm / (2.0 * self.SIGMA_M_KEV**2))  # sigma_M is fixed
        self._minus_u = -(self.centres - self.E_EPITH_KEV)  # exponent of the epithermal term x tau
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
        # the last value of each non-linear term (see _rows): Migrad's numerical gradient
        # moves one parameter at a time, so most calls recompute one exponential at most
        self._memo_tau: tuple[float, NDArray[np.float64]] | None = None
        self._memo_g1: tuple[float, float, NDArray[np.float64]] | None = None
        self._memo_g2: tuple[float, NDArray[np.float64]] | None = None
        self._memo_t2: tuple[float, float, float, NDArray[np.float64]] | None = None

    def components(self, values: Mapping[str, float]) -> dict[str, NDArray[np.float64]]:
        """The individual terms of Eq. 18 (epithermal constant and exponential, L1, L2, M).

        Parameters
        ----------
        values : Mapping[str, float]
            Background parameter values; missing ones take their start values.

        Returns
        -------
        dict of str -> ndarray
            Each term of Eq. 18 at the bin centres [counts per 10 eV per 3 kg per day].
        """
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

    def _rows(
        self, tau: float, e_l1: float, sigma_l1: float, beta: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The exponential's and the tied L1 line's shapes (rows 1 and 2 of linear_terms).

        Each term is kept for the last value of the parameters it depends on (the
        exponential: ``tau``; L1: ``e_l1, sigma_l1``; L2: ``sigma_l1``; the sum with M also
        ``beta``) and recomputed, with the same operations, only when they change; the
        returned arrays are read-only because they are those kept ones.
        """
        memo = self._memo_tau
        if memo is None or memo[0] != tau:
            t1 = np.exp(self._minus_u / tau)  # negation is exact: -(e - E)/tau bit for bit
            t1.flags.writeable = False
            memo = self._memo_tau = (tau, t1)
        t1 = memo[1]
        m2 = self._memo_t2
        if m2 is not None and m2[0] == e_l1 and m2[1] == sigma_l1 and m2[2] == beta:
            return t1, m2[3]
        inv = 1.0 / (2.0 * sigma_l1 * sigma_l1)
        g1m = self._memo_g1
        if g1m is None or g1m[0] != e_l1 or g1m[1] != sigma_l1:
            d1 = self.centres - e_l1
            g1m = self._memo_g1 = (e_l1, sigma_l1, np.exp(d1 * d1 * -inv))  # = -d1 d1 inv
        g2m = self._memo_g2
        if g2m is None or g2m[0] != sigma_l1:
            d2 = self._d2
            g2m = self._memo_g2 = (sigma_l1, self.L2_OVER_L1 * np.exp(d2 * d2 * -inv))
        t2 = g1m[2] + g2m[1] + (beta * sigma_l1 / self.SIGMA_M_KEV) * self._m_shape
        t2.flags.writeable = False
        self._memo_t2 = (e_l1, sigma_l1, beta, t2)
        return t1, t2

    def _expected(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        # the sum of components(), without building the dict (hot path of fits)
        t1, t2 = self._rows(
            values["tau_epith"], values["e_l1"], values["sigma_l1"], values["beta_m_l1"]
        )
        return np.asarray(
            values["n_epith"] + values["a_epith"] * t1 + values["a_l1"] * t2,
            dtype=np.float64,
        )

    def _indices(self, positions: Sequence[tuple[str, int]]) -> list[int]:
        where = dict(positions)
        missing = [p.name for p in self.parameters if p.name not in where]
        if missing:
            msg = f"{self.name}: positions lack the parameters {missing}"
            raise InvalidParameterError(msg)
        return [where[p.name] for p in self.parameters]

    def evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[[Sequence[float]], NDArray[np.float64]]:
        """``args -> expected counts`` read by position, with the terms of :meth:`_rows` kept.

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.

        Returns
        -------
        callable
            Function of the argument vector returning Eq. 18 at the bin centres.
        """
        i_n, i_a, i_tau, i_l1, i_e, i_s, i_b = self._indices(positions)
        rows = self._rows

        def evaluate(args: Sequence[float]) -> NDArray[np.float64]:
            t1, t2 = rows(args[i_tau], args[i_e], args[i_s], args[i_b])
            return np.asarray(args[i_n] + args[i_a] * t1 + args[i_l1] * t2, dtype=np.float64)

        return evaluate

    #: Eq. 18 is linear in these (the constant, the exponential's and L1's amplitudes).
    linear_parameters = ("n_epith", "a_epith", "a_l1")
    linear_rest_is_zero = True

    def linear_terms(
        self, values: Mapping[str, float]
    ) -> tuple[float | NDArray[np.float64], NDArray[np.float64]]:
        """``(0, T)`` with ``expected = n_epith T[0] + a_epith T[1] + a_l1 T[2]``.

        ``T[2]`` is the L1 line with its ties (L2 and M per unit of ``a_l1``).

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every background parameter (those of the non-linear shapes are used).

        Returns
        -------
        offset : float
            Always 0.
        terms : ndarray of shape (3, n_bins)
            Shapes multiplying ``n_epith``, ``a_epith`` and ``a_l1``.
        """
        t1, t2 = self._rows(
            values["tau_epith"], values["e_l1"], values["sigma_l1"], values["beta_m_l1"]
        )
        t = np.empty((3, self.centres.size))
        t[0] = 1.0
        t[1] = t1
        t[2] = t2
        return 0.0, t

    def linear_evaluator(
        self, positions: Sequence[tuple[str, int]]
    ) -> Callable[
        [Sequence[float] | NDArray[np.float64]],
        tuple[float | NDArray[np.float64], NDArray[np.float64]],
    ]:
        """``args -> linear_terms`` read by position; the templates may be a kept array.

        Parameters
        ----------
        positions : sequence of (str, int)
            Each local parameter name and its index in the argument vector.

        Returns
        -------
        callable
            Function of the argument vector returning ``(0, T)`` as :meth:`linear_terms`;
            ``T`` is read-only (it is reused while the non-linear parameters stay put).
        """
        _, _, i_tau, _, i_e, i_s, i_b = self._indices(positions)
        rows = self._rows
        n = self.centres.size
        last: list[object] = [None, None, None]  # t1, t2, stacked templates

        def evaluate(
            args: Sequence[float] | NDArray[np.float64],
        ) -> tuple[float, NDArray[np.float64]]:
            t1, t2 = rows(args[i_tau], args[i_e], args[i_s], args[i_b])
            if t1 is last[0] and t2 is last[1]:
                return 0.0, last[2]  # type: ignore[return-value]
            if last[2] is not None and (t1 is last[0] or t2 is last[1]):
                t = last[2].copy()  # type: ignore[attr-defined]
                t[1 if t2 is last[1] else 2] = t1 if t2 is last[1] else t2
            else:
                t = np.empty((3, n))
                t[0] = 1.0
                t[1] = t1
                t[2] = t2
            t.flags.writeable = False
            last[:] = [t1, t2, t]
            return 0.0, t

        return evaluate

    @property
    def has_jacobian(self) -> bool:
        """True: :meth:`jacobian` gives the derivatives of Eq. 18 analytically.

        Returns
        -------
        bool
            Always True.
        """
        return True

    def jacobian(self, values: Mapping[str, float]) -> NDArray[np.float64]:
        """Derivatives of Eq. 18 (with the Table I ties) in the seven parameters.

        Parameters
        ----------
        values : Mapping[str, float]
            Values of every background parameter.

        Returns
        -------
        ndarray of shape (7, n_bins)
            ``d R / d p`` in the order of :attr:`parameters`.
        """
        e = self.centres
        s = values["sigma_l1"]
        a_l1 = values["a_l1"]
        beta = values["beta_m_l1"]
        tau = values["tau_epith"]
        inv = 1.0 / (2.0 * s * s)
        d1 = e - values["e_l1"]
        d2 = self._d2
        g1 = np.exp(-d1 * d1 * inv)
        g2 = self.L2_OVER_L1 * np.exp(-d2 * d2 * inv)
        m = self._m_shape / self.SIGMA_M_KEV
        u = e - self.E_EPITH_KEV
        x = np.exp(-u / tau)
        j = np.empty((7, e.size))
        j[0] = 1.0  # n_epith
        j[1] = x  # a_epith
        j[2] = values["a_epith"] * x * u / (tau * tau)  # tau_epith
        j[3] = g1 + g2 + beta * s * m  # a_l1
        j[4] = a_l1 * g1 * d1 / (s * s)  # e_l1
        j[5] = a_l1 * ((g1 * d1 * d1 + g2 * d2 * d2) / (s * s * s) + beta * m)  # sigma_l1
        j[6] = a_l1 * s * m  # beta_m_l1
        return j


#: Resolution of seed 004 Sec. 3.1 (Eq. 17): electronic noise, Ge pair energy, Fano factor.
SIGMA_N_KEV = 0.0685
ETA_KEV = 2.96e-3
FANO = 0.105


def dresden_ii_quenching(
    model: Literal["fef", "ybe"] = "fef",
    *,
    above: Literal["error", "constant"] = "constant",
) -> TabulatedQuenching:
    """The Dresden-II Ge quenching curves (Collar, Kavner, Lewis, arXiv:2102.10089).

    ``"fef"``: iron-filtered neutron beam; ``"ybe"``: 88Y/Be photoneutrons. Table
    ``dresden_ii/QF_Fef_YBe.txt`` of the data registry, 0-4.5 keVnr in 10 eV steps.
    Above 4.5 keVnr the QF is held at its last value (0.209 Fef, 0.219 YBe; Fef equals
    Lindhard k = 0.157 there): only reactor neutrinos above 12 MeV give such recoils.

    Parameters
    ----------
    model : {"fef", "ybe"}
        Which calibration.
    above : {"error", "constant"}
        Above the table: refuse, or hold the last value.
    """
    cols = {"fef": 1, "ybe": 2}
    if model not in cols:
        msg = f"Dresden-II quenching model must be 'fef' or 'ybe', got {model!r}"
        raise InvalidParameterError(msg)
    t = data_store.load_table("dresden_ii/QF_Fef_YBe.txt")
    return TabulatedQuenching(t[:, 0], t[:, cols[model]], label=f"dresden_ii_{model}", above=above)


def dresden_ii_detector(
    quenching: Literal["fef", "ybe", "lindhard", "modified_lindhard"] = "fef",
    *,
    mass_kg: Annotated[float, Field(gt=0)] = 2.924,
    live_days: Annotated[float, Field(gt=0)] = 1.0,
    resolution: Literal["truncated_gaussian", "gaussian"] = "truncated_gaussian",
    adiabatic_kev: Annotated[float, Field(gt=0)] | None = None,
    bin_edges: Sequence[float] | None = None,
    n_nodes: Annotated[int, Field(ge=50)] = DEFAULT_NODES,
) -> IonizationDetector:
    """The NCC-1701 Ge detector of Dresden-II (seed 004 Sec. 3.1; docs/experiments/dresden_ii.md).

    Parameters
    ----------
    quenching : {"fef", "ybe", "lindhard", "modified_lindhard"}
        The Collar et al. 2021 curves, Lindhard k = 0.157, or Lindhard with the adiabatic
        correction (``adiabatic_kev`` required).
    mass_kg, live_days : float
        Exposure (``live_days = 1``: counts per day, the unit of the data).
    resolution : {"truncated_gaussian", "gaussian"}
        The truncated Gaussian of seed 004 Eq. 17 (default) or a plain Gaussian.
    adiabatic_kev : float, optional
        For ``"modified_lindhard"``.
    bin_edges : sequence of float, optional
        Observed bins [keVee] (default the release's 130 bins).
    n_nodes : int
        Recoil-energy nodes of the response.
    """
    choices = ("fef", "ybe", "lindhard", "modified_lindhard")
    models = {"truncated_gaussian": TruncatedGaussianResolution, "gaussian": GaussianResolution}
    if quenching not in choices:
        msg = f"quenching must be one of {choices}, got {quenching!r}"
        raise InvalidParameterError(msg)
    if resolution not in models:
        msg = f"resolution must be one of {tuple(models)}, got {resolution!r}"
        raise InvalidParameterError(msg)
    if quenching == "modified_lindhard" and adiabatic_kev is None:
        msg = (
            "quenching='modified_lindhard' needs adiabatic_kev (the energy of the adiabatic "
            "correction); the seed papers do not state the value they used"
        )
        raise InvalidParameterError(msg)
    q: Quenching = Lindhard(k=0.157, z=32)
    if quenching in ("fef", "ybe"):
        q = dresden_ii_quenching(quenching)
    elif quenching == "modified_lindhard" and adiabatic_kev is not None:
        q = ModifiedLindhard(adiabatic_kev=adiabatic_kev, k=0.157, z=32)
    res = models[resolution](sigma_n_kev=SIGMA_N_KEV, eta_kev=ETA_KEV, fano=FANO)
    edges = np.round(np.linspace(0.2, 1.5, 131), 6) if bin_edges is None else np.asarray(bin_edges)
    ge = Target.by_name("germanium_seed004")
    return IonizationDetector(
        f"dresden_ii_{quenching}", ge, quenching=q, resolution=res, mass_kg=mass_kg,
        live_days=live_days, bin_edges=edges, n_nodes=n_nodes,
    )  # fmt: skip


def dresden_ii_dataset(period: Literal["on", "off"] = "on") -> Dataset:
    """Dresden-II Rx-ON (96.4 d) or Rx-OFF (25 d) spectrum, 130 bins 0.2-1.5 keVee.

    Counts per (10 eV 3 kg day) with the released errors (``dresden_ii/data_release.txt``;
    conventions: docs/experiments/dresden_ii.md).

    Parameters
    ----------
    period : {"on", "off"}
        Reactor on or off.
    """
    cols = {"on": (1, 2), "off": (3, 4)}
    if period not in cols:
        msg = f"period must be 'on' or 'off', got {period!r}"
        raise InvalidParameterError(msg)
    c, e = cols[period]
    d = Dataset.from_text(
        data_store.path("dresden_ii/data_release.txt"),
        centre_column=0,
        count_column=c,
        error_column=e,
        name=f"dresden_ii_rx_{period}",
        axis_labels=("E_ee [keVee]",),
        axis_names=("e_ee_kev",),
        unit="counts / (10 eV 3 kg day)",
    )
    return d.with_meta(live_days=96.4 if period == "on" else 25.0, source="arXiv:2202.09672")


def dresden_ii_background(dataset: Dataset, *, name: str = "bkg") -> DresdenIIBackground:
    """The background of seed 004 Eq. 18 at the bin centres of the dataset.

    Parameters
    ----------
    dataset : Dataset
        The Dresden-II spectrum (its bin centres [keVee]).
    name : str
        Name of the background (prefix of its parameters).

    Returns
    -------
    DresdenIIBackground
        The background model.
    """
    return DresdenIIBackground(dataset.centres[0], name=name)


#: the kinds of this module, declared in the ``cevns.components`` entry points
COMPONENTS: tuple[Component, ...] = (
    Component.from_function("dataset", "dresden_ii", dresden_ii_dataset),
    Component.from_function("detector", "dresden_ii", dresden_ii_detector, exclude=("bin_edges",)),
    Component.from_function("background", "dresden_ii", dresden_ii_background, "seed 004 Eq. 18"),
)
