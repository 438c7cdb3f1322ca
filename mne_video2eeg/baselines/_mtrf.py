"""The mTRF-style encoding baseline (onset regressor, expanded lagged features)."""

from __future__ import annotations

import numpy as np
from mne.utils import logger

from .. import _inputs
from ..utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
    _validate_type,
)
from ..utils._docs import fill_doc, verbose
from ._common import BaselineMixin
from ._ridge import _RidgeFit, fit_ridge

#: Feature expansions of :class:`RidgeEncodingBaseline` (all by default).
EXPANSIONS = ("rectified", "compressive", "derivative")
#: Shrinkage factors of the onset response tried by the cross-validation
#: (1: as estimated, 0: no onset response).
ONSET_SHRINKAGES = (1.0, 0.5, 0.25, 0.1, 0.0)
#: Values of the design held in memory at once (bounds fit/generate memory).
_CHUNK_VALUES = 8_000_000


def _fill_nan_frames(values, ftimes):
    """Interpolate NaN frames linearly over time (held at the edges); all-NaN -> 0."""
    bad = np.isnan(values)
    if not bad.any():
        return values
    values = values.copy()
    for v, f in zip(*np.nonzero(bad.any(axis=1)), strict=True):
        ok = ~bad[v, :, f]
        values[v, :, f] = (
            np.interp(ftimes, ftimes[ok], values[v, ok, f]) if ok.any() else 0.0
        )
    return values


def _expand_features(z, names, expansions):
    """Frame-rate regressors of z-scored features: (n_v, n_frames, n_reg), names.

    Order: the features, then ``:pos``/``:neg`` (rectified), ``:log``
    (compressive), ``:diff`` (first difference; ``:diff:pos``/``:diff:neg`` too
    with "rectified"), each block over all features.
    """
    parts, labels = [z], list(names)

    def add(values, suffix):
        parts.append(values)
        labels.extend(f"{n}:{suffix}" for n in names)

    if "rectified" in expansions:
        add(np.maximum(z, 0.0), "pos")
        add(np.maximum(-z, 0.0), "neg")
    if "compressive" in expansions:
        add(np.sign(z) * np.log1p(np.abs(z)), "log")
    if "derivative" in expansions:
        diff = np.diff(z, axis=1, prepend=0.0)  # nothing was shown before frame 0
        add(diff, "diff")
        if "rectified" in expansions:
            add(np.maximum(diff, 0.0), "diff:pos")
            add(np.maximum(-diff, 0.0), "diff:neg")
    return np.concatenate(parts, axis=-1), labels


def _lag_operator(times, ftimes, lags):
    """Linear map frames -> lagged samples: (n_lags, n_times, n_frames).

    Row ``t`` of lag ``l`` reads the stimulus at ``times[t] - lags[l]``,
    linearly interpolated between frame times (the first frame is held from 0
    to its time, the last after its time) and **zero before the clip**
    (before ``min(0, first frame time)``): nothing was shown then.
    """
    ftimes = np.asarray(ftimes, float)
    start = min(0.0, ftimes[0]) - 1e-9
    eye = np.eye(len(ftimes))
    out = np.empty((len(lags), len(times), len(ftimes)))
    for li, lag in enumerate(lags):
        query = times - lag
        out[li] = np.stack([np.interp(query, ftimes, e) for e in eye], axis=1)
        out[li, query < start] = 0.0
    return out


def _subject_offsets(data, subj, videos, subjects, *, time_courses):
    """Offset of each subject, (n_channels, n_times) in Volts, and its shrinkage.

    The subject's mean level per channel; with ``time_courses`` (and two or
    more subjects) plus its own time course: the mean over its epochs of the
    deviation from each video's average over all subjects (which removes the
    video-specific part), centred, and shrunk per channel by the
    James-Stein factor ``k = max(0, 1 - noise / var)``, ``var`` its variance
    over time and ``noise`` the expected variance of a mean of its epochs'
    deviations without a true time course.
    """
    n_ch, n_t = data.shape[1:]
    offsets = {
        s: np.repeat(data[subj == s].mean(axis=(0, 2))[:, None], n_t, -1)
        for s in subjects
    }
    shrinkage = {s: np.zeros(n_ch) for s in subjects}
    if not time_courses or len(subjects) < 2:
        return offsets, shrinkage
    dev = data.copy()
    for s in subjects:
        dev[subj == s] -= offsets[s]
    for v in np.unique(videos):
        dev[videos == v] -= dev[videos == v].mean(0)
    for s in subjects:
        own = dev[subj == s]
        course = own.mean(0)
        noise = ((own - course) ** 2).mean(axis=(0, 2)) / max(len(own) - 1, 1)
        course -= course.mean(-1, keepdims=True)
        var = (course**2).mean(-1)
        shrinkage[s] = np.clip(1.0 - noise / np.maximum(var, 1e-300), 0.0, 1.0)
        offsets[s] = offsets[s] + shrinkage[s][:, None] * course
    return offsets, shrinkage


