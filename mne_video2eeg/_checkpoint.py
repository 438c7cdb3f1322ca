"""Checkpoints: the fitted generator file and the resumable training state.

Both are written with ``torch.save`` (tensors, plain containers and JSON
strings only) and read with ``torch.load(weights_only=True)``, so loading a
file never executes code.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from mne.utils import logger

from ._version import __version__
from .utils._checks import _check_positive, _validate_type
from .utils._fileio import atomic_path

_FORMAT = "mne-video2eeg-generator"


class TrainingCheckpoint:
    """Resumable training state of one fit, in ``checkpoint_dir/training.pt``.

    The file is tied to the fit by a digest of the model configuration, the
    estimator parameters, the seed and the training tensors: a checkpoint of
    another fit is refused rather than silently continued.
    """

    def __init__(self, fname: Path, key: str, every: int):
        self.fname, self.key, self.every = fname, key, every
        self.history: list[dict] = []

    @classmethod
    def for_fit(cls, checkpoint_dir, config, tensors, seed, params):
        if checkpoint_dir is None:
            return None
        _validate_type(checkpoint_dir, "path-like", "checkpoint_dir")
        every = _check_positive(
            params["checkpoint_every"], "checkpoint_every", integer=True
        )
        folder = Path(checkpoint_dir).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        skip = ("checkpoint_dir", "checkpoint_every", "n_epochs", "verbose", "device")
        fixed = {k: v for k, v in params.items() if k not in skip}
        digest.update(
            json.dumps([config, fixed, seed], sort_keys=True, default=repr).encode()
        )
        for name in sorted(tensors):
            digest.update(name.encode())
            digest.update(tensors[name].contiguous().numpy().tobytes())
        return cls(folder / "training.pt", digest.hexdigest(), every)

    def load(self) -> dict | None:
        if not self.fname.is_file():
            return None
        payload = torch.load(self.fname, map_location="cpu", weights_only=True)
        if payload.get("key") != self.key:
            raise ValueError(
                f"{self.fname} holds the training state of another fit (other "
                "data, parameters or seed). Delete it, or pass another "
                "checkpoint_dir."
            )
        logger.info(f"Resuming training from epoch {payload['state']['epoch']}")
        self.history = json.loads(payload["history"])
        return payload["state"]

    def callback(self, epoch, row, state_fn):
        self.history.append(row)
        if epoch % self.every == 0:
            payload = {
                "key": self.key,
                "state": state_fn(),
                "history": json.dumps(self.history, default=float),
            }
            with atomic_path(self.fname) as tmp:
                torch.save(payload, tmp)
        return False


def _encode(value):
    """Arrays -> tensors, everything else -> plain JSON values (no numpy)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict) and any(
        isinstance(v, np.ndarray | torch.Tensor | dict) for v in value.values()
    ):
        return {str(k): _encode(v) for k, v in value.items()}
    return {"json": json.dumps(value, default=_json_default)}


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _decode(value, *, keep_tensors: bool = False):
    if isinstance(value, torch.Tensor):
        return value if keep_tensors else value.numpy()
    if isinstance(value, dict) and set(value) == {"json"}:
        return json.loads(value["json"])
    return {k: _decode(v, keep_tensors=keep_tensors) for k, v in value.items()}


def write_generator_file(fname, *, params: dict, state: dict, overwrite: bool) -> Path:
    """Write a generator's parameters and fitted state to ``fname`` atomically.

    Parameters
    ----------
    fname : path-like
        The file to write.
    params : dict
        The estimator's parameters (JSON-able).
    state : dict
        Its fitted state: plain values, numpy arrays (also nested in dicts)
        and ``state_dict`` (tensors).
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    fname : pathlib.Path
        The written file.
    """
    _validate_type(fname, "path-like", "fname")
    fname = Path(fname).expanduser()
    if fname.exists() and not overwrite:
        raise FileExistsError(f"{fname} exists; pass overwrite=True to replace it.")
    payload = {
        "format": _FORMAT,
        "version": __version__,
        "params": json.dumps(params, default=_json_default),
        "fitted": {k: _encode(v) for k, v in state.items() if k != "state_dict"},
        "state_dict": _encode(state["state_dict"]),
    }
    with atomic_path(fname) as tmp:
        torch.save(payload, tmp)
    return fname


def read_generator_file(fname) -> tuple[Path, dict, dict]:
    """Load and check a generator file; return its path, params and state.

    Loads with ``torch.load(weights_only=True)`` (tensors and plain containers
    only) and refuses foreign files and files of another package version.
    """
    _validate_type(fname, "path-like", "fname")
    fname = Path(fname).expanduser()
    if not fname.is_file():
        raise FileNotFoundError(f"No generator file at {fname}.")
    try:
        with warnings.catch_warnings():
            # foreign pickles (protocol != 2) make torch warn before refusing
            warnings.filterwarnings("ignore", "Detected pickle protocol")
            payload = torch.load(fname, map_location="cpu", weights_only=True)
    except Exception as err:  # any failure of the safe unpickler: not ours
        raise ValueError(
            f"{fname} is not a readable mne-video2eeg generator file (it may be "
            "corrupt, truncated, or a pickle holding code, which is refused for "
            f"safety): {str(err).splitlines()[0][:200]}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(
            f"{fname} is not an mne-video2eeg generator file (no "
            f"{_FORMAT!r} marker). Save generators with Video2EEGGenerator.save()."
        )
    if payload.get("version") != __version__:
        raise ValueError(
            f"{fname} was written by mne-video2eeg {payload.get('version')}, this is "
            f"{__version__}; refit the generator, or install version "
            f"{payload.get('version')} to read it."
        )
    params = json.loads(payload["params"])
    state = {k: _decode(v) for k, v in payload["fitted"].items()}
    state["state_dict"] = _decode(payload["state_dict"], keep_tensors=True)
    return fname, params, state
