"""Input checks shared by the public API (private module)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cevns.core.exceptions import InvalidParameterError, UnknownNameError


def as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Convert to a float array and reject NaN/inf, naming the argument."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be numeric, got {value!r}"
        raise InvalidParameterError(msg) from exc
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[:3]
        msg = f"{name} must be finite, got non-finite values such as {bad.tolist()}"
        raise InvalidParameterError(msg)
    return arr


def check_finite(name: str, value: float) -> float:
    """Return ``float(value)`` or raise if it is NaN or infinite."""
    if type(value) is float and math.isfinite(value):  # the common case, without numpy
        return value
    return float(as_float_array(name, value))


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``float(value)`` or raise if it is not (strictly) positive and finite."""
    v = check_finite(name, value)
    if v < 0 or (v == 0 and not allow_zero):
        expected = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be {expected}, got {v!r}"
        raise InvalidParameterError(msg)
    return v


def check_nonnegative_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Finite, non-negative array."""
    arr = as_float_array(name, value)
    if np.any(arr < 0):
        msg = (
            f"{name} must be >= 0, got negative values such as {arr[arr < 0].ravel()[:3].tolist()}"
        )
        raise InvalidParameterError(msg)
    return arr


def check_increasing(name: str, edges: ArrayLike) -> NDArray[np.float64]:
    """Finite, 1D, strictly increasing array of at least two entries."""
    arr = as_float_array(name, edges)
    if arr.ndim != 1 or arr.size < 2:
        msg = f"{name} must be a 1D array with at least 2 entries, got shape {arr.shape}"
        raise InvalidParameterError(msg)
    d = np.diff(arr)
    if np.any(d <= 0):
        i = int(np.argmax(d <= 0))
        msg = (
            f"{name} must be strictly increasing, but entry {i + 1} ({float(arr[i + 1])!r}) "
            f"is not larger than entry {i} ({float(arr[i])!r})"
        )
        raise InvalidParameterError(msg)
    return arr


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known names closest to ``name`` (case-insensitive), best first."""
    known = list(known)
    lower = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.5)
    return [lower[h] for h in hits]


def unknown_name(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    """Build an :class:`UnknownNameError` with a did-you-mean suggestion."""
    known = sorted(known)
    hints = closest(name, known)
    hint = f"; did you mean {' or '.join(repr(h) for h in hints)}?" if hints else ""
    listing = ", ".join(known) if len(known) <= 30 else ", ".join(known[:30]) + ", ..."
    msg = f"unknown {kind} {name!r}{hint} Known: {listing}"
    return UnknownNameError(msg)


def describe(value: Any) -> str:
    """Short repr for error messages (numpy scalars as plain numbers)."""
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
