"""Scores of generated EEG against real EEG, one definition each.

Real and generated EEG come as :class:`mne.Epochs` (Volts) whose ``metadata``
holds ``video`` (and ``subject``, ``emotion``; generated epochs also
``sample`` = 0..K-1), or as arrays ``(n_epochs, n_channels, n_times)``.

Matching (one rule for every metric, :func:`_match`): each generated epoch is
paired with the real epoch(s) of the same key. The key is ``(video, subject)``
when both inputs have a ``subject`` column and every generated subject occurs in
the real data, else ``video`` alone (e.g. a held-out subject compared with the
average generation); ``match="video"`` or ``match="video+subject"`` forces one.
Arrays carry no metadata: they are paired epoch by epoch (same shape required).
"""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np
import pandas as pd
import xarray as xr
from mne.utils import fill_doc, logger, verbose, warn

from ._bands import FREQ_BANDS
from .utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
    _validate_type,
)

__all__ = [
    "band_similarity",
    "covariance_similarity",
    "eeg_fid",
    "evaluate",
    "evoked_correlation",
    "lagged_xcorr",
    "mae",
    "mse",
    "pearson_correlation",
    "psd_distance",
    "tstr_score",
]

#: Emotion labels and their event codes (shared with the estimator's outputs).
EMOTION_EVENT_ID: dict[str, int] = {"negative": 1, "neutral": 2, "positive": 3}

_EPS = np.finfo(float).tiny


# --------------------------------------------------------------------------
# Inputs and matching
# --------------------------------------------------------------------------
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
    gsub = set(gen.metadata["subject"].astype(str))
    rsub = set(real.metadata["subject"].astype(str))
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
    return list(zip(*(metadata[c].astype(str).tolist() for c in cols), strict=True))


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


# --------------------------------------------------------------------------
# Pointwise metrics
# --------------------------------------------------------------------------
@fill_doc
@verbose
def mse(real, generated, *, sfreq=None, match="auto", verbose=None) -> float:
    """Mean squared error on the real data's z-scale.

    Both signals are z-scored with the REAL data's per-channel mean ``mu_c`` and
    standard deviation ``sd_c`` (over all real epochs and times), then::

        mse = mean over pairs (r, g), channels c, times t of
              ((g[c, t] - mu_c) / sd_c - (r[c, t] - mu_c) / sd_c) ** 2

    Pairs are every (generated, real) epoch couple of the same key (see the
    module docstring). Independent signals with the real statistics score 2.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    sfreq : float | None
        Sampling rate for array inputs (unused here; accepted for symmetry).
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    mse : float
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    mu, sd = _zscore_params(r)
    rz, gz = (r.data - mu) / sd, (g.data - mu) / sd
    return _pair_stats(rz, gz, groups, lambda a, b: (b - a) ** 2)


@fill_doc
@verbose
def mae(real, generated, *, sfreq=None, match="auto", verbose=None) -> float:
    """Mean absolute error on the real data's z-scale.

    As :func:`mse` with ``|g_z - r_z|`` in place of ``(g_z - r_z) ** 2``.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    sfreq : float | None
        Sampling rate for array inputs (unused here).
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    mae : float
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    mu, sd = _zscore_params(r)
    rz, gz = (r.data - mu) / sd, (g.data - mu) / sd
    return _pair_stats(rz, gz, groups, lambda a, b: np.abs(b - a))


