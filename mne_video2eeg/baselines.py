"""Honest baselines for the video-to-EEG generator (numpy/scikit-learn only).

Three baselines, each at full strength and each with noise at the real
residual's power and spectrum:

- :class:`GrandAverageBaseline`: the mean of all training clips (per subject):
  it knows that a video started, not which (the shared onset response).
- :class:`EmotionTemplateBaseline`: the mean clip of each emotion: it knows
  the video's emotion label, not the video.
- :class:`RidgeEncodingBaseline`: an mTRF-style encoding model (onset
  regressor, rectified, compressive and derivative features, zero stimulus
  before the clip, ridge penalty chosen by cross-validation over videos).

All follow the generator's interface: ``fit(X, y)`` with ``X`` the video
features (:class:`xarray.DataArray`, dims ``video, frame, feature``) and ``y``
the clip :class:`mne.Epochs` (metadata ``video``, ``subject``, ``emotion``);
``generate(X, *, subject=None, n_samples=1, emotion=None, random_state=None)``
returns :class:`mne.EpochsArray` in Volts with the training info, metadata
``video, subject, emotion, sample`` and ``event_id`` keyed by emotion.

Shared rules (the same as :class:`~mne_video2eeg.Video2EEGGenerator`):

- ``subject=None`` generates for the population: pooled model, subject label
  ``"unknown"``; a training subject id uses that subject's model/offset.
- ``emotion=None`` labels each video with its emotion in the training
  metadata (else CLIP's zero-shot label or ``"unknown"``, logged); a str labels
  all videos, a dict maps video id to emotion. For
  :class:`EmotionTemplateBaseline` the label also chooses the template, so
  pass the true emotions of unseen videos.
- Noise (``noise=``): ``"phase"`` adds a stored training residual epoch (EEG
  minus the model's prediction, the real residual) whose Fourier phases are
  replaced by random phases shared by all channels. Each channel keeps the
  amplitude spectrum of that epoch, hence its power spectrum, and the phase
  differences between channels are kept at every frequency, hence the
  cross-spectra (and the zero-lag spatial covariance, by Parseval); only the
  time-locking is dropped: a Gaussian-like draw from the residuals'
  spatio-spectral covariance. A training subject draws from its own
  residuals, the population from all. ``"gaussian"`` draws white noise with
  the residuals' spatial covariance. ``None`` returns the deterministic
  prediction for every sample.
- Randomness (``random_state=``): it seeds the residual subsampling in ``fit``
  and a stream of sampling seeds started at ``fit`` time;
  ``generate(random_state=None)`` draws the next seed from that stream, so a
  script is reproducible and successive calls differ, and
  ``generate(random_state=seed)`` repeats a draw.
- EEG input: the EEG channels of ``y`` go through
  :func:`~mne_video2eeg.preprocessing.prepare_epochs` (finite values, units,
  drifts; electrode positions are not needed), recorded in
  ``preprocessing_``; no filter or resampling.
- Features: ``generate`` checks the feature names, rate and encoder
  configuration against ``fit`` (as the generator does).
"""

from __future__ import annotations

import mne
import numpy as np
from mne.utils import logger
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from .preprocessing import prepare_epochs
from .utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
    _validate_type,
)
from .utils._docs import docdict, fill_doc, verbose

__all__ = ["EmotionTemplateBaseline", "GrandAverageBaseline", "RidgeEncodingBaseline"]

# the baselines' own parameter docs (shared by the three classes)
docdict["noise_baseline"] = """\
noise : "phase" | "gaussian" | None
    Noise added to each sample: ``"phase"`` (default) the training residuals
    (EEG minus this model's prediction) with random Fourier phases shared by
    all channels, i.e. each channel's power spectrum and the cross-spectra of
    the real residual; ``"gaussian"`` white noise with the residuals' spatial
    covariance; ``None`` none (module docstring)."""
docdict["max_residuals_baseline"] = """\
max_residuals : int
    Residual epochs kept for the noise model (a random subset beyond it)."""
docdict["random_state_baseline"] = """\
random_state : int | numpy.random.Generator | None
    Seed of everything random: the residual subsampling and the stream of
    sampling seeds. ``generate(random_state=None)`` draws its seed from
    that stream, started at ``fit`` time, so a script is reproducible and
    successive calls differ; pass ``random_state`` to ``generate`` to
    repeat a draw. ``None`` seeds from the operating system."""
