"""Proper scores: the energy score of the K samples, and their dispersion.

The evoked correlation rewards samples with too little variance: the average
of K shrunk samples is less noisy, so it correlates better with the real
average. The scores here cannot be won that way:

* :func:`energy_score` scores the K samples of a key as an ensemble forecast
  of each real clip of that key. It is a proper scoring rule: in expectation no
  ensemble beats one drawn from the true process, so shrinking (or inflating)
  the samples makes it worse. Lower is better; its reference is the score of
  an ensemble from the true process.
* :func:`dispersion_ratio` says which way the spread is off: the samples'
  within-key variance over the real residual variance, per band (1 = right,
  below 1 = under-dispersed).
"""

from __future__ import annotations

import mne
import numpy as np
import xarray as xr
from mne.utils import logger, warn

from .._bands import FREQ_BANDS
from ..utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
)
from ..utils._docs import verbose
from ._evoked import as_clean
from ._match import (
    EPS,
    PreconditionError,
    first_samples,
    has_column,
    key_coords,
    key_list,
    matched_real,
    need_sfreq,
    prepare_pair,
)
from ._spectral import band_power, check_bands

_SCALES = ("std", "uV")


def _picked(inst, picks, name: str):
    """``inst`` restricted to ``picks`` (Epochs: names/types; arrays: indices)."""
    if picks is None:
        return inst
    if isinstance(inst, mne.BaseEpochs):
        try:
            return inst.copy().pick(picks)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"picks={picks!r} does not select channels of {name}: {err}"
            ) from None
    if isinstance(inst, np.ndarray) and inst.ndim == 3:
        idx = np.atleast_1d(np.asarray(picks))
        if idx.dtype.kind not in "iu":
            raise TypeError(
                f"picks for array input must be channel indices (ints), got "
                f"{picks!r}; pass mne.Epochs to pick channels by name or type."
            )
        if idx.size == 0 or idx.min() < -inst.shape[1] or idx.max() >= inst.shape[1]:
            raise ValueError(
                f"picks={picks!r} does not select channels of {name}, which has "
                f"{inst.shape[1]} channels; pass indices 0..{inst.shape[1] - 1}."
            )
        return inst[:, idx]
    return inst  # as_eeg names the wrong type


def _ensembles(real, generated, *, picks, n_samples, sfreq, match, what):
    """Pair the picked channels; return r, g, groups and each key's ensemble.

    The ensemble of a key is its generated indices (the first K samples);
    every key needs at least 2.
    """
    if n_samples is not None:
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
    r, g, groups = prepare_pair(
        _picked(real, picks, "real"),
        _picked(generated, picks, "generated"),
        sfreq=sfreq,
        match=match,
    )
    out = [first_samples(g, gi, n_samples) for _, _, gi in groups]
    few = [k for (k, _, _), gi in zip(groups, out, strict=True) if len(gi) < 2]
    if few:
        if g.metadata is None:
            raise PreconditionError(
                f"{what} needs an ensemble of at least 2 generated samples per key, "
                "but arrays are matched epoch by epoch (K = 1); pass mne.Epochs "
                "whose metadata has 'video' (and 'sample') so that the K samples "
                "of a video are grouped."
            )
        raise PreconditionError(
            f"{what} needs an ensemble of at least 2 generated samples per key, "
            f"but {len(few)} key(s) have fewer, e.g. {few[:3]}; generate "
            "n_samples >= 2 per video (Video2EEGGenerator.generate(..., "
            "n_samples=K)) or leave n_samples=None."
        )
    return r, g, groups, out


def _es(obs: np.ndarray, ens: np.ndarray) -> float:
    """Fair energy score of ``ens`` (M, C, T) for ``obs`` (C, T), per sqrt(C T)."""
    import scoringrules as sr

    d = obs.size
    val = sr.es_ensemble(
        obs.reshape(d), ens.reshape(len(ens), d), m_axis=-2, v_axis=-1, estimator="fair"
    )
    return float(val) / np.sqrt(d)