@fill_doc
class RidgeEncodingBaseline(BaselineMixin):
    r"""mTRF-style encoding model at full strength, per channel.

    Each EEG channel is the response to the clip onset plus a linear function
    of the video features and their nonlinear expansions at lags
    ``tmin..tmax``::

        eeg[c, t] = b[c] + o[s, c, t] + h[c, t] + sum_{l, r} w[c, l, r] * x_r(t - lag_l)

    - ``h`` (``onset=True``): the onset regressor, an impulse at t = 0 with a
      weight at every lag from 0 to the end of the clip (one column per EEG
      sample at or after t = 0, none before): the response to "a video
      started", shared by all videos, which the video-blind grand average
      (:class:`GrandAverageBaseline`) knows. It has its own penalty (a banded
      ridge): the factor by which an onset weight is shrunk, from
      ``onset_shrinkages`` (1: the time-locked mean as estimated; 0: none),
      one for all channels (one brain response seen on every channel), so
      the model can be the grand average (features shrunk away), the feature
      TRF alone (no shared response) or both.
    - ``x_r``: each feature ``f`` z-scored with the training statistics and,
      per ``expansions``, its rectified parts ``max(f, 0)``, ``max(-f, 0)``
      (``"rectified"``), the compressive ``sign(f) log(1 + |f|)``
      (``"compressive"``) and the first difference ``f[k] - f[k-1]`` at the
      feature rate (``"derivative"``; with ``"rectified"`` also its positive
      and negative parts: on and off responses), computed on the frames and
      interpolated linearly to ``t - lag_l``.
    - The stimulus is **zero before t = 0**: nothing was shown before the clip
      started (lags reaching before the clip read 0, not the first frame; the
      first difference at frame 0 is the step from 0 to frame 0).
    - ``b`` intercept; ``o[s]`` the subject's offset: its mean per channel,
      and with ``onset=True`` its own time course (subjects differ in the
      latency and gain of the onset response): the mean over its epochs of
      their deviation from each video's average over subjects, shrunk per
      channel by the James-Stein factor ``max(0, 1 - noise / variance)``
      (``offset_shrinkage_``).

    ``w`` and ``h`` are fitted by ridge regression on design columns scaled to
    unit variance, with penalties (``alpha`` for ``w`` from ``alphas``, per
    channel; the onset's shrinkage for ``h``, by the error summed over
    channels) chosen jointly by ``cv``-fold cross-validation over whole
    training videos (samples of a
    video are never split; reported in ``alpha_``, ``onset_shrinkage_`` and
    ``model_.cv_mse_``); ``b`` is not penalised.
    Pooled over subjects (default), the model is fitted on the
    subject-demeaned EEG averaged per video, weighted by its number of epochs
    (the pooled least-squares solution when all subjects saw the same videos,
    at a fraction of the memory). ``by_subject=True`` fits one model per
    subject on its own epochs. Samples = prediction + noise drawn from the
    residuals (module docstring). ``onset=False, expansions=()`` is the
    classical feature-only linear TRF.

    Parameters
    ----------
    tmin, tmax : float
        Lag range of the features in seconds (response follows the video by
        0-400 ms).
    lag_step : float
        Spacing of the lags in seconds (video features are slow next to EEG:
        20 ms keeps the design small without losing the response shape).
    onset : bool
        Add the onset regressor (the response to the clip start, over the
        whole clip).
    expansions : tuple of str
        Nonlinear expansions of each feature, any of ``"rectified"``,
        ``"compressive"``, ``"derivative"``; ``()`` for the features only.
    alphas : array-like of float
        Grid of ridge penalties of the features (design columns have unit
        variance; the EEG is in microvolts and the squared error is weighted
        by epochs). A single value (and a single onset shrinkage) skips the
        cross-validation.
    onset_shrinkages : array-like of float
        Grid of the onset's shrinkage factors in [0, 1] (its penalty is
        ``n (1 - k) / k`` for ``n`` weighted samples per onset column).
    cv : int
        Folds of the cross-validation over videos choosing the penalty (fewer
        if there are fewer training videos; at least 2 videos needed).
    by_subject : bool
        One model per subject instead of the pooled model with offsets.
    %(noise_baseline)s
    %(max_residuals_baseline)s
    %(random_state_baseline)s

    Attributes
    ----------
    model_ : object
        The pooled fit (EEG in microvolts, for the unscaled design):
        ``coef_`` (n_channels, n_onset + n_lags * n_regressors), the onset
        response at ``onset_times_`` then the feature weights, laid out as
        ``coef_[:, n_onset:].reshape(n_channels, n_lags, n_regressors)`` in
        the order of ``lags_`` and ``regressors_``; ``intercept_``
        (n_channels,); ``alpha_`` (n_channels,); ``onset_shrinkage_``;
        ``cv_mse_`` (n_alphas, n_shrinkages, n_channels) the cross-validated
        error (uV^2) of each pair of penalties, or None without a choice.
    alpha_ : ndarray, shape (n_channels,)
        The feature penalty chosen for each channel of the pooled model.
    onset_shrinkage_ : float
        The onset's shrinkage factor chosen for the pooled model (1: free, 0:
        no onset response; 1 with ``onset=False``).
    offset_shrinkage_ : dict of str -> ndarray, shape (n_channels,)
        James-Stein factor of each subject's own time course (0 with
        ``onset=False`` or a single subject).
    subject_models_ : dict of str -> object
        Per-subject fits like ``model_`` (``by_subject=True`` only, else
        empty).
    offsets_ : dict of str -> ndarray, shape (n_channels, n_times)
        Subject offsets ``o[s]`` in Volts (constant over time with
        ``onset=False``).
    lags_ : ndarray
        Lags in seconds.
    regressors_ : list of str
        Names of the feature regressors at each lag: the features, then
        ``"<feature>:pos"``, ``":neg"``, ``":log"``, ``":diff"``,
        ``":diff:pos"``, ``":diff:neg"`` as enabled.
    onset_times_ : ndarray, shape (n_onset,)
        Times of the onset regressor's columns (the samples at or after
        t = 0; empty with ``onset=False``).
    onset_response_ : ndarray, shape (n_channels, n_onset)
        The pooled model's response to the onset in Volts (onset weights plus
        intercept plus the mean of the subject offsets; the feature part
        comes on top).
    %(fitted_baseline)s
    """

    def __init__(
        self,
        *,
        tmin=0.0,
        tmax=0.4,
        lag_step=0.02,
        onset=True,
        expansions=EXPANSIONS,
        alphas=(0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7),
        onset_shrinkages=ONSET_SHRINKAGES,
        cv=5,
        by_subject=False,
        noise="phase",
        max_residuals=512,
        random_state=None,
    ):
        self.tmin = tmin
        self.tmax = tmax
        self.lag_step = lag_step
        self.onset = onset
        self.expansions = expansions
        self.alphas = alphas
        self.onset_shrinkages = onset_shrinkages
        self.cv = cv
        self.by_subject = by_subject
        self.noise = noise
        self.max_residuals = max_residuals
        self.random_state = random_state

    # ------------------------------------------------------------- design
    def _design(self, X):
        """Design of the videos of ``X``: (n_videos, n_times, n_columns).

        The onset columns first (column ``j`` is 1 at sample
        ``onset_times_[j]``, else 0), then column ``n_onset + l *
        n_regressors + r``: regressor ``regressors_[r]`` at lag ``lags_[l]``
        (the expanded feature at ``t - lag``, zero before the clip).
        """
        ftimes = _inputs.feature_times(X)
        scale = self.feature_scale_
        z = (np.asarray(X.values, float) - scale["mean"]) / scale["std"]
        z = _fill_nan_frames(z, ftimes)
        expanded, _ = _expand_features(z, self.feature_names_, self.expansions_)
        lagged = np.matmul(
            _lag_operator(self.times_, ftimes, self.lags_)[None], expanded[:, None]
        ).transpose(0, 2, 1, 3)  # (n_v, n_times, n_lags, n_expanded)
        lagged = lagged.reshape(*lagged.shape[:2], -1)
        onset = np.eye(self.n_times_)[:, self.times_ >= -1e-9][:, : self.n_onset_]
        onset = np.broadcast_to(onset, (len(lagged), *onset.shape))
        return np.concatenate([onset, lagged], axis=-1)

    def _chunks(self, n_videos):
        n_cols = self.n_onset_ + len(self.lags_) * len(self.regressors_)
        size = max(1, _CHUNK_VALUES // max(1, self.n_times_ * n_cols))
        return [np.arange(i, min(i + size, n_videos)) for i in range(0, n_videos, size)]

    def _predict_videos(self, X, models):
        """Prediction of each model for the videos of ``X``, (n_v, n_ch, n_times) V."""
        n_v = X.sizes["video"]
        out = [
            np.empty((n_v, self.n_times_, len(self.info_["ch_names"]))) for _ in models
        ]
        for chunk in self._chunks(n_v):
            design = self._design(X.isel(video=chunk))
            for k, model in enumerate(models):
                out[k][chunk] = model.predict(design)
        return [o.transpose(0, 2, 1) / 1e6 for o in out]

    def _ridge(self, X, target, weight):
        """Fit one ridge map on the videos of ``X``, ``target`` (n_v, n_ch, n_t) V."""
        n_folds = min(self.cv_, len(target))
        grid = len(self.alphas_) * (len(self.onset_shrinkages_) if self.n_onset_ else 1)
        if grid > 1 and n_folds < 2:
            raise ValueError(
                f"Choosing the penalties by cross-validation needs at least 2 "
                f"training videos, got {len(target)}. Pass more videos, or "
                "a single alpha and onset shrinkage (alphas=(1e3,), "
                "onset_shrinkages=(1.0,))."
            )
        return fit_ridge(
            lambda idx: self._design(X.isel(video=idx)),
            target.transpose(0, 2, 1) * 1e6,  # in uV
            np.asarray(weight, float),
            self.alphas_,
            max(n_folds, 1),
            self.n_onset_,
            self.onset_shrinkages_,
        )

    @staticmethod
    def _per_video(data, videos):
        uniq = sorted(set(videos))
        videos = np.asarray(videos)
        avg = np.stack([data[videos == v].mean(0) for v in uniq])
        return uniq, avg, np.array([(videos == v).sum() for v in uniq])

    def _check_params(self):
        _validate_type(self.tmin, "numeric", "tmin")
        _validate_type(self.tmax, "numeric", "tmax")
        if self.tmax < self.tmin:
            raise ValueError(f"Need tmin <= tmax, got {self.tmin} and {self.tmax}.")
        self.lag_step_ = _check_positive(self.lag_step, "lag_step")
        n_lags = int(np.floor((self.tmax - self.tmin) / self.lag_step_ + 1e-9)) + 1
        self.lags_ = self.tmin + self.lag_step_ * np.arange(n_lags)
        _validate_type(self.expansions, (list, tuple), "expansions", "tuple of str")
        for name in self.expansions:
            _check_option("expansions", name, EXPANSIONS)
        self.expansions_ = tuple(e for e in EXPANSIONS if e in self.expansions)
        alphas = np.atleast_1d(np.asarray(self.alphas, float))
        if alphas.ndim != 1 or len(alphas) == 0 or not (alphas > 0).all():
            raise ValueError(
                f"alphas must be positive numbers, got {self.alphas!r}; e.g. "
                "alphas=numpy.logspace(-1, 7, 9)."
            )
        self.alphas_ = alphas
        shrink = np.atleast_1d(np.asarray(self.onset_shrinkages, float))
        if (
            shrink.ndim != 1
            or len(shrink) == 0
            or not ((shrink >= 0) & (shrink <= 1)).all()
        ):
            raise ValueError(
                "onset_shrinkages must be numbers in [0, 1] (1: the onset "
                f"response as estimated, 0: none), got {self.onset_shrinkages!r}."
            )
        self.onset_shrinkages_ = shrink
        self.cv_ = _check_positive(self.cv, "cv", integer=True)

    # ---------------------------------------------------------------- fit
    @verbose
    def fit(self, X, y, *, verbose=None) -> RidgeEncodingBaseline:
        """Fit the mTRF encoding model (penalty chosen by cross-validation).

        Parameters
        ----------
        %(X_fit_baseline)s
        %(verbose)s

        Returns
        -------
        self : RidgeEncodingBaseline
        """
        X, md, rows, data = self._fit_common(X, y)
        self._check_params()
        rng = _check_random_state(self.random_state)
        _, self.regressors_ = _expand_features(
            np.zeros((1, 1, self.n_features_in_)), self.feature_names_, self.expansions_
        )
        self.onset_times_ = self.times_[self.times_ >= -1e-9] if self.onset else []
        self.onset_times_ = np.asarray(self.onset_times_, float)
        self.n_onset_ = len(self.onset_times_)
        subj = md["subject"].to_numpy()
        videos = md["video"].to_numpy()
        self.offsets_, self.offset_shrinkage_ = _subject_offsets(
            data, subj, videos, self.subjects_, time_courses=self.onset
        )
        demeaned = data.copy()
        for s in self.subjects_:
            demeaned[subj == s] -= self.offsets_[s]
        self.grand_offset_ = np.mean(list(self.offsets_.values()), axis=0)
        uniq, avg, counts = self._per_video(demeaned, videos)
        logger.info(
            f"mTRF encoding: {len(uniq)} videos x {self.n_times_} samples, "
            f"{self.n_onset_} onset + {len(self.lags_) * len(self.regressors_)} "
            f"feature columns ({len(self.regressors_)} regressors x "
            f"{len(self.lags_)} lags), {avg.shape[1]} channels"
        )
        self.model_ = self._ridge(X.sel(video=uniq), avg, counts)
        self.alpha_ = self.model_.alpha_
        self.onset_shrinkage_ = self.model_.onset_shrinkage_
        self.onset_response_ = (
            self.model_.coef_[:, : self.n_onset_] + self.model_.intercept_[:, None]
        ) / 1e6 + self.grand_offset_[:, self.times_ >= -1e-9][:, : self.n_onset_]
        self._log_alpha(self.model_, "pooled")
        self.subject_models_ = {}
        if self.by_subject:
            for s in self.subjects_:
                sel = subj == s
                u, a, c = self._per_video(data[sel], videos[sel])
                self.subject_models_[s] = self._ridge(X.sel(video=u), a, c)
                self._log_alpha(self.subject_models_[s], f"subject {s}")
        # residuals: each epoch minus its prediction (training videos only)
        train_X = X.sel(video=uniq)
        models = [self.model_, *self.subject_models_.values()]
        preds = dict(
            zip(
                [None, *self.subject_models_],
                self._predict_videos(train_X, models),
                strict=True,
            )
        )
        pos = {v: k for k, v in enumerate(uniq)}
        resid = np.empty_like(data)
        for i, (v, s) in enumerate(zip(videos, subj, strict=True)):
            if s in self.subject_models_:
                resid[i] = data[i] - preds[s][pos[v]]
            else:
                resid[i] = data[i] - preds[None][pos[v]] - self.offsets_[s]
        self._fit_noise(resid, subj, rng)
        return self

    def _log_alpha(self, model, what):
        lo, hi = self.alphas_.min(), self.alphas_.max()
        edge = np.mean((model.alpha_ == lo) | (model.alpha_ == hi))
        logger.info(
            f"mTRF {what}: penalties by {self.cv_}-fold CV over videos: alpha "
            f"median {np.median(model.alpha_):g} (range {model.alpha_.min():g}-"
            f"{model.alpha_.max():g}), onset shrinkage "
            f"{model.onset_shrinkage_:g}"
        )
        if len(self.alphas_) > 1 and edge > 0.5:
            logger.info(
                f"mTRF {what}: {edge:.0%} of the channels chose an alpha at the edge "
                f"of the grid [{lo:g}, {hi:g}]; consider widening alphas."
            )

    _PREDICT_STATE = (
        *BaselineMixin._PREDICT_STATE,
        "expansions_",
        "lags_",
        "regressors_",
        "n_onset_",
        "onset_times_",
        "offsets_",
        "grand_offset_",
    )

    def _to_state(self):
        def ridge(fit):
            return {"coef": fit.coef_, "intercept": fit.intercept_, "alpha": fit.alpha_}

        return {
            **super()._to_state(),
            "onset_shrinkage_": float(self.model_.onset_shrinkage_),
            "model_": ridge(self.model_),
            "subject_models_": {s: ridge(m) for s, m in self.subject_models_.items()},
        }

    @classmethod
    def _from_state(cls, state, info):
        model = super()._from_state(state, info)

        def ridge(fit):
            return _RidgeFit(
                fit["coef"],
                fit["intercept"],
                fit["alpha"],
                state["onset_shrinkage_"],
                None,
            )

        model.model_ = ridge(state["model_"])
        model.subject_models_ = {
            s: ridge(m) for s, m in state["subject_models_"].items()
        }
        model.alpha_ = model.model_.alpha_
        model.onset_shrinkage_ = state["onset_shrinkage_"]
        return model

    def _means(self, X, ids, label, emotions, subject):
        """Return the predicted mean clip of every video (before noise)."""
        if label in self.subject_models_:
            (means,) = self._predict_videos(X, [self.subject_models_[label]])
        else:
            (means,) = self._predict_videos(X, [self.model_])
            means = means + self.offsets_.get(label, self.grand_offset_)
        return means
