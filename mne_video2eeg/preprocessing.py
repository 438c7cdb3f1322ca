"""EEG preprocessing for the generator: braindecode chains and clip windowing.

Three plain functions the estimator calls:

- :func:`preprocess_eeg`: pick EEG, band-pass, resample (braindecode's
  ``Preprocessor`` chain, MNE doing the work), Volts in and out;
- :func:`fit_channel_scale` / :func:`apply_channel_scale` /
  :func:`invert_channel_scale`: a per-channel working scale and its exact
  inverse;
- :func:`make_clip_epochs`: fixed-length clip epochs at annotation onsets
  (braindecode's ``create_windows_from_events``).

braindecode (and through it torch) is imported inside the functions, so
``import mne_video2eeg`` stays fast and torch-free.
"""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pandas as pd
from mne.utils import logger, verbose
from mne.utils import warn as mne_warn

from .utils._checks import _check_positive, _check_sfreq, _validate_type

__all__ = [
    "apply_channel_scale",
    "fit_channel_scale",
    "invert_channel_scale",
    "make_clip_epochs",
    "preprocess_eeg",
]

# Used when an epoch is shorter than MNE's default FIR (e.g. a 0.5 Hz
# high-pass needs a 6.6-s filter, longer than a 2-s clip): a zero-phase
# 4th-order Butterworth works on any length without padding artefacts
# warnings.
_IIR_PARAMS = dict(order=4, ftype="butter", output="sos")
# Above this channel standard deviation the data are almost surely not in
# Volts (EEG is ~1e-5 V); a common mistake is passing microvolts.
_VOLTS_SANITY = 1e-2


def _import_braindecode():
    """Import the braindecode pieces we use, hiding their import-time noise."""
    with warnings.catch_warnings():
        # importing braindecode emits deprecation notices
        # (deprecated MNE montage names, torch.jit.script) that users cannot act on
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from braindecode.datasets import BaseConcatDataset, RawDataset
        from braindecode.preprocessing import (
            Preprocessor,
            create_windows_from_events,
            preprocess,
        )
    return (
        BaseConcatDataset,
        RawDataset,
        Preprocessor,
        preprocess,
        (create_windows_from_events),
    )


def _check_inst(inst, name: str = "inst", kinds=(mne.io.BaseRaw, mne.BaseEpochs)):
    if not isinstance(inst, kinds):
        want = (
            "mne.io.Raw" if kinds == (mne.io.BaseRaw,) else "mne.io.Raw or mne.Epochs"
        )
        raise TypeError(
            f"{name} must be an instance of {want}, got {type(inst).__name__}. "
            "Wrap arrays with mne.io.RawArray / mne.EpochsArray first."
        )
    if len(mne.pick_types(inst.info, eeg=True, exclude=())) == 0:
        raise ValueError(
            f"{name} has no EEG channels (channel types: "
            f"{sorted(set(inst.get_channel_types()))}). Set the EEG channel types, "
            "e.g. inst.set_channel_types({name: 'eeg' ...})."
        )


# --------------------------------------------------------------------------- #
# band-pass + resample


