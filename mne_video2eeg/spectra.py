"""The Gaussian part of the generator: each subject's spatio-spectral covariance.

Background EEG is close to a stationary Gaussian process, and a stationary
Gaussian process is fully described by its cross-spectral matrix: at every
frequency ``f`` a Hermitian ``n_channels x n_channels`` matrix ``S(f)`` that
holds each channel's power (its diagonal) and the channels' joint structure
(volume conduction makes neighbouring electrodes correlate at 0.5-0.9).
:class:`CrossSpectralModel` estimates ``S(f)`` per subject and factors it as
``S(f) = L(f) L(f)^H``; multiplying the Fourier coefficients of a clip by
``L(f)^{-1}`` (whitening) turns the process into white noise of unit variance
in every channel and frequency, and ``L(f)`` (colouring) turns white noise
into EEG with exactly the fitted spectra, correlations and coherences.

:class:`~mne_video2eeg.nn.VideoEEGDiffusion` diffuses the whitened residual
EEG (after the video-locked mean): its prior *is* white noise, so a network
that predicts nothing already samples EEG with the right second-order
structure, and the network spends its capacity on what the video changes and
what is not Gaussian.

Estimation, at any amount of data (40 s to tens of thousands of clips):

* the diagonal (each channel's power spectrum) is averaged over the clips of
  the subject and smoothed over ``smooth_bins`` frequency bins: exact
  per-channel spectra;
* the coherency ``R(f) = D^{-1/2} S(f) D^{-1/2}`` (unit diagonal) is averaged
  over ``coherence_bins`` neighbouring bins as well (volume conduction varies
  slowly with frequency) and shrunk towards the identity with the
  Ledoit-Wolf intensity, so that it stays well conditioned with fewer clips
  than channels;
* ``L(f) = D^{1/2} R(f)^{1/2}`` with the Hermitian square root: whitening is
  ZCA per frequency, so a whitened channel stays centred on its electrode
  (the graph network keeps its meaning).

Hand-written rather than pyriemann's or scikit-learn's covariance
estimators: those take real covariances of one sample set, and here every
frequency bin of every subject needs a complex Hermitian estimate pooled over
neighbouring bins, accumulated in chunks so that memory does not grow with
the number of clips.  numpy only; the diffusion applies the matrices with
``torch.fft``.
"""

from __future__ import annotations

import numpy as np
from mne.utils import logger
from scipy.ndimage import uniform_filter1d
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .utils._checks import _check_positive, _check_random_state

# relative floor on the coherency's eigenvalues: average-referenced data are
# rank-deficient (the channels sum to zero), and whitening must stay finite
_EIG_FLOOR = 1e-4
# clips handled at once when accumulating cross-spectra (memory ~ chunk x F x C)
_CHUNK = 256


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
    frequency domain has unit expected power in every bin.  This is the
    diagonal of :class:`CrossSpectralModel` (``whiten="spectral"``).

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
    power = _smooth(_group_power(data, groups, n_groups), smooth_bins)
    amp = np.sqrt(_floor_power(power))
    pop = np.exp(np.log(amp).mean(0, keepdims=True))
    return np.concatenate([amp, pop]).astype(np.float32)


def video_locked_residual(x0: np.ndarray, videos: np.ndarray) -> np.ndarray:
    """Clips minus the mean of their video's clips (the video-locked part).

    The Gaussian part models what is left after the video-locked mean.  With
    ``n`` clips of a video the deviations from their average have
    ``(n - 1) / n`` of the residual's variance: they are scaled back by
    ``sqrt(n / (n - 1))``.  A video seen once keeps its clip as it is (its
    video-locked part then counts as background).
    """
    out = np.array(x0, dtype=np.float64)
    for video in np.unique(videos):
        rows = np.flatnonzero(videos == video)
        if len(rows) > 1:
            dev = out[rows] - out[rows].mean(0)
            out[rows] = dev * np.sqrt(len(rows) / (len(rows) - 1))
    return out


