"""Spectral scores: band power similarity and log-PSD distance."""

from __future__ import annotations

import mne
import numpy as np
import xarray as xr

from .._bands import FREQ_BANDS
from ..utils._checks import (
    _validate_type,
)
from ..utils._docs import verbose
from ._match import (
    EPS,
    PreconditionError,
    corr_t,
    matched_real,
    need_sfreq,
    prepare_pair,
)


def welch_psd(data, sfreq, fmin, fmax):
    """Welch PSD of 2-s Hamming windows (the whole epoch when shorter)."""
    n_times = data.shape[-1]
    psd, freqs = mne.time_frequency.psd_array_welch(
        data,
        sfreq,
        fmin=fmin,
        fmax=fmax,
        n_fft=min(n_times, int(round(2 * sfreq))),
        verbose=False,
    )
    return psd, freqs


def check_bands(bands, sfreq):
    _validate_type(bands, dict, "bands")
    if not bands:
        raise ValueError("bands must name at least one band, got {}.")
    for name, (lo, hi) in bands.items():
        if not 0 <= lo < hi <= sfreq / 2:
            raise ValueError(
                f"Band {name!r} = ({lo}, {hi}) Hz must satisfy 0 <= low < high <= "
                f"Nyquist ({sfreq / 2} Hz)."
            )
    return bands


def band_power(data, sfreq, bands):
    """Mean Welch PSD per band: (n_epochs, n_channels, n_bands)."""
    lo = min(b[0] for b in bands.values())
    hi = max(b[1] for b in bands.values())
    psd, freqs = welch_psd(data, sfreq, lo, hi)
    out = []
    for name, (fl, fh) in bands.items():
        sel = (freqs >= fl) & (freqs < fh) if fh < hi else (freqs >= fl)
        sel &= freqs <= fh
        if not sel.any():
            raise PreconditionError(
                f"Band {name!r} ({fl}-{fh} Hz) holds no frequency bin at the "
                f"Welch resolution {freqs[1] - freqs[0]:.3g} Hz; use longer epochs."
            )
        out.append(psd[..., sel].mean(-1))
    return np.stack(out, -1)


@verbose
def band_similarity(
    real,
    generated,
    *,
    bands=FREQ_BANDS,
    sfreq=None,
    match="auto",
    verbose=None,
) -> xr.Dataset:
    """Per-band similarity of band power, level and topography, in [0, 1].

    ``P_r[c, b]`` and ``P_g[c, b]`` are the mean Welch band powers of channel
    ``c`` in band ``b`` over the matched real epochs and over the generated
    epochs (a distribution-level statistic: a perfect generator scores 1 even
    though single epochs differ). Then::

        level[b] = mean_c  min(P_r[c, b], P_g[c, b]) / max(P_r[c, b], P_g[c, b])
        topo[b]  = max(0, pearson_c(log P_r[:, b], log P_g[:, b]))

    ``level`` is 1 only for identical band power per channel and is sensitive
    to amplitude (a generator twice too large scores 0.25); ``topo`` measures
    the spatial pattern alone (0 for unrelated or inverted maps).

    Parameters
    ----------
    %(real_generated)s
    %(bands)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Variables ``level`` and ``topo`` on dim ``band``.
    """
    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    sf = need_sfreq(r, "band_similarity")
    bands = check_bands(bands, sf)
    pr = band_power(r.data[matched_real(r, groups)], sf, bands).mean(0)
    pg = band_power(g.data, sf, bands).mean(0)
    level = (np.minimum(pr, pg) / np.maximum(np.maximum(pr, pg), EPS)).mean(0)
    lr, lg = np.log(np.maximum(pr, EPS)), np.log(np.maximum(pg, EPS))
    if lr.shape[0] > 1:
        topo = np.maximum(corr_t(lr.T, lg.T), 0.0)
        # identical (even flat) patterns are perfectly similar
        topo[np.all(np.isclose(lr, lg), axis=0)] = 1.0
    else:
        topo = np.full(len(bands), np.nan)
    return xr.Dataset(
        {"level": ("band", level), "topo": ("band", topo)},
        coords={"band": list(bands)},
        attrs={"bands_hz": str(dict(bands))},
    )


@verbose
def psd_distance(
    real,
    generated,
    *,
    fmin=1.0,
    fmax=45.0,
    sfreq=None,
    match="auto",
    verbose=None,
) -> float:
    """Root-mean-square difference of log power spectra, in dB.

    With ``S_r[c, f]`` and ``S_g[c, f]`` the Welch PSDs
    (:func:`mne.time_frequency.psd_array_welch`, 2-s Hamming windows, or the
    whole epoch when shorter: 0.5 Hz bins for 2-s clips) averaged over the
    matched real epochs and over the generated epochs::

        psd_distance = sqrt(mean over c, f in [fmin, fmax] of
                            (10 log10 S_g[c, f] - 10 log10 S_r[c, f]) ** 2)

    Identical spectra give 0; a generator twice too large gives 6.02 dB.

    Parameters
    ----------
    %(real_generated)s
    fmin, fmax : float
        Frequency range in Hz.
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    distance : float
        In dB, >= 0.
    """
    r, g, groups = prepare_pair(real, generated, sfreq=sfreq, match=match)
    sf = need_sfreq(r, "psd_distance")
    if not 0 <= fmin < fmax <= sf / 2:
        raise ValueError(
            f"Need 0 <= fmin < fmax <= Nyquist ({sf / 2} Hz), got fmin={fmin}, "
            f"fmax={fmax}."
        )
    sr, _ = welch_psd(r.data[matched_real(r, groups)], sf, fmin, fmax)
    sg, _ = welch_psd(g.data, sf, fmin, fmax)
    db_r = 10 * np.log10(np.maximum(sr.mean(0), EPS))
    db_g = 10 * np.log10(np.maximum(sg.mean(0), EPS))
    return float(np.sqrt(np.mean((db_g - db_r) ** 2)))


def log_band_features(data, sfreq, bands):
    return np.log(np.maximum(band_power(data, sfreq, bands), EPS)).reshape(
        len(data), -1
    )
