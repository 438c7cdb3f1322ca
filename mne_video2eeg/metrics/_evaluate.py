"""All metrics into one xarray.Dataset."""

from __future__ import annotations

import inspect

import xarray as xr
from mne.utils import logger

from .._bands import FREQ_BANDS
from ..utils._checks import _check_option, _validate_type
from ..utils._docs import verbose
from ._distribution import eeg_fid, tstr_score
from ._evoked import evoked_correlation, lagged_xcorr
from ._match import PreconditionError
from ._proper import dispersion_ratio, energy_score
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

# metric -> (function, {output variable: variable of the function's Dataset});
# None: the function returns one number, stored under the metric's name.
_TABLE = {
    "mse": (mse, None),
    "mae": (mae, None),
    "pearson_correlation": (pearson_correlation, None),
    "band_similarity": (
        band_similarity,
        {"band_similarity": "level", "band_topography": "topo"},
    ),
    "psd_distance": (psd_distance, None),
    "evoked_correlation": (
        evoked_correlation,
        {
            "evoked_correlation": "value",
            "evoked_ceiling": "ceiling",
            "evoked_ratio": "ratio",
            "evoked_mismatched": "mismatched",
        },
    ),
    "lagged_xcorr": (
        lagged_xcorr,
        {"xcorr_peak": "peak", "xcorr_lag": "lag", "xcorr_lag_s": "lag_s"},
    ),
    "energy_score": (
        energy_score,
        {
            "energy_score": "value",
            "energy_reference": "reference",
            "energy_ratio": "ratio",
        },
    ),
    "dispersion_ratio": (dispersion_ratio, {"dispersion_ratio": "ratio"}),
    "covariance_similarity": (covariance_similarity, None),
    "eeg_fid": (eeg_fid, None),
    "tstr_score": (
        tstr_score,
        {"tstr_accuracy": "tstr", "trtr_accuracy": "trtr", "tstr_ratio": "ratio"},
    ),
}
assert tuple(_TABLE) == METRICS


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

    Each metric gets the options below that it takes.

    Parameters
    ----------
    %(real_generated)s
    %(clean)s
        It is the reference of the evoked metrics and sets the references of
        ``energy_score`` and ``dispersion_ratio``.
    %(n_samples_per_key)s
    metrics : list of str | None
        Subset of :data:`METRICS`; None computes all of them that these data
        allow. Some metrics have preconditions on the data: ``eeg_fid`` needs
        ``emotion`` labels in ``real`` (without ``feature_net``),
        ``tstr_score`` at least 2 emotions on each side and 2 real epochs per
        emotion, ``energy_score`` and ``dispersion_ratio`` at least 2
        generated samples per key, ``covariance_similarity`` 3 channels. With
        ``metrics=None`` a metric whose preconditions are not met is skipped
        (one log line says why, and the output's attrs list it); a metric
        named in ``metrics`` raises instead.
    %(bands)s
    %(feature_net)s
    %(match)s
    random_state : int | numpy.random.Generator | None
        Seed of the ``eeg_fid`` network training, the ``tstr_score`` folds and
        the reference ensembles of ``energy_score``.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        The variables above, of the metrics computed. ``attrs["skipped"]``
        names the skipped metrics (comma-separated, empty when none) and
        ``attrs["skipped_<metric>"]`` gives each one's reason.
    """
    explicit = metrics is not None
    if metrics is None:
        metrics = list(METRICS)
    _validate_type(metrics, (list, tuple), "metrics")
    for m in metrics:
        _check_option("metrics", m, METRICS)
    options = dict(
        clean=clean,
        n_samples=n_samples,
        bands=bands,
        feature_net=feature_net,
        match=match,
        random_state=random_state,
    )
    out, skipped = {}, {}
    for m in metrics:
        func, names = _TABLE[m]
        taken = inspect.signature(func).parameters
        kw = {k: v for k, v in options.items() if k in taken}
        logger.info(f"Computing {m}")
        try:
            result = func(real, generated, **kw, verbose=False)
        except PreconditionError as err:
            if explicit:
                raise
            logger.info(f"Skipping {m}: {err}")
            skipped[m] = str(err)
            continue
        if names is None:
            out[m] = xr.DataArray(float(result))
        else:
            out.update({name: result[var] for name, var in names.items()})
    attrs = {"skipped": ", ".join(skipped)}
    attrs.update({f"skipped_{m}": why for m, why in skipped.items()})
    return xr.Dataset(out, attrs=attrs)
