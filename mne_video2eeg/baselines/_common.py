"""What the baselines share: input checks, the noise model, the output epochs."""

from __future__ import annotations

import mne
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _inputs
from ..preprocessing import prepare_epochs
from ..utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
)
from ..utils._docs import docdict, verbose

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


class BaselineMixin(BaseEstimator):
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
            from ..video.emotion import zero_shot_emotions

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

    @verbose
    def predict(self, X, *, subject=None, emotion=None, verbose=None) -> np.ndarray:
        """Predict each video's mean clip (the noiseless part of ``generate``).

        Parameters
        ----------
        %(X_generate)s
        %(subject_generate)s
        %(emotion_generate)s
        %(verbose)s

        Returns
        -------
        means : ndarray, shape (n_videos, n_channels, n_times)
            The predicted mean clip of each video of ``X``, in Volts.
        """
        X, _, _ = self._check_generate(X, 1, 0)
        label = self._subject_label(subject)
        ids = [str(v) for v in X["video"].values]
        emotions = self._emotions_for(X, ids, emotion)
        return self._means(X, ids, label, emotions, subject)

    # --------------------------------------------------------- fitted state
    #: Fitted attributes that ``predict`` needs (``_to_state``).
    _PREDICT_STATE = (
        "tmin_",
        "times_",
        "n_times_",
        "subjects_",
        "emotions_",
        "video_emotions_",
        "feature_names_",
        "n_features_in_",
        "feature_attrs_",
        "feature_scale_",
        "feature_times_",
    )

    def _to_state(self) -> dict:
        """Return what ``predict`` needs, as plain values and arrays."""
        check_is_fitted(self, "info_")
        return {
            "params": self.get_params(),
            **{name: getattr(self, name) for name in self._PREDICT_STATE},
        }

    @classmethod
    def _from_state(cls, state: dict, info: mne.Info):
        """Rebuild a baseline that predicts like the one ``_to_state`` saw."""
        params = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in state["params"].items()
        }
        model = cls(**params)
        for name in cls._PREDICT_STATE:
            setattr(model, name, state[name])
        model.info_ = info
        model._sample_rng = np.random.default_rng(0)
        return model

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
        """Predict each video's mean clip and add residual noise.

        What the prediction knows (the video, its emotion, only that a video
        started) is the baseline's; the class docstring says it.

        Parameters
        ----------
        %(X_generate)s
        %(subject_generate)s
        %(n_samples_generate)s
        %(emotion_generate)s
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
        means = self._means(X, ids, label, emotions, subject)
        return self._make_epochs(means, ids, label, emotions, n_samples, rng)