@fill_doc
@verbose
def pearson_correlation(
    real, generated, *, sfreq=None, match="auto", verbose=None
) -> float:
    """Pearson correlation over time, averaged over channels and pairs.

    ``corr = mean over pairs (r, g) and channels c of pearson_t(r[c], g[c])``,
    the paper's "correlation". A flat channel contributes 0.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    sfreq : float | None
        Sampling rate for array inputs (unused here).
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    corr : float
        In [-1, 1].
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    return _pair_stats(r.data, g.data, groups, _corr_t)


# --------------------------------------------------------------------------
# Spectral metrics (population level over the matched epochs)
# --------------------------------------------------------------------------
def _psd(data, sfreq, fmin, fmax):
    n_times = data.shape[-1]
    psd, freqs = mne.time_frequency.psd_array_welch(
        data,
        sfreq,
        fmin=fmin,
        fmax=fmax,
        n_fft=min(n_times, int(round(2 * sfreq))),
        verbose=False,
    )
    return psd, freqs


def _matched_real(r: _EEG, groups) -> np.ndarray:
    return np.unique(np.concatenate([ri for _, ri, _ in groups]))


def _check_bands(bands, sfreq):
    _validate_type(bands, dict, "bands")
    if not bands:
        raise ValueError("bands must name at least one band, got {}.")
    for name, (lo, hi) in bands.items():
        if not 0 <= lo < hi <= sfreq / 2:
            raise ValueError(
                f"Band {name!r} = ({lo}, {hi}) Hz must satisfy 0 <= low < high <= "
                f"Nyquist ({sfreq / 2} Hz)."
            )
    return bands


def _band_power(data, sfreq, bands):
    """Mean Welch PSD per band: (n_epochs, n_channels, n_bands)."""
    lo = min(b[0] for b in bands.values())
    hi = max(b[1] for b in bands.values())
    psd, freqs = _psd(data, sfreq, lo, hi)
    out = []
    for name, (fl, fh) in bands.items():
        sel = (freqs >= fl) & (freqs < fh) if fh < hi else (freqs >= fl)
        sel &= freqs <= fh
        if not sel.any():
            raise ValueError(
                f"Band {name!r} ({fl}-{fh} Hz) holds no frequency bin at the "
                f"Welch resolution {freqs[1] - freqs[0]:.3g} Hz; use longer epochs."
            )
        out.append(psd[..., sel].mean(-1))
    return np.stack(out, -1)


@fill_doc
@verbose
def band_similarity(
    real,
    generated,
    *,
    bands=FREQ_BANDS,
    sfreq=None,
    match="auto",
    verbose=None,
) -> xr.Dataset:
    """Per-band similarity of band power, level and topography, in [0, 1].

    ``P_r[c, b]`` and ``P_g[c, b]`` are the mean Welch band powers of channel
    ``c`` in band ``b`` over the matched real epochs and over the generated
    epochs (a distribution-level statistic: a perfect generator scores 1 even
    though single epochs differ). Then::

        level[b] = mean_c  min(P_r[c, b], P_g[c, b]) / max(P_r[c, b], P_g[c, b])
        topo[b]  = max(0, pearson_c(log P_r[:, b], log P_g[:, b]))

    ``level`` is 1 only for identical band power per channel and is sensitive
    to amplitude (a generator twice too large scores 0.25); ``topo`` measures
    the spatial pattern alone (0 for unrelated or inverted maps).

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    bands : dict of str -> (float, float)
        Band edges in Hz (default :data:`mne_video2eeg._bands.FREQ_BANDS`).
    sfreq : float | None
        Sampling rate for array inputs.
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Variables ``level`` and ``topo`` on dim ``band``.
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    sf = _need_sfreq(r, "band_similarity")
    bands = _check_bands(bands, sf)
    pr = _band_power(r.data[_matched_real(r, groups)], sf, bands).mean(0)
    pg = _band_power(g.data, sf, bands).mean(0)
    level = (np.minimum(pr, pg) / np.maximum(np.maximum(pr, pg), _EPS)).mean(0)
    lr, lg = np.log(np.maximum(pr, _EPS)), np.log(np.maximum(pg, _EPS))
    if lr.shape[0] > 1:
        topo = np.maximum(_corr_t(lr.T, lg.T), 0.0)
        # identical (even flat) patterns are perfectly similar
        topo[np.all(np.isclose(lr, lg), axis=0)] = 1.0
    else:
        topo = np.full(len(bands), np.nan)
    return xr.Dataset(
        {"level": ("band", level), "topo": ("band", topo)},
        coords={"band": list(bands)},
        attrs={"bands_hz": str(dict(bands))},
    )


