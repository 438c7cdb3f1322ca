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


#: Event codes of the emotion labels in every generated Epochs.
EMOTION_EVENT_ID = {"negative": 1, "neutral": 2, "positive": 3}
#: Subject label of population generations (``subject=None``).
UNKNOWN_SUBJECT = "unknown"


def check_same_features(X, feature_names: list[str], *, encoder=None) -> xr.DataArray:
    """Validate ``X`` and check it has the features a model was fitted on."""
    X = check_features(X)
    names = [str(f) for f in X["feature"].values]
    if names != list(feature_names):
        raise ValueError(
            f"X has {len(names)} features {names[:4]}..., but the model was "
            f"fitted on {len(feature_names)} features {list(feature_names)[:4]}... "
            f"(encoder {encoder or '?'!r}). Extract features with the same encoder "
            "and settings as for fit."
        )
    return X


def subject_label(subject, subjects: list[str]) -> str:
    """Return the output label of ``subject`` (None -> the population label)."""
    if subject is None:
        return UNKNOWN_SUBJECT
    subject = str(subject)
    if subject not in subjects:
        raise ValueError(
            f"Unknown subject {subject!r}: the model knows subjects {subjects}. "
            "Pass one of them, or subject=None for the population "
            "('unknown subject')."
        )
    return subject


def emotions_for(ids: list[str], emotion, video_emotions: dict) -> list[str]:
    """Emotion label of each video: given, else known from training, else neutral."""
    if emotion is None:
        return [video_emotions.get(v, "neutral") for v in ids]
    if isinstance(emotion, str):
        return [emotion] * len(ids)
    if isinstance(emotion, dict | pd.Series):
        emotion = {str(k): str(v) for k, v in dict(emotion).items()}
        missing = [v for v in ids if v not in emotion]
        if missing:
            raise ValueError(f"emotion= has no label for video(s) {missing[:5]}.")
        return [emotion[v] for v in ids]
    raise TypeError(
        "emotion must be None, a str, or a dict/Series mapping video id to "
        f"emotion, got {type(emotion).__name__}."
    )


def emotion_events(labels) -> tuple[np.ndarray, dict[str, int]]:
    """Event codes of emotion labels and the ``event_id`` of those present.

    The package's labels keep the codes of :data:`EMOTION_EVENT_ID`; other
    labels (e.g. "unknown") get 4, 5, ... in sorted order.
    """
    labels = [str(label) for label in labels]
    event_id = dict(EMOTION_EVENT_ID)
    for label in sorted(set(labels) - set(event_id)):
        event_id[label] = max(event_id.values()) + 1
    codes = np.array([event_id[label] for label in labels], int)
    present = set(codes.tolist())
    return codes, {k: v for k, v in event_id.items() if v in present}


def generated_epochs(
    data: np.ndarray,
    info: mne.Info,
    *,
    ids: list[str],
    subject: str,
    emotions: list[str],
    n_samples: int,
    tmin: float = 0.0,
) -> mne.EpochsArray:
    """Wrap generated clips (video-major, ``n_samples`` each) as Epochs.

    ``metadata`` holds video, subject, emotion and sample; ``event_id`` is
    keyed by emotion with the codes of :data:`EMOTION_EVENT_ID` (new labels
    get the next free codes).
    """
    rep = np.repeat(np.arange(len(ids)), n_samples)
    metadata = pd.DataFrame(
        {
            "video": [ids[k] for k in rep],
            "subject": subject,
            "emotion": [emotions[k] for k in rep],
            "sample": np.tile(np.arange(n_samples), len(ids)),
        }
    )
    return clip_epochs(data, info, metadata, tmin=tmin)


def clip_epochs(
    data: np.ndarray, info: mne.Info, metadata: pd.DataFrame, *, tmin: float = 0.0
) -> mne.EpochsArray:
    """Wrap disjoint clips as Epochs with emotion events and ``metadata``.

    One event per clip at its own sample, coded by the ``emotion`` column with
    :func:`emotion_events`.
    """
    codes, event_id = emotion_events(metadata["emotion"])
    n_times = data.shape[-1]
    events = np.column_stack(
        [np.arange(len(metadata)) * n_times, np.zeros(len(metadata), int), codes]
    )
    return mne.EpochsArray(
        data,
        info.copy(),
        events=events,
        tmin=tmin,
        event_id=event_id,
        metadata=metadata.reset_index(drop=True),
        verbose=False,
    )