docdict["fitted_baseline"] = """\
info_ : mne.Info
    Training channels and montage.
subjects_, emotions_ : list of str
    Training subjects and emotion labels.
preprocessing_ : dict
    What the EEG input path did to the training clips
    (:func:`~mne_video2eeg.preprocessing.prepare_epochs`).
residuals_ : ndarray, shape (n_residuals, n_channels, n_times)
    The kept training residual epochs (Volts) of the noise model."""
docdict["X_fit_baseline"] = """\
X : xarray.DataArray, dims (video, frame, feature)
    Video features with a ``time`` coordinate (seconds from clip start,
    aligned with time 0 of the epochs), one row per video of ``y``.
y : mne.Epochs
    Clip epochs with ``video``, ``subject``, ``emotion`` metadata."""


class _BaselineMixin(BaseEstimator):
    """Input checks, noise model and output epochs shared by the baselines."""

    # -------------------------------------------------------------- fitting
    def _fit_common(self, X, y):
        _check_option("noise", self.noise, ("phase", "gaussian", None))
        X = _inputs.check_features(X)
        md = _inputs.check_epochs(y)
        rows = _inputs.match_videos(X, md["video"])
        epochs, self.preprocessing_ = prepare_epochs(y, require_positions=False)
        data = epochs.get_data(copy=False)
        self.info_ = epochs.info.copy()
        self.tmin_ = float(epochs.tmin)
        self.times_ = epochs.times.copy()
        self.n_times_ = len(self.times_)
        self.subjects_ = sorted(md["subject"].unique())
        self.emotions_ = sorted(md["emotion"].unique())
        self.video_emotions_ = dict(zip(md["video"], md["emotion"], strict=True))
        self.feature_names_ = [str(f) for f in X["feature"].values]
        self.n_features_in_ = len(self.feature_names_)
        self.feature_attrs_, self.feature_scale_, _ = _inputs.fit_features(X, rows)
        self.feature_times_ = _inputs.feature_times(X)
        return X, md, rows, data

    def _fit_noise(self, resid, subjects, rng):
        """Keep a bank of residual epochs (for 'phase') or their covariance.

        Then start the stream of sampling seeds from ``rng`` (the
        ``random_state`` of ``fit``), which ``generate(random_state=None)``
        draws from.
        """
        max_res = _check_positive(self.max_residuals, "max_residuals", integer=True)
        keep = np.sort(rng.permutation(len(resid))[:max_res])
        self.residuals_ = resid[keep]
        self.residual_subjects_ = np.asarray(subjects)[keep]
        flat = resid.transpose(1, 0, 2).reshape(resid.shape[1], -1)
        self.residual_cov_ = np.cov(flat)
        self._sample_rng = np.random.default_rng(int(rng.integers(2**62)))

    def _draw_noise(self, n, subject, rng):
        n_ch = len(self.info_["ch_names"])
        if self.noise is None:
            return np.zeros((n, n_ch, self.n_times_))
        if self.noise == "gaussian":
            white = rng.multivariate_normal(
                np.zeros(n_ch), self.residual_cov_, size=(n, self.n_times_)
            )
            return white.transpose(0, 2, 1)
        pool = np.flatnonzero(self.residual_subjects_ == subject)
        if len(pool) == 0:  # population or unseen subject: every residual
            pool = np.arange(len(self.residuals_))
        res = self.residuals_[rng.choice(pool, size=n)]
        spec = np.fft.rfft(res, axis=-1)
        # one random phase per (sample, frequency), the same on every channel:
        # |spec| (each channel's power) and the cross-spectra are unchanged
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, spec.shape[-1]))
        phase[..., 0] = 0.0  # DC (and Nyquist) must stay real
        if self.n_times_ % 2 == 0:
            phase[..., -1] = 0.0
        return np.fft.irfft(spec * np.exp(1j * phase), n=self.n_times_, axis=-1)

    # ----------------------------------------------------------- generating
    def _subject_label(self, subject):
        return _inputs.subject_label(subject, self.subjects_)

    def _emotions_for(self, X, ids, emotion):
        def guess(unlabelled):
            from .video.emotion import zero_shot_emotions

            return zero_shot_emotions(X, unlabelled)

        return _inputs.emotions_for(ids, emotion, self.video_emotions_, guess=guess)

    def _check_generate(self, X, n_samples, random_state):
        check_is_fitted(self, "info_")
        X = _inputs.check_same_features(
            X, self.feature_names_, encoder=self.feature_attrs_.get("encoder")
        )
        _inputs.check_feature_config(X, self.feature_attrs_, self.feature_times_)
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
        if random_state is None:  # the next seed of the stream started at fit
            random_state = int(self._sample_rng.integers(2**62))
        return X, n_samples, _check_random_state(random_state)

    def _make_epochs(self, means, ids, subject, emotions, n_samples, rng):
        """``means`` (n_videos, n_ch, n_times) -> K noisy samples each, as Epochs."""
        rep = np.repeat(np.arange(len(ids)), n_samples)
        data = means[rep] + self._draw_noise(len(rep), subject, rng)
        return _inputs.generated_epochs(
            data,
            self.info_,
            ids=ids,
            subject=subject,
            emotions=emotions,
            n_samples=n_samples,
            tmin=self.tmin_,
        )


