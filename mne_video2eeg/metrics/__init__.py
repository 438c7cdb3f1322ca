"""Scores of generated EEG against real EEG, one definition each.

Real and generated EEG come as :class:`mne.Epochs` (Volts) whose ``metadata``
holds ``video`` (and ``subject``, ``emotion``; generated epochs also
``sample`` = 0..K-1), or as arrays ``(n_epochs, n_channels, n_times)``.

Matching (one rule for every metric): each generated epoch is paired with the
real epoch(s) of the same key. The key is ``(video, subject)`` when both inputs
have a ``subject`` column and every generated subject occurs in the real data,
else ``video`` alone (e.g. population generations, subject ``"unknown"``);
``match="video"`` or ``match="video+subject"`` forces one. Arrays carry no
metadata: they are paired epoch by epoch (same shape required).

Each function's docstring states its exact formula; :func:`evaluate` collects
them all into one :class:`xarray.Dataset`.

Realism statistics describe one set of clips (:func:`amplitude`,
:func:`spectral_parameters`, :func:`correlation_by_distance`) or tell two sets
apart (:func:`riemann_distance`, :func:`c2st`), computed the same way on real
and generated :class:`mne.Epochs`; :func:`compare_realism` gathers them all, and
real-vs-real (e.g. test vs train clips) is the ceiling to read them against.

Stimulus-following scores (:func:`evoked_split_half`,
:func:`template_identification`, :func:`ssvep_snr`, beside
:func:`evoked_correlation`) say whether clips follow their video, computed the
same way on real clips (the ceiling) and generated ones.

Proper scores (:func:`energy_score`, :func:`dispersion_ratio`) stand beside the
correlations so that shrinking the samples never looks like progress: the
energy score of the K samples of a key as an ensemble forecast of each real
clip (lower is better; its reference is the score of the true process), and
the samples' within-key variance over the real residual variance per band (1 =
the right spread, below 1 = under-dispersed).
"""

from ._c2st import c2st, compare_realism, riemann_distance
from ._distribution import eeg_fid, tstr_score
from ._evaluate import METRICS, evaluate
from ._evoked import evoked_correlation, lagged_xcorr
from ._following import evoked_split_half, ssvep_snr, template_identification
from ._proper import dispersion_ratio, energy_score
from ._realism import amplitude, correlation_by_distance, spectral_parameters
from ._signal import covariance_similarity, mae, mse, pearson_correlation
from ._spectral import band_similarity, psd_distance

__all__ = [
    "METRICS",
    "amplitude",
    "band_similarity",
    "c2st",
    "compare_realism",
    "correlation_by_distance",
    "covariance_similarity",
    "dispersion_ratio",
    "eeg_fid",
    "energy_score",
    "evaluate",
    "evoked_correlation",
    "evoked_split_half",
    "lagged_xcorr",
    "mae",
    "mse",
    "pearson_correlation",
    "psd_distance",
    "riemann_distance",
    "spectral_parameters",
    "ssvep_snr",
    "template_identification",
    "tstr_score",
]
