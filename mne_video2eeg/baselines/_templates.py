"""The video-blind baselines: the grand average and the emotion templates."""

from __future__ import annotations

import numpy as np
from mne.utils import logger

from ..utils._checks import (
    _check_random_state,
)
from ..utils._docs import fill_doc, verbose
from ._common import BaselineMixin


@fill_doc
class GrandAverageBaseline(BaselineMixin):
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

    _PREDICT_STATE = (*BaselineMixin._PREDICT_STATE, "averages_")

    @classmethod
    def _from_state(cls, state, info):
        model = super()._from_state(state, info)
        # a file's keys are str: the pooled average's None came back as "None"
        model.averages_ = {
            None if k in ("None", None) else k: v for k, v in model.averages_.items()
        }
        return model

    def _means(self, X, ids, label, emotions, subject):
        """Return the predicted mean clip of every video (before noise)."""
        key = label if self.by_subject and subject is not None else None
        means = np.repeat(self.averages_[key][None], len(ids), axis=0)
        return means


@fill_doc
class EmotionTemplateBaseline(BaselineMixin):
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

    def _to_state(self):
        keys = list(self.templates_)  # (emotion, subject | None): not file keys
        return {
            **super()._to_state(),
            "template_keys": [list(k) for k in keys],
            "template_values": np.stack([self.templates_[k] for k in keys]),
        }

    @classmethod
    def _from_state(cls, state, info):
        model = super()._from_state(state, info)
        keys = [tuple(k) for k in state["template_keys"]]
        model.templates_ = dict(zip(keys, state["template_values"], strict=True))
        return model

    def _template(self, emotion, subject):
        key = (emotion, subject) if (emotion, subject) in self.templates_ else None
        key = key or (emotion, None)
        if key not in self.templates_:
            raise ValueError(
                f"No template for emotion {emotion!r}: the baseline was fitted on "
                f"{self.emotions_}. Pass emotion= with one of them."
            )
        return self.templates_[key]

    def _means(self, X, ids, label, emotions, subject):
        """Return the predicted mean clip of every video (before noise)."""
        subj = None if subject is None or not self.by_subject else label
        means = np.stack([self._template(e, subj) for e in emotions])
        return means
