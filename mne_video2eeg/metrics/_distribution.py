"""Distribution-level scores: EEG-FID and train-synthetic-test-real."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._bands import FREQ_BANDS
from ..utils._checks import (
    _check_positive,
    _check_random_state,
    _validate_type,
)
from ..utils._docs import verbose
from ._match import (
    PreconditionError,
    as_eeg,
    check_pair,
    emotion_labels,
    matched_real,
    need_sfreq,
    prepare_pair,
)
from ._spectral import check_bands, log_band_features


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
    %(real_generated)s
    %(feature_net)s
    n_epochs : int
        Training epochs when the network is trained here.
    random_state : int | numpy.random.Generator | None
        Seed of the network training.
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    fid : float
        >= 0.
    """
    from ..nn.eeg_features import EEGFeatureNet

    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    if feature_net is None:
        y = emotion_labels(r, "real")
        sf = need_sfreq(r, "eeg_fid")
        feature_net = EEGFeatureNet(n_epochs=n_epochs, random_state=random_state)
        feature_net.fit(r.data, y, sfreq=sf)
    _validate_type(feature_net, EEGFeatureNet, "feature_net")
    fr = feature_net.transform(r.data[matched_real(r, groups)])
    fg = feature_net.transform(g.data)
    if len(fr) < 2 or len(fg) < 2:
        raise PreconditionError(
            f"eeg_fid needs at least 2 epochs on each side, got {len(fr)} real "
            f"and {len(fg)} generated."
        )
    return _frechet(
        fr.mean(0), np.cov(fr, rowvar=False), fg.mean(0), np.cov(fg, rowvar=False)
    )


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
        Real and generated EEG in Volts, with an ``emotion`` metadata column
        (the two sets need not share videos).
    %(bands)s
    cv : int
        Folds of the real-data cross-validation (at most the smallest class).
    random_state : int | numpy.random.Generator | None
        Seed of the fold shuffling.
    %(sfreq_arrays)s
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

    r = as_eeg(real, "real", sfreq)
    g = as_eeg(generated, "generated", sfreq)
    check_pair(r, g, sfreq)
    sf = need_sfreq(r, "tstr_score")
    bands = check_bands(bands, sf)
    yr, yg = emotion_labels(r, "real"), emotion_labels(g, "generated")
    if len(np.unique(yg)) < 2 or len(np.unique(yr)) < 2:
        raise PreconditionError(
            "tstr_score needs at least 2 emotions in both real and generated, got "
            f"{sorted(set(yr))} and {sorted(set(yg))}."
        )
    cv = _check_positive(cv, "cv", integer=True)
    if cv < 2:
        raise ValueError(f"cv must be >= 2 folds, got {cv}.")
    counts = pd.Series(yr).value_counts()
    n_splits = min(cv, int(counts.min()))
    if n_splits < 2:
        few = sorted(counts.index[counts < 2])
        raise PreconditionError(
            "trtr cross-validation needs >= 2 real epochs per emotion, got "
            f"{int(counts.min())} for {few}."
        )
    xr_, xg = (
        log_band_features(r.data, sf, bands),
        log_band_features(g.data, sf, bands),
    )

    def clf():
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))

    tstr = float(clf().fit(xg, yg).score(xr_, yr))
    seed = None
    if random_state is not None:
        seed = int(_check_random_state(random_state).integers(2**31 - 1))
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    trtr = float(cross_val_score(clf(), xr_, yr, cv=folds).mean())
    chance = float(counts.max() / counts.sum())
    return xr.Dataset(
        {
            "tstr": tstr,
            "trtr": trtr,
            "ratio": tstr / trtr if trtr else np.nan,
            "chance": chance,
        }
    )
