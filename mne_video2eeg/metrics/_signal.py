"""Sample-by-sample and spatial-structure scores."""

from __future__ import annotations

import numpy as np

from ..utils._docs import verbose
from ._match import (
    PreconditionError,
    corr_t,
    matched_real,
    pair_stats,
    prepare_pair,
    zscore_params,
)


def _zscored_error(real, generated, sfreq, match, error) -> float:
    """Mean of ``error(g_z - r_z)`` over all pairs, on the real data's z-scale."""
    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    mu, sd = zscore_params(r)
    rz, gz = (r.data - mu) / sd, (g.data - mu) / sd
    return pair_stats(rz, gz, groups, lambda a, b: error(b - a))


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
    %(real_generated)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    mse : float
        The mean squared error, >= 0.
    """
    return _zscored_error(real, generated, sfreq, match, lambda d: d**2)


@verbose
def mae(real, generated, *, sfreq=None, match="auto", verbose=None) -> float:
    """Mean absolute error on the real data's z-scale.

    As :func:`mse` with ``|g_z - r_z|`` in place of ``(g_z - r_z) ** 2``.

    Parameters
    ----------
    %(real_generated)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    mae : float
        The mean absolute error, >= 0.
    """
    return _zscored_error(real, generated, sfreq, match, np.abs)


@verbose
def pearson_correlation(
    real, generated, *, sfreq=None, match="auto", verbose=None
) -> float:
    """Pearson correlation over time, averaged over channels and pairs.

    ``corr = mean over pairs (r, g) and channels c of pearson_t(r[c], g[c])``,
    the paper's "correlation". A flat channel contributes 0.

    Parameters
    ----------
    %(real_generated)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    corr : float
        In [-1, 1].
    """
    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    return pair_stats(r.data, g.data, groups, corr_t)


def _channel_corr(data):
    x = data - data.mean(-1, keepdims=True)
    x = x.transpose(1, 0, 2).reshape(data.shape[1], -1)
    return np.corrcoef(x)


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
    %(real_generated)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    similarity : float
        In [-1, 1].
    """
    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    if r.data.shape[1] < 3:
        raise PreconditionError(
            f"covariance_similarity needs at least 3 channels, got {r.data.shape[1]}."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        cr = _channel_corr(r.data[matched_real(r, groups)])
        cg = _channel_corr(g.data)
    iu = np.triu_indices(cr.shape[0], k=1)
    a, b = np.nan_to_num(cr[iu]), np.nan_to_num(cg[iu])
    if np.allclose(a, b):
        return 1.0
    return float(corr_t(a, b))