@fill_doc
class GrandAverageBaseline(_BaselineMixin):
    """Video-blind grand average: the mean of all training clips, plus noise.

    ``fit`` averages every training epoch, per subject when ``by_subject``
    (and pooled over all epochs for ``subject=None``); ``generate`` returns
    that one mean for every video plus noise resampled from the training
    residuals (epoch minus its mean)::

        eeg_s[c, t] = mean over the training clips of subject s of eeg[c, t]

    It knows that a video started at t = 0 (the average keeps the onset
    response shared by all videos), not which video: the floor a model must
    beat to show that it follows the video.

    Parameters
    ----------
    by_subject : bool
        Keep one mean per subject; ``subject=None`` uses the pooled mean.
    %(noise_baseline)s
    %(max_residuals_baseline)s
    %(random_state_baseline)s

    Attributes
    ----------
    averages_ : dict of str | None -> ndarray, shape (n_channels, n_times)
        Mean clip per subject (``by_subject`` only) and pooled (key None),
        in Volts.
    %(fitted_baseline)s
    """

    def __init__(
        self, *, by_subject=True, noise="phase", max_residuals=512, random_state=None
    ):
        self.by_subject = by_subject
        self.noise = noise
        self.max_residuals = max_residuals
        self.random_state = random_state

    @verbose
    def fit(self, X, y, *, verbose=None) -> GrandAverageBaseline:
        """Average the training epochs (per subject and pooled).

        The features are only checked against ``y``: the average ignores them.

        Parameters
        ----------
        %(X_fit_baseline)s
        %(verbose)s

        Returns
        -------
        self : GrandAverageBaseline
        """
        X, md, _, data = self._fit_common(X, y)
        rng = _check_random_state(self.random_state)
        subj = md["subject"].to_numpy()
        self.averages_ = {None: data.mean(0)}
        for s in self.subjects_ if self.by_subject else ():
            self.averages_[s] = data[subj == s].mean(0)
        keys = subj if self.by_subject else [None] * len(subj)
        resid = data - np.stack([self.averages_[k] for k in keys])
        self._fit_noise(resid, subj, rng)
        logger.info(
            f"Grand average of {len(data)} clips ({len(self.averages_) - 1} "
            "subject means)"
        )
        return self

    @verbose
    def generate(
        self,
        X,
        *,
        subject=None,
        n_samples=1,
        emotion=None,
        random_state=None,
        verbose=None,
    ) -> mne.EpochsArray:
        """Return the subject's (or pooled) mean clip for every video, plus noise.

        Parameters
        ----------
        %(X_generate)s
            Only the video ids (and the checks) are used.
        %(subject_generate)s
        %(n_samples_generate)s
        %(emotion_generate)s
            Only labels the output.
        %(random_state_generate)s
        %(verbose)s

        Returns
        -------
        %(generated_epochs)s
        """
        X, n_samples, rng = self._check_generate(X, n_samples, random_state)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(X, ids, emotion)
        key = label if self.by_subject and subject is not None else None
        means = np.repeat(self.averages_[key][None], len(ids), axis=0)
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)


