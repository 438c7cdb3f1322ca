"""Stimulus-following scores: does the EEG follow the video, real or generated.

Each score is computed by the same code on real and on generated
:class:`mne.Epochs` (Volts, ``metadata`` with ``video`` and optionally
``subject``), so that real clips give the ceiling the generated ones are read
against:

* :func:`evoked_split_half`: how reproducible the real average of a video is
  (the ceiling of an evoked correlation);
* :func:`template_identification`: which video a single clip belongs to, by
  correlation with the real average of each video;
* :func:`ssvep_snr`: the steady-state response at a flicker frequency and its
  harmonics over the neighbouring noise.

The evoked correlation of the mean of K generated clips with the real average
of their video is :func:`~mne_video2eeg.metrics.evoked_correlation` (one
definition; :func:`evoked_split_half` uses the same per-channel formula).
"""

from __future__ import annotations

import mne
import numpy as np
import pandas as pd
import xarray as xr
from mne.utils import logger, warn
from scipy.signal import detrend

from ..utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
    _validate_type,
)
from ..utils._docs import verbose
from ._match import corr_t, key_coords, key_list

_BY = ("video", "video+subject")


# --------------------------------------------------------------------------- #
# shared helpers


def _occipital_names(ch_names) -> list[str]:
    """Channels over the visual cortex: O*, *PO*, *Oz*, *Iz* (any case)."""
    out = []
    for name in ch_names:
        up = name.upper()
        if up.startswith("O") or "PO" in up or "OZ" in up or "IZ" in up:
            out.append(name)
    return out


def _pick(inst: mne.BaseEpochs, picks, name: str) -> tuple[np.ndarray, list[str]]:
    """Return the picked data (n_epochs, n_picked, n_times) in float64 and names."""
    if isinstance(picks, str) and picks == "occipital":
        names = _occipital_names(inst.ch_names)
        if not names:
            raise ValueError(
                f"{name} has no occipital channel (names starting with 'O' or "
                f"holding 'PO', 'Oz' or 'Iz'); its channels are "
                f"{inst.ch_names[:10]}... Pass picks=[...] with the channels to use."
            )
        idx = [inst.ch_names.index(n) for n in names]
    elif picks is None:
        idx = mne.pick_types(inst.info, eeg=True, exclude=())
        if len(idx) == 0:
            raise ValueError(f"{name} has no EEG channel; pass picks=[...].")
    else:
        try:
            chosen = inst.copy().pick(picks).ch_names
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"picks={picks!r} does not select channels of {name}: {err}"
            ) from None
        idx = [inst.ch_names.index(n) for n in chosen]
    idx = np.asarray(idx, int)
    data = np.asarray(inst.get_data(picks=idx), float)
    if not np.isfinite(data).all():
        raise ValueError(
            f"{name} holds NaN/inf values; drop or repair those epochs first."
        )
    return data, [inst.ch_names[k] for k in idx]


def _check_clips(inst, name: str, by: str) -> pd.DataFrame:
    """Validate Epochs with the metadata needed to key clips; return it."""
    if not isinstance(inst, mne.BaseEpochs):
        raise TypeError(
            f"{name} must be mne.Epochs whose metadata has a 'video' column, got "
            f"{type(inst).__name__}; wrap arrays with mne.EpochsArray(data, info, "
            "metadata=...)."
        )
    if len(inst) == 0:
        raise ValueError(f"{name} holds no epochs.")
    need = ["video"] + (["subject"] if by == "video+subject" else [])
    md = inst.metadata
    missing = [c for c in need if md is None or c not in md.columns]
    if missing:
        raise ValueError(
            f"{name}.metadata lacks the column(s) {missing} needed for by={by!r}; "
            f"set {name}.metadata = pandas.DataFrame(...) with them."
        )
    return md.reset_index(drop=True)


def _keys(md: pd.DataFrame, by: str) -> list[tuple[str, ...]]:
    return key_list(md, ["video"] if by == "video" else ["video", "subject"])


def _centre(x: np.ndarray) -> np.ndarray:
    return x - x.mean(-1, keepdims=True)


# --------------------------------------------------------------------------- #
# split-half reliability of the real averages


