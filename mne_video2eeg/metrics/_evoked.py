"""Time-locked scores: evoked correlation with its noise ceiling, lagged xcorr."""

from __future__ import annotations

import mne
import numpy as np
import xarray as xr
from mne.utils import logger, warn

from ..utils._checks import (
    _check_positive,
)
from ..utils._docs import verbose
from ._match import (
    EPS,
    EEGData,
    as_eeg,
    corr_t,
    first_samples,
    has_column,
    key_list,
    need_sfreq,
    prepare_pair,
)


def as_clean(clean, real: EEGData) -> np.ndarray:
    """Clean truth aligned epoch by epoch with ``real``."""
    if isinstance(clean, mne.BaseEpochs):
        c = as_eeg(clean, "clean")
        if c.ch_names is not None and real.ch_names is not None:
            if c.ch_names != real.ch_names:
                if set(c.ch_names) != set(real.ch_names):
                    raise ValueError("clean and real must have the same channels.")
                c.data = c.data[:, [c.ch_names.index(n) for n in real.ch_names]]
        if c.metadata is not None and real.metadata is not None:
            cols = [k for k in ("video", "subject") if has_column(c, k)]
            cols = [k for k in cols if has_column(real, k)]
            ckey = key_list(c.metadata, cols)
            rkey = key_list(real.metadata, cols)
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
        data = as_eeg(clean, "clean").data
    if data.shape != real.data.shape:
        raise ValueError(
            "clean must align epoch by epoch with real (same shape), got "
            f"{data.shape} and {real.data.shape}."
        )
    return data


def _references(r: EEGData, groups, clean):
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


def _gen_means(g: EEGData, groups, n_samples):
    means, ks = [], []
    for _, _, gi in groups:
        gi = first_samples(g, gi, n_samples)
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
    %(reference_generated)s
    %(clean)s
        It is the reference waveform, and ``reference - clean`` the noise.
    %(n_samples_per_key)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``value``, ``ceiling``, ``ratio``, ``mismatched`` and
        ``n_samples`` (mean K).
    """
    r, g, groups = prepare_pair(reference, generated, sfreq=sfreq, match=match)
    if n_samples is not None:
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
    cl = None if clean is None else as_clean(clean, r)
    refs, n_ref, var_noise = _references(r, groups, cl)
    means, ks = _gen_means(g, groups, n_samples)
    corr = corr_t(means, refs)  # (n_keys, n_ch)
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
        denom_g = np.maximum(var_sig + var_noise / ks[:, None], EPS)
        ceil = np.sqrt(var_sig / denom_g)
        if cl is None:
            ceil *= np.sqrt(
                var_sig / np.maximum(var_sig + var_noise / n_ref[:, None], EPS)
            )
        ceiling = float(ceil.mean())
    order = _mismatch_order(groups)
    mism = np.nan if order is None else float(corr_t(means, refs[order]).mean())
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
    %(reference_generated)s
    %(clean)s
        It is the reference waveform.
    max_lag : float
        Largest lag searched, in seconds.
    %(n_samples_per_key)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``peak``, ``lag`` (samples), ``lag_s`` (seconds) and the curve
        ``xcorr`` on dim ``lag_samples``.
    """
    r, g, groups = prepare_pair(reference, generated, sfreq=sfreq, match=match)
    sf = need_sfreq(r, "lagged_xcorr")
    max_lag = _check_positive(max_lag, "max_lag", strict=False)
    if n_samples is not None:
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
    cl = None if clean is None else as_clean(clean, r)
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
