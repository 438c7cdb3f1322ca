"""Match video features to EEG clips and check what a fitted model expects.

No torch here: the estimator turns these numpy arrays into tensors.
"""

from __future__ import annotations

import json
import numbers
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
    md["subject"] = subject_column(md["subject"])
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


def fit_features(X: xr.DataArray, rows) -> tuple[dict, dict, VideoTokens]:
    """Return what a fit keeps of its features: attrs, scale and the tokens.

    The scale (per-feature mean and s.d.) comes from the videos of ``rows``
    (those the EEG names), the tokens cover every video of ``X``.
    """
    attrs = {
        k: (v if isinstance(v, str | int | float) else str(v))
        for k, v in X.attrs.items()
    }
    mean, std = feature_stats(X.isel(video=np.unique(rows)))
    return attrs, {"mean": mean, "std": std}, standardise_features(X, mean, std)


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


def _frame_rate(times: np.ndarray) -> float | None:
    """Feature rate in Hz from frame times (None for a single frame)."""
    times = np.asarray(times, float)
    if len(times) < 2:
        return None
    return float(1.0 / np.median(np.diff(times)))


def _encoder_config(attrs: dict) -> dict:
    """Return the encoder's JSON configuration in ``attrs`` (empty when absent)."""
    config = attrs.get("config")
    if not isinstance(config, str):
        return {}
    try:
        config = json.loads(config)
    except json.JSONDecodeError:
        return {}
    return config if isinstance(config, dict) else {}


def check_feature_config(X: xr.DataArray, fitted_attrs: dict, fitted_times) -> None:
    """Check ``X`` was made at the rate, frame size and encoder of the fit.

    The network learned its video-to-EEG lags on frames at the fitted rate and
    its feature statistics on the fitted encoder: another rate or encoder
    configuration is an error.  Another frame size changes the low-level
    statistics (spatial frequency, edges) without making them meaningless, so
    it is a warning.  What ``X`` does not record is not checked.
    """
    fix = "Extract the features with extract_video_features({}) as for fit."
    rate, fitted_rate = _frame_rate(feature_times(X)), _frame_rate(fitted_times)
    if rate is not None and fitted_rate is not None:
        if not np.isclose(rate, fitted_rate, rtol=1e-3):
            raise ValueError(
                f"X holds features at {rate:g} Hz, but the model was fitted on "
                f"features at {fitted_rate:g} Hz. "
                + fix.format(f"..., fps={fitted_rate:g}")
            )
    new, old = _encoder_config(X.attrs), _encoder_config(fitted_attrs)
    new.setdefault("size", X.attrs.get("size"))
    old.setdefault("size", fitted_attrs.get("size"))
    shared = sorted(set(new) & set(old) - {"fps", "size"})
    differ = {k: (new[k], old[k]) for k in shared if new[k] != old[k]}
    if differ:
        said = "; ".join(f"{k}: {a!r} (fit: {b!r})" for k, (a, b) in differ.items())
        raise ValueError(
            f"X was made with another encoder configuration than the features "
            f"the model was fitted on ({said}). " + fix.format("...")
        )
    size, fitted_size = new.get("size"), old.get("size")
    if size is not None and fitted_size is not None and str(size) != str(fitted_size):
        mne.utils.warn(
            f"X was extracted from frames of size {size}, the model's training "
            f"features from size {fitted_size}: the low-level statistics "
            "(spatial frequency, edges) differ with the frame size. "
            + fix.format(f"..., size={fitted_size}")
        )


def subject_str(subject) -> str:
    """Apply the package's one rule for subject labels: zero-pad an int.

    ``3 -> "03"`` (BIDS and SEED-DV style), a str is kept as it is.
    """
    if isinstance(subject, bool | np.bool_):
        raise TypeError(f"A subject label must be a str or int, got {subject!r}.")
    if isinstance(subject, numbers.Integral):
        return f"{int(subject):02d}"
    _validate_type(subject, str, "subject", "str or int")
    if not subject.strip():
        raise ValueError("A subject label must not be an empty string.")
    return subject


def subject_column(values: pd.Series) -> pd.Series:
    """Map a metadata ``subject`` column to labels under :func:`subject_str`."""

    def label(value):
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return f"{int(value):02d}"
        return str(value)

    return values.map(label)


def subject_label(subject, subjects: list[str]) -> str:
    """Return the output label of ``subject`` (None -> the population label).

    An int follows :func:`subject_str` (``1 -> "01"``); a model fitted on
    labels written ``"1"`` still finds ``1``.
    """
    if subject is None:
        return UNKNOWN_SUBJECT
    label = subject_str(subject)
    if label not in subjects and str(subject) in subjects:
        label = str(subject)
    subject = label
    if subject not in subjects:
        raise ValueError(
            f"Unknown subject {subject!r}: the model knows subjects {subjects}. "
            "Pass one of them, or subject=None for the population "
            "('unknown subject')."
        )
    return subject


#: Emotion label of a video whose emotion nobody gave.
UNKNOWN_EMOTION = "unknown"


def emotions_for(
    ids: list[str], emotion, video_emotions: dict, *, guess=None
) -> list[str]:
    """Emotion label of each video: given, else known from training, else unknown.

    ``guess(unlabelled ids) -> {id: label}`` may label the videos neither the
    user nor training labelled (e.g. CLIP zero-shot); the rest are
    :data:`UNKNOWN_EMOTION`, which is logged.
    """
    if emotion is None:
        unlabelled = [v for v in ids if v not in video_emotions]
        guessed = {} if guess is None or not unlabelled else guess(unlabelled)
        labels = {**video_emotions, **guessed}
        n_unknown = sum(v not in labels for v in unlabelled)
        if n_unknown:
            mne.utils.logger.info(
                f"{n_unknown} of {len(ids)} video(s) have no emotion label "
                f"(not in training, none given): labelled {UNKNOWN_EMOTION!r}. "
                "Pass emotion={video: label}, e.g. from label_emotions()."
            )
        return [labels.get(v, UNKNOWN_EMOTION) for v in ids]
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
