"""Sample-by-sample and spatial-structure scores."""

from __future__ import annotations

import numpy as np
from mne.utils import fill_doc, verbose

from ._match import _corr_t, _matched_real, _pair_stats, _prepare, _zscore_params


@fill_doc
@verbose
def mse(real, generated, *, sfreq=None, match="auto", verbose=None) -> float:
    """Mean squared error on the real data's z-scale.

    Both signals are z-scored with the REAL data's per-channel mean ``mu_c`` and
    standard deviation ``sd_c`` (over all real epochs and times), then::

        mse = mean over pairs (r, g), channels c, times t of
              ((g[c, t] - mu_c) / sd_c - (r[c, t] - mu_c) / sd_c) ** 2

    Pairs are every (generated, real) epoch couple of the same key (see
    :mod:`mne_video2eeg.metrics`). Independent signals with the real statistics
    score 2.

    Parameters
    ----------
    real, generated : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Real and generated EEG in Volts.
    sfreq : float | None
        Sampling rate for array inputs (unused here; accepted for symmetry).
    match : "auto" | "video" | "video+subject"
        Matching key (see :mod:`mne_video2eeg.metrics`).
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
        Matching key (see :mod:`mne_video2eeg.metrics`).
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
        Matching key (see :mod:`mne_video2eeg.metrics`).
    %(verbose)s

    Returns
    -------
    corr : float
        In [-1, 1].
    """
    r, g, groups = _prepare(real, generated, sfreq=sfreq, match=match)
    return _pair_stats(r.data, g.data, groups, _corr_t)


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
        Matching key (see :mod:`mne_video2eeg.metrics`).
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
