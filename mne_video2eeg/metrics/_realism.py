"""Realism statistics: one set of clips described the same way, real or generated.

Each statistic runs on one set of :class:`mne.Epochs` (Volts) after the one
preprocessing of :func:`prepared_data` (EEG channels, 1-45 Hz band-pass, average
reference), so real and generated clips go through exactly the same code;
:func:`compare_realism` computes them all on two sets. The classifier
two-sample test lives in :mod:`._c2st`.
"""

from __future__ import annotations

import mne
import numpy as np
import xarray as xr
from mne.utils import logger
from scipy.signal import sosfiltfilt

from .._bands import FREQ_BANDS
from ..utils._checks import _check_positive
from ..utils._docs import verbose
from ._spectral import check_bands, welch_psd

ALPHA_BAND = (8.0, 13.0)


def _check_epochs(inst, name: str) -> None:
    if not isinstance(inst, mne.BaseEpochs):
        raise TypeError(
            f"{name} must be mne.Epochs (Volts, with the montage set), got "
            f"{type(inst).__name__}; wrap arrays with mne.EpochsArray(data, info)."
        )
    if len(inst) == 0:
        raise ValueError(f"{name} holds no epochs.")


def _check_freqs(l_freq, h_freq, sfreq: float) -> None:
    for name, val in (("l_freq", l_freq), ("h_freq", h_freq)):
        if val is not None:
            _check_positive(val, name)
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(f"Need l_freq < h_freq, got l_freq={l_freq}, h_freq={h_freq}.")
    if h_freq is not None and h_freq >= sfreq / 2:
        raise ValueError(
            f"h_freq={h_freq} Hz must be below the Nyquist frequency ({sfreq / 2} Hz); "
            "lower it or pass h_freq=None."
        )


def _eeg_picks(inst, name: str) -> np.ndarray:
    picks = mne.pick_types(inst.info, eeg=True, exclude="bads")
    if len(picks) < 2:
        raise ValueError(
            f"{name} needs at least 2 good EEG channels (average reference), got "
            f"{len(picks)}; check inst.info['bads'] and the channel types."
        )
    return picks


def prepared_data(epochs, l_freq, h_freq, name: str = "epochs"):
    """Return (data, info): good EEG channels, band-passed, average reference.

    The high-pass is MNE's zero-phase Butterworth IIR (order 4, forward and
    backward): a linear-phase FIR with a 1 Hz transition needs 3.3 s of taps,
    longer than 2-s clips. It is applied with mirror ("even") padding: the odd
    "reflect_limited" padding of mne.filter.filter_data lets edge transients
    into 2-s clips (measured on white noise: +6 % s.d., per-clip correlations
    1.4x noisier than an ideal filter; mirror padding: 0 %, 1.0x). The
    low-pass is MNE's default FIR (flat to ``h_freq``; 59 taps at 200 Hz).
    """
    _check_epochs(epochs, name)
    picks = _eeg_picks(epochs, name)
    info = mne.pick_info(epochs.info, picks)
    sfreq = float(info["sfreq"])
    _check_freqs(l_freq, h_freq, sfreq)
    data = np.asarray(epochs.get_data(picks=picks), float)
    if not np.isfinite(data).all():
        raise ValueError(f"{name} holds NaN/inf values; drop or repair those epochs.")
    if l_freq is not None:
        iir = mne.filter.create_filter(
            None, sfreq, l_freq, None, method="iir", verbose=False
        )
        padlen = min(iir["padlen"], data.shape[-1] - 1)
        data = sosfiltfilt(iir["sos"], data, padtype="even", padlen=padlen)
    if h_freq is not None:
        data = mne.filter.filter_data(data, sfreq, None, h_freq, verbose=False)
    data -= data.mean(axis=1, keepdims=True)  # average reference
    return data, info