@fill_doc
class EmotionTemplateBaseline(_BaselineMixin):
    """Per-emotion mean EEG template: realistic but blind to the video itself.

    ``fit`` averages the training epochs per emotion (and per subject when
    ``by_subject``); ``generate`` returns, for each video, the template of its
    emotion (see the module docstring for how the emotion is chosen) plus
    noise resampled from the training residuals (epoch minus its template).

    Parameters
    ----------
    by_subject : bool
        Keep one template per (emotion, subject); ``subject=None`` then uses the
        pooled per-emotion template.
    %(noise_baseline)s
    %(max_residuals_baseline)s
    %(random_state_baseline)s

    Attributes
    ----------
    templates_ : dict of (str, str | None) -> ndarray, shape (n_channels, n_times)
        Templates keyed by (emotion, subject), subject None = pooled.
    %(fitted_baseline)s
    """

    def __init__(
        self, *, by_subject=True, noise="phase", max_residuals=512, random_state=None
    ):
        self.by_subject = by_subject
        self.noise = noise
        self.max_residuals = max_residuals
        self.random_state = random_state

    @verbose
    def fit(self, X, y, *, verbose=None) -> EmotionTemplateBaseline:
        """Average the epochs per emotion (and subject).

        The features are only checked against ``y``: templates ignore them.

        Parameters
        ----------
        %(X_fit_baseline)s
        %(verbose)s

        Returns
        -------
        self : EmotionTemplateBaseline
        """
        X, md, _, data = self._fit_common(X, y)
        rng = _check_random_state(self.random_state)
        emo, subj = md["emotion"].to_numpy(), md["subject"].to_numpy()
        self.templates_ = {}
        for e in self.emotions_:
            self.templates_[(e, None)] = data[emo == e].mean(0)
            for s in self.subjects_ if self.by_subject else ():
                sel = (emo == e) & (subj == s)
                if sel.any():
                    self.templates_[(e, s)] = data[sel].mean(0)
        resid = np.stack(
            [
                data[i] - self._template(emo[i], subj[i] if self.by_subject else None)
                for i in range(len(data))
            ]
        )
        self._fit_noise(resid, subj, rng)
        logger.info(f"Fitted {len(self.templates_)} emotion templates")
        return self

    def _template(self, emotion, subject):
        key = (emotion, subject) if (emotion, subject) in self.templates_ else None
        key = key or (emotion, None)
        if key not in self.templates_:
            raise ValueError(
                f"No template for emotion {emotion!r}: the baseline was fitted on "
                f"{self.emotions_}. Pass emotion= with one of them."
            )
        return self.templates_[key]

    @verbose
    def generate(
        self,
        X,
        *,
        subject=None,
        n_samples=1,
        emotion=None,
        random_state=None,
        verbose=None,
    ) -> mne.EpochsArray:
        """Template of each video's emotion plus resampled residual noise.

        Parameters
        ----------
        %(X_generate)s
        %(subject_generate)s
        %(n_samples_generate)s
        %(emotion_generate)s
            The label also picks the template: pass the true emotions of
            unseen videos.
        %(random_state_generate)s
        %(verbose)s

        Returns
        -------
        %(generated_epochs)s
        """
        X, n_samples, rng = self._check_generate(X, n_samples, random_state)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(X, ids, emotion)
        subj = None if subject is None or not self.by_subject else label
        means = np.stack([self._template(e, subj) for e in emotions])
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)


# --------------------------------------------------------------------------- #
# mTRF encoding model

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


class _RidgeFit:
    """A fitted ridge map ``design @ coef_.T + intercept_`` (EEG in microvolts).

    Attributes: ``coef_`` (n_channels, n_columns), ``intercept_``
    (n_channels,), ``alpha_`` (n_channels,), the feature penalty of each
    channel, ``onset_shrinkage_`` (float), the factor by which the onset
    response is shrunk (1: free, 0: none), and ``cv_mse_`` (n_alphas,
    n_shrinkages, n_channels), the cross-validated mean squared error (uV^2)
    of each pair of the grids (None without a choice to make).
    """

    def __init__(self, coef, intercept, alpha, shrinkage, cv_mse):
        self.coef_, self.intercept_ = coef, intercept
        self.alpha_, self.onset_shrinkage_, self.cv_mse_ = alpha, shrinkage, cv_mse

    def predict(self, design):
        return design @ self.coef_.T + self.intercept_