def _group_power(data, groups, n_groups):
    """Mean ``|rfft|^2 / n_times`` per group: (n_groups, n_channels, n_freqs)."""
    n_times = data.shape[-1]
    power = np.zeros((n_groups, data.shape[1], n_times // 2 + 1))
    for g in range(n_groups):
        rows = np.flatnonzero(groups == g)
        for start in range(0, len(rows), _CHUNK):
            spec = np.fft.rfft(data[rows[start : start + _CHUNK]], axis=-1)
            power[g] += (spec.real**2 + spec.imag**2).sum(0)
        power[g] /= len(rows) * n_times
    return power


def _smooth(x, width, axis=-1):
    """Average over a moving window of frequency bins (edges: nearest)."""
    if width <= 1:
        return x
    if np.iscomplexobj(x):
        return uniform_filter1d(
            x.real, width, axis=axis, mode="nearest"
        ) + 1j * uniform_filter1d(x.imag, width, axis=axis, mode="nearest")
    return uniform_filter1d(x, width, axis=axis, mode="nearest")


def _floor_power(power):
    # a flat channel or an empty bin (DC of zero-mean clips) must not divide
    # by zero: floor at 1e-6 of the channel's mean power
    floor = 1e-6 * power.mean(-1, keepdims=True) + 1e-20
    return np.maximum(power, floor)


class CrossSpectralModel(BaseEstimator):
    """Stationary Gaussian model of EEG clips: a cross-spectral matrix per bin.

    See the module docstring for the model and its estimation.  Per group
    (subject) ``g`` and rfft bin ``f`` the fitted cross-spectrum is
    ``S[g, f] = D^{1/2} R D^{1/2}`` with ``D`` the smoothed per-channel power
    (``mean |rfft(x)|^2 / n_times``) and ``R`` the shrunk coherency; row
    ``n_groups`` is the population (the mean of the groups' ``S``), used for
    an unknown subject.  White Gaussian noise of unit variance coloured with
    :meth:`colour` has expected cross-spectrum ``S``; :meth:`whiten` is its
    exact inverse.

    Parameters
    ----------
    smooth_bins : int
        Width (in rfft bins) of the moving average of each channel's power.
    coherence_bins : int | "auto"
        Width of the moving average of the coherency over bins.  ``"auto"``
        pools enough bins for about four clips-times-bins per channel
        (``ceil(4 * n_channels / n_clips)``, at least ``smooth_bins``, at most
        an eighth of the bins): wide with 40 s of data, ``smooth_bins`` with
        thousands of clips.
    outlier_threshold : float | None
        Clips whose total power lies more than this many robust standard
        deviations (1.4826 x the median absolute deviation of log power,
        within their group) above the group's median are left out of the
        estimate: one artefact clip 40x as strong as the rest (a movement, an
        electrode pop) would otherwise raise every channel's power by half.
        None keeps every clip.
    shrinkage : float | "auto"
        Weight of the identity in the coherency, ``(1 - s) R + s I``:
        ``"auto"`` takes the Ledoit-Wolf intensity per group and bin; 1 keeps
        each channel's spectrum only (independent channels, the previous
        per-channel whitening); 0 none.
    random_state : int | numpy.random.Generator | None
        Default seed of :meth:`sample`.

    Attributes
    ----------
    power_ : ndarray, shape (n_groups + 1, n_channels, n_freqs)
        Per-channel power spectra (data units squared per bin).
    coherency_ : ndarray of complex, shape (n_groups + 1, n_freqs, n_ch, n_ch)
        Shrunk coherency, unit diagonal.
    shrinkage_ : ndarray, shape (n_groups + 1, n_freqs)
        Shrinkage intensity used (population row: NaN, it is a mean).
    colouring_ : ndarray of complex64, shape (n_groups + 1, n_freqs, n_ch, n_ch)
        ``L[g, f]`` with ``L L^H = S``.
    whitening_ : ndarray of complex64, same shape
        ``L[g, f]^{-1}``.
    n_groups_, n_channels_, n_times_ : int
        Sizes of the training data.
    outliers_ : ndarray of bool, shape (n_epochs,)
        The clips left out of the estimate (``outlier_threshold``).
    """

    def __init__(
        self,
        *,
        smooth_bins: int = 3,
        coherence_bins="auto",
        shrinkage="auto",
        outlier_threshold: float | None = 5.0,
        random_state=None,
    ):
        self.smooth_bins = smooth_bins
        self.coherence_bins = coherence_bins
        self.outlier_threshold = outlier_threshold
        self.shrinkage = shrinkage
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, data, groups=None) -> CrossSpectralModel:
        """Estimate each group's cross-spectral matrices.

        Parameters
        ----------
        data : array-like, shape (n_epochs, n_channels, n_times)
            Clips (any unit; working scale in the generator), ideally the
            residual after the stimulus-locked mean.
        groups : array-like of int, shape (n_epochs,) | None
            Group (subject) index of each clip in ``range(n_groups)``; None
            puts every clip in one group.

        Returns
        -------
        self : CrossSpectralModel
        """
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        groups = (
            np.zeros(len(data), dtype=int) if groups is None else np.asarray(groups)
        )
        n_groups = int(groups.max()) + 1 if groups.size else 1
        _check_groups(data, groups, n_groups)
        smooth = _check_positive(self.smooth_bins, "smooth_bins", integer=True)
        shrink = self.shrinkage
        if shrink != "auto" and not (
            isinstance(shrink, int | float) and 0 <= shrink <= 1
        ):
            raise ValueError(
                f'shrinkage must be "auto" or a number in [0, 1], got {shrink!r}.'
            )
        self.outliers_ = self._outliers(data, groups, n_groups)
        keep = ~self.outliers_
        data, groups = data[keep], groups[keep]
        n_ep, n_ch, n_times = data.shape
        n_freqs = n_times // 2 + 1
        power = np.empty((n_groups + 1, n_ch, n_freqs))
        power[:n_groups] = _floor_power(
            _smooth(_group_power(data, groups, n_groups), smooth)
        )
        coh = np.empty((n_groups + 1, n_freqs, n_ch, n_ch), complex)
        lam = np.full((n_groups + 1, n_freqs), np.nan)
        for g in range(n_groups):
            rows = np.flatnonzero(groups == g)
            width = self._coherence_width(len(rows), n_ch, n_freqs, smooth)
            coh[g], lam[g] = _shrunk_coherency(
                data[rows], power[g], width, shrink, n_times
            )
        # the population: the mean cross-spectrum of the groups
        d = np.sqrt(power[:n_groups]).transpose(0, 2, 1)  # (G, F, C)
        pop = (d[..., :, None] * coh[:n_groups] * d[..., None, :]).mean(0)
        pop_power = np.real(np.einsum("fcc->fc", pop))
        power[n_groups] = pop_power.T
        dp = np.sqrt(pop_power)
        coh[n_groups] = pop / (dp[:, :, None] * dp[:, None, :])
        self.power_ = power
        self.coherency_ = coh = _real_edges(coh, n_times)
        self.shrinkage_ = lam
        self.colouring_, self.whitening_ = _factor(power, coh)
        self.n_groups_, self.n_channels_, self.n_times_ = n_groups, n_ch, n_times
        logger.info(
            f"Cross-spectral model: {n_groups} group(s), {n_ch} channels, "
            f"{n_freqs} bins; median shrinkage {np.nanmedian(lam):.2f}; "
            f"{int(self.outliers_.sum())} outlier clip(s) left out"
        )
        return self

    def _outliers(self, data, groups, n_groups):
        """Clips far above their group's median power (robust z of log power)."""
        out = np.zeros(len(data), bool)
        threshold = self.outlier_threshold
        if threshold is None:
            return out
        threshold = _check_positive(threshold, "outlier_threshold")
        log_power = np.log(np.maximum((data**2).mean(axis=(1, 2)), 1e-300))
        for g in range(n_groups):
            rows = np.flatnonzero(groups == g)
            med = np.median(log_power[rows])
            mad = 1.4826 * np.median(np.abs(log_power[rows] - med))
            if mad > 0:
                out[rows] = log_power[rows] > med + threshold * mad
        return out

    @classmethod
    def from_colouring(cls, colouring, *, n_times: int) -> CrossSpectralModel:
        """Rebuild a fitted model from its colouring matrices (a checkpoint's).

        Parameters
        ----------
        colouring : array-like of complex, shape (n_groups + 1, n_freqs, n_ch, n_ch)
            ``colouring_`` of a fitted model; the last row is the population.
        n_times : int
            Samples per clip (``n_freqs = n_times // 2 + 1``).

        Returns
        -------
        model : CrossSpectralModel
            Fitted, with ``S = L L^H`` (``shrinkage_`` unknown: NaN).
        """
        colouring = np.asarray(colouring)
        n_times = _check_positive(n_times, "n_times", integer=True)
        if (
            colouring.ndim != 4
            or colouring.shape[-1] != colouring.shape[-2]
            or colouring.shape[1] != n_times // 2 + 1
        ):
            raise ValueError(
                "colouring must have shape (n_groups + 1, n_times // 2 + 1 = "
                f"{n_times // 2 + 1}, n_channels, n_channels), got {colouring.shape}."
            )
        cross = colouring.astype(complex) @ np.conj(np.swapaxes(colouring, -1, -2))
        power = np.real(np.einsum("gfcc->gfc", cross))
        d = np.sqrt(power)
        model = cls()
        model.power_ = power.transpose(0, 2, 1)
        model.coherency_ = cross / (d[..., :, None] * d[..., None, :])
        model.shrinkage_ = np.full(power.shape[:2], np.nan)
        model.colouring_ = colouring.astype(np.complex64)
        model.whitening_ = np.linalg.inv(colouring.astype(complex)).astype(np.complex64)
        g, f, c = power.shape
        model.n_groups_, model.n_channels_ = g - 1, c
        model.n_times_ = n_times
        return model

    def _coherence_width(self, n_clips, n_ch, n_freqs, smooth):
        width = self.coherence_bins
        if width == "auto":
            width = int(np.ceil(4 * n_ch / n_clips))
            return int(min(max(width, smooth), max(n_freqs // 8, 1)))
        return _check_positive(width, "coherence_bins", integer=True)

    # ----------------------------------------------------------- transforms
    def cross_spectrum(self, group=None) -> np.ndarray:
        """Fitted cross-spectral matrices of a group.

        Parameters
        ----------
        group : int | None
            Group index; None for the population.

        Returns
        -------
        S : ndarray of complex, shape (n_freqs, n_channels, n_channels)
            ``S[f] = E[X(f) X(f)^H] / n_times`` with ``X = rfft(clip)``.
        """
        check_is_fitted(self, "colouring_")
        d = np.sqrt(self.power_[self._row(group)]).T
        return d[:, :, None] * self.coherency_[self._row(group)] * d[:, None, :]

    def whiten(self, data, groups=None) -> np.ndarray:
        """Whiten clips: ``irfft(L^{-1}(f) rfft(x)(f))`` with each clip's group.

        Parameters
        ----------
        data : array-like, shape (n_epochs, n_channels, n_times)
            Clips in the units of the training data.
        groups : array-like of int | int | None
            Group of each clip (or one for all); None: the population.

        Returns
        -------
        white : ndarray, shape (n_epochs, n_channels, n_times)
        """
        return self._apply(data, groups, self.whitening_)

    def colour(self, white, groups=None) -> np.ndarray:
        """Colour white clips with each clip's group: the inverse of :meth:`whiten`.

        Parameters
        ----------
        white : array-like, shape (n_epochs, n_channels, n_times)
            Whitened clips (or white noise of unit variance).
        groups : array-like of int | int | None
            Group of each clip (or one for all); None: the population.

        Returns
        -------
        data : ndarray, shape (n_epochs, n_channels, n_times)
        """
        return self._apply(white, groups, self.colouring_)

    def sample(self, n: int, *, group=None, random_state=None) -> np.ndarray:
        """Draw clips from the fitted Gaussian process.

        Parameters
        ----------
        n : int
            Number of clips.
        group : int | None
            Group to draw from; None: the population.
        random_state : int | numpy.random.Generator | None
            Seed; None uses ``self.random_state``.

        Returns
        -------
        data : ndarray, shape (n, n_channels, n_times)
            Zero-mean clips with cross-spectrum :meth:`cross_spectrum`.
        """
        check_is_fitted(self, "colouring_")
        n = _check_positive(n, "n", integer=True)
        rng = _check_random_state(
            self.random_state if random_state is None else random_state
        )
        white = rng.standard_normal((n, self.n_channels_, self.n_times_))
        return self.colour(white, group)

    def _row(self, group):
        if group is None:
            return self.n_groups_
        group = int(group)
        if not 0 <= group <= self.n_groups_:
            raise ValueError(
                f"group must be in [0, {self.n_groups_ - 1}] (or None for the "
                f"population), got {group}."
            )
        return group

    def _apply(self, data, groups, mats):
        check_is_fitted(self, "colouring_")
        data = np.asarray(data, dtype=float)
        want = (self.n_channels_, self.n_times_)
        if data.ndim != 3 or data.shape[1:] != want:
            raise ValueError(
                f"data must have shape (n_epochs, {want[0]}, {want[1]}) like the "
                f"training clips, got {data.shape}."
            )
        if groups is None or np.ndim(groups) == 0:
            rows = np.full(len(data), self._row(groups))
        else:
            rows = np.array([self._row(g) for g in np.asarray(groups)])
            if rows.shape != (len(data),):
                raise ValueError(
                    f"groups must hold one group per clip ({len(data)}), got "
                    f"{rows.shape[0]}."
                )
        spec = np.fft.rfft(data, axis=-1)
        out = np.empty_like(spec)
        for r in np.unique(rows):
            sel = rows == r
            out[sel] = np.einsum("fcd,ndf->ncf", mats[r], spec[sel])
        return np.fft.irfft(out, n=self.n_times_, axis=-1)


def _shrunk_coherency(data, power, width, shrink, n_times):
    """Coherency per bin pooled over ``width`` bins, shrunk towards identity.

    Returns the (n_freqs, C, C) coherency and the (n_freqs,) intensities.
    Ledoit-Wolf (2004) with target ``I`` on the power-normalised Fourier
    coefficients ``y = X / sqrt(n_times D)`` of the ``m = n_clips * width``
    pooled samples: ``s = min(1, b2 / d2)`` with
    ``b2 = (sum ||y||^4 / m - ||R||_F^2) / m`` and ``d2 = ||R - I||_F^2``.
    """
    n_ch, n_freqs = power.shape
    scale = 1.0 / np.sqrt(n_times * power)  # (C, F)
    acc = np.zeros((n_freqs, n_ch, n_ch), complex)
    fourth = np.zeros(n_freqs)
    for start in range(0, len(data), _CHUNK):
        y = np.fft.rfft(data[start : start + _CHUNK], axis=-1) * scale
        acc += np.einsum("ncf,ndf->fcd", y, y.conj())
        fourth += ((y.real**2 + y.imag**2).sum(1) ** 2).sum(0)
    m = len(data) * width
    cov = _smooth(acc, width, axis=0) / len(data)
    fourth = _smooth(fourth, width) * width  # sum over the pooled samples
    diag = np.sqrt(np.real(np.einsum("fcc->fc", cov)))
    coh = cov / (diag[:, :, None] * diag[:, None, :])
    eye = np.eye(n_ch)
    if shrink == "auto":
        b2 = (fourth / m - np.sum(np.abs(cov) ** 2, axis=(1, 2))) / m
        d2 = np.sum(np.abs(coh - eye) ** 2, axis=(1, 2))
        lam = np.clip(b2 / np.maximum(d2, 1e-12), 0.0, 1.0)
    else:
        lam = np.full(n_freqs, float(shrink))
    coh = (1 - lam)[:, None, None] * coh + lam[:, None, None] * eye
    return coh, lam


def _real_edges(coh, n_times):
    """Make the DC and (even length) Nyquist bins' matrices real.

    Those bins hold real coefficients: real matrices keep real signals real,
    so that whitening and colouring stay exact inverses of each other.
    """
    coh = coh.copy()
    coh[:, 0] = coh[:, 0].real
    if n_times % 2 == 0 and coh.shape[1] > 1:
        coh[:, -1] = coh[:, -1].real
    return coh


def _factor(power, coh):
    """Colouring ``D^{1/2} R^{1/2}`` and whitening ``R^{-1/2} D^{-1/2}``."""
    w, v = np.linalg.eigh(coh)  # (G, F, C), (G, F, C, C)
    w = np.maximum(w, _EIG_FLOOR * w.max(-1, keepdims=True))
    vh = np.conj(np.swapaxes(v, -1, -2))
    sqrt_r = (v * np.sqrt(w)[..., None, :]) @ vh
    isqrt_r = (v / np.sqrt(w)[..., None, :]) @ vh
    d = np.sqrt(power).transpose(0, 2, 1)  # (G, F, C)
    colouring = d[..., :, None] * sqrt_r
    whitening = isqrt_r / d[..., None, :]
    return colouring.astype(np.complex64), whitening.astype(np.complex64)


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
