"""Nuclei and detector targets (isotopes with abundances, compounds by formula).

Isotope masses and natural abundances come from :mod:`periodictable` (IUPAC/NIST data).
The nuclear mass used in the kinematics is the atomic mass minus Z electron masses
(electron binding energies, < 0.1 MeV for Xe, are neglected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import periodictable
from numpy.typing import NDArray

from cevns.core._validation import check_positive, unknown_name
from cevns.core.constants import AMU_MEV, AVOGADRO, M_ELECTRON
from cevns.core.exceptions import InvalidParameterError

__all__ = ["TARGET_PRESETS", "Nucleus", "Target"]


def __dir__() -> list[str]:
    return __all__


_ELEMENTS = {el.symbol: el for el in periodictable.elements if el.number > 0}
_ELEMENT_NAMES = {el.name.lower(): el.symbol for el in _ELEMENTS.values()}
_ISOTOPE_RE = re.compile(
    r"^\s*([A-Za-z]{1,2})[-\s]?(\d{1,3})\s*$|^\s*(\d{1,3})[-\s]?([A-Za-z]{1,2})\s*$"
)
#: Abundances (or fractions) must sum to one within this absolute tolerance.
ABUNDANCE_TOLERANCE = 1e-3


def _element(symbol: str) -> periodictable.core.Element:
    key = symbol.strip()
    if key.lower() in _ELEMENT_NAMES:
        key = _ELEMENT_NAMES[key.lower()]
    key = key[:1].upper() + key[1:].lower()
    if key not in _ELEMENTS:
        raise unknown_name("element", symbol, list(_ELEMENTS) + list(_ELEMENT_NAMES))
    return _ELEMENTS[key]


@dataclass(frozen=True)
class Nucleus:
    """A nucleus: proton number, neutron number and mass.

    Parameters
    ----------
    z : int
        Proton number, >= 1.
    n : int
        Neutron number, >= 0.
    mass_mev : float
        Nuclear mass [MeV], > 0.
    name : str, optional
        Label such as ``"Ge72"``.

    Examples
    --------
    >>> ge72 = Nucleus.from_isotope("Ge72")
    >>> ge72.z, ge72.n, ge72.a
    (32, 40, 72)
    >>> round(ge72.mass_mev, 1)
    66978.6
    """

    z: int
    n: int
    mass_mev: float
    name: str = ""

    def __post_init__(self) -> None:
        if int(self.z) != self.z or self.z < 1:
            msg = f"z must be an integer >= 1, got {self.z!r}"
            raise InvalidParameterError(msg)
        if int(self.n) != self.n or self.n < 0:
            msg = f"n must be an integer >= 0, got {self.n!r}"
            raise InvalidParameterError(msg)
        check_positive("mass_mev", self.mass_mev)
        object.__setattr__(self, "z", int(self.z))
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "mass_mev", float(self.mass_mev))
        if not self.name:
            object.__setattr__(self, "name", f"Z{self.z}A{self.a}")

    @property
    def a(self) -> int:
        """Mass number."""
        return self.z + self.n

    @property
    def symbol(self) -> str:
        """Chemical symbol of the element (``"Na"`` for Na23)."""
        return str(periodictable.elements[self.z].symbol)

    @property
    def atomic_mass_u(self) -> float:
        """Atomic mass in atomic mass units (nuclear mass plus Z electrons)."""
        return (self.mass_mev + self.z * M_ELECTRON) / AMU_MEV

    @classmethod
    def from_isotope(cls, isotope: str | tuple[str, int]) -> Nucleus:
        """Nucleus from an isotope name ("Ge72", "Ge-72", "72Ge") or (symbol, A).

        Parameters
        ----------
        isotope : str or (str, int)
            Isotope name, or element symbol and mass number.

        Returns
        -------
        Nucleus
            Z, N, A and the nuclear mass.

        Raises
        ------
        UnknownNameError
            Unknown element, with the closest names.
        InvalidParameterError
            The element has no such isotope (the known mass numbers are listed).
        """
        if isinstance(isotope, tuple):
            symbol, a = isotope[0], int(isotope[1])
        else:
            m = _ISOTOPE_RE.match(str(isotope))
            if m is None:
                msg = f"isotope must look like 'Ge72', 'Ge-72' or '72Ge', got {isotope!r}"
                raise InvalidParameterError(msg)
            symbol, a = (
                (m.group(1), int(m.group(2))) if m.group(1) else (m.group(4), int(m.group(3)))
            )
        el = _element(symbol)
        known = [iso.isotope for iso in el]
        if a not in known:
            msg = f"{el.symbol} has no isotope with A = {a}; known mass numbers: {known}"
            raise InvalidParameterError(msg)
        iso = el[a]
        mass = float(iso.mass) * AMU_MEV - el.number * M_ELECTRON
        return cls(z=el.number, n=a - el.number, mass_mev=mass, name=f"{el.symbol}{a}")


@dataclass(frozen=True)
class Target:
    """Detector target: nuclei with their number per formula unit.

    Parameters
    ----------
    name : str
        Label.
    nuclei : sequence of Nucleus
        The distinct nuclei.
    counts : sequence of float
        Number of each nucleus per formula unit (isotopic abundance times stoichiometry).
    molar_mass_g : float
        Mass of one mole of formula units [g], used for the number of targets per kg.

    Examples
    --------
    >>> csi = Target.compound("CsI")
    >>> [n.name for n in csi.nuclei]
    ['Cs133', 'I127']
    >>> f"{csi.formula_units_per_kg:.4e}"
    '2.3179e+24'
    """

    name: str
    nuclei: tuple[Nucleus, ...]
    counts: tuple[float, ...]
    molar_mass_g: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "nuclei", tuple(self.nuclei))
        object.__setattr__(self, "counts", tuple(float(c) for c in self.counts))
        if len(self.nuclei) == 0 or len(self.nuclei) != len(self.counts):
            msg = (
                f"Target {self.name!r}: nuclei and counts must be non-empty and of equal length, "
                f"got {len(self.nuclei)} and {len(self.counts)}"
            )
            raise InvalidParameterError(msg)
        for nuc, c in zip(self.nuclei, self.counts, strict=True):
            if not np.isfinite(c) or c <= 0:
                msg = f"Target {self.name!r}: count of {nuc.name} must be > 0, got {c!r}"
                raise InvalidParameterError(msg)
        check_positive("molar_mass_g", self.molar_mass_g)

    # -------------------------------------------------------------- constructors
    @classmethod
    def from_isotopes(
        cls,
        abundances: Mapping[str, float],
        *,
        name: str | None = None,
    ) -> Target:
        """Single-element target from explicit isotopic abundances (must sum to 1).

        Parameters
        ----------
        abundances : mapping of str to float
            Isotope name -> abundance (fractions of one element, summing to 1).
        name : str, optional
            Name of the target; default the element's symbol.

        Returns
        -------
        Target
            The target.

        Examples
        --------
        Germanium with the abundances of seed 004 Sec. 3.1:

        >>> ge = Target.from_isotopes({"Ge70": 0.2057, "Ge72": 0.2745, "Ge73": 0.0775,
        ...                            "Ge74": 0.3650, "Ge76": 0.0773})
        >>> round(ge.mean_n, 3), ge.mean_z
        (40.705, 32.0)
        """
        nuclei = [Nucleus.from_isotope(k) for k in abundances]
        fr = np.array([float(v) for v in abundances.values()])
        if np.any(~np.isfinite(fr)) or np.any(fr <= 0):
            msg = f"abundances must be > 0, got {dict(abundances)}"
            raise InvalidParameterError(msg)
        if abs(fr.sum() - 1.0) > ABUNDANCE_TOLERANCE:
            msg = (
                f"abundances must sum to 1 (within {ABUNDANCE_TOLERANCE}), "
                f"got {fr.sum():.6g} from {dict(abundances)}"
            )
            raise InvalidParameterError(msg)
        molar = float(sum(f * n.atomic_mass_u for f, n in zip(fr, nuclei, strict=True)))
        label = name or "+".join(n.name for n in nuclei)
        return cls(label, tuple(nuclei), tuple(fr), molar)

    @classmethod
    def element(cls, symbol: str) -> Target:
        """Element with natural isotopic abundances (periodictable).

        Parameters
        ----------
        symbol : str
            Element symbol (``"Ge"``).

        Returns
        -------
        Target
            Its isotopes with their natural abundances.

        Examples
        --------
        >>> [n.name for n in Target.element("Ar").nuclei]
        ['Ar36', 'Ar38', 'Ar40']
        """
        el = _element(symbol)
        return cls._from_elements({el.symbol: 1.0}, name=el.symbol)

    @classmethod
    def compound(cls, formula: str) -> Target:
        """Compound by chemical formula with natural abundances, e.g. "CsI", "NaI", "CaWO4".

        An enriched isotope is written in brackets (periodictable's syntax): "Ge[76]" is
        pure 76Ge, "Ge[76]O2" its oxide. "Ge76" (76 atoms of natural germanium) is refused
        because it reads like an isotope name; use "Ge[76]" or :meth:`from_isotopes`.

        Parameters
        ----------
        formula : str
            Chemical formula.

        Returns
        -------
        Target
            Every isotope of every element, weighted by atoms per formula unit and abundance.
        """
        try:
            atoms = periodictable.formula(formula).atoms
        except (ValueError, KeyError) as exc:
            msg = f"cannot parse chemical formula {formula!r}: {exc}"
            raise InvalidParameterError(msg) from exc
        if not atoms:
            msg = f"chemical formula {formula!r} contains no atoms"
            raise InvalidParameterError(msg)
        if len(atoms) == 1:
            ((el, n),) = atoms.items()
            if getattr(el, "isotope", None) is None and int(n) in {i.isotope for i in el}:
                msg = (
                    f"chemical formula {formula!r} means {n} atoms of natural {el.symbol}; "
                    f"for the isotope write {el.symbol}[{n}] or use Target.from_isotopes"
                )
                raise InvalidParameterError(msg)
        nuclei: list[Nucleus] = []
        counts: list[float] = []
        molar = 0.0
        elements: dict[str, float] = {}
        for el, n in atoms.items():
            if getattr(el, "isotope", None) is None:
                elements[el.symbol] = elements.get(el.symbol, 0.0) + float(n)
                continue
            nuclei.append(Nucleus.from_isotope((el.symbol, int(el.isotope))))
            counts.append(float(n))
            molar += float(n) * float(el.mass)
        if not elements:
            return cls(formula, tuple(nuclei), tuple(counts), molar)
        natural = cls._from_elements(elements, name=formula)
        merged: dict[str, tuple[Nucleus, float]] = {}
        for nuc, n in zip((*nuclei, *natural.nuclei), (*counts, *natural.counts), strict=True):
            merged[nuc.name] = (nuc, merged.get(nuc.name, (nuc, 0.0))[1] + n)
        return cls(
            formula,
            tuple(v[0] for v in merged.values()),
            tuple(v[1] for v in merged.values()),
            molar + natural.molar_mass_g,
        )

    @classmethod
    def _from_elements(cls, stoichiometry: Mapping[str, float], *, name: str) -> Target:
        nuclei: list[Nucleus] = []
        counts: list[float] = []
        molar = 0.0
        for symbol, n_atoms in stoichiometry.items():
            el = _element(symbol)
            isos = [iso for iso in el if iso.abundance > 0]
            if not isos:
                msg = f"{el.symbol} has no stable isotope with a natural abundance"
                raise InvalidParameterError(msg)
            total = sum(float(iso.abundance) for iso in isos)
            for iso in isos:
                frac = float(iso.abundance) / total
                nuclei.append(Nucleus.from_isotope((el.symbol, iso.isotope)))
                counts.append(n_atoms * frac)
                molar += n_atoms * frac * float(iso.mass)
        return cls(name, tuple(nuclei), tuple(counts), molar)

    @classmethod
    def by_name(cls, name: str) -> Target:
        """A preset target: see :data:`TARGET_PRESETS` (germanium, csi, argon, xenon, ...).

        Parameters
        ----------
        name : str
            A key of :data:`TARGET_PRESETS`.

        Returns
        -------
        Target
            The preset target.
        """
        key = name.strip().lower()
        if key in TARGET_PRESETS:
            return TARGET_PRESETS[key]()
        raise unknown_name("target", name, TARGET_PRESETS)

    # -------------------------------------------------------------- derived quantities
    @cached_property
    def formula_units_per_kg(self) -> float:
        """Number of formula units in one kg."""
        return 1000.0 * AVOGADRO / self.molar_mass_g

    @cached_property
    def nuclei_per_kg(self) -> NDArray[np.float64]:
        """Number of each nucleus in one kg of target."""
        return np.asarray(self.counts) * self.formula_units_per_kg

    @property
    def fractions(self) -> NDArray[np.float64]:
        """Number fraction of each nucleus among all nuclei."""
        c = np.asarray(self.counts, dtype=np.float64)
        return np.asarray(c / c.sum(), dtype=np.float64)

    @property
    def mean_z(self) -> float:
        """Number-weighted mean proton number."""
        return float(np.dot(self.fractions, [n.z for n in self.nuclei]))

    @property
    def mean_n(self) -> float:
        """Number-weighted mean neutron number."""
        return float(np.dot(self.fractions, [n.n for n in self.nuclei]))

    def __iter__(self) -> Iterator[tuple[Nucleus, float]]:
        """Iterate over ``(nucleus, nuclei_per_kg)``."""
        return iter(zip(self.nuclei, self.nuclei_per_kg.tolist(), strict=True))


def _germanium_seed004() -> Target:
    # seed 004 Sec. 3.1: stable Ge isotopes and abundances (their ref. [82]).
    return Target.from_isotopes(
        {"Ge70": 0.2057, "Ge72": 0.2745, "Ge73": 0.0775, "Ge74": 0.3650, "Ge76": 0.0773},
        name="Ge",
    )


#: Named targets available through :meth:`Target.by_name`.
TARGET_PRESETS: dict[str, Callable[[], Target]] = {
    "germanium": lambda: Target.element("Ge"),
    "ge": lambda: Target.element("Ge"),
    "germanium_seed004": _germanium_seed004,
    "csi": lambda: Target.compound("CsI"),
    "argon": lambda: Target.element("Ar"),
    "ar": lambda: Target.element("Ar"),
    "xenon": lambda: Target.element("Xe"),
    "xe": lambda: Target.element("Xe"),
    "silicon": lambda: Target.element("Si"),
    "si": lambda: Target.element("Si"),
    "nai": lambda: Target.compound("NaI"),
    "sodium_iodide": lambda: Target.compound("NaI"),
}