@fill_doc
@verbose
def psd_distance(
    real,
    generated,
    *,
    fmin=1.0,
    fmax=45.0,
    sfreq=None,
    match="auto",
    verbose=None,
) -> float:
    """Root-mean-square difference of log power spectra, in dB.

    With ``S_r[c, f]`` and ``S_g[c, f]`` the Welch PSDs
    (:func:`mne.time_frequency.psd_array_welch`, 1-s windows... up to the epoch
    length) averaged over the matched real epochs and over the generated
    epochs::

        psd_distance = sqrt(mean over c, f in [fmin, fmax] of
                            (10 log10 S_g[c, f] - 10 log10 S_r[c, f]) ** 2)

    Identical spectra give 0; a generator twice too large gives 6.02 dB.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    fmin, fmax : float
        Frequency range in Hz.
    sfreq : float | None
        Sampling rate for array inputs.
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    distance : float
        In dB, >= 0.
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    sf = _need_sfreq(r, "psd_distance")
    if not 0 <= fmin < fmax <= sf / 2:
        raise ValueError(
            f"Need 0 <= fmin < fmax <= Nyquist ({sf / 2} Hz), got fmin={fmin}, "
            f"fmax={fmax}."
        )
    sr, _ = _psd(r.data[_matched_real(r, groups)], sf, fmin, fmax)
    sg, _ = _psd(g.data, sf, fmin, fmax)
    db_r = 10 * np.log10(np.maximum(sr.mean(0), _EPS))
    db_g = 10 * np.log10(np.maximum(sg.mean(0), _EPS))
    return float(np.sqrt(np.mean((db_g - db_r) ** 2)))


# --------------------------------------------------------------------------
# Evoked (time-locked) metrics
# --------------------------------------------------------------------------
def _as_clean(clean, real: _EEG) -> np.ndarray:
    """Clean truth aligned epoch by epoch with ``real``."""
    if isinstance(clean, mne.BaseEpochs):
        c = _as_eeg(clean, "clean")
        if c.ch_names is not None and real.ch_names is not None:
            if c.ch_names != real.ch_names:
                if set(c.ch_names) != set(real.ch_names):
                    raise ValueError("clean and real must have the same channels.")
                c.data = c.data[:, [c.ch_names.index(n) for n in real.ch_names]]
        if c.metadata is not None and real.metadata is not None:
            cols = [k for k in ("video", "subject") if _has_col(c, k)]
            cols = [k for k in cols if _has_col(real, k)]
            ckey = _key_list(c.metadata, cols)
            rkey = _key_list(real.metadata, cols)
            lookup = {k: i for i, k in enumerate(ckey)}
            missing = sorted(set(rkey) - set(lookup))
            if missing:
                raise ValueError(
                    f"clean lacks the {'/'.join(cols)} key(s) {missing[:10]} of "
                    "the real epochs."
                )
            data = c.data[[lookup[k] for k in rkey]]
        else:
            data = c.data
    else:
        data = _as_eeg(clean, "clean").data
    if data.shape != real.data.shape:
        raise ValueError(
            "clean must align epoch by epoch with real (same shape), got "
            f"{data.shape} and {real.data.shape}."
        )
    return data


def _references(r: _EEG, groups, clean):
    """Per-key reference waveform, trial count and noise variance per channel."""
    refs, n_ref = [], []
    for _, ri, _ in groups:
        src = clean if clean is not None else r.data
        refs.append(src[ri].mean(0))
        n_ref.append(1 if clean is not None else len(ri))
    refs = np.array(refs)
    if clean is not None:
        resid = r.data - clean
        var_noise = resid.var(axis=(0, 2))
    else:
        # pooled within-key trial variance (unbiased), from keys with >= 2 trials
        num, den = 0.0, 0
        for _, ri, _ in groups:
            if len(ri) > 1:
                x = r.data[ri]
                num = num + ((x - x.mean(0)) ** 2).sum(axis=(0, 2))
                den += (len(ri) - 1) * x.shape[-1]
        var_noise = num / den if den else None
    return refs, np.array(n_ref), var_noise


def _gen_means(g: _EEG, groups, n_samples):
    means, ks = [], []
    for _, _, gi in groups:
        if n_samples is not None:
            if _has_col(g, "sample"):
                keep = g.metadata["sample"].to_numpy()[gi] < n_samples
                gi = gi[keep]
            else:
                gi = gi[:n_samples]
        means.append(g.data[gi].mean(0))
        ks.append(len(gi))
    return np.array(means), np.array(ks)


def _mismatch_order(groups) -> np.ndarray | None:
    """Index of a different video's key for each key (same subject when keyed)."""
    keys = [k for k, _, _ in groups]
    if len({k[0] for k in keys}) < 2:
        return None
    order = np.empty(len(keys), int)
    for i, k in enumerate(keys):
        same_rest = [j for j, q in enumerate(keys) if q[1:] == k[1:] and q[0] != k[0]]
        cand = same_rest or [j for j, q in enumerate(keys) if q[0] != k[0]]
        # the next other video in sorted order: deterministic and balanced
        later = [j for j in cand if j > i]
        order[i] = later[0] if later else cand[0]
    return order