def _moments(design, target, weight):
    """Weighted sufficient statistics of least squares on ``[1, design]``."""
    design = np.concatenate([np.ones((len(design), 1)), design], axis=1)
    dw = design * weight[:, None]
    return {"G": dw.T @ design, "B": dw.T @ target, "q": weight @ target**2}


class _BandedRidge:
    """Ridge with two bands on ``[1, onset, features]`` moments (banded ridge).

    The first ``n_small`` columns (the constant, unpenalised, and the onset
    columns, each with its own penalty) are solved exactly for each feature
    penalty ``alpha`` through the eigendecomposition of the feature block,
    computed once: with ``G_ff = U diag(s) U'`` and ``P = G_sf U``, the small
    block solves ``(G_ss + L - P diag(1/(s+alpha)) P') a = b_s - P
    diag(1/(s+alpha)) U'b_f`` and the features are ``w = U z``, ``z =
    (U'b_f - P'a) / (s + alpha)`` (Nunez-Elizalde et al. 2019, NeuroImage
    197: 482-492, for banded ridge in encoding models).
    """

    def __init__(self, mom, n_small):
        gram, cross = mom["G"], mom["B"]
        small, feat = slice(0, n_small), slice(n_small, None)
        evals, self.U = np.linalg.eigh(gram[feat, feat])
        self.evals = np.clip(evals, 0.0, None)
        self.P = gram[small, feat] @ self.U
        self.g_ss, self.b_s = gram[small, small], cross[small]
        self.ub_f = self.U.T @ cross[feat]
        self.n_small = n_small
        self.jitter = 1e-10 * max(np.trace(self.g_ss) / n_small, 1e-300)

    def solve(self, alpha, small_penalties):
        """Yield ``(a, z)`` for each penalty vector of the small block."""
        inv = 1.0 / (self.evals + alpha)
        p_inv = self.P * inv
        schur = self.g_ss - p_inv @ self.P.T
        rhs = self.b_s - p_inv @ self.ub_f
        for pen in small_penalties:
            mat = schur + np.diag(pen + self.jitter)
            a = np.linalg.solve((mat + mat.T) / 2, rhs)
            yield a, inv[:, None] * (self.ub_f - self.P.T @ a)

    def coef(self, a, z):
        return np.concatenate([a, self.U @ z])

    def held_out(self, mom):
        """Moments of held-out data in this fit's basis, for :meth:`sse`."""
        gram, cross = mom["G"], mom["B"]
        small, feat = slice(0, self.n_small), slice(self.n_small, None)
        return {
            "g_ss": gram[small, small],
            "p": gram[small, feat] @ self.U,
            "h": self.U.T @ gram[feat, feat] @ self.U,
            "b_s": cross[small],
            "ub_f": self.U.T @ cross[feat],
            "q": mom["q"],
        }

    @staticmethod
    def sse(held, a, z):
        """Weighted squared error per target of the solution on held-out data."""
        return (
            held["q"]
            - 2 * np.sum(a * held["b_s"], 0)
            - 2 * np.sum(z * held["ub_f"], 0)
            + np.sum(a * (held["g_ss"] @ a), 0)
            + 2 * np.sum(a * (held["p"] @ z), 0)
            + np.sum(z * (held["h"] @ z), 0)
        )


def _onset_penalties(mom, n_onset, shrinkages):
    """Penalty vectors of ``[1, onset]`` that shrink each onset weight by k."""
    diag = np.diag(mom["G"])[1 : 1 + n_onset]
    out = []
    for k in shrinkages:
        ratio = 1e12 if k <= 0 else (1.0 - k) / k
        out.append(np.concatenate([[0.0], diag * ratio]))
    return out


