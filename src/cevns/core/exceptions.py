"""Exceptions raised by cevns.

All subclass a builtin so that ``except ValueError`` (or ``KeyError``) keeps working.
"""

from __future__ import annotations

__all__ = [
    "CevnsError",
    "ChecksumMismatchError",
    "DataNotFoundError",
    "FitError",
    "FrozenError",
    "InvalidConfigError",
    "InvalidParameterError",
    "NotInitializedError",
    "UnknownNameError",
]


def __dir__() -> list[str]:
    return __all__


class CevnsError(Exception):
    """Base class of every cevns error."""


class InvalidParameterError(CevnsError, ValueError):
    """An argument has a value outside what is physically or technically allowed."""


class UnknownNameError(CevnsError, KeyError):
    """A name (isotope, element, experiment, model, dataset, parameter) is not known.

    The message lists the closest known names.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidConfigError(CevnsError, ValueError):
    """A configuration file does not validate; the message names file, key path and value."""


class DataNotFoundError(CevnsError, FileNotFoundError):
    """A registered data file is neither on disk nor downloadable."""


class ChecksumMismatchError(CevnsError, ValueError):
    """A data file does not have the sha256 recorded in the registry."""


class FitError(CevnsError, RuntimeError):
    """A fit could not be carried out or did not converge where convergence was required."""


class NotInitializedError(CevnsError, RuntimeError):
    """A subclass forgot to call its base-class ``__init__``."""


class FrozenError(CevnsError, AttributeError):
    """An immutable object (a detector after construction) was asked to change an attribute.

    The message says how to make a modified copy instead (``replace(...)``).
    """
