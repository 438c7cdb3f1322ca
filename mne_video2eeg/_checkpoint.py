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

import mne
import numpy as np
import torch
from mne.utils import logger
from sklearn.utils.validation import check_is_fitted

from ._version import __version__
from .utils._checks import _check_positive, _validate_type
from .utils._fileio import atomic_path

_FORMAT = "mne-video2eeg-generator"


def _montage_tensors(info) -> dict | None:
    """Channel and fiducial positions (head frame) as tensors, for checkpoints."""
    montage = info.get_montage()
    if montage is None:
        return None
    pos = montage.get_positions()
    if any(pos[k] is None for k in ("nasion", "lpa", "rpa")):
        return None
    return {
        "ch_pos": torch.tensor(np.array([pos["ch_pos"][c] for c in info.ch_names])),
        **{
            k: torch.tensor(np.asarray(pos[k], float)) for k in ("nasion", "lpa", "rpa")
        },
    }


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


def save_generator(gen, fname, *, overwrite: bool = False) -> Path:
    """Write ``gen`` to ``fname`` atomically (see :meth:`Video2EEGGenerator.save`)."""
    check_is_fitted(gen, "module_")
    _validate_type(fname, "path-like", "fname")
    fname = Path(fname).expanduser()
    if fname.exists() and not overwrite:
        raise FileExistsError(f"{fname} exists; pass overwrite=True to replace it.")
    info = gen.info_
    fitted = {
        "ch_names": list(info.ch_names),
        "sfreq": float(info["sfreq"]),
        "montage": _montage_tensors(info),
        "n_times": int(gen.n_times_),
        "feature_names": list(gen.feature_names_),
        "feature_attrs": json.dumps(gen.feature_attrs_, default=str),
        "feature_times": torch.from_numpy(np.asarray(gen.feature_times_)),
        "feature_mean": torch.from_numpy(gen.feature_scale_["mean"]),
        "feature_std": torch.from_numpy(gen.feature_scale_["std"]),
        "scale_mean": torch.from_numpy(gen.scale_["mean"]),
        "scale_std": torch.from_numpy(gen.scale_["std"]),
        "subjects": list(gen.subjects_),
        "emotions": list(gen.emotions_),
        "video_emotions": dict(gen.video_emotions_),
        "graphs": {k: torch.from_numpy(v) for k, v in gen.graphs_.items()},
        "history": json.dumps(gen.history_, default=float),
    }
    payload = {
        "format": _FORMAT,
        "version": __version__,
        "params": json.dumps(gen.get_params(deep=False), default=str),
        "module_config": json.dumps(gen.module_config_),
        "fitted": fitted,
        "state_dict": {k: v.cpu() for k, v in gen.module_.state_dict().items()},
    }
    with atomic_path(fname) as tmp:
        torch.save(payload, tmp)
    return fname


def read_generator_file(fname) -> tuple[Path, dict]:
    """Load and check a generator file; return its path and payload.

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
    return fname, payload


def generator_params(payload: dict) -> dict:
    """Return the estimator parameters stored in a generator file's payload."""
    params = json.loads(payload["params"])
    params["graphs"] = tuple(params["graphs"])
    return params


def restore_fitted(gen, fname, payload: dict, device):
    """Set the fitted attributes and weights of ``gen`` from ``payload``.

    ``gen`` is a :class:`~mne_video2eeg.Video2EEGGenerator` made from
    :func:`generator_params`; ``device`` a resolved :class:`torch.device`.
    """
    fitted = payload["fitted"]
    info = mne.create_info(fitted["ch_names"], fitted["sfreq"], ch_types="eeg")
    montage = fitted.get("montage")
    if montage is not None:
        info.set_montage(
            mne.channels.make_dig_montage(
                ch_pos=dict(
                    zip(fitted["ch_names"], montage["ch_pos"].numpy(), strict=True)
                ),
                **{k: montage[k].numpy() for k in ("nasion", "lpa", "rpa")},
                coord_frame="head",
            )
        )
    gen.info_ = info
    gen.n_times_ = int(fitted["n_times"])
    gen.feature_names_ = list(fitted["feature_names"])
    gen.n_features_in_ = len(gen.feature_names_)
    gen.feature_attrs_ = json.loads(fitted["feature_attrs"])
    gen.feature_times_ = fitted["feature_times"].numpy()
    gen.feature_scale_ = {
        "mean": fitted["feature_mean"].numpy(),
        "std": fitted["feature_std"].numpy(),
    }
    gen.scale_ = {
        "mean": fitted["scale_mean"].numpy(),
        "std": fitted["scale_std"].numpy(),
    }
    gen.subjects_ = list(fitted["subjects"])
    gen.emotions_ = list(fitted["emotions"])
    gen.video_emotions_ = dict(fitted["video_emotions"])
    gen.graphs_ = {k: v.numpy() for k, v in fitted["graphs"].items()}
    gen.history_ = json.loads(fitted["history"])
    gen.module_config_ = json.loads(payload["module_config"])
    gen.device_ = device
    module = gen._make_module(gen.module_config_, gen.graphs_)
    try:
        module.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise ValueError(
            f"The weights in {fname} do not fit the model its configuration "
            f"describes (tampered or mismatched file): {str(err)[:300]}"
        ) from None
    if module.whiten:
        from .spectra import CrossSpectralModel

        gen.spectral_model_ = CrossSpectralModel.from_colouring(
            module.colouring.numpy(), n_times=gen.n_times_
        )
    gen.module_ = module.to(gen.device_).eval()
    gen._sample_rng = np.random.default_rng(gen.random_state)
    return gen