def prepared_pair(a, b, l_freq, h_freq, names=("epochs_a", "epochs_b")):
    """Prepare two sets; ``b`` reordered to ``a``'s channels. Mismatch: ValueError."""
    for inst, name in zip((a, b), names, strict=True):
        _check_epochs(inst, name)
    ch_a = [a.ch_names[p] for p in _eeg_picks(a, names[0])]
    ch_b = [b.ch_names[p] for p in _eeg_picks(b, names[1])]
    if set(ch_a) != set(ch_b):
        only = sorted(set(ch_a) ^ set(ch_b))
        raise ValueError(
            f"{names[0]} and {names[1]} have different good EEG channels; names in "
            f"only one of them: {only[:10]}. Pick the common channels (inst.pick) "
            "and align info['bads'] first."
        )
    sf_a, sf_b = a.info["sfreq"], b.info["sfreq"]
    if not np.isclose(sf_a, sf_b):
        raise ValueError(
            f"{names[0]} and {names[1]} sampling rates differ ({sf_a} vs {sf_b} Hz); "
            "resample one of them (inst.resample)."
        )
    da, info_a = prepared_data(a, l_freq, h_freq, names[0])
    db, info_b = prepared_data(b, l_freq, h_freq, names[1])
    order = [ch_b.index(c) for c in ch_a]
    return da, info_a, db[:, order], mne.pick_info(info_b, order)


def amplitude_from_data(data) -> float:
    centred = data - data.mean(-1, keepdims=True)
    return float(np.median(np.sqrt(np.mean(centred**2, axis=(0, 2)))))


@verbose
def amplitude(
    epochs: mne.BaseEpochs,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    verbose=None,
) -> float:
    """Median over channels of the per-channel standard deviation, in Volts.

    After the shared preprocessing (good EEG channels, ``l_freq``-``h_freq``
    band-pass, average reference ``x[c] - mean_c x[c]``)::

        sd[c] = sqrt(mean over clips n, times t of (x[n, c, t] - mean_t x[n, c]) ** 2)
        amplitude = median_c sd[c]

    Parameters
    ----------
    %(epochs_realism)s
    %(l_freq_h_freq_realism)s
    %(verbose)s

    Returns
    -------
    amplitude : float
        In Volts.
    """
    data, _ = prepared_data(epochs, l_freq, h_freq)
    out = amplitude_from_data(data)
    logger.info(f"amplitude: {out * 1e6:.3g} uV (median of {data.shape[1]} channels)")
    return out


def _occipital(ch_names) -> np.ndarray:
    up = [c.upper() for c in ch_names]
    mask = np.array([c.startswith("O") or "PO" in c or "OZ" in c for c in up])
    return mask if mask.any() else np.ones(len(up), bool)


def _check_range(rng, name, lo=0.0, hi=np.inf):
    if len(rng) != 2 or not lo < rng[0] < rng[1] <= hi:
        raise ValueError(
            f"{name} must be (low, high) with {lo} < low < high <= {hi} Hz, got {rng}."
        )
    return float(rng[0]), float(rng[1])


