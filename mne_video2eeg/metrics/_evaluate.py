"""All metrics into one xarray.Dataset."""

from __future__ import annotations

import mne
import xarray as xr
from mne.utils import fill_doc, logger, verbose

from .._bands import FREQ_BANDS
from ..utils._checks import (
    _check_option,
    _validate_type,
)
from ._distribution import eeg_fid, tstr_score
from ._evoked import evoked_correlation, lagged_xcorr
from ._proper import _has_ensembles, dispersion_ratio, energy_score
from ._signal import covariance_similarity, mae, mse, pearson_correlation
from ._spectral import band_similarity, psd_distance

#: Names accepted by ``evaluate(metrics=...)``.
METRICS = (
    "mse",
    "mae",
    "pearson_correlation",
    "band_similarity",
    "psd_distance",
    "evoked_correlation",
    "lagged_xcorr",
    "energy_score",
    "dispersion_ratio",
    "covariance_similarity",
    "eeg_fid",
    "tstr_score",
)


_SIMPLE = {
    "mse": mse,
    "mae": mae,
    "pearson_correlation": pearson_correlation,
    "covariance_similarity": covariance_similarity,
}


@fill_doc
@verbose
def evaluate(
    real,
    generated,
    *,
    clean=None,
    n_samples=None,
    metrics=None,
    bands=FREQ_BANDS,
    feature_net=None,
    match="auto",
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Compute every metric of this module into one :class:`xarray.Dataset`.

    Variables (the formulas are in each function's docstring): ``mse``,
    ``mae``, ``pearson_correlation``, ``band_similarity`` and
    ``band_topography`` (dim ``band``), ``psd_distance``, ``evoked_correlation``,
    ``evoked_ceiling``, ``evoked_ratio``, ``evoked_mismatched``, ``xcorr_peak``,
    ``xcorr_lag``, ``xcorr_lag_s``, ``energy_score``, ``energy_reference``,
    ``energy_ratio``, ``dispersion_ratio`` (dim ``band``),
    ``covariance_similarity``, ``eeg_fid``, ``tstr_accuracy``,
    ``trtr_accuracy``, ``tstr_ratio``.

    Parameters
    ----------
    real, generated : mne.Epochs
        Real and generated EEG (Volts) with ``video`` (``subject``,
        ``emotion``, ``sample``) metadata.
    clean : mne.Epochs | ndarray | None
        Noise-free truth aligned with ``real`` for the evoked metrics and the
        references of ``energy_score`` and ``dispersion_ratio``.
    n_samples : int | None
        K for the evoked metrics, ``energy_score`` and ``dispersion_ratio``
        (default: all samples per key).
    metrics : list of str | None
        Subset of ``("mse", "mae", "pearson_correlation", "band_similarity",
        "psd_distance", "evoked_correlation", "lagged_xcorr", "energy_score",
        "dispersion_ratio", "covariance_similarity", "eeg_fid",
        "tstr_score")``; None = all. ``eeg_fid`` and ``tstr_score`` need
        ``emotion`` labels, ``energy_score`` and ``dispersion_ratio`` at least
        2 generated samples per key; each is skipped (with a log message) when
        that is absent.
    bands : dict of str -> (float, float)
        Band edges in Hz.
    feature_net : EEGFeatureNet | None
        A fitted feature network for ``eeg_fid``.
    match : "auto" | "video" | "video+subject"
        Matching key (see :mod:`mne_video2eeg.metrics`).
    random_state : int | None
        Seed for ``eeg_fid`` training, ``tstr_score`` folds and the reference
        ensembles of ``energy_score``.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
    """
    if metrics is None:
        metrics = list(METRICS)
    _validate_type(metrics, (list, tuple), "metrics")
    for m in metrics:
        _check_option("metrics", m, METRICS)
    kw = dict(match=match, verbose=False)
    out = {}
    labelled = all(
        isinstance(x, mne.BaseEpochs)
        and x.metadata is not None
        and "emotion" in x.metadata.columns
        for x in (real, generated)
    )
    for m in metrics:
        logger.info(f"Computing {m}")
        if m in ("mse", "mae", "pearson_correlation", "covariance_similarity"):
            out[m] = _SIMPLE[m](real, generated, **kw)
        elif m == "band_similarity":
            ds = band_similarity(real, generated, bands=bands, **kw)
            out["band_similarity"] = ds["level"]
            out["band_topography"] = ds["topo"]
        elif m == "psd_distance":
            out[m] = psd_distance(real, generated, **kw)
        elif m == "evoked_correlation":
            ds = evoked_correlation(
                real, generated, clean=clean, n_samples=n_samples, **kw
            )
            out["evoked_correlation"] = ds["value"]
            out["evoked_ceiling"] = ds["ceiling"]
            out["evoked_ratio"] = ds["ratio"]
            out["evoked_mismatched"] = ds["mismatched"]
        elif m == "lagged_xcorr":
            ds = lagged_xcorr(real, generated, clean=clean, n_samples=n_samples, **kw)
            out["xcorr_peak"] = ds["peak"]
            out["xcorr_lag"] = ds["lag"]
            out["xcorr_lag_s"] = ds["lag_s"]
        elif m in ("energy_score", "dispersion_ratio"):
            if not _has_ensembles(real, generated, match, n_samples):
                logger.info(
                    f"Skipping {m}: needs Epochs with 'video' metadata and at "
                    "least 2 generated samples per key"
                )
            elif m == "energy_score":
                ds = energy_score(
                    real,
                    generated,
                    clean=clean,
                    n_samples=n_samples,
                    random_state=random_state,
                    **kw,
                )
                out["energy_score"] = ds["value"]
                out["energy_reference"] = ds["reference"]
                out["energy_ratio"] = ds["ratio"]
            else:
                ds = dispersion_ratio(
                    real, generated, clean=clean, bands=bands, n_samples=n_samples, **kw
                )
                out["dispersion_ratio"] = ds["ratio"]
        elif not labelled:
            logger.info(f"Skipping {m}: needs Epochs with 'emotion' metadata")
        elif m == "eeg_fid":
            out[m] = eeg_fid(
                real,
                generated,
                feature_net=feature_net,
                random_state=random_state,
                **kw,
            )
        elif m == "tstr_score":
            ds = tstr_score(
                real, generated, bands=bands, random_state=random_state, verbose=False
            )
            out["tstr_accuracy"] = ds["tstr"]
            out["trtr_accuracy"] = ds["trtr"]
            out["tstr_ratio"] = ds["ratio"]
    data = {
        k: (v if isinstance(v, xr.DataArray) else xr.DataArray(float(v)))
        for k, v in out.items()
    }
    return xr.Dataset(data)
