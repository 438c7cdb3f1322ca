"""Input validation in MNE's style: say what was received and what to do."""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
from mne.utils import _check_option, _validate_type

__all__ = [
    "_check_option",
    "_check_positive",
    "_check_random_state",
    "_check_sfreq",
    "_check_writable_dir",
    "_seed_from",
    "_validate_type",
]


def _check_positive(value, name: str, *, integer: bool = False, strict: bool = True):
    """Return ``value`` if it is a positive number, else raise a clear error.

    TypeError for the wrong type, ValueError for a non-positive value.
    """
    kind = "int" if integer else "numeric"
    _validate_type(value, kind, name)
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got a bool ({value!r}).")
    bad = value <= 0 if strict else value < 0
    if bad or not np.isfinite(value):
        cond = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be finite and {cond}, got {value!r}.")
    return int(value) if integer else float(value)


def _check_sfreq(sfreq, name: str = "sfreq") -> float:
    """Validate a sampling frequency in Hz."""
    return _check_positive(sfreq, name)


def _check_random_state(random_state) -> np.random.Generator:
    """Turn ``None``, an int, or a Generator into a local numpy Generator.

    Never touches numpy's global state.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative int, got {random_state!r}."
            )
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, got "
        f"{type(random_state).__name__}."
    )


def _check_writable_dir(path, name: str = "path", *, create: bool = True) -> Path:
    """Return ``path`` as a Path to a directory we can write into."""
    _validate_type(path, "path-like", name)
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} must be a directory, got a file: {path}")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(
                f"Cannot create {name} {path} ({err}). Pass a folder you can write to."
            ) from None
    probe = path / ".write_probe"
    try:
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise ValueError(
            f"{name} {path} is not writable ({err}). Pass a folder you can write to."
        ) from None
    return path


def _seed_from(random_state) -> int:
    """Draw an int seed for torch's local generators from a sklearn-style state."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**62))
    return int(np.random.default_rng(random_state).integers(2**62))