def spectral_parameters_from_data(data, info, freq_range, alpha_band, max_n_peaks):
    from specparam import SpectralGroupModel

    sfreq = float(info["sfreq"])
    fmin, fmax = _check_range(freq_range, "freq_range", hi=sfreq / 2)
    alo, ahi = _check_range(alpha_band, "alpha_band")
    # Clip-averaged Welch PSD (2-s windows, or the whole clip): one fit per
    # channel, smooth enough for specparam and 16x cheaper than per clip.
    psd, freqs = welch_psd(data, sfreq, fmin, fmax)
    psd = psd.mean(0)
    n_ch = len(psd)
    ok = np.all(psd > 0, axis=1)  # a flat channel has no log spectrum to fit
    offset, exponent = np.full(n_ch, np.nan), np.full(n_ch, np.nan)
    ratio, peak_freq = np.full(n_ch, np.nan), np.full(n_ch, np.nan)
    r2 = np.full(n_ch, np.nan)
    model, aperiodic = np.full_like(psd, np.nan), np.full_like(psd, np.nan)
    if ok.any():
        width = (max(1.0, 2 * (freqs[1] - freqs[0])), 12.0)
        fg = SpectralGroupModel(
            peak_width_limits=width, max_n_peaks=max_n_peaks, verbose=False
        )
        fg.fit(freqs, psd[ok])
        idx = np.flatnonzero(ok)
        offset[ok], exponent[ok] = fg.get_params("aperiodic").T
        r2[ok] = fg.get_metrics("gof_rsquared")
        # "peak" = converted peak parameters: cf, pw = log10(model / aperiodic)
        # at cf, bw; the last column is the channel's row in the fit
        peaks = fg.get_params("peak")
        for cf, pw, _, row in peaks[(peaks[:, 0] >= alo) & (peaks[:, 0] <= ahi)]:
            c = idx[int(row)]
            if np.isnan(ratio[c]) or 10.0**pw > ratio[c]:  # the largest one
                ratio[c], peak_freq[c] = 10.0**pw, cf
        for row, c in enumerate(idx):
            fit = fg.get_model(row, regenerate=True).results.model
            model[c] = fit.get_component("full", "linear")
            aperiodic[c] = fit.get_component("aperiodic", "linear")
    occ = _occipital(info.ch_names)
    # a channel without an alpha peak has no power above its aperiodic fit
    occ_ratio = np.where(np.isnan(ratio), 1.0, ratio)[occ & ok]
    med = lambda x: float(np.median(x)) if len(x) else np.nan  # noqa: E731
    return xr.Dataset(
        {
            "exponent": ("channel", exponent),
            "offset": ("channel", offset),
            "alpha_peak_ratio": ("channel", ratio),
            "alpha_peak_freq": ("channel", peak_freq),
            "r_squared": ("channel", r2),
            "psd": (("channel", "freq"), psd),
            "model_fit": (("channel", "freq"), model),
            "aperiodic_fit": (("channel", "freq"), aperiodic),
            "exponent_median": med(exponent[ok]),
            "alpha_peak_ratio_median": med(occ_ratio),
        },
        coords={
            "channel": list(info.ch_names),
            "freq": freqs,
            "occipital": ("channel", occ),
        },
        attrs={"freq_range_hz": [fmin, fmax], "alpha_band_hz": [alo, ahi]},
    )


@verbose
def spectral_parameters(
    epochs: mne.BaseEpochs,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    freq_range: tuple[float, float] = (2.0, 40.0),
    alpha_band: tuple[float, float] = ALPHA_BAND,
    max_n_peaks: int = 6,
    verbose=None,
) -> xr.Dataset:
    """Aperiodic exponent and alpha peak of each channel, fitted with specparam.

    After the shared preprocessing (see :func:`amplitude`), the Welch PSD
    :math:`P_c(f)` of each channel, averaged over clips, is fitted on
    ``freq_range`` by :class:`specparam.SpectralGroupModel` (fixed aperiodic
    mode, Gaussian peaks)::

        log10 P_c(f) = offset[c] - exponent[c] * log10(f) + sum_k G_k(f)

    ``alpha_peak_ratio[c] = 10 ** pw`` with ``pw = log10 P_model(cf) - log10
    P_aperiodic(cf)`` of the largest peak whose centre ``cf`` is in
    ``alpha_band`` (NaN where the channel has none): the power at the peak over
    the aperiodic fit there, 1 = no peak. The summaries are
    ``exponent_median = median_c exponent[c]`` and ``alpha_peak_ratio_median``,
    the median over the occipital channels (names starting with "O" or holding
    "PO"/"Oz"; all channels if none) with channels without an alpha peak
    counted as 1.

    Parameters
    ----------
    %(epochs_realism)s
    %(l_freq_h_freq_realism)s
    freq_range : (float, float)
        Frequency range of the fit in Hz; keep it inside the band-pass.
    alpha_band : (float, float)
        Where an alpha peak's centre may lie, in Hz.
    max_n_peaks : int
        Most peaks specparam fits per channel.
    %(verbose)s

    Returns
    -------
    params : xarray.Dataset
        On dim ``channel`` (coord ``occipital``): ``exponent``, ``offset``
        (log10 V^2/Hz), ``alpha_peak_ratio``, ``alpha_peak_freq`` (Hz),
        ``r_squared`` of the fit; on ``(channel, freq)``: ``psd``, ``model_fit``
        and ``aperiodic_fit`` (V^2/Hz); scalars ``exponent_median`` and
        ``alpha_peak_ratio_median``.
    """
    max_n_peaks = _check_positive(max_n_peaks, "max_n_peaks", integer=True)
    data, info = prepared_data(epochs, l_freq, h_freq)
    out = spectral_parameters_from_data(data, info, freq_range, alpha_band, max_n_peaks)
    logger.info(
        f"spectral_parameters: median exponent {float(out.exponent_median):.3g}, "
        f"occipital alpha peak ratio {float(out.alpha_peak_ratio_median):.3g}"
    )
    return out


