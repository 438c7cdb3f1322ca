"""Honest baselines for the video-to-EEG generator (numpy/scikit-learn only).

Both follow the generator's interface: ``fit(X, y)`` with ``X`` the video
features (:class:`xarray.DataArray`, dims ``video, frame, feature``) and ``y``
the clip :class:`mne.Epochs` (metadata ``video``, ``subject``, ``emotion``);
``generate(X, *, subject=None, n_samples=1, emotion=None, random_state=None)``
returns :class:`mne.EpochsArray` in Volts with the training info, metadata
``video, subject, emotion, sample`` and ``event_id`` keyed by emotion.

Shared rules (the same as :class:`~mne_video2eeg.Video2EEGGenerator`):

- ``subject=None`` generates for the population: pooled model, subject label
  ``"unknown"``; a training subject id uses that subject's model/offset.
- ``emotion=None`` labels each video with its emotion in the training
  metadata, else ``"unknown"`` (logged); a str labels all videos, a dict maps video id
  to emotion. For :class:`EmotionTemplateBaseline` the label also chooses the
  template, so pass the true emotions of unseen videos.
- Noise (``noise=``): ``"phase"`` adds a stored training residual epoch (EEG
  minus the model's prediction) whose Fourier phases are replaced by random
  phases shared by all channels: it keeps each channel's power spectrum and
  the cross-spectra (hence the spatial covariance at every frequency) of the
  residuals, and drops their time-locking, i.e. a Gaussian draw from the
  residuals' spatio-spectral covariance. ``"gaussian"`` draws white noise with
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
"""

from __future__ import annotations

import mne
import numpy as np
from mne.utils import fill_doc, logger, verbose
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