@verbose
def preprocess_eeg(
    inst,
    *,
    sfreq: float = 200.0,
    l_freq: float | None = 0.5,
    h_freq: float | None = 70.0,
    picks="eeg",
    verbose=None,
):
    """Pick EEG, band-pass and resample Raw or Epochs (Volts in, Volts out).

    The chain, run by braindecode's :func:`~braindecode.preprocessing.preprocess`
    on a :class:`~braindecode.datasets.RawDataset` for Raw (and by the same
    :class:`~braindecode.preprocessing.Preprocessor` objects directly for
    Epochs, which braindecode only accepts as pre-windowed datasets):

    1. ``pick(picks)`` (bad channels kept: marking is the user's call);
    2. ``filter(l_freq, h_freq)``: MNE's zero-phase FIR (``firwin``,
       Hamming) when the data are at least as long as that filter, else a
       zero-phase 4th-order Butterworth IIR (noted in the log), because a
       0.5 Hz high-pass FIR is ~6.6 s long, longer than a 2-s clip epoch,
       and would be applied to mostly padding. Each epoch is filtered on its
       own. An ``h_freq`` at or above the input's Nyquist frequency is
       dropped (the filter becomes a high-pass) with a note: the data hold
       nothing above Nyquist to remove;
    3. ``resample(sfreq)`` (MNE's FFT method, which low-passes at the new
       Nyquist first), skipped when the rate already matches.

    Parameters
    ----------
    inst : mne.io.Raw | mne.Epochs
        EEG in Volts. Never modified: the chain runs on a copy (loaded into
        memory).
    sfreq : float
        Output sampling rate in Hz (SEED-DV: 200 Hz).
    l_freq : float | None
        High-pass edge in Hz; None for no high-pass.
    h_freq : float | None
        Low-pass edge in Hz; None for no low-pass.
    picks : str | list | slice | None
        Channels to keep, as for :meth:`mne.io.Raw.pick` (default: EEG).
    verbose : bool | str | int | None
        Control verbosity of the logging output (see :func:`mne.verbose`).

    Returns
    -------
    inst : mne.io.Raw | mne.Epochs
        A new object of the same kind (Epochs keep their events, event_id and
        metadata), in Volts, at ``sfreq``. As with any
        :meth:`mne.Epochs.resample`, ``epochs.events[:, 0]`` keep counting
        samples at the original rate.
    """
    _check_inst(inst)
    sfreq = _check_sfreq(sfreq)
    nyq = inst.info["sfreq"] / 2.0
    if l_freq is not None:
        l_freq = _check_positive(l_freq, "l_freq")
    if h_freq is not None:
        h_freq = _check_positive(h_freq, "h_freq")
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(
            f"l_freq must be below h_freq, got l_freq={l_freq} >= h_freq={h_freq}. "
            "Pass e.g. l_freq=0.5, h_freq=70."
        )
    if l_freq is not None and l_freq >= nyq:
        raise ValueError(
            f"l_freq={l_freq} Hz is at or above the Nyquist frequency ({nyq} Hz) "
            f"of the input (sfreq={inst.info['sfreq']} Hz); pass a lower l_freq."
        )
    if h_freq is not None and h_freq >= nyq:
        logger.info(
            f"h_freq={h_freq} Hz is at or above the input Nyquist frequency "
            f"({nyq} Hz): low-pass skipped."
        )
        h_freq = None
    if h_freq is not None and h_freq >= sfreq / 2.0:
        logger.info(
            f"h_freq={h_freq} Hz is above the output Nyquist ({sfreq / 2} Hz); "
            "resampling's anti-alias filter sets the effective low-pass."
        )

    _check_picks(inst.info, picks)
    out = inst.copy().load_data()
    BaseConcatDataset, RawDataset, Preprocessor, preprocess, _ = _import_braindecode()
    chain = [Preprocessor("pick", apply_on_array=False, picks=picks, exclude=())]
    if l_freq is not None or h_freq is not None:
        filt_kw = _filter_kwargs(out, l_freq, h_freq)
        chain.append(Preprocessor("filter", apply_on_array=False, **filt_kw))
    if not np.isclose(out.info["sfreq"], sfreq):
        chain.append(Preprocessor("resample", apply_on_array=False, sfreq=sfreq))
    _check_volts(out)
    if isinstance(out, mne.io.BaseRaw):
        concat = BaseConcatDataset([RawDataset(out)])
        preprocess(concat, chain, n_jobs=1)
        out = concat.datasets[0].raw
    else:
        # braindecode's WindowsDataset needs braindecode window metadata, which
        # arbitrary Epochs lack, so run the same Preprocessors on them directly
        for step in chain:
            out = step.apply(out)
    return out