def channel_positions(info) -> np.ndarray:
    pos = np.array([ch["loc"][:3] for ch in info["chs"]], float)
    if not (np.isfinite(pos).all() and np.any(pos, axis=1).all()):
        raise ValueError(
            "correlation_by_distance needs channel positions, but info has none "
            "(or some are missing); set a montage first, e.g. "
            "epochs.set_montage(mne_video2eeg.make_seed_montage())."
        )
    return pos


def clip_correlation(data) -> np.ndarray:
    """Zero-lag Pearson correlation of each clip: (n_clips, ch, ch)."""
    x = data - data.mean(-1, keepdims=True)
    sd = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    x = x / np.where(sd > 0, sd, 1.0)  # a flat channel correlates 0
    return np.einsum("nct,ndt->ncd", x, x)


def _coherence(data, sfreq, bands) -> np.ndarray:
    """Magnitude-squared coherence per band, (n_bands, ch, ch).

    Coherence across clips needs the cross-spectra averaged over clips before
    normalising: mne.time_frequency.csd_array_fourier does that (Hann window,
    one FFT per clip). scipy.signal.coherence normalises within one signal
    (identically 1 for a 2-s clip of one Welch segment); mne-connectivity
    would add a dependency for the same estimate.
    """
    lo = min(b[0] for b in bands.values())
    hi = max(b[1] for b in bands.values())
    csd = mne.time_frequency.csd_array_fourier(
        data, sfreq, fmin=lo, fmax=hi, verbose=False
    )
    freqs = np.asarray(csd.frequencies)
    coh = []
    for k in range(len(freqs)):
        s = csd.get_data(index=k)
        power = np.real(np.diag(s))
        coh.append(np.abs(s) ** 2 / np.maximum(np.outer(power, power), 1e-300))
    coh = np.array(coh)
    out = []
    for name, (fl, fh) in bands.items():
        sel = (freqs >= fl) & (freqs <= fh)
        if not sel.any():
            raise ValueError(
                f"Band {name!r} ({fl}-{fh} Hz) holds no frequency bin at the "
                f"resolution {sfreq / data.shape[-1]:.3g} Hz; use longer clips."
            )
        out.append(coh[sel].mean(0))
    return np.array(out)


def default_bands(l_freq, h_freq):
    lo = 0.0 if l_freq is None else l_freq
    hi = np.inf if h_freq is None else h_freq
    out = {n: (max(a, lo), min(b, hi)) for n, (a, b) in FREQ_BANDS.items()}
    return {n: ab for n, ab in out.items() if ab[0] < ab[1]}