@verbose
def energy_score(
    real,
    generated,
    *,
    clean=None,
    n_samples=None,
    scale="std",
    picks=None,
    sfreq=None,
    match="auto",
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Energy score of the K generated samples as a forecast of each real clip.

    A proper scoring rule for multivariate samples: lower is better, and in
    expectation no ensemble beats one drawn from the true process, so shrinking
    the samples towards their mean (which raises the evoked correlation)
    makes it worse. For each real clip ``y`` and the ``K`` generated samples
    ``x_1 .. x_K`` of its key (video[, subject]), each clip one vector of
    ``D = n_channels * n_times`` numbers (channels x times flattened, so that
    spatial and temporal structure both count), with the unbiased ("fair")
    estimator of :func:`scoringrules.es_ensemble`::

        ES = [ (1/K) sum_k ||x_k - y|| - 1/(2 K (K-1)) sum_{k,j} ||x_k - x_j|| ]
             / sqrt(D)

    Before the norm every channel ``c`` is divided by ``s_c``, the standard
    deviation of the matched real clips on that channel (over clips and times;
    ``scale="std"``, so each channel counts alike and ES is in units of the
    real data's s.d.), or multiplied by 1e6 (``scale="uV"``, microvolts). The
    division by ``sqrt(D)`` makes it a per-number RMS scale: for large D the
    true process (truth + noise of RMS ``sigma`` per number, in those units)
    scores about ``(sqrt(2) - 1/sqrt(2)) * sigma = 0.71 sigma`` whatever its
    signal. The fair estimator's expectation does not depend on K, so scores
    with different K compare. Memory: ``K**2 * D`` floats per real clip.
    ``by_key`` is the mean ES over the real clips of each key and ``value`` its
    mean over keys.

    ``reference`` is the same score for an ensemble drawn from the true process,
    scored against the same real clips, i.e. what a perfect generator scores
    (ES can only be read against it, as it grows with the noise):

    * ``clean`` given (noise-free truth of each real clip, as from the
      simulator): the ensemble of real clip ``i`` is ``clean_i + (real_j -
      clean_j)`` for ``min(K, n_pool)`` residuals ``j != i`` drawn at random
      from the real clips of the same subject (all real clips when the subject
      has fewer than 3 or there is no ``subject`` column): the true signal plus
      real noise with the real residual's covariance and spectrum.
    * no ``clean`` (real data): leave-one-out, the ensemble of real clip ``i``
      is ``min(K, n_r - 1)`` of the OTHER real clips of its key (repetitions of
      the same video), drawn at random: what a perfect generator scores when
      repetitions are exchangeable draws. Keys with fewer than 3 real clips
      have no reference (NaN); with none at all ``reference`` is NaN (pass
      ``clean=...`` or ``match="video"`` to pool subjects as repetitions).

    ``ratio = mean_k ES_k / mean_k ES_ref,k`` over the keys with a reference:
    1 = as good as the true process, above 1 = worse (a shrunk, inflated or
    wrongly centred generator); below 1 only by chance.

    Parameters
    ----------
    %(real_generated)s
        Each key needs an ensemble of K >= 2 generated samples (``sample``
        metadata), so arrays, paired epoch by epoch (K = 1), are refused.
    %(clean)s
        It sets the reference as above.
    %(n_samples_per_key)s
    scale : "std" | "uV"
        Units of the score: real per-channel s.d., or microvolts.
    %(picks_channels)s
    %(sfreq_arrays)s
    %(match)s
    random_state : int | numpy.random.Generator | None
        Seed of the reference ensembles' draws.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``value``, ``reference``, ``ratio``; ``by_key`` and
        ``reference_by_key`` on dim ``key`` (coords ``video``, ``subject`` when
        keyed by subject, ``n_real``, ``n_generated``); attrs ``scale``,
        ``estimator`` and ``reference`` (what the reference is).
    """
    _check_option("scale", scale, _SCALES)
    rng = _check_random_state(random_state)
    r, g, groups, ens = _ensembles(
        real,
        generated,
        picks=picks,
        n_samples=n_samples,
        sfreq=sfreq,
        match=match,
        what="energy_score",
    )
    cl = None if clean is None else as_clean(_picked(clean, picks, "clean"), r)
    if scale == "std":
        sd = r.data[matched_real(r, groups)].std(axis=(0, 2))
        factor = 1.0 / np.where(sd > 0, sd, 1.0)
    else:
        factor = np.full(r.data.shape[1], 1e6)
    zr = r.data * factor[:, None]
    zg = g.data * factor[:, None]
    pools = None
    if cl is not None:
        zc = cl * factor[:, None]
        resid = zr - zc
        subj = key_list(r.metadata, ["subject"]) if has_column(r, "subject") else None
        pools = []
        everyone = np.arange(len(zr))
        for i in everyone:
            same = everyone if subj is None else everyone[[s == subj[i] for s in subj]]
            pool = same[same != i] if len(same) >= 3 else everyone[everyone != i]
            pools.append(pool)
    by_key, ref_by_key = [], []
    for (_, ri, _), gi in zip(groups, ens, strict=True):
        vals, refs = [], []
        for i in ri:
            vals.append(_es(zr[i], zg[gi]))
            if cl is not None:
                pool = pools[i]
                if len(pool) < 2:
                    refs.append(np.nan)
                    continue
                pick = rng.choice(pool, min(len(gi), len(pool)), replace=False)
                refs.append(_es(zr[i], zc[i] + resid[pick]))
            else:
                others = ri[ri != i]
                if len(others) < 2:
                    refs.append(np.nan)
                    continue
                pick = rng.choice(others, min(len(gi), len(others)), replace=False)
                refs.append(_es(zr[i], zr[pick]))
        by_key.append(float(np.mean(vals)))
        ref_by_key.append(float(np.mean(refs)))
    by_key, ref_by_key = np.array(by_key), np.array(ref_by_key)
    value = float(by_key.mean())
    ok = np.isfinite(ref_by_key)
    if ok.any():
        reference = float(ref_by_key[ok].mean())
        ratio = float(by_key[ok].mean()) / max(reference, EPS)
        if not ok.all():
            logger.info(
                f"energy_score: {int((~ok).sum())} of {len(ok)} keys have fewer "
                "than 3 real clips and no reference; ratio uses the others."
            )
    else:
        warn(
            "energy_score: no reference ensemble could be drawn (it needs 3 real "
            "clips of a key, or with clean= 3 real clips for the residuals), so "
            "the reference is NaN; pass clean=..., more clips, or match='video'."
        )
        reference = ratio = np.nan
    if cl is not None:
        kind = "clean truth + real residuals of other clips (true process)"
    else:
        kind = "leave-one-out: other real clips of the same key"
    logger.info(
        f"energy score {value:.4f} (reference {reference:.4f}, ratio "
        f"{ratio:.3f}) over {len(groups)} keys; lower is better"
    )
    return xr.Dataset(
        {
            "value": value,
            "reference": reference,
            "ratio": ratio,
            "by_key": ("key", by_key),
            "reference_by_key": ("key", ref_by_key),
        },
        coords={
            **key_coords([k for k, _, _ in groups]),
            "n_real": ("key", [len(ri) for _, ri, _ in groups]),
            "n_generated": ("key", [len(gi) for gi in ens]),
        },
        attrs={
            "scale": "real per-channel s.d." if scale == "std" else "microvolts",
            "estimator": "fair",
            "reference": kind,
            "lower_is_better": 1,
        },
    )


@verbose
def dispersion_ratio(
    real,
    generated,
    *,
    clean=None,
    bands=FREQ_BANDS,
    n_samples=None,
    picks=None,
    sfreq=None,
    match="auto",
    verbose=None,
) -> xr.Dataset:
    """Spread of the K generated samples over the real residual spread, per band.

    With ``P_b(x)[c]`` the mean Welch PSD of channel ``c`` over the bins of band
    ``b`` (proportional to the variance of ``x`` band-passed to ``b``; the same
    estimator as :func:`band_similarity`), the generated within-key variance,
    pooled over keys ``k`` with ``K_k`` samples of mean ``gbar_k``, is::

        V_g[c, b] = sum_k sum_i P_b(g_ki - gbar_k)[c] / sum_k (K_k - 1)

    and the real residual variance is::

        V_r[c, b] = mean_i P_b(real_i - clean_i)[c]                 (clean given)
        V_r[c, b] = sum_k sum_i P_b(r_ki - rbar_k)[c] / sum_k (n_k - 1)

    the second over the matched keys with ``n_k >= 2`` real clips (real clips
    minus the mean of their key's repetitions); the ``n / (n - 1)`` factors
    undo the variance the key mean takes away, so both are unbiased for the
    variance around the true key mean. Then::

        ratio[b]            = sum_c V_g[c, b] / sum_c V_r[c, b]
        channel_ratio[c, b] = V_g[c, b] / V_r[c, b]

    1 = the right spread, below 1 = under-dispersed (e.g. 0.25 for samples
    shrunk to half their deviation from the mean), above 1 = over-dispersed.
    With one real clip per key and no ``clean`` there is no residual to compare
    with: ``ratio`` is NaN (with a warning; pass ``clean=...`` or
    ``match="video"`` to pool subjects as repetitions).

    Parameters
    ----------
    %(real_generated)s
        Each key needs an ensemble of K >= 2 generated samples (``sample``
        metadata), so arrays, paired epoch by epoch (K = 1), are refused.
    %(clean)s
        The real residuals are then ``real - clean``.
    %(bands)s
    %(n_samples_per_key)s
    %(picks_channels)s
    %(sfreq_arrays)s
    %(match)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        ``ratio``, ``generated_var`` and ``real_var`` (sums over channels, V^2/Hz)
        on dim ``band``; ``channel_ratio`` on dims ``(channel, band)``.
    """
    r, g, groups, ens = _ensembles(
        real,
        generated,
        picks=picks,
        n_samples=n_samples,
        sfreq=sfreq,
        match=match,
        what="dispersion_ratio",
    )
    sf = need_sfreq(r, "dispersion_ratio")
    bands = check_bands(bands, sf)
    dev = np.concatenate([g.data[gi] - g.data[gi].mean(0) for gi in ens])
    dof_g = sum(len(gi) - 1 for gi in ens)
    v_g = band_power(dev, sf, bands).sum(0) / dof_g  # (n_ch, n_bands)
    if clean is not None:
        cl = as_clean(_picked(clean, picks, "clean"), r)
        idx = matched_real(r, groups)
        v_r = band_power(r.data[idx] - cl[idx], sf, bands).mean(0)
    else:
        reps = [ri for _, ri, _ in groups if len(ri) >= 2]
        if reps:
            res = np.concatenate([r.data[ri] - r.data[ri].mean(0) for ri in reps])
            v_r = band_power(res, sf, bands).sum(0) / sum(len(ri) - 1 for ri in reps)
        else:
            warn(
                "dispersion_ratio: one real clip per key and no clean truth, so "
                "there is no real residual variance and the ratio is NaN; pass "
                "clean=... or match='video'."
            )
            v_r = np.full_like(v_g, np.nan)
    tot_r = v_r.sum(0)
    ratio = v_g.sum(0) / np.maximum(tot_r, EPS)
    ch_ratio = v_g / np.maximum(v_r, EPS)
    names = r.ch_names or [str(k) for k in range(r.data.shape[1])]
    logger.info(
        "dispersion ratio "
        + ", ".join(f"{b} {v:.2f}" for b, v in zip(bands, ratio, strict=True))
    )
    return xr.Dataset(
        {
            "ratio": ("band", ratio),
            "generated_var": ("band", v_g.sum(0)),
            "real_var": ("band", tot_r),
            "channel_ratio": (("channel", "band"), ch_ratio),
        },
        coords={"band": list(bands), "channel": names},
        attrs={"bands_hz": str(dict(bands))},
    )
