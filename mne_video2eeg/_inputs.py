"""Match video features to EEG clips and check what a fitted model expects.

No torch here: the estimator turns these numpy arrays into tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np
import pandas as pd
import xarray as xr

from .utils._checks import _validate_type

REQUIRED_METADATA = ("video", "subject", "emotion")


@dataclass
class VideoTokens:
    """Video features as model input: standardised values, times and a mask."""

    values: np.ndarray  # (n_videos, n_frames, n_features) float32, NaN -> 0
    times: np.ndarray  # (n_frames,) seconds from clip start
    mask: np.ndarray  # (n_videos, n_frames) bool, True = real frame
    ids: list[str]


def check_features(X, name: str = "X") -> xr.DataArray:
    """Validate a feature DataArray from :func:`extract_video_features`."""
    _validate_type(X, xr.DataArray, name, "xarray.DataArray")
    if tuple(X.dims) != ("video", "frame", "feature"):
        raise ValueError(
            f"{name} must have dims ('video', 'frame', 'feature') as made by "
            f"extract_video_features, got {tuple(X.dims)}."
        )
    if "video" not in X.coords:
        raise ValueError(f"{name} has no 'video' coordinate naming each video.")
    ids = [str(v) for v in X["video"].values]
    dup = sorted({v for v in ids if ids.count(v) > 1})
    if dup:
        raise ValueError(f"{name} holds duplicate video ids {dup}; ids must be unique.")
    if X.sizes["video"] == 0 or X.sizes["frame"] == 0:
        raise ValueError(f"{name} holds no video or no frame (sizes {dict(X.sizes)}).")
    if np.isinf(X.values).any():
        raise ValueError(f"{name} contains infinite feature values.")
    return X


def feature_times(X: xr.DataArray) -> np.ndarray:
    """Seconds of each frame relative to clip start (coord ``time``)."""
    if "time" in X.coords and X["time"].dims == ("frame",):
        return np.asarray(X["time"].values, float)
    fps = X.attrs.get("fps")
    if fps is None:
        raise ValueError(
            "X has neither a 'time' coordinate on 'frame' nor an 'fps' attribute: "
            "the model needs the time of each frame to align video and EEG."
        )
    return np.arange(X.sizes["frame"]) / float(fps)


def check_epochs(y, name: str = "y") -> pd.DataFrame:
    """Validate clip epochs and return their metadata (index reset)."""
    _validate_type(y, mne.BaseEpochs, name, "mne.Epochs")
    md = y.metadata
    missing = [c for c in REQUIRED_METADATA if md is None or c not in md.columns]
    if missing:
        raise ValueError(
            f"{name}.metadata lacks the column(s) {missing}. Each clip epoch needs "
            "'video' (the video id, e.g. the file name), 'subject' and 'emotion'; "
            f"set them with {name}.metadata = pandas.DataFrame(...)."
        )
    if len(y) == 0:
        raise ValueError(f"{name} holds no epochs: nothing to learn from.")
    md = md.reset_index(drop=True).copy()
    md["video"] = md["video"].astype(str)
    md["subject"] = md["subject"].astype(str)
    md["emotion"] = md["emotion"].astype(str)
    return md


def match_videos(X: xr.DataArray, videos) -> np.ndarray:
    """Row of ``X`` for each requested video id; clear error for missing ones."""
    ids = {str(v): k for k, v in enumerate(X["video"].values)}
    missing = sorted({str(v) for v in videos} - set(ids))
    if missing:
        raise ValueError(
            f"No video features for {len(missing)} video(s) of the EEG, e.g. "
            f"{missing[:5]}. X['video'] holds {list(ids)[:5]}...; extract features "
            "for every video named in the epochs' metadata['video']."
        )
    return np.array([ids[str(v)] for v in videos], int)


def standardise_features(
    X: xr.DataArray, mean: np.ndarray, std: np.ndarray
) -> VideoTokens:
    """Z-score each feature with training statistics; NaN frames are masked."""
    values = np.asarray(X.values, np.float64)
    mask = ~np.isnan(values).any(axis=-1)
    values = (values - mean) / std
    values = np.where(np.isnan(values), 0.0, values).astype(np.float32)
    return VideoTokens(
        values=values,
        times=feature_times(X).astype(np.float32),
        mask=mask,
        ids=[str(v) for v in X["video"].values],
    )


def feature_stats(X: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std over videos and frames (NaN-aware)."""
    values = np.asarray(X.values, np.float64).reshape(-1, X.sizes["feature"])
    mean = np.nanmean(values, axis=0)
    std = np.nanstd(values, axis=0)
    if not np.isfinite(mean).all():
        bad = list(np.asarray(X["feature"].values)[~np.isfinite(mean)])
        raise ValueError(f"Feature(s) {bad} are NaN for every frame of X.")
    std = np.where(std > 1e-12, std, 1.0)  # constant features stay at 0
    return mean, std