def correlation_by_distance_from_data(data, info, bins, fraction, bands):
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction!r}.")
    pos = channel_positions(info)
    iu = np.triu_indices(len(pos), 1)
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)[iu]
    per_clip = clip_correlation(data)
    abs_r = np.abs(per_clip).mean(0)[iu]
    coh = _coherence(data, float(info["sfreq"]), bands)[(slice(None), *iu)]
    if np.ndim(bins) == 0:
        n_bins = _check_positive(bins, "bins", integer=True)
        edges = np.linspace(dist.min(), dist.max(), n_bins + 1)
    else:
        edges = np.asarray(bins, float)
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bins must be an int or increasing edges (m), got {bins}")
    which = np.searchsorted(edges, dist, side="right") - 1
    which[dist == edges[-1]] = len(edges) - 2  # the last bin is closed
    n_pairs = np.array([(which == k).sum() for k in range(len(edges) - 1)])
    mean_in = lambda v: np.array(  # noqa: E731
        [v[..., which == k].mean(-1) if n else np.full(v.shape[:-1], np.nan)
         for k, n in enumerate(n_pairs)]
    )  # fmt: skip
    near, far = np.quantile(dist, [fraction, 1 - fraction])
    return xr.Dataset(
        {
            "abs_r": ("distance", mean_in(abs_r)),
            "coherence": (("band", "distance"), mean_in(coh).T),
            "n_pairs": ("distance", n_pairs),
            "neighbour": float(abs_r[dist <= near].mean()),
            "distant": float(abs_r[dist >= far].mean()),
            "pair_distance": ("pair", dist),
            "pair_abs_r": ("pair", abs_r),
            "pair_coherence": (("band", "pair"), coh),
            "correlation": (("channel", "channel2"), per_clip.mean(0)),
        },
        coords={
            "distance": (edges[:-1] + edges[1:]) / 2,
            "distance_low": ("distance", edges[:-1]),
            "distance_high": ("distance", edges[1:]),
            "band": list(bands),
            "ch1": ("pair", [info.ch_names[i] for i in iu[0]]),
            "ch2": ("pair", [info.ch_names[j] for j in iu[1]]),
            "channel": list(info.ch_names),
            "channel2": list(info.ch_names),
        },
        attrs={
            "neighbour_max_distance_m": float(near),
            "distant_min_distance_m": float(far),
            "bands_hz": str(dict(bands)),
        },
    )


@verbose
def correlation_by_distance(
    epochs: mne.BaseEpochs,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    bins: int | np.ndarray = 6,
    fraction: float = 0.2,
    bands: dict | None = None,
    verbose=None,
) -> xr.Dataset:
    """Channel-pair correlation and coherence as a function of electrode distance.

    After the shared preprocessing (see :func:`amplitude`), for each channel
    pair ``(i, j)`` at distance ``d_ij`` (Euclidean, in metres, from the
    channel positions in ``epochs.info``)::

        |r|_ij    = mean over clips n of |pearson_t(x[n, i], x[n, j])|
        coh_ij(f) = |S_ij(f)| ** 2 / (S_ii(f) S_jj(f))

    with ``S`` the cross-spectra (Hann-windowed FFT of each clip) averaged
    over clips; ``coherence`` in a band is the mean of ``coh_ij(f)`` over its
    frequency bins. Both are averaged over the pairs in each distance bin, and
    summarised as ``neighbour`` = mean ``|r|`` over the ``fraction`` shortest
    pair distances and ``distant`` = over the ``fraction`` longest.

    Parameters
    ----------
    %(epochs_realism)s
        It needs channel positions (a montage).
    %(l_freq_h_freq_realism)s
    bins : int | array of float
        Number of equal-width distance bins between the shortest and longest
        pair distance, or the bin edges in metres.
    %(fraction_distance)s
    bands : dict of str -> (float, float) | None
        Coherence bands in Hz; None = the package's bands
        (:data:`mne_video2eeg._bands.FREQ_BANDS`) clipped to ``l_freq``-``h_freq``.
    %(verbose)s

    Returns
    -------
    stats : xarray.Dataset
        ``abs_r`` and ``n_pairs`` on dim ``distance`` (bin centres, m; coords
        ``distance_low``/``distance_high``), ``coherence`` on ``(band,
        distance)``, scalars ``neighbour`` and ``distant``, the per-pair
        ``pair_distance``, ``pair_abs_r``, ``pair_coherence`` (dim ``pair``,
        coords ``ch1``/``ch2``) and ``correlation``, the signed mean
        correlation matrix on ``(channel, channel2)``.
    """
    _check_positive(fraction, "fraction")
    data, info = prepared_data(epochs, l_freq, h_freq)
    if bands is None:
        bands = default_bands(l_freq, h_freq)
    check_bands(bands, float(info["sfreq"]))
    out = correlation_by_distance_from_data(data, info, bins, fraction, bands)
    logger.info(
        f"correlation_by_distance: neighbour |r| {float(out.neighbour):.3f}, "
        f"distant |r| {float(out.distant):.3f}"
    )
    return out
