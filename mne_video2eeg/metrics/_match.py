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

_EPS = np.finfo(float).tiny


@dataclass
class _EEG:
    data: np.ndarray  # (n_epochs, n_channels, n_times), Volts, float64
    sfreq: float | None
    ch_names: list[str] | None
    metadata: pd.DataFrame | None
    info: mne.Info | None


def _as_eeg(inst, name: str, sfreq=None) -> _EEG:
    if isinstance(inst, mne.BaseEpochs):
        out = _EEG(
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
        out = _EEG(np.asarray(inst, float), sfreq, None, None, None)
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


def _check_pair(real: _EEG, gen: _EEG, sfreq=None) -> None:
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


def _need_sfreq(real: _EEG, what: str) -> float:
    if real.sfreq is None:
        raise ValueError(
            f"{what} needs the sampling rate: pass Epochs, or sfreq=... with arrays."
        )
    return real.sfreq


def _has_col(eeg: _EEG, col: str) -> bool:
    return eeg.metadata is not None and col in eeg.metadata.columns


def _keys(real: _EEG, gen: _EEG, match: str) -> list[str]:
    _check_option("match", match, ("auto", "video", "video+subject"))
    for eeg, name in ((real, "real"), (gen, "generated")):
        if eeg.metadata is not None and "video" not in eeg.metadata.columns:
            raise ValueError(
                f"{name}.metadata needs a 'video' column to match epochs, got "
                f"columns {list(eeg.metadata.columns)}."
            )
    both_subj = _has_col(real, "subject") and _has_col(gen, "subject")
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


def _match(real: _EEG, gen: _EEG, match: str = "auto") -> list[tuple]:
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
    cols = _keys(real, gen, match)
    rkey = _key_list(real.metadata, cols)
    gkey = _key_list(gen.metadata, cols)
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


def _key_list(metadata: pd.DataFrame, cols) -> list[tuple]:
    # one rule for subject labels (1 and "01" are the same subject)
    columns = (
        subject_column(metadata[c]) if c == "subject" else metadata[c].astype(str)
        for c in cols
    )
    return list(zip(*(col.tolist() for col in columns), strict=True))


def _prepare(real, generated, *, sfreq=None, match="auto"):
    r = _as_eeg(real, "real", sfreq)
    g = _as_eeg(generated, "generated", sfreq)
    _check_pair(r, g, sfreq)
    return r, g, _match(r, g, match)


def _zscore_params(real: _EEG):
    mean = real.data.mean(axis=(0, 2), keepdims=True)[0]
    std = real.data.std(axis=(0, 2), keepdims=True)[0]
    return mean, np.where(std > 0, std, 1.0)


def _pair_stats(r, g, groups, func):
    """Mean of ``func(real_epochs, gen_epochs)`` over all matched pairs."""
    total, count = 0.0, 0
    for _, ri, gi in groups:
        a = r[ri][None]  # (1, n_r, ch, t)
        b = g[gi][:, None]  # (n_g, 1, ch, t)
        val = func(a, b)  # (n_g, n_r, ...)
        total += float(np.sum(val))
        count += val.size
    return total / count


def _corr_t(a, b):
    """Pearson correlation over the last axis (0 where a signal is flat)."""
    a = a - a.mean(-1, keepdims=True)
    b = b - b.mean(-1, keepdims=True)
    den = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    num = (a * b).sum(-1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _matched_real(r: _EEG, groups) -> np.ndarray:
    return np.unique(np.concatenate([ri for _, ri, _ in groups]))


def _labels(eeg: _EEG, name: str) -> np.ndarray:
    if not _has_col(eeg, "emotion"):
        raise ValueError(
            f"{name} needs Epochs with an 'emotion' metadata column for emotion "
            "classification."
        )
    return eeg.metadata["emotion"].astype(str).to_numpy()
