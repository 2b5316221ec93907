"""Neutrino flavour names used throughout cevns.

Flavours are strings: ``"nue"``, ``"numu"``, ``"nutau"`` and the antineutrinos
``"nuebar"``, ``"numubar"``, ``"nutaubar"``. Index 0, 1, 2 means e, mu, tau.
"""

from __future__ import annotations

from cevns.core._validation import unknown_name

__all__ = ["ANTINEUTRINOS", "FLAVOURS", "LEPTONS", "NEUTRINOS", "parse_flavour"]


def __dir__() -> list[str]:
    return __all__


LEPTONS: tuple[str, str, str] = ("e", "mu", "tau")
NEUTRINOS: tuple[str, ...] = ("nue", "numu", "nutau")
ANTINEUTRINOS: tuple[str, ...] = ("nuebar", "numubar", "nutaubar")
FLAVOURS: tuple[str, ...] = NEUTRINOS + ANTINEUTRINOS


def parse_flavour(flavour: str) -> tuple[int, bool]:
    """Lepton index (0 = e, 1 = mu, 2 = tau) and whether it is an antineutrino.

    Parameters
    ----------
    flavour : str
        One of ``nue``, ``numu``, ``nutau`` or their antineutrinos (``nuebar``, ...).

    Returns
    -------
    index : int
        Lepton index: 0 = e, 1 = mu, 2 = tau.
    antineutrino : bool
        True for an antineutrino.

    Examples
    --------
    >>> parse_flavour("numubar")
    (1, True)
    """
    if flavour in NEUTRINOS:
        return NEUTRINOS.index(flavour), False
    if flavour in ANTINEUTRINOS:
        return ANTINEUTRINOS.index(flavour), True
    raise unknown_name("flavour", str(flavour), FLAVOURS)