@fill_doc
@verbose
def evoked_correlation(
    reference,
    generated,
    *,
    clean=None,
    n_samples=None,
    sfreq=None,
    match="auto",
    verbose=None,
) -> xr.Dataset:
    """Correlation of the generated evoked response with the true one.

    For each key (video[, subject]) the K generated samples are averaged,
    ``m_g = mean_k g_k``, and compared with the reference waveform ``m_r``:
    the clean ground truth (``clean`` given, e.g. from
    ``simulate_video_eeg(return_clean=True)``) or else the average of the real
    trials of that key. ``value = mean over keys and channels of
    pearson_t(m_g[c], m_r[c])``.

    Noise ceiling: the same statistic for the true process (clean signal
    ``s`` + the data's own noise of variance ``v_n``, K samples). Per key and
    channel, with ``v_s`` the variance over time of the reference::

        ceiling = sqrt(v_s / (v_s + v_n / K))                     (clean given)
        ceiling = sqrt(v_s / (v_s + v_n / K)) * sqrt(v_s / (v_s + v_n / n_r))

    The second form (no clean truth) also discounts the noise left in the
    average of the ``n_r`` real trials; there ``v_s`` = variance of the real
    average minus ``v_n / n_r`` (floored at 0). ``v_n`` per channel is the
    variance of ``real - clean`` when ``clean`` is known, else the pooled
    within-key variance across real trials (keys with at least 2 trials); with
    one trial per key and no clean truth the ceiling is NaN (match by
    ``"video"`` to pool subjects as repeats). ``ceiling`` is averaged over keys
    and channels like ``value``; ``ratio = value / ceiling``.

    ``mismatched`` is the same statistic against the reference of a different
    video (same subject when keyed by subject): a video-specific generator
    scores far above it, a merely realistic one does not.

    Parameters
    ----------
    reference : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real EEG (Volts); with ``clean`` it only supplies the noise estimate.
    generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Generated EEG, K samples per key.
    clean : mne.Epochs | ndarray | None
        Noise-free truth aligned with ``reference`` (same epochs, or Epochs with
        ``video``/``subject`` metadata).
    n_samples : int | None
        Use only the first K samples per key (column ``sample`` when present).
    sfreq : float | None
        Sampling rate for array inputs (unused here).
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``value``, ``ceiling``, ``ratio``, ``mismatched`` and
        ``n_samples`` (mean K).
    """
    r, g, groups = _prepare(reference, generated, sfreq=sfreq, match=match)
    if n_samples is not None:
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
    cl = None if clean is None else _as_clean(clean, r)
    refs, n_ref, var_noise = _references(r, groups, cl)
    means, ks = _gen_means(g, groups, n_samples)
    corr = _corr_t(means, refs)  # (n_keys, n_ch)
    value = float(corr.mean())
    if var_noise is None:
        warn(
            "evoked_correlation: one real trial per key and no clean truth, so the "
            "noise ceiling is NaN; pass clean=... or match='video'."
        )
        ceiling = np.nan
    else:
        var_ref = refs.var(-1)
        if cl is None:
            var_sig = np.maximum(var_ref - var_noise / n_ref[:, None], 0.0)
        else:
            var_sig = var_ref
        denom_g = np.maximum(var_sig + var_noise / ks[:, None], _EPS)
        ceil = np.sqrt(var_sig / denom_g)
        if cl is None:
            ceil *= np.sqrt(
                var_sig / np.maximum(var_sig + var_noise / n_ref[:, None], _EPS)
            )
        ceiling = float(ceil.mean())
    order = _mismatch_order(groups)
    mism = np.nan if order is None else float(_corr_t(means, refs[order]).mean())
    ratio = value / ceiling if ceiling and np.isfinite(ceiling) else np.nan
    logger.info(
        f"evoked correlation {value:.3f} (ceiling {ceiling:.3f}, mismatched "
        f"{mism:.3f}) over {len(groups)} keys"
    )
    return xr.Dataset(
        {
            "value": value,
            "ceiling": ceiling,
            "ratio": ratio,
            "mismatched": mism,
            "n_samples": float(ks.mean()),
        }
    )