__all__ = ["EmotionTemplateBaseline", "RidgeEncodingBaseline"]


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
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, spec.shape[-1]))
        phase[..., 0] = 0.0  # DC (and Nyquist) must stay real
        if self.n_times_ % 2 == 0:
            phase[..., -1] = 0.0
        return np.fft.irfft(spec * np.exp(1j * phase), n=self.n_times_, axis=-1)

    # ----------------------------------------------------------- generating
    def _subject_label(self, subject):
        return _inputs.subject_label(subject, self.subjects_)

    def _emotions_for(self, ids, emotion):
        return _inputs.emotions_for(ids, emotion, self.video_emotions_)

    def _check_generate(self, X, n_samples, random_state):
        check_is_fitted(self, "info_")
        X = _inputs.check_same_features(X, self.feature_names_)
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
    noise : "phase" | "gaussian" | None
        Noise added to each sample (module docstring).
    max_residuals : int
        Residual epochs kept for the noise model.
    random_state : int | numpy.random.Generator | None
        Seed of everything random: the residual subsampling and the stream of
        sampling seeds. ``generate(random_state=None)`` draws its seed from
        that stream, started at ``fit`` time, so a script is reproducible and
        successive calls differ; pass ``random_state`` to ``generate`` to
        repeat a draw. ``None`` seeds from the operating system.

    Attributes
    ----------
    templates_ : dict of (str, str | None) -> ndarray, shape (n_channels, n_times)
        Templates keyed by (emotion, subject), subject None = pooled.
    info_ : mne.Info
        Training channels and montage.
    preprocessing_ : dict
        What the EEG input path did to the training clips
        (:func:`~mne_video2eeg.preprocessing.prepare_epochs`).
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

        Parameters
        ----------
        X : xarray.DataArray, dims (video, frame, feature)
            Video features (only checked against ``y``: templates ignore them).
        y : mne.Epochs
            Clip epochs with ``video``, ``subject``, ``emotion`` metadata.
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
        X : xarray.DataArray, dims (video, frame, feature)
            Features of the videos to generate for (their ids name the output).
        subject : str | None
            Training subject, or None for the pooled templates.
        n_samples : int
            Samples per video.
        emotion : str | dict | None
            Emotion per video (module docstring).
        random_state : int | numpy.random.Generator | None
            Seed of this call's noise. ``None`` draws the next seed from the
            stream the baseline's ``random_state`` started at ``fit`` time: a
            script is reproducible and successive calls differ.
        %(verbose)s

        Returns
        -------
        epochs : mne.EpochsArray
        """
        X, n_samples, rng = self._check_generate(X, n_samples, random_state)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(ids, emotion)
        subj = None if subject is None or not self.by_subject else label
        means = np.stack([self._template(e, subj) for e in emotions])
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)


def _interp_features(X, rows_times, lags, mean, std):
    """Lagged design per video: (n_videos, n_times, n_lags * n_features).

    Column ``l * n_features + f`` holds feature ``f`` at time ``t - lags[l]``,
    linearly interpolated from the frame times (held at the edges; NaN frames
    skipped), after z-scoring with the training statistics.
    """
    ftimes = _inputs.feature_times(X)
    values = (np.asarray(X.values, float) - mean) / std
    n_v, _, n_f = values.shape
    out = np.zeros((n_v, len(rows_times), len(lags) * n_f))
    for v in range(n_v):
        for f in range(n_f):
            ok = np.isfinite(values[v, :, f])
            if not ok.any():
                continue
            for li, lag in enumerate(lags):
                out[v, :, li * n_f + f] = np.interp(
                    rows_times - lag, ftimes[ok], values[v, ok, f]
                )
    return out


@fill_doc
class RidgeEncodingBaseline(_BaselineMixin):
    """Lagged linear encoding model (temporal response function) per channel.

    The classical encoding model: each EEG channel is a linear function of the
    video features at lags ``tmin..tmax`` (resampled to the EEG times)::

        eeg[c, t] = sum_{l, f} w[c, l, f] * x_f(t - lag_l) + b_c + o_{s, c}

    fitted with :class:`sklearn.linear_model.RidgeCV` (one alpha per channel,
    chosen by efficient leave-one-out from ``alphas``). Pooled over subjects
    (default) the subject offset ``o_s`` is the subject's mean EEG per channel,
    and ``w`` is fitted on the subject-demeaned EEG averaged per video, weighted
    by its number of epochs (the pooled least-squares solution when all subjects
    saw the same videos, at a fraction of the memory). ``by_subject=True`` fits
    one model per subject on its own epochs. Samples = prediction + noise drawn
    from the residuals (module docstring).

    Parameters
    ----------
    tmin, tmax : float
        Lag range in seconds (response follows the video by 0-400 ms).
    lag_step : float
        Spacing of the lags in seconds (video features are slow next to EEG:
        20 ms keeps the design small without losing the response shape).
    alphas : array-like
        Ridge penalties tried (features are z-scored).
    by_subject : bool
        One model per subject instead of the pooled model with offsets.
    noise : "phase" | "gaussian" | None
        Noise added to each sample (module docstring).
    max_residuals : int
        Residual epochs kept for the noise model.
    random_state : int | numpy.random.Generator | None
        Seed of everything random: the residual subsampling and the stream of
        sampling seeds. ``generate(random_state=None)`` draws its seed from
        that stream, started at ``fit`` time, so a script is reproducible and
        successive calls differ; pass ``random_state`` to ``generate`` to
        repeat a draw. ``None`` seeds from the operating system.

    Attributes
    ----------
    model_ : sklearn.linear_model.RidgeCV
        The pooled model (EEG in microvolts).
    subject_models_ : dict of str -> RidgeCV
        Per-subject models (``by_subject=True`` only, else empty).
    offsets_ : dict of str -> ndarray, shape (n_channels,)
        Subject offsets in Volts.
    lags_ : ndarray
        Lags in seconds.
    info_ : mne.Info
        Training channels and montage.
    preprocessing_ : dict
        What the EEG input path did to the training clips
        (:func:`~mne_video2eeg.preprocessing.prepare_epochs`).
    """

    def __init__(
        self,
        *,
        tmin=0.0,
        tmax=0.4,
        lag_step=0.02,
        alphas=(0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5),
        by_subject=False,
        noise="phase",
        max_residuals=512,
        random_state=None,
    ):
        self.tmin = tmin
        self.tmax = tmax
        self.lag_step = lag_step
        self.alphas = alphas
        self.by_subject = by_subject
        self.noise = noise
        self.max_residuals = max_residuals
        self.random_state = random_state

    def _design(self, X):
        return _interp_features(
            X, self.times_, self.lags_, self.feature_mean_, self.feature_std_
        )

    def _ridge(self, design, target, weight):
        from sklearn.linear_model import RidgeCV

        n_v, n_t, n_c = design.shape
        alphas = np.asarray(self.alphas, float)
        if alphas.ndim != 1 or len(alphas) == 0 or (alphas <= 0).any():
            raise ValueError(f"alphas must be positive numbers, got {self.alphas!r}.")
        model = RidgeCV(alphas=alphas, alpha_per_target=True)
        return model.fit(
            design.reshape(n_v * n_t, n_c),
            target.transpose(0, 2, 1).reshape(n_v * n_t, -1) * 1e6,  # in uV
            sample_weight=np.repeat(weight, n_t).astype(float),
        )

    @staticmethod
    def _predict(model, design):
        n_v, n_t, n_c = design.shape
        pred = model.predict(design.reshape(n_v * n_t, n_c)) / 1e6
        return pred.reshape(n_v, n_t, -1).transpose(0, 2, 1)

    @staticmethod
    def _per_video(data, videos):
        uniq = sorted(set(videos))
        videos = np.asarray(videos)
        avg = np.stack([data[videos == v].mean(0) for v in uniq])
        return uniq, avg, np.array([(videos == v).sum() for v in uniq])

    @verbose
    def fit(self, X, y, *, verbose=None) -> RidgeEncodingBaseline:
        """Fit the lagged ridge encoding model.

        Parameters
        ----------
        X : xarray.DataArray, dims (video, frame, feature)
            Video features with a ``time`` coordinate (seconds from clip start,
            aligned with time 0 of the epochs).
        y : mne.Epochs
            Clip epochs with ``video``, ``subject``, ``emotion`` metadata.
        %(verbose)s

        Returns
        -------
        self : RidgeEncodingBaseline
        """
        X, md, rows, data = self._fit_common(X, y)
        _validate_type(self.tmin, "numeric", "tmin")
        _validate_type(self.tmax, "numeric", "tmax")
        if self.tmax < self.tmin:
            raise ValueError(f"Need tmin <= tmax, got {self.tmin} and {self.tmax}.")
        step = _check_positive(self.lag_step, "lag_step")
        n_lags = int(np.floor((self.tmax - self.tmin) / step + 1e-9)) + 1
        self.lags_ = self.tmin + step * np.arange(n_lags)
        rng = _check_random_state(self.random_state)
        used = X.isel(video=np.unique(rows))
        self.feature_mean_, self.feature_std_ = _inputs.feature_stats(used)
        design_all = self._design(X)  # rows of X
        row_of = {str(v): k for k, v in enumerate(X["video"].values)}
        subj = md["subject"].to_numpy()
        videos = md["video"].to_numpy()
        self.offsets_ = {s: data[subj == s].mean(axis=(0, 2)) for s in self.subjects_}
        self.grand_offset_ = np.mean(list(self.offsets_.values()), axis=0)
        demeaned = data - np.stack([self.offsets_[s] for s in subj])[..., None]
        uniq, avg, counts = self._per_video(demeaned, videos)
        design = design_all[[row_of[v] for v in uniq]]
        logger.info(
            f"Ridge encoding: {len(uniq)} videos x {self.n_times_} samples, "
            f"{design.shape[-1]} lagged features, {avg.shape[1]} channels"
        )
        self.model_ = self._ridge(design, avg, counts)
        self.subject_models_ = {}
        if self.by_subject:
            for s in self.subjects_:
                sel = subj == s
                u, a, c = self._per_video(data[sel], videos[sel])
                self.subject_models_[s] = self._ridge(
                    design_all[[row_of[v] for v in u]], a, c
                )
        pred = self._predict_rows(design_all[rows], subj)
        self._fit_noise(data - pred, subj, rng)
        return self

    def _predict_rows(self, design, subjects):
        """Prediction per epoch (design rows already matched), with offsets."""
        out = np.empty((len(design), len(self.info_["ch_names"]), self.n_times_))
        for s in sorted(set(subjects)):
            sel = np.asarray(subjects) == s
            if s in self.subject_models_:
                out[sel] = self._predict(self.subject_models_[s], design[sel])
            else:
                offset = self.offsets_.get(s, self.grand_offset_)
                out[sel] = self._predict(self.model_, design[sel]) + offset[:, None]
        return out

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
        X : xarray.DataArray, dims (video, frame, feature)
            Features of the videos, same encoder as in ``fit``.
        subject : str | None
            Training subject (its offset or model), or None for the population
            (pooled model + mean offset).
        n_samples : int
            Samples per video.
        emotion : str | dict | None
            Emotion label per video (module docstring); only labels the output.
        random_state : int | numpy.random.Generator | None
            Seed of this call's noise. ``None`` draws the next seed from the
            stream the baseline's ``random_state`` started at ``fit`` time: a
            script is reproducible and successive calls differ.
        %(verbose)s

        Returns
        -------
        epochs : mne.EpochsArray
        """
        X, n_samples, rng = self._check_generate(X, n_samples, random_state)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(ids, emotion)
        means = self._predict_rows(self._design(X), [label] * len(ids))
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)
