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

# the mTRF's default grids are importable from here, not API pages of their own
from ._mtrf import EXPANSIONS, ONSET_SHRINKAGES, RidgeEncodingBaseline  # noqa: F401
from ._templates import EmotionTemplateBaseline, GrandAverageBaseline

__all__ = [
    "EmotionTemplateBaseline",
    "GrandAverageBaseline",
    "RidgeEncodingBaseline",
]