@fill_doc
@verbose
def lagged_xcorr(
    reference,
    generated,
    *,
    clean=None,
    max_lag=0.25,
    n_samples=None,
    sfreq=None,
    match="auto",
    verbose=None,
) -> xr.Dataset:
    """Peak cross-correlation between generated and reference evoked responses.

    With ``m_g`` the mean of the generated samples and ``m_r`` the reference
    (clean truth or real average, as in :func:`evoked_correlation`), both
    z-scored over time per key and channel (length ``T``)::

        xcorr(l) = mean over keys, channels of (1 / T) sum_t m_r[t] m_g[t + l]

    for integer lags ``|l| <= max_lag * sfreq`` (the biased estimator, so
    ``xcorr(0)`` equals the evoked correlation). ``peak = max_l xcorr(l)``, at
    ``lag`` samples; a positive lag means the generated response comes LATE.

    Parameters
    ----------
    reference, generated : mne.Epochs | ndarray
        As in :func:`evoked_correlation`.
    clean : mne.Epochs | ndarray | None
        Noise-free truth aligned with ``reference``.
    max_lag : float
        Largest lag searched, in seconds.
    n_samples : int | None
        Use only the first K samples per key.
    sfreq : float | None
        Sampling rate for array inputs.
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``peak``, ``lag`` (samples), ``lag_s`` (seconds) and the curve
        ``xcorr`` on dim ``lag_samples``.
    """
    r, g, groups = _prepare(reference, generated, sfreq=sfreq, match=match)
    sf = _need_sfreq(r, "lagged_xcorr")
    max_lag = _check_positive(max_lag, "max_lag", strict=False)
    cl = None if clean is None else _as_clean(clean, r)
    refs, _, _ = _references(r, groups, cl)
    means, _ = _gen_means(g, groups, n_samples)
    n_t = refs.shape[-1]
    L = min(int(round(max_lag * sf)), n_t - 1)

    def _z(x):
        x = x - x.mean(-1, keepdims=True)
        sd = x.std(-1, keepdims=True)
        return x / np.where(sd > 0, sd, 1.0)

    zr, zg = _z(refs), _z(means)
    lags = np.arange(-L, L + 1)
    curve = np.empty(len(lags))
    for i, lag in enumerate(lags):
        if lag >= 0:
            prod = zr[..., : n_t - lag] * zg[..., lag:]
        else:
            prod = zr[..., -lag:] * zg[..., : n_t + lag]
        curve[i] = prod.sum(-1).mean() / n_t
    best = int(np.argmax(curve))
    return xr.Dataset(
        {
            "peak": float(curve[best]),
            "lag": int(lags[best]),
            "lag_s": float(lags[best] / sf),
            "xcorr": ("lag_samples", curve),
        },
        coords={"lag_samples": lags},
    )