def _fit_ridge(design_of, target, weight, alphas, n_folds, n_onset, shrinkages):
    """Banded ridge, the penalties per target chosen by K-fold CV over videos.

    ``design_of(idx)`` returns the design rows (len(idx), n_times, n_columns)
    of the videos ``idx`` (the ``n_onset`` onset columns first); ``target``
    (n_videos, n_times, n_targets) and ``weight`` (n_videos,) the per-video
    targets and weights. The feature penalty runs over ``alphas`` and the
    onset's over ``shrinkages`` (the factor an isolated onset weight is
    shrunk by: 1 free, 0 removed; one for all targets, by the summed error);
    the intercept is free. Folds are whole
    videos (video ``v`` in fold ``v % n_folds``): samples of one video are
    never split between training and validation. Columns are scaled to unit
    standard deviation for the penalty; ``coef_`` is for the unscaled design.
    """
    n_v, n_t, n_c = target.shape
    folds = np.arange(n_v) % n_folds
    moms = []
    for k in range(n_folds):
        idx = np.flatnonzero(folds == k)
        mom = None
        for chunk in np.array_split(idx, max(1, int(np.ceil(len(idx) / 8)))):
            part = _moments(
                design_of(chunk).reshape(len(chunk) * n_t, -1),
                target[chunk].reshape(len(chunk) * n_t, n_c),
                np.repeat(weight[chunk], n_t).astype(float),
            )
            mom = part if mom is None else {key: mom[key] + part[key] for key in mom}
        moms.append(mom)
    total = {key: sum(m[key] for m in moms) for key in moms[0]}
    n = total["G"][0, 0]
    var = np.diag(total["G"]) / n - (total["G"][0] / n) ** 2
    var[0] = 1.0  # the constant
    scale = np.sqrt(np.where(var > 1e-12 * max(var.max(), 1e-300), var, 1.0))

    def scaled(m):
        return {**m, "G": m["G"] / np.outer(scale, scale), "B": m["B"] / scale[:, None]}

    moms, total = [scaled(m) for m in moms], scaled(total)
    n_small = 1 + n_onset
    shrinkages = shrinkages if n_onset else (1.0,)
    grid = [(a, k) for a in range(len(alphas)) for k in range(len(shrinkages))]
    cv_mse = None
    best = np.zeros(n_c, int)
    if len(grid) > 1:
        sse = np.zeros((len(alphas), len(shrinkages), n_c))
        for held in moms:
            train = {key: total[key] - held[key] for key in total}
            solver = _BandedRidge(train, n_small)
            held_basis = solver.held_out(held)
            pens = _onset_penalties(train, n_onset, shrinkages)
            for a, alpha in enumerate(alphas):
                for k, (sa, sz) in enumerate(solver.solve(alpha, pens)):
                    sse[a, k] += solver.sse(held_basis, sa, sz)
        cv_mse = sse / n
        # one onset shrinkage for all channels (one brain response seen on
        # every channel), by the error summed over channels; then the best
        # feature penalty of each channel at that shrinkage
        k_best = np.argmin(cv_mse.min(axis=0).sum(-1))
        a_best = np.argmin(cv_mse[:, k_best], axis=0)
        best = a_best * len(shrinkages) + k_best
    solver = _BandedRidge(total, n_small)
    pens = _onset_penalties(total, n_onset, shrinkages)
    coef = np.empty_like(total["B"])
    for g in np.unique(best):
        a, k = grid[g]
        ((sa, sz),) = solver.solve(alphas[a], [pens[k]])
        coef[:, best == g] = solver.coef(sa, sz)[:, best == g]
    coef = coef / scale[:, None]
    chosen = np.array([grid[g] for g in best]).reshape(n_c, 2)
    return _RidgeFit(
        coef[1:].T,
        coef[0],
        np.asarray(alphas, float)[chosen[:, 0]],
        float(np.asarray(shrinkages, float)[chosen[0, 1]]),
        cv_mse,
    )


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
class RidgeEncodingBaseline(_BaselineMixin):
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
        return _fit_ridge(
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

    @verbose
    def generate(
        self,
        X,
        *,
        subject=None,
        n_samples=1,
        emotion=None,
        random_state=None,
        verbose=None,
    ) -> mne.EpochsArray:
        """Predict the EEG for each video and add residual noise.

        Parameters
        ----------
        %(X_generate)s
        %(subject_generate)s
            A training subject gets its offset (or its model with
            ``by_subject``), the population the pooled model and the mean
            offset.
        %(n_samples_generate)s
        %(emotion_generate)s
            Only labels the output.
        %(random_state_generate)s
        %(verbose)s

        Returns
        -------
        %(generated_epochs)s
        """
        X, n_samples, rng = self._check_generate(X, n_samples, random_state)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(X, ids, emotion)
        if label in self.subject_models_:
            (means,) = self._predict_videos(X, [self.subject_models_[label]])
        else:
            (means,) = self._predict_videos(X, [self.model_])
            means = means + self.offsets_.get(label, self.grand_offset_)
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)
