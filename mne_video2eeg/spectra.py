"""Per-subject amplitude spectra of the training EEG: the diffusion's whitening.

The diffusion model of :class:`~mne_video2eeg.Video2EEGGenerator` does not
diffuse the EEG background as it is, but divided, channel by channel and
frequency by frequency, by the subject's mean amplitude spectrum (see
:class:`mne_video2eeg.nn.VideoEEGDiffusion`).  Background EEG is close to a
stationary Gaussian process whose power falls by 2-3 orders of magnitude from
delta to gamma and differs between channels; divided by its amplitude
spectrum each channel is close to white noise of unit variance, the
diffusion's own prior, so the network no longer has to learn the 1/f shape
and the channels' levels.  Measured on the demo protocol (60 epochs): the
band-power topography similarity rose from 0.20-0.71 to 0.65-0.96 per band,
the band level from 0.42-0.73 to 0.63-0.75 (``benchmarks/NOTES.md``).

Spatial (ZCA) whitening on top was tried and dropped: the channel covariance
spans eigenvalues from 18 to 0.025 on the simulated data, and the learned
expected-EEG map's errors in the weak directions became large structured
residuals (evoked correlation 0.37 -> 0.15).

numpy only; :class:`~mne_video2eeg.nn.VideoEEGDiffusion` applies the spectra
with ``torch.fft``.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from .utils._checks import _check_positive


def fit_amplitude_spectra(
    data: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    smooth_bins: int = 3,
) -> np.ndarray:
    """Mean amplitude spectrum per group and channel, plus the population's.

    ``A[g, c, f] = sqrt(mean_{n in g} |rfft(data[n, c])[f]|^2 / n_times)``,
    smoothed with a moving average of ``smooth_bins`` frequency bins (in
    power) so that the estimate from a few dozen clips is not noisy; row
    ``n_groups`` is the geometric mean over the groups (the spectrum used
    for an unknown subject).  A signal divided by its group's spectrum in the
    frequency domain has unit expected power in every bin.

    Parameters
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        EEG at working scale.
    groups : ndarray of int, shape (n_epochs,)
        Group (subject) index of each epoch, in ``range(n_groups)``.
    n_groups : int
        Number of groups; every group must have at least one epoch.
    smooth_bins : int
        Width of the moving average over frequency bins (1: none).

    Returns
    -------
    amplitude : ndarray, shape (n_groups + 1, n_channels, n_times // 2 + 1)
        float32, strictly positive.
    """
    data = np.asarray(data)
    groups = np.asarray(groups)
    _check_groups(data, groups, n_groups)
    smooth_bins = _check_positive(smooth_bins, "smooth_bins", integer=True)
    n_times = data.shape[-1]
    power = np.empty((n_groups, data.shape[1], n_times // 2 + 1))
    for g in range(n_groups):
        spec = np.fft.rfft(data[groups == g], axis=-1)
        power[g] = (np.abs(spec) ** 2).mean(0) / n_times
    if smooth_bins > 1:
        power = uniform_filter1d(power, smooth_bins, axis=-1, mode="nearest")
    # a flat channel or an empty bin (DC of zero-mean clips) must not divide
    # by zero: floor at 1e-6 of the channel's mean power
    floor = 1e-6 * power.mean(-1, keepdims=True) + 1e-20
    amp = np.sqrt(np.maximum(power, floor))
    pop = np.exp(np.log(amp).mean(0, keepdims=True))
    return np.concatenate([amp, pop]).astype(np.float32)


def _check_groups(data, groups, n_groups) -> None:
    if data.ndim != 3 or data.shape[0] == 0:
        raise ValueError(
            "data must have shape (n_epochs, n_channels, n_times) with at least "
            f"one epoch, got {data.shape}."
        )
    if groups.shape != (data.shape[0],) or not np.issubdtype(groups.dtype, np.integer):
        raise ValueError(
            f"groups must hold one integer per epoch ({data.shape[0]}), got "
            f"shape {groups.shape} and dtype {groups.dtype}."
        )
    n_groups = _check_positive(n_groups, "n_groups", integer=True)
    empty = sorted(set(range(n_groups)) - set(groups.tolist()))
    if empty or groups.min() < 0 or groups.max() >= n_groups:
        raise ValueError(
            f"groups must cover range({n_groups}) exactly; empty groups {empty}, "
            f"values from {groups.min()} to {groups.max()}."
        )