# --------------------------------------------------------------------------
# Spatial structure, distributions and downstream usefulness
# --------------------------------------------------------------------------
def _channel_corr(data):
    x = data - data.mean(-1, keepdims=True)
    x = x.transpose(1, 0, 2).reshape(data.shape[1], -1)
    return np.corrcoef(x)


@fill_doc
@verbose
def covariance_similarity(
    real, generated, *, sfreq=None, match="auto", verbose=None
) -> float:
    """Similarity of the spatial (channel x channel) correlation structure.

    ``C_r`` and ``C_g`` are the channel correlation matrices of the matched real
    epochs and of the generated epochs (each epoch's channel means removed, then
    all epochs and times pooled). The score is the Pearson correlation of their
    strictly upper triangles::

        covariance_similarity = pearson(triu(C_r, k=1), triu(C_g, k=1))

    1 for identical spatial structure; insensitive to overall scale.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    sfreq : float | None
        Sampling rate for array inputs (unused here).
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    similarity : float
        In [-1, 1].
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    if r.data.shape[1] < 3:
        raise ValueError(
            f"covariance_similarity needs at least 3 channels, got {r.data.shape[1]}."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        cr = _channel_corr(r.data[_matched_real(r, groups)])
        cg = _channel_corr(g.data)
    iu = np.triu_indices(cr.shape[0], k=1)
    a, b = np.nan_to_num(cr[iu]), np.nan_to_num(cg[iu])
    if np.allclose(a, b):
        return 1.0
    return float(_corr_t(a, b))


def _frechet(mu1, s1, mu2, s2) -> float:
    from scipy import linalg

    diff = mu1 - mu2
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        # the usual guard: regularise nearly singular covariances
        off = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + off) @ (s2 + off))
    covmean = np.real(covmean)
    fd = diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    return float(max(fd, 0.0))


@fill_doc
@verbose
def eeg_fid(
    real,
    generated,
    *,
    feature_net=None,
    n_epochs=30,
    random_state=None,
    sfreq=None,
    match="auto",
    verbose=None,
) -> float:
    """Frechet distance between real and generated EEG in a learnt feature space.

    Features ``f(x)`` come from a braindecode ShallowFBCSPNet trained to
    classify emotion on the real epochs (see
    :mod:`mne_video2eeg.nn.eeg_features`; pass ``feature_net`` to reuse a fitted
    one). With ``(mu_r, S_r)`` and ``(mu_g, S_g)`` the mean and covariance of
    the features of the matched real epochs and of the generated epochs::

        fid = |mu_r - mu_g|^2 + tr(S_r + S_g - 2 (S_r S_g)^(1/2))

    computed with :func:`scipy.linalg.sqrtm` (real part, 1e-6 ridge when the
    product is singular). 0 for identical feature distributions.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts. Training the net needs an ``emotion``
        column in ``real.metadata``.
    feature_net : mne_video2eeg.nn.eeg_features.EEGFeatureNet | None
        A fitted feature network; None trains one on ``real``.
    n_epochs : int
        Training epochs when the network is trained here.
    random_state : int | numpy.random.Generator | None
        Seed of the network training.
    sfreq : float | None
        Sampling rate for array inputs.
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    %(verbose)s

    Returns
    -------
    fid : float
        >= 0.
    """
    from .nn.eeg_features import EEGFeatureNet

    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    if feature_net is None:
        y = _labels(r, "real")
        sf = _need_sfreq(r, "eeg_fid")
        feature_net = EEGFeatureNet(n_epochs=n_epochs, random_state=random_state)
        feature_net.fit(r.data, y, sfreq=sf)
    _validate_type(feature_net, EEGFeatureNet, "feature_net")
    fr = feature_net.transform(r.data[_matched_real(r, groups)])
    fg = feature_net.transform(g.data)
    if len(fr) < 2 or len(fg) < 2:
        raise ValueError(
            f"eeg_fid needs at least 2 epochs on each side, got {len(fr)} real "
            f"and {len(fg)} generated."
        )
    return _frechet(
        fr.mean(0), np.cov(fr, rowvar=False), fg.mean(0), np.cov(fg, rowvar=False)
    )


def _labels(eeg: _EEG, name: str) -> np.ndarray:
    if not _has_col(eeg, "emotion"):
        raise ValueError(
            f"{name} needs Epochs with an 'emotion' metadata column for emotion "
            "classification."
        )
    return eeg.metadata["emotion"].astype(str).to_numpy()


def _log_band_features(data, sfreq, bands):
    return np.log(np.maximum(_band_power(data, sfreq, bands), _EPS)).reshape(
        len(data), -1
    )


@fill_doc
@verbose
def tstr_score(
    real,
    generated,
    *,
    bands=FREQ_BANDS,
    cv=5,
    random_state=None,
    sfreq=None,
    verbose=None,
) -> xr.Dataset:
    """Train-synthetic-test-real emotion accuracy beside train-real-test-real.

    Features: log Welch band power per channel and band (``bands``). Classifier:
    ``StandardScaler`` + ``LogisticRegression(C=1)``. ``tstr`` = accuracy on all
    real epochs of the classifier trained on the generated epochs (labels from
    each side's ``emotion`` column); ``trtr`` = mean stratified ``cv``-fold
    cross-validated accuracy on the real epochs; ``ratio = tstr / trtr``.
    No video matching: the two sets need not share videos.

    Parameters
    ----------
    real, generated : mne.Epochs
        With an ``emotion`` metadata column.
    bands : dict of str -> (float, float)
        Band edges in Hz.
    cv : int
        Folds of the real-data cross-validation (at most the smallest class).
    random_state : int | None
        Seed of the fold shuffling.
    sfreq : float | None
        Sampling rate for array inputs (arrays carry no labels: unused).
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``tstr``, ``trtr``, ``ratio`` and ``chance`` (majority class
        rate in the real data).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    r = _as_eeg(real, "real", sfreq)
    g = _as_eeg(generated, "generated", sfreq)
    _check_pair(r, g, sfreq)
    sf = _need_sfreq(r, "tstr_score")
    bands = _check_bands(bands, sf)
    yr, yg = _labels(r, "real"), _labels(g, "generated")
    if len(np.unique(yg)) < 2 or len(np.unique(yr)) < 2:
        raise ValueError(
            "tstr_score needs at least 2 emotions in both real and generated, got "
            f"{sorted(set(yr))} and {sorted(set(yg))}."
        )
    xr_, xg = (
        _log_band_features(r.data, sf, bands),
        _log_band_features(g.data, sf, bands),
    )

    def clf():
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))

    tstr = float(clf().fit(xg, yg).score(xr_, yr))
    n_min = int(pd.Series(yr).value_counts().min())
    n_splits = min(_check_positive(cv, "cv", integer=True), n_min)
    if n_splits < 2:
        raise ValueError(
            f"trtr cross-validation needs >= 2 real epochs per emotion, got {n_min}."
        )
    seed = None
    if random_state is not None:
        seed = int(_check_random_state(random_state).integers(2**31 - 1))
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    trtr = float(cross_val_score(clf(), xr_, yr, cv=folds).mean())
    chance = float(pd.Series(yr).value_counts(normalize=True).max())
    return xr.Dataset(
        {
            "tstr": tstr,
            "trtr": trtr,
            "ratio": tstr / trtr if trtr else np.nan,
            "chance": chance,
        }
    )


