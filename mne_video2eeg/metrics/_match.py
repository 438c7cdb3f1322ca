"""Inputs and the one matching rule every metric uses.

Each generated epoch is paired with the real epoch(s) of the same key: ``(video,
subject)`` when both inputs have a ``subject`` column and every generated
subject occurs in the real data, else ``video`` alone (e.g. population
generations with subject "unknown"); ``match="video"`` or
``match="video+subject"`` forces one. Arrays carry no metadata: they are paired
epoch by epoch (same shape required).
"""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np
import pandas as pd

from .._inputs import subject_column
from ..utils._checks import (
    _check_option,
    _check_positive,
)

EPS = np.finfo(float).tiny


class PreconditionError(ValueError):
    """The data do not meet a metric's precondition (not a wrong argument).

    Raised when a metric cannot be computed on these data, e.g. no emotion
    labels or a single generated sample per key; ``evaluate()`` with all
    metrics skips such a metric and says why.
    """


@dataclass
class EEGData:
    data: np.ndarray  # (n_epochs, n_channels, n_times), Volts, float64
    sfreq: float | None
    ch_names: list[str] | None
    metadata: pd.DataFrame | None
    info: mne.Info | None


def as_eeg(inst, name: str, sfreq=None) -> EEGData:
    if isinstance(inst, mne.BaseEpochs):
        out = EEGData(
            np.asarray(inst.get_data(), float),
            float(inst.info["sfreq"]),
            list(inst.ch_names),
            None if inst.metadata is None else inst.metadata.reset_index(drop=True),
            inst.info,
        )
    elif isinstance(inst, np.ndarray):
        if inst.ndim != 3:
            raise ValueError(
                f"{name} must be an array of shape (n_epochs, n_channels, n_times), "
                f"got shape {inst.shape}."
            )
        out = EEGData(np.asarray(inst, float), sfreq, None, None, None)
    else:
        raise TypeError(
            f"{name} must be mne.Epochs or a numpy array (n_epochs, n_channels, "
            f"n_times), got {type(inst).__name__}."
        )
    if out.data.shape[0] == 0:
        raise ValueError(f"{name} holds no epochs.")
    bad = ~np.isfinite(out.data)
    if bad.any():
        idx = np.unique(np.nonzero(bad)[0])[:5].tolist()
        raise ValueError(
            f"{name} holds {int(bad.sum())} NaN/inf values (epochs {idx}...); "
            "drop or repair those epochs first."
        )
    return out


def check_pair(real: EEGData, gen: EEGData, sfreq=None) -> None:
    """Check channels (reordering generated if needed), sfreq and n_times."""
    if real.ch_names is not None and gen.ch_names is not None:
        if real.ch_names != gen.ch_names:
            if set(real.ch_names) != set(gen.ch_names):
                miss = sorted(set(real.ch_names) ^ set(gen.ch_names))
                raise ValueError(
                    "real and generated have different channels; names in only "
                    f"one of them: {miss[:10]}. Pick the common channels first "
                    "(inst.pick(...))."
                )
            order = [gen.ch_names.index(c) for c in real.ch_names]
            gen.data = gen.data[:, order]
            gen.ch_names = list(real.ch_names)
    if real.data.shape[1:] != gen.data.shape[1:]:
        raise ValueError(
            "real and generated epochs must have the same (n_channels, n_times), "
            f"got {real.data.shape[1:]} and {gen.data.shape[1:]}; crop/resample "
            "them to the same window."
        )
    if real.sfreq is None and gen.sfreq is None and sfreq is not None:
        real.sfreq = gen.sfreq = _check_positive(sfreq, "sfreq")
    real.sfreq = real.sfreq if real.sfreq is not None else gen.sfreq
    gen.sfreq = gen.sfreq if gen.sfreq is not None else real.sfreq
    if real.sfreq is not None and not np.isclose(real.sfreq, gen.sfreq):
        raise ValueError(
            f"real and generated sampling rates differ ({real.sfreq} Hz vs "
            f"{gen.sfreq} Hz); resample one of them (inst.resample)."
        )


def need_sfreq(real: EEGData, what: str) -> float:
    if real.sfreq is None:
        raise PreconditionError(
            f"{what} needs the sampling rate: pass Epochs, or sfreq=... with arrays."
        )
    return real.sfreq


def has_column(eeg: EEGData, col: str) -> bool:
    return eeg.metadata is not None and col in eeg.metadata.columns


def key_columns(real: EEGData, gen: EEGData, match: str) -> list[str]:
    _check_option("match", match, ("auto", "video", "video+subject"))
    for eeg, name in ((real, "real"), (gen, "generated")):
        if eeg.metadata is not None and "video" not in eeg.metadata.columns:
            raise ValueError(
                f"{name}.metadata needs a 'video' column to match epochs, got "
                f"columns {list(eeg.metadata.columns)}."
            )
    both_subj = has_column(real, "subject") and has_column(gen, "subject")
    if match == "video+subject":
        if not both_subj:
            raise ValueError(
                "match='video+subject' needs a 'subject' column in both metadata."
            )
        return ["video", "subject"]
    if match == "video" or not both_subj:
        return ["video"]
    gsub = set(gen.metadata["subject"].pipe(subject_column))
    rsub = set(real.metadata["subject"].pipe(subject_column))
    return ["video", "subject"] if gsub <= rsub else ["video"]