def _check_picks(info, picks) -> None:
    """Resolve ``picks`` on a one-sample stand-in, so no data are copied."""
    probe = mne.io.RawArray(np.zeros((info["nchan"], 1)), info.copy(), verbose=False)
    try:
        probe.pick(picks, exclude=())
    except (ValueError, TypeError) as err:
        raise type(err)(f"picks={picks!r} is not valid for these data: {err}") from None
    if len(mne.pick_types(probe.info, eeg=True, exclude=())) == 0:
        raise ValueError(
            f"picks={picks!r} selects no EEG channel (got {probe.ch_names}); use "
            "picks='eeg'."
        )


def _filter_kwargs(inst, l_freq, h_freq) -> dict:
    """FIR when it fits in the data (per epoch), zero-phase IIR otherwise."""
    sfreq = inst.info["sfreq"]
    n_times = len(inst.times)
    fir = mne.filter.create_filter(None, sfreq, l_freq, h_freq, verbose=False)
    kw = dict(l_freq=l_freq, h_freq=h_freq, verbose=False)
    if len(fir) > n_times:
        logger.info(
            f"The FIR filter for {l_freq}-{h_freq} Hz needs {len(fir)} samples, "
            f"more than the {n_times} per {'epoch' if n_times else 'recording'}: "
            "using a zero-phase 4th-order Butterworth (IIR) instead."
        )
        kw.update(method="iir", iir_params=dict(_IIR_PARAMS))
    return kw


def _check_volts(inst) -> None:
    picks = mne.pick_types(inst.info, eeg=True, exclude=())
    data = inst.get_data(picks=picks)
    std = np.nanmedian(data.std(axis=-1))
    if std > _VOLTS_SANITY:
        mne_warn(
            f"The EEG has a median standard deviation of {std:.3g}, which looks "
            "like microvolts, not Volts. MNE objects hold Volts: scale the data "
            "by 1e-6 (e.g. inst.apply_function(lambda x: x * 1e-6))."
        )


# Fraction of a clip's variance that a per-clip straight line (offset + slope)
# explains, above which the clips hold slow drifts rather than EEG: a 0.5 Hz
# high-passed 2-s EEG clip has ~5-15 % there, an unfiltered DC recording 50-99 %.
_DRIFT_FRACTION = 0.5


def _check_drift(data) -> float:
    """Warn when slow drifts dominate the clips; return the median fraction.

    The fraction, per clip and channel, is the variance of the least-squares
    line through the clip over the clip's variance (about its global mean).
    """
    n_times = data.shape[-1]
    t = np.linspace(-1.0, 1.0, n_times)
    centred = data - data.mean(axis=(0, 2), keepdims=True)
    offset = centred.mean(-1)
    slope = centred @ t / (t @ t)
    line_var = offset**2 + slope**2 * (t @ t) / n_times
    frac = line_var / np.maximum((centred**2).mean(-1), 1e-30)
    median = float(np.median(frac))
    if median > _DRIFT_FRACTION:
        mne_warn(
            f"Slow drifts dominate the EEG clips: a straight line per clip holds "
            f"{100 * median:.0f} % of their variance (a high-passed recording: "
            "~10 %). The generator would learn the drifts. High-pass the "
            "continuous recording before cutting clips: read_video_recording "
            "does (l_freq=0.5 by default), or "
            "mne_video2eeg.preprocessing.preprocess_eeg(raw, l_freq=0.5)."
        )
    return median


# --------------------------------------------------------------------------- #
# working scale


def _scale_data(data, name: str = "data"):
    """Return (array with channels on axis -2, channel names or None)."""
    if isinstance(data, (mne.io.BaseRaw, mne.BaseEpochs, mne.Evoked)):
        return data.get_data(), list(data.ch_names)
    if not isinstance(data, (np.ndarray, list, tuple)):
        raise TypeError(
            f"{name} must be an array (n_ch, n_times) / (n_epochs, n_ch, n_times) "
            f"or an MNE Raw/Epochs, got {type(data).__name__}."
        )
    arr = np.asarray(data)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}.")
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (n_ch, n_times) or (n_epochs, n_ch, n_times), "
            f"got shape {arr.shape} (ndim={arr.ndim})."
        )
    return arr, None