# --------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------
_ALL = (
    "mse",
    "mae",
    "pearson_correlation",
    "band_similarity",
    "psd_distance",
    "evoked_correlation",
    "lagged_xcorr",
    "covariance_similarity",
    "eeg_fid",
    "tstr_score",
)


@fill_doc
@verbose
def evaluate(
    real,
    generated,
    *,
    clean=None,
    n_samples=None,
    metrics=None,
    bands=FREQ_BANDS,
    feature_net=None,
    match="auto",
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Compute every metric of this module into one :class:`xarray.Dataset`.

    Variables (the formulas are in each function's docstring): ``mse``,
    ``mae``, ``pearson_correlation``, ``band_similarity`` and
    ``band_topography`` (dim ``band``), ``psd_distance``, ``evoked_correlation``,
    ``evoked_ceiling``, ``evoked_ratio``, ``evoked_mismatched``, ``xcorr_peak``,
    ``xcorr_lag``, ``xcorr_lag_s``, ``covariance_similarity``, ``eeg_fid``,
    ``tstr_accuracy``, ``trtr_accuracy``, ``tstr_ratio``.

    Parameters
    ----------
    real, generated : mne.Epochs
        Real and generated EEG (Volts) with ``video`` (``subject``,
        ``emotion``, ``sample``) metadata.
    clean : mne.Epochs | ndarray | None
        Noise-free truth aligned with ``real`` for the evoked metrics.
    n_samples : int | None
        K for the evoked metrics (default: all samples per key).
    metrics : list of str | None
        Subset of ``("mse", "mae", "pearson_correlation", "band_similarity",
        "psd_distance", "evoked_correlation", "lagged_xcorr",
        "covariance_similarity", "eeg_fid", "tstr_score")``; None = all.
        ``eeg_fid`` and ``tstr_score`` need ``emotion`` labels and are skipped
        (with a log message) when absent.
    bands : dict of str -> (float, float)
        Band edges in Hz.
    feature_net : EEGFeatureNet | None
        A fitted feature network for ``eeg_fid``.
    match : "auto" | "video" | "video+subject"
        Matching key (see the module docstring).
    random_state : int | None
        Seed for ``eeg_fid`` training and ``tstr_score`` folds.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
    """
    if metrics is None:
        metrics = list(_ALL)
    _validate_type(metrics, (list, tuple), "metrics")
    for m in metrics:
        _check_option("metrics", m, _ALL)
    kw = dict(match=match, verbose=False)
    out = {}
    labelled = all(
        isinstance(x, mne.BaseEpochs)
        and x.metadata is not None
        and "emotion" in x.metadata.columns
        for x in (real, generated)
    )
    for m in metrics:
        logger.info(f"Computing {m}")
        if m in ("mse", "mae", "pearson_correlation", "covariance_similarity"):
            out[m] = globals()[m](real, generated, **kw)
        elif m == "band_similarity":
            ds = band_similarity(real, generated, bands=bands, **kw)
            out["band_similarity"] = ds["level"]
            out["band_topography"] = ds["topo"]
        elif m == "psd_distance":
            out[m] = psd_distance(real, generated, **kw)
        elif m == "evoked_correlation":
            ds = evoked_correlation(
                real, generated, clean=clean, n_samples=n_samples, **kw
            )
            out["evoked_correlation"] = ds["value"]
            out["evoked_ceiling"] = ds["ceiling"]
            out["evoked_ratio"] = ds["ratio"]
            out["evoked_mismatched"] = ds["mismatched"]
        elif m == "lagged_xcorr":
            ds = lagged_xcorr(real, generated, clean=clean, n_samples=n_samples, **kw)
            out["xcorr_peak"] = ds["peak"]
            out["xcorr_lag"] = ds["lag"]
            out["xcorr_lag_s"] = ds["lag_s"]
        elif not labelled:
            logger.info(f"Skipping {m}: needs Epochs with 'emotion' metadata")
        elif m == "eeg_fid":
            out[m] = eeg_fid(
                real,
                generated,
                feature_net=feature_net,
                random_state=random_state,
                **kw,
            )
        elif m == "tstr_score":
            ds = tstr_score(
                real, generated, bands=bands, random_state=random_state, verbose=False
            )
            out["tstr_accuracy"] = ds["tstr"]
            out["trtr_accuracy"] = ds["trtr"]
            out["tstr_ratio"] = ds["ratio"]
    data = {
        k: (v if isinstance(v, xr.DataArray) else xr.DataArray(float(v)))
        for k, v in out.items()
    }
    return xr.Dataset(data)