def _match(real: EEGData, gen: EEGData, match: str = "auto") -> list[tuple]:
    """Group epochs by key: list of (key, real indices, generated indices).

    Keys come in sorted order; every generated key must occur in the real data
    (real keys with no generated epoch are ignored).
    """
    if real.metadata is None and gen.metadata is None:
        if real.data.shape[0] != gen.data.shape[0]:
            raise ValueError(
                "Arrays are matched epoch by epoch and need the same number of "
                f"epochs, got {real.data.shape[0]} real and {gen.data.shape[0]} "
                "generated; pass mne.Epochs with a 'video' metadata column instead."
            )
        return [((i,), np.array([i]), np.array([i])) for i in range(len(real.data))]
    if real.metadata is None or gen.metadata is None:
        lacking = "real" if real.metadata is None else "generated"
        raise ValueError(
            f"{lacking} has no metadata: to match epochs, give both real and "
            "generated as mne.Epochs whose metadata has a 'video' column (or both "
            "as arrays, matched epoch by epoch)."
        )
    cols = key_columns(real, gen, match)
    rkey = key_list(real.metadata, cols)
    gkey = key_list(gen.metadata, cols)
    rgroups: dict[tuple, list[int]] = {}
    for i, k in enumerate(rkey):
        rgroups.setdefault(k, []).append(i)
    ggroups: dict[tuple, list[int]] = {}
    for i, k in enumerate(gkey):
        ggroups.setdefault(k, []).append(i)
    missing = sorted(set(ggroups) - set(rgroups))
    if missing:
        raise ValueError(
            f"{len(missing)} generated {'/'.join(cols)} key(s) have no real epoch: "
            f"{missing[:10]}. Generate for videos present in the real data, or "
            "match by video only (match='video')."
        )
    out = []
    for k in sorted(ggroups):
        out.append((k, np.array(rgroups[k]), np.array(ggroups[k])))
    return out


def key_list(metadata: pd.DataFrame, cols) -> list[tuple]:
    # one rule for subject labels (1 and "01" are the same subject)
    columns = (
        subject_column(metadata[c]) if c == "subject" else metadata[c].astype(str)
        for c in cols
    )
    return list(zip(*(col.tolist() for col in columns), strict=True))


def prepare_pair(real, generated, *, sfreq=None, match="auto"):
    r = as_eeg(real, "real", sfreq)
    g = as_eeg(generated, "generated", sfreq)
    check_pair(r, g, sfreq)
    return r, g, _match(r, g, match)


def zscore_params(real: EEGData):
    mean = real.data.mean(axis=(0, 2), keepdims=True)[0]
    std = real.data.std(axis=(0, 2), keepdims=True)[0]
    return mean, np.where(std > 0, std, 1.0)


def pair_stats(r, g, groups, func):
    """Mean of ``func(real_epochs, gen_epochs)`` over all matched pairs."""
    total, count = 0.0, 0
    for _, ri, gi in groups:
        a = r[ri][None]  # (1, n_r, ch, t)
        b = g[gi][:, None]  # (n_g, 1, ch, t)
        val = func(a, b)  # (n_g, n_r, ...)
        total += float(np.sum(val))
        count += val.size
    return total / count


def corr_t(a, b):
    """Pearson correlation over the last axis (0 where a signal is flat)."""
    a = a - a.mean(-1, keepdims=True)
    b = b - b.mean(-1, keepdims=True)
    den = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    num = (a * b).sum(-1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def matched_real(r: EEGData, groups) -> np.ndarray:
    return np.unique(np.concatenate([ri for _, ri, _ in groups]))


def emotion_labels(eeg: EEGData, name: str) -> np.ndarray:
    if not has_column(eeg, "emotion"):
        raise PreconditionError(
            f"{name} needs Epochs with an 'emotion' metadata column for emotion "
            "classification."
        )
    return eeg.metadata["emotion"].astype(str).to_numpy()


def first_samples(gen: EEGData, gi: np.ndarray, n_samples) -> np.ndarray:
    """Restrict the generated indices ``gi`` of one key to its first K samples.

    By the ``sample`` metadata column when there is one, else in order; all of
    them when ``n_samples`` is None.
    """
    if n_samples is None:
        return gi
    if has_column(gen, "sample"):
        return gi[gen.metadata["sample"].to_numpy()[gi] < n_samples]
    return gi[:n_samples]


def key_coords(keys) -> dict:
    """Coordinates of a ``key`` dimension: video, and subject when keyed by it."""
    coords = {"video": ("key", [str(k[0]) for k in keys])}
    if len(keys) and len(keys[0]) == 2:
        coords["subject"] = ("key", [str(k[1]) for k in keys])
    return coords
