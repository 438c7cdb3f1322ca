"""The expected EEG: a stimulus-locked mean fitted before the diffusion.

With ``expected_eeg="mtrf"`` the generator is CARD-like (Han et al. 2022): a
mean model fitted first, a diffusion over the residual around it.  The mean
model is one of the baselines, at full strength, of what the network may
know about the video (``condition_on_video``):

- ``True``: :class:`~.baselines.RidgeEncodingBaseline` (the onset response
  plus lagged features, penalties chosen by cross-validation over videos);
- ``"onset"``: :class:`~.baselines.GrandAverageBaseline` (per subject):
  that a video started, not which.

Both are numpy models; the diffusion sees their prediction (at working scale)
as ``cond["expected_eeg"]`` (:mod:`.nn.conditioning`).  The training clips get
the in-sample prediction: its penalties were chosen by cross-validation
over videos, and its effective degrees of freedom are a small fraction of the
samples, so the residual it leaves on training clips has the variance of the
one it leaves on new videos (within 0.1-0.6 % of the noise variance on the
simulator; ``benchmarks/NOTES.md``, section 15), and out-of-fold fitting
would buy nothing.
"""

from __future__ import annotations

import mne
import numpy as np
from mne.utils import logger

from ._inputs import UNKNOWN_EMOTION
from .baselines import GrandAverageBaseline, RidgeEncodingBaseline
from .preprocessing import apply_channel_scale

#: Values of ``expected_eeg``: the lag path's jointly learned map, or a
#: mean model fitted first.
EXPECTED_EEG = ("learned", "mtrf")

_MODELS = {"mtrf": RidgeEncodingBaseline, "onset": GrandAverageBaseline}


def mean_model_kind(expected_eeg: str, condition_on_video) -> str | None:
    """Return the mean model's key in ``_MODELS``, or None (the lag path's map)."""
    if expected_eeg == "learned" or condition_on_video is False:
        return None
    return "onset" if isinstance(condition_on_video, str) else "mtrf"


#: Most feature columns of the mTRF design: its ridge solves an eigenproblem
#: of this size per cross-validation fold (seconds at 4096 on a laptop).
MAX_MTRF_COLUMNS = 4096


def mtrf_settings(n_features: int) -> dict:
    """Return the mTRF's design settings that keep it under ``MAX_MTRF_COLUMNS``.

    The low-level features (13) keep every expansion and a lag every 20 ms
    (21 lags, 1911 columns); wide embeddings (CLIP's 768) keep the features
    alone at fewer lags spanning the same 0-400 ms.
    """
    defaults = RidgeEncodingBaseline()
    n_lags = int(round((defaults.tmax - defaults.tmin) / defaults.lag_step)) + 1
    n_expanded = 7  # the feature, 2 rectified, 1 compressive, 3 derivative
    if n_features * n_expanded * n_lags <= MAX_MTRF_COLUMNS:
        return {}
    if n_features * n_lags <= MAX_MTRF_COLUMNS:
        return {"expansions": ()}
    n_lags = max(2, MAX_MTRF_COLUMNS // n_features)
    return {
        "expansions": (),
        "lag_step": (defaults.tmax - defaults.tmin) / (n_lags - 1),
    }


def fit_mean_model(kind: str, X, epochs: mne.BaseEpochs, *, seed: int):
    """Fit the mean model on the prepared training epochs (no noise model)."""
    settings = mtrf_settings(X.sizes["feature"]) if kind == "mtrf" else {}
    if settings:
        logger.info(
            f"Expected EEG: {X.sizes['feature']} features make the mTRF design "
            f"wide; using {settings}"
        )
    if kind == "mtrf" and epochs.metadata["video"].nunique() < 2:
        # cross-validation over videos needs two: one video gets one penalty
        # and its onset response as estimated (the video's mean clip)
        settings.update(alphas=(1e3,), onset_shrinkages=(1.0,))
    model = _MODELS[kind](noise=None, random_state=seed, **settings)
    # one summary line: the baseline's own log (its input checks, its grid
    # advice) speaks of settings the generator's user does not set
    model.fit(X, epochs, verbose="WARNING")
    if kind == "mtrf":
        logger.info(
            f"Expected EEG: mTRF fitted first; penalties by cross-validation over "
            f"videos, alpha median {np.median(model.alpha_):g}, onset shrinkage "
            f"{model.onset_shrinkage_:g}"
        )
    else:
        logger.info("Expected EEG: each subject's grand average (the onset response)")
    return model


def expected_clips(model, X, rows, subjects, scale: dict) -> np.ndarray:
    """Working-scale prediction for each clip: (n_clips, n_channels, n_times).

    ``rows`` indexes the videos of ``X`` per clip and ``subjects`` gives each
    clip's subject label (None: the population).  Each subject's videos are
    predicted once.
    """
    rows, subjects = np.asarray(rows), np.asarray(subjects, dtype=object)
    out = np.empty((len(rows), len(model.info_["ch_names"]), model.n_times_))
    for subject in dict.fromkeys(subjects.tolist()):
        clips = np.flatnonzero(subjects == subject)
        videos, inverse = np.unique(rows[clips], return_inverse=True)
        means = model.predict(
            X.isel(video=videos), subject=subject, emotion=UNKNOWN_EMOTION
        )
        out[clips] = means[inverse]
    return apply_channel_scale(out, scale["mean"], scale["std"]).astype(np.float32)


def mean_model_state(model) -> dict:
    """Return the fitted mean model as plain values and arrays (generator file)."""
    kind = next(k for k, cls in _MODELS.items() if isinstance(model, cls))
    return {"kind": kind, **model._to_state()}


def mean_model_from_state(state: dict, info: mne.Info):
    """Rebuild the mean model that :func:`mean_model_state` saved."""
    state = dict(state)
    return _MODELS[state.pop("kind")]._from_state(state, info)