@verbose
def evoked_split_half(
    real: mne.BaseEpochs,
    *,
    by: str = "video",
    picks=None,
    n_repeats: int = 10,
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Split-half reliability of the real average of each video (the ceiling).

    For each key (video, or video and subject) the ``n`` real clips are
    shuffled and split into two disjoint halves of ``floor(n / 2)`` and
    ``ceil(n / 2)`` clips; with ``a`` and ``b`` the averages of the halves::

        r_key = mean over repeats, channels c of pearson_t(a[c], b[c])

    i.e. the same per-channel formula as
    :func:`~mne_video2eeg.metrics.evoked_correlation`, averaged over
    ``n_repeats`` random splits (fewer sampling fluctuations, the same
    expectation). The Spearman-Brown correction is *not* applied: ``value`` is
    the correlation of two half-size averages, the raw "real split-half".
    ``value`` is the mean of ``r_key`` over keys.

    Parameters
    ----------
    real : mne.Epochs
        Real clips (Volts) with ``video`` (and, for ``by="video+subject"``,
        ``subject``) in ``metadata``.
    %(by_following)s
        One average is taken over the clips of a key.
    %(picks_following)s
    n_repeats : int
        Random splits averaged per key.
    random_state : int | numpy.random.Generator | None
        Seed of the splits.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        ``split_half`` on dim ``key`` (coords ``video`` and, when keyed by
        subject, ``subject``; ``n_clips``), scalar ``value`` (mean over keys),
        attrs ``channels``.
    """
    _check_option("by", by, _BY)
    md = _check_clips(real, "real", by)
    n_repeats = _check_positive(n_repeats, "n_repeats", integer=True)
    rng = _check_random_state(random_state)
    data, names = _pick(real, picks, "real")
    rows: dict[tuple, list[int]] = {}
    for i, k in enumerate(_keys(md, by)):
        rows.setdefault(k, []).append(i)
    uniq = sorted(rows)
    few = [k for k in uniq if len(rows[k]) < 2]
    if few:
        raise ValueError(
            f"evoked_split_half needs at least 2 clips per key, but {len(few)} "
            f"key(s) have one, e.g. {few[:3]}; drop them or use by='video'."
        )
    r = np.empty(len(uniq))
    for i, k in enumerate(uniq):
        idx = np.asarray(rows[k])
        vals = []
        for _ in range(n_repeats):
            perm = rng.permutation(idx)
            h = len(perm) // 2
            a, b = data[perm[:h]].mean(0), data[perm[h:]].mean(0)
            vals.append(corr_t(a, b).mean())
        r[i] = float(np.mean(vals))
    value = float(r.mean())
    logger.info(f"split-half evoked r {value:.3f} over {len(uniq)} keys ({by})")
    return xr.Dataset(
        {"split_half": ("key", r), "value": value},
        coords={
            **key_coords(uniq),
            "n_clips": ("key", [len(rows[k]) for k in uniq]),
        },
        attrs={"channels": ",".join(names), "by": by, "n_repeats": n_repeats},
    )


# --------------------------------------------------------------------------- #
# template identification


def _same_clips(a: mne.BaseEpochs, b: mne.BaseEpochs) -> bool:
    if a is b:
        return True
    if len(a) != len(b) or a.ch_names != b.ch_names or len(a.times) != len(b.times):
        return False
    return bool(np.array_equal(a.get_data(), b.get_data()))


@verbose
def template_identification(
    real_templates_source: mne.BaseEpochs,
    candidates: mne.BaseEpochs | None = None,
    *,
    by: str = "video",
    leave_one_out: bool = True,
    picks=None,
    verbose=None,
) -> xr.Dataset:
    """Identify the video of single clips by correlation with real templates.

    The template of video ``v`` is the average of the real clips of ``v``
    (``real_templates_source``). Each channel of a clip and of a template is
    centred over time, the picked channels are concatenated into one vector,
    and a candidate clip ``x`` is assigned to::

        v_hat(x) = argmax_v pearson(x, template_v)

    ``accuracy`` is the fraction of candidates whose ``v_hat`` is their own
    video; ``chance = 1 / n_videos``. With ``by="video+subject"`` the templates
    are per subject and a candidate competes only among its own subject's
    templates (chance ``1 / n_videos`` of that subject, averaged).

    Leave-one-out: when the candidates are the template clips themselves
    (``candidates=None``, the same object, or equal data) and
    ``leave_one_out=True``, each clip is compared with its own video's template
    *without* itself, ``(n T - x) / (n - 1)`` (the other videos' templates are
    unchanged): the score of single real clips, beside which single generated
    clips are read. Otherwise the templates hold every real clip.

    Parameters
    ----------
    real_templates_source : mne.Epochs
        Real clips (Volts) with ``video`` (and ``subject`` for
        ``by="video+subject"``) in ``metadata``.
    candidates : mne.Epochs | None
        Clips to identify (e.g. generated), same channels and times; None
        uses ``real_templates_source`` itself.
    %(by_following)s
        One template is the average of the real clips of a key.
    leave_one_out : bool
        Remove each real clip from its own template when the candidates are
        the template clips.
    %(picks_following)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        Scalars ``accuracy``, ``chance``, ``leave_one_out`` (whether it was
        applied); ``per_video`` accuracy on dim ``video`` (coord
        ``n_candidates``); ``confusion`` (counts) on dims ``video`` x
        ``assigned``.
    """
    _check_option("by", by, _BY)
    _validate_type(leave_one_out, bool, "leave_one_out")
    src_md = _check_clips(real_templates_source, "real_templates_source", by)
    if candidates is None:
        candidates = real_templates_source
    cand_md = _check_clips(candidates, "candidates", by)
    src, names = _pick(real_templates_source, picks, "real_templates_source")
    missing = sorted(set(names) - set(candidates.ch_names))
    if missing:
        raise ValueError(
            f"candidates lack the channel(s) {missing[:10]} of the templates; "
            "pick the same channels in both."
        )
    cand = np.asarray(candidates.get_data(picks=names), float)
    if cand.shape[-1] != src.shape[-1]:
        raise ValueError(
            "candidates and templates need the same number of samples per clip, "
            f"got {cand.shape[-1]} and {src.shape[-1]}; crop/resample them first."
        )
    if not np.isfinite(cand).all():
        raise ValueError("candidates hold NaN/inf values; drop those epochs first.")
    loo = leave_one_out and _same_clips(real_templates_source, candidates)

    src_keys, cand_keys = _keys(src_md, by), _keys(cand_md, by)
    uniq = sorted(set(src_keys))
    col = {k: i for i, k in enumerate(uniq)}
    src_idx = np.array([col[k] for k in src_keys])
    unknown = sorted(set(cand_keys) - set(uniq))
    if unknown:
        raise ValueError(
            f"{len(unknown)} candidate key(s) have no real template: {unknown[:5]}. "
            "Identify clips of videos (and subjects) present in "
            "real_templates_source."
        )
    counts = np.bincount(src_idx, minlength=len(uniq)).astype(float)
    # centred channels, so that a channel's offset does not decide the match
    src_c = _centre(src).reshape(len(src), -1)
    templates = np.stack([src_c[src_idx == i].mean(0) for i in range(len(uniq))])
    cand_c = _centre(cand).reshape(len(cand), -1)
    cand_idx = np.array([col[k] for k in cand_keys])
    # the competitors of a candidate: every template (by video) or those of
    # its subject (by video+subject)
    if by == "video":
        allowed = np.ones((len(cand), len(uniq)), bool)
    else:
        subj = np.array([k[1] for k in uniq])
        allowed = subj[None, :] == np.array([k[1] for k in cand_keys])[:, None]
    n_comp = allowed.sum(1)
    if (n_comp < 2).any():
        raise ValueError(
            "Every candidate needs at least 2 templates to choose from; some "
            "subject has a single video. Use by='video'."
        )

    def _r(x, t):  # x (n, d), t (m, d) -> (n, m)
        x = x - x.mean(-1, keepdims=True)
        t = t - t.mean(-1, keepdims=True)
        nx = np.linalg.norm(x, axis=-1, keepdims=True)
        nt = np.linalg.norm(t, axis=-1, keepdims=True)
        return (x @ t.T) / np.maximum(nx * nt.T, np.finfo(float).tiny)

    corr = _r(cand_c, templates)
    if loo:
        if (counts[cand_idx] < 2).any():
            few = sorted({uniq[i] for i in cand_idx if counts[i] < 2})
            raise ValueError(
                f"Leave-one-out templates need at least 2 clips per key, but "
                f"{few[:3]} have one; pass leave_one_out=False."
            )
        own = (counts[cand_idx, None] * templates[cand_idx] - cand_c) / (
            counts[cand_idx, None] - 1
        )
        # the correlation of each clip with its own template without itself
        x = cand_c - cand_c.mean(-1, keepdims=True)
        o = own - own.mean(-1, keepdims=True)
        num = (x * o).sum(-1)
        den = np.linalg.norm(x, axis=-1) * np.linalg.norm(o, axis=-1)
        corr[np.arange(len(cand)), cand_idx] = num / np.maximum(
            den, np.finfo(float).tiny
        )
    corr = np.where(allowed, corr, -np.inf)
    assigned = corr.argmax(1)
    hit = assigned == cand_idx
    videos = sorted({k[0] for k in uniq})
    vid_of = np.array([k[0] for k in uniq])
    cand_video = vid_of[cand_idx]
    per_video = np.array([hit[cand_video == v].mean() for v in videos])
    n_cand = np.array([(cand_video == v).sum() for v in videos])
    per_video = np.where(n_cand > 0, per_video, np.nan)
    vpos = {v: i for i, v in enumerate(videos)}
    confusion = np.zeros((len(videos), len(videos)), int)
    for c, a in zip(cand_video, vid_of[assigned], strict=True):
        confusion[vpos[c], vpos[a]] += 1
    accuracy = float(hit.mean())
    chance = float(np.mean(1.0 / n_comp))
    logger.info(
        f"template identification {accuracy:.3f} (chance {chance:.3f}) of "
        f"{len(cand)} clips among {len(videos)} videos"
        + (" (leave-one-out templates)" if loo else "")
    )
    return xr.Dataset(
        {
            "accuracy": accuracy,
            "chance": chance,
            "leave_one_out": loo,
            "per_video": ("video", per_video),
            "confusion": (("video", "assigned"), confusion),
        },
        coords={"video": videos, "assigned": videos, "n_candidates": ("video", n_cand)},
        attrs={"channels": ",".join(names), "by": by},
    )


# --------------------------------------------------------------------------- #
# SSVEP signal-to-noise ratio


@verbose
def ssvep_snr(
    epochs,
    freqs,
    *,
    n_harmonics: int = 3,
    picks="occipital",
    bandwidth: float = 2.0,
    sfreq: float | None = None,
    verbose=None,
) -> xr.Dataset:
    """Steady-state response power over its spectral neighbourhood.

    The power spectrum is the clip-averaged periodogram: the FFT of each whole
    clip (boxcar window, each channel's least-squares line removed: the slow
    drift of a recording without high-pass leaks through the boxcar's
    sidelobes into the neighbourhood and would lower the SNR),
    ``P[c, k] = mean over clips |rfft(x[c])[k]|^2`` (up to a constant, the
    Welch estimate with one segment per clip,
    ``scipy.signal.welch(x, window="boxcar", nperseg=n_times,
    detrend="linear")``). One segment per clip gives the finest resolution
    (``df = 1 / clip length``, 0.5 Hz for 2-s clips), so that a steady
    response falls in one bin (exactly, when the clip holds a whole number of
    cycles) while the broadband noise spreads evenly; Welch's shorter
    tapered segments (:func:`mne.time_frequency.psd_array_welch`'s default)
    would smear the peak into the neighbours that are the noise estimate.
    This is the SNR of MNE's SSVEP tutorial. For each
    frequency ``f`` (every ``h * f0``, ``h = 1..n_harmonics``, of each
    stimulation frequency ``f0``), at its nearest bin ``k``::

        snr[f, c] = P[c, k] / mean_{j in N(k)} P[c, j]
        N(k) = {j : 2 <= |j - k| and |j - k| * df <= bandwidth}

    the neighbours within ``bandwidth`` Hz on each side, skipping the adjacent
    bin on each side (leakage of an off-bin response). ``snr_mean`` is the
    mean of ``snr`` over the picked channels. Pure noise gives ``snr`` near 1.

    Parameters
    ----------
    epochs : mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
        Clips (Volts). Arrays need ``sfreq`` and take integer ``picks``.
    freqs : float | list of float
        Stimulation frequencies in Hz (e.g. 6 for a 6-Hz flicker).
    n_harmonics : int
        Multiples of each frequency scored, the fundamental included (3: f,
        2f, 3f); those whose neighbourhood passes the Nyquist frequency are
        dropped with a warning.
    %(picks_following)s
        Arrays take integer indices or None.
    bandwidth : float
        Half-width in Hz of the noise neighbourhood; it must hold at least
        one bin beyond the adjacent one on each side.
    %(sfreq_arrays)s
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        ``snr`` on dims ``frequency`` x ``channel``, ``snr_mean`` and ``power``
        (V^2, mean over channels of the bin's power) on ``frequency``, with
        coords ``fundamental`` and ``harmonic`` on ``frequency``; attrs
        ``resolution_hz`` and ``n_clips``.
    """
    if isinstance(epochs, mne.BaseEpochs):
        if len(epochs) == 0:
            raise ValueError("epochs holds no epochs.")
        data, names = _pick(epochs, picks, "epochs")
        sf = float(epochs.info["sfreq"])
    elif isinstance(epochs, np.ndarray):
        if epochs.ndim != 3 or epochs.shape[0] == 0:
            raise ValueError(
                "epochs as an array must have shape (n_epochs, n_channels, "
                f"n_times) with at least one epoch, got {epochs.shape}."
            )
        if sfreq is None:
            raise ValueError("ssvep_snr needs sfreq=... with array input.")
        sf = _check_positive(sfreq, "sfreq")
        if isinstance(picks, str):
            raise ValueError(
                f"picks={picks!r} needs channel names: pass mne.Epochs, or "
                "integer picks / None with an array."
            )
        idx = np.arange(epochs.shape[1]) if picks is None else np.asarray(picks)
        data = np.asarray(epochs[:, idx], float)
        names = [f"ch{k}" for k in idx]
        if not np.isfinite(data).all():
            raise ValueError("epochs holds NaN/inf values.")
    else:
        raise TypeError(
            "epochs must be mne.Epochs or an array (n_epochs, n_channels, "
            f"n_times), got {type(epochs).__name__}."
        )
    n_harmonics = _check_positive(n_harmonics, "n_harmonics", integer=True)
    bandwidth = _check_positive(bandwidth, "bandwidth")
    f0s = np.atleast_1d(np.asarray(freqs, float))
    if f0s.ndim != 1 or len(f0s) == 0 or not (np.isfinite(f0s) & (f0s > 0)).all():
        raise ValueError(f"freqs must be positive frequencies in Hz, got {freqs!r}.")
    n_times = data.shape[-1]
    df = sf / n_times
    n_side = int(np.floor(bandwidth / df + 1e-9))
    if n_side < 2:
        raise ValueError(
            f"bandwidth={bandwidth} Hz holds {n_side} bin(s) of {df:.3g} Hz on each "
            "side, but the noise estimate skips the adjacent bin and needs at "
            f"least one more: use bandwidth >= {2 * df:.3g} Hz (or longer clips)."
        )
    spec = np.fft.rfft(detrend(data, axis=-1, type="linear"), axis=-1)
    power = (np.abs(spec) ** 2).mean(0) / (sf * n_times)  # (n_ch, n_freqs), V^2/Hz
    n_bins = power.shape[-1]
    targets, fund, harm, dropped = [], [], [], []
    for f0 in f0s:
        for h in range(1, n_harmonics + 1):
            f = h * f0
            k = int(np.rint(f / df))
            if k - n_side < 1 or k + n_side > n_bins - 1:
                dropped.append(f)
                continue
            if any(np.isclose(f, t) for t in targets):
                continue  # the harmonic of one frequency is another's
            targets.append(f)
            fund.append(f0)
            harm.append(h)
    if dropped:
        warn(
            f"ssvep_snr: frequencies {dropped} Hz dropped: their noise "
            f"neighbourhood (+-{bandwidth} Hz) passes 0 Hz or the Nyquist "
            f"frequency ({sf / 2} Hz)."
        )
    if not targets:
        raise ValueError(
            f"No frequency of {list(f0s)} Hz (and harmonics) can be scored at "
            f"sfreq={sf} Hz with bandwidth={bandwidth} Hz."
        )
    snr = np.empty((len(targets), len(names)))
    pk = np.empty(len(targets))
    offsets = np.r_[-n_side:-1, 2 : n_side + 1]
    for i, f in enumerate(targets):
        k = int(np.rint(f / df))
        noise = power[:, k + offsets].mean(-1)
        snr[i] = power[:, k] / np.maximum(noise, np.finfo(float).tiny)
        pk[i] = power[:, k].mean()
    logger.info(
        "SSVEP SNR "
        + ", ".join(
            f"{f:g} Hz {s:.2f}" for f, s in zip(targets, snr.mean(1), strict=True)
        )
        + f" over {len(names)} channels"
    )
    return xr.Dataset(
        {
            "snr": (("frequency", "channel"), snr),
            "snr_mean": ("frequency", snr.mean(1)),
            "power": ("frequency", pk),
        },
        coords={
            "frequency": targets,
            "channel": names,
            "fundamental": ("frequency", fund),
            "harmonic": ("frequency", harm),
        },
        attrs={"resolution_hz": df, "n_clips": int(data.shape[0])},
    )