def _ch_label(idx, ch_names):
    return [ch_names[i] for i in idx] if ch_names is not None else [int(i) for i in idx]


def fit_channel_scale(
    data, *, ch_names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over epochs and time.

    Parameters
    ----------
    data : array, shape ([n_epochs, ]n_ch, n_times) | mne.io.Raw | mne.Epochs
        EEG in Volts (all channels of an MNE object are used).
    ch_names : list of str | None
        Channel names for error messages with array input.

    Returns
    -------
    mean : ndarray of float64, shape (n_ch,)
        Channel means (Volts).
    std : ndarray of float64, shape (n_ch,)
        Channel standard deviations (Volts), all > 0.
    """
    arr, names = _scale_data(data)
    if ch_names is not None:
        names = list(ch_names)
        if len(names) != arr.shape[-2]:
            raise ValueError(
                f"ch_names has {len(names)} names but data has {arr.shape[-2]} "
                "channels."
            )
    arr = arr.astype(np.float64, copy=False)
    x = np.moveaxis(arr, -2, 0).reshape(arr.shape[-2], -1)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        bad = _ch_label(np.flatnonzero(~finite), names)
        raise ValueError(
            f"data holds NaN/Inf in channel(s) {bad}; interpolate them "
            "(inst.interpolate_bads()) or drop them first."
        )
    mean = x.mean(axis=1)
    std = x.std(axis=1)
    # rounding noise of a constant channel is ~1e-16 of its value
    flat = (std == 0) | (std <= 1e-12 * np.abs(mean)) | (std <= 1e-9 * std.max())
    if flat.any():
        raise ValueError(
            f"Channel(s) {_ch_label(np.flatnonzero(flat), names)} are flat (zero "
            "variance) and cannot be scaled; drop them (inst.drop_channels) or "
            "interpolate them (mark as bad, then inst.interpolate_bads())."
        )
    return mean, std


def _check_scale(data, mean, std):
    arr, _ = _scale_data(data)
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    n_ch = arr.shape[-2]
    for name, vec in (("mean", mean), ("std", std)):
        if vec.shape != (n_ch,):
            raise ValueError(
                f"{name} must have shape ({n_ch},) to match the {n_ch} channels of "
                f"data, got {vec.shape}. Use the output of fit_channel_scale."
            )
    if not (np.isfinite(std).all() and (std > 0).all()):
        raise ValueError(f"std must be finite and > 0, got {std}.")
    return arr, mean[:, np.newaxis], std[:, np.newaxis]


def apply_channel_scale(data, mean, std) -> np.ndarray:
    """Go to the unitless working scale: ``(data - mean) / std`` per channel.

    Parameters
    ----------
    data : array, shape (n_ch, n_times) or (n_epochs, n_ch, n_times)
        Data in Volts (an MNE object's data are used if one is given).
    mean, std : ndarray, shape (n_ch,)
        From :func:`fit_channel_scale`.

    Returns
    -------
    scaled : ndarray of float64
        Same shape as ``data``.
    """
    arr, mean, std = _check_scale(data, mean, std)
    return (arr - mean) / std


def invert_channel_scale(data, mean, std) -> np.ndarray:
    """Go back to Volts: ``data * std + mean`` per channel.

    Parameters
    ----------
    data : array, shape (n_ch, n_times) or (n_epochs, n_ch, n_times)
        Data on the working scale.
    mean, std : ndarray, shape (n_ch,)
        From :func:`fit_channel_scale`.

    Returns
    -------
    volts : ndarray of float64
        Same shape as ``data``; ``invert(apply(x)) == x`` to rounding error.
    """
    arr, mean, std = _check_scale(data, mean, std)
    return arr * std + mean


# --------------------------------------------------------------------------- #
# clip windowing


@verbose
def make_clip_epochs(
    raw,
    *,
    clip_duration: float = 2.0,
    event_id: dict[str, int] | None = None,
    metadata_from_annotations: bool = True,
    preload: bool = True,
    verbose=None,
) -> mne.Epochs:
    """Cut a continuous recording into fixed-length clips at annotation onsets.

    Each selected annotation starts one clip of ``clip_duration`` seconds
    (window size ``round(clip_duration * sfreq)`` samples, no start offset),
    whatever the annotation's own duration. The windows are computed by
    braindecode's :func:`~braindecode.preprocessing.create_windows_from_events`
    and returned as :class:`mne.Epochs` on ``raw`` (``tmin=0``, no baseline,
    no rejection by annotation).

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous EEG with annotations marking clip onsets (e.g. one per
        video, described by the video's file name). ``BAD_*``/``EDGE``
        annotations are never clips.
    clip_duration : float
        Clip length in seconds (SEED-DV: 2 s).
    event_id : dict of str to int | None
        Annotation descriptions to use and their event codes; others are
        ignored. None uses every description, coded 1, 2, ... in sorted order.
    metadata_from_annotations : bool
        Attach ``epochs.metadata`` with one row per clip: ``description``,
        ``video`` (the annotation's ``video`` extra if present, else the
        description), ``onset`` (annotation onset in seconds from the first
        sample, as in ``raw.times``), ``sample`` (first sample of the clip, from
        the first sample) and any other annotation extras.
    preload : bool
        Load the clips into memory.
    verbose : bool | str | int | None
        Control verbosity of the logging output (see :func:`mne.verbose`).

    Returns
    -------
    epochs : mne.Epochs
        One epoch per clip, events coded by ``event_id``.
    """
    _check_inst(raw, "raw", kinds=(mne.io.BaseRaw,))
    clip_duration = _check_positive(clip_duration, "clip_duration")
    _validate_type(metadata_from_annotations, bool, "metadata_from_annotations")
    sfreq = raw.info["sfreq"]
    n_win = int(round(clip_duration * sfreq))
    if n_win < 1:
        raise ValueError(
            f"clip_duration={clip_duration} s is shorter than one sample at "
            f"{sfreq} Hz; pass a longer clip_duration."
        )
    ann = raw.annotations
    # plain Python strings: numpy 2's StringDType does not mix with pandas
    desc = np.array([str(d) for d in ann.description], dtype=object)
    is_clip = np.array([not d.lower().startswith(("bad", "edge")) for d in desc], bool)
    available = sorted(set(desc[is_clip]))
    if not available:
        raise ValueError(
            "raw has no (non-BAD) annotations to start clips at; add one per "
            "clip onset with raw.set_annotations(mne.Annotations(onset, "
            "duration, description))."
        )
    if event_id is None:
        event_id = {desc: i + 1 for i, desc in enumerate(available)}
    else:
        _validate_type(event_id, dict, "event_id")
        missing = [k for k in event_id if k not in available]
        if len(missing) == len(event_id):
            raise ValueError(
                f"None of the event_id descriptions {list(event_id)} is among the "
                f"annotations {available}; pass event_id=None to use them all."
            )
    sel = np.flatnonzero(is_clip & np.array([d in event_id for d in desc], bool))
    # onsets relative to the first sample, as mne.events_from_annotations does
    offset = raw.first_time if ann.orig_time is not None else 0.0
    onsets = ann.onset[sel] - offset
    starts = raw.time_as_index(onsets, use_rounding=True)
    fits = (starts >= 0) & (starts + n_win <= raw.n_times)
    if not fits.any():
        raise ValueError(
            f"No clip of {clip_duration} s fits in the recording "
            f"({raw.times[-1] + 1 / sfreq:.3f} s): every annotation onset is too "
            "late. Pass a shorter clip_duration or check the annotation onsets."
        )
    if not fits.all():
        late = [
            f"{desc[i]!r} at {onsets[j]:.3f} s"
            for j, i in enumerate(sel)
            if not fits[j]
        ]
        mne_warn(
            f"Dropping {len(late)} annotation(s) whose {clip_duration}-s clip runs "
            f"past the end of the recording: {', '.join(late)}."
        )
        sel, onsets, starts = sel[fits], onsets[fits], starts[fits]
    dup = np.flatnonzero(np.diff(starts) == 0)
    if dup.size:
        raise ValueError(
            f"Several annotations start at the same sample ({onsets[dup]} s), so "
            "their clips would coincide; pass an event_id that selects one "
            "description per onset."
        )

    # braindecode computes the windows from a copy whose annotations last
    # exactly one clip (half a sample over, as it truncates duration * sfreq)
    clip_ann = mne.Annotations(
        onset=ann.onset[sel],
        duration=np.full(len(sel), (n_win + 0.5) / sfreq),
        description=list(desc[sel]),
        orig_time=ann.orig_time,
    )
    clip_raw = _annotation_only_copy(raw)
    clip_raw.set_annotations(clip_ann)
    BaseConcatDataset, RawDataset, _, _, create_windows_from_events = (
        _import_braindecode()
    )
    windows = create_windows_from_events(
        BaseConcatDataset([RawDataset(clip_raw)]),
        trial_start_offset_samples=0,
        trial_stop_offset_samples=0,
        window_size_samples=n_win,
        window_stride_samples=n_win,
        mapping=event_id,
        on_last_window="drop",
        preload=False,
        use_mne_epochs=False,
    )
    win_md = windows.datasets[0].metadata
    rows = win_md["i_trial_in_dataset"].to_numpy()  # row in clip_ann = in sel
    win_starts = win_md["i_start_in_trial"].to_numpy().astype(int)
    events = np.column_stack(
        [
            win_starts + raw.first_samp,
            np.zeros(len(win_starts), int),
            win_md["target"].to_numpy().astype(int),
        ]
    )
    metadata = None
    if metadata_from_annotations:
        metadata = _clip_metadata(ann, desc, sel[rows], onsets[rows], win_starts)
    used = set(events[:, 2].tolist())
    epochs = mne.Epochs(
        raw,
        events,
        {k: v for k, v in event_id.items() if v in used},
        tmin=0.0,
        tmax=(n_win - 1) / sfreq,
        baseline=None,
        metadata=metadata,
        reject_by_annotation=False,
        preload=preload,
        verbose=False,
    )
    logger.info(f"Made {len(events)} clip epochs of {clip_duration} s.")
    return epochs


def _annotation_only_copy(raw):
    """Make a one-channel Raw with ``raw``'s timing (sfreq, first_samp, meas_date).

    braindecode reads only annotations, timing and length from it (the clips
    are cut from ``raw`` itself by mne.Epochs), so copying a long preloaded
    recording would waste memory.
    """
    dummy = mne.io.RawArray(
        np.zeros((1, raw.n_times)),
        mne.create_info(1, raw.info["sfreq"], "eeg"),
        first_samp=raw.first_samp,
        verbose=False,
    )
    dummy.set_meas_date(raw.info["meas_date"])
    return dummy


def _clip_metadata(ann, desc, rows, onsets, starts) -> pd.DataFrame:
    md = pd.DataFrame(
        {
            "description": list(desc[rows]),
            "onset": onsets,
            "sample": starts,
        }
    )
    extras = getattr(ann, "extras", None)
    if extras is not None and any(extras[i] for i in rows):
        extra_df = pd.DataFrame([dict(extras[i]) for i in rows])
        for col in extra_df.columns:
            if col not in ("description", "onset", "sample"):
                md[col] = extra_df[col].to_numpy()
    if "video" not in md:
        md["video"] = md["description"]
    else:
        md["video"] = md["video"].where(md["video"].notna(), md["description"])
    return md
