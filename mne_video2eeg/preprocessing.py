"""The one EEG input path: checks, braindecode chain, resampling, working scale.

Every reader of EEG in the package goes through here, so it is checked and
transformed in one way:

- :func:`prepare_epochs`: what the generator and the baselines do to their
  training clips (pick EEG, check positions, values, units and drifts, the
  braindecode ``Preprocessor`` chain, resampling), logged in one line and
  returned with a JSON-able record of what was done;
- :func:`preprocess_eeg`: the braindecode chain on its own (pick EEG,
  band-pass, resample) for Raw or Epochs, Volts in and out;
- :func:`fit_channel_scale` / :func:`apply_channel_scale` /
  :func:`invert_channel_scale`: a per-channel working scale and its exact
  inverse.

The checks are plain functions that the graphs (which also take Raw and
arrays) call too: :func:`pick_eeg`, :func:`check_positions`,
:func:`check_finite`, :func:`check_volts` and :func:`check_drift`.

braindecode (and through it torch) is imported only when a filter or a
resampling step runs, so ``import mne_video2eeg`` stays fast and torch-free.
"""

from __future__ import annotations

import warnings

import mne
import numpy as np
from mne.utils import logger
from mne.utils import warn as mne_warn

from .utils._checks import _check_positive, _check_sfreq, _validate_type
from .utils._docs import verbose

__all__ = [
    "apply_channel_scale",
    "fit_channel_scale",
    "invert_channel_scale",
    "prepare_epochs",
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
# Fraction of a clip's variance that a per-clip straight line (offset + slope)
# explains, above which the clips hold slow drifts rather than EEG: a 0.5 Hz
# high-passed 2-s EEG clip has ~5-15 % there, an unfiltered DC recording 50-99 %.
_DRIFT_FRACTION = 0.5


def _import_braindecode():
    """Import the braindecode pieces we use, hiding their import-time noise."""
    with warnings.catch_warnings():
        # importing braindecode emits deprecation notices
        # (deprecated MNE montage names, torch.jit.script) that users cannot act on
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from braindecode.datasets import BaseConcatDataset, RawDataset
        from braindecode.preprocessing import Preprocessor, preprocess
    return BaseConcatDataset, RawDataset, Preprocessor, preprocess


# --------------------------------------------------------------------------- #
# checks


def pick_eeg(inst, *, name: str = "inst") -> np.ndarray:
    """Return the EEG channels' indices, bad ones included (ValueError if none).

    Parameters
    ----------
    inst : mne.Info | mne.io.Raw | mne.Epochs | mne.Evoked
        Where the channel types come from.
    name : str
        How ``inst`` is named in the error message.

    Returns
    -------
    picks : ndarray of int
        EEG channel indices, in channel order.
    """
    info = inst if isinstance(inst, mne.Info) else inst.info
    picks = mne.pick_types(info, eeg=True, exclude=())
    if len(picks) == 0:
        raise ValueError(
            f"{name} has no EEG channels (channel types: "
            f"{sorted(set(info.get_channel_types()))}). Set the EEG channel types, "
            "e.g. inst.set_channel_types({name: 'eeg' ...})."
        )
    return picks


def check_positions(ch_names, pos, *, purpose: str = "") -> None:
    """Raise a ValueError naming the channels without a 3-D position.

    Parameters
    ----------
    ch_names : list of str
        Channel names, one per row of ``pos``.
    pos : array-like, shape (n_channels, 3)
        Positions in metres; NaN or all-zero means "no position".
    purpose : str
        What needs the positions, appended to the message (e.g. ``", so the
        electrode graph cannot be built"``).
    """
    pos = np.asarray(pos, float).reshape(-1, 3)
    bad = np.flatnonzero(~np.isfinite(pos).all(axis=1) | ~pos.any(axis=1))
    if bad.size:
        missing = [ch_names[k] for k in bad]
        more = f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""
        raise ValueError(
            f"Channel(s) {missing[:10]}{more} have no position (NaN or all-zero "
            f"location){purpose}. Set a montage first, e.g. "
            "inst.set_montage('biosemi64') or "
            "inst.set_montage(mne_video2eeg.make_seed_montage())."
        )


def _ch_label(idx, ch_names):
    return [ch_names[i] for i in idx] if ch_names is not None else [int(i) for i in idx]


def check_finite(data, ch_names=None, *, name: str = "data") -> None:
    """Raise a ValueError naming the channels (axis -2) holding NaN or Inf.

    Parameters
    ----------
    data : ndarray, shape ([n_epochs, ]n_channels, n_times)
        The data to check.
    ch_names : list of str | None
        Channel names for the message (channel indices if None).
    name : str
        How ``data`` is named in the message.
    """
    arr = np.asarray(data)
    axes = tuple(k for k in range(arr.ndim) if k != arr.ndim - 2)
    finite = np.isfinite(arr).all(axis=axes)
    if not finite.all():
        bad = _ch_label(np.flatnonzero(~finite), ch_names)
        raise ValueError(
            f"{name} holds NaN/Inf in channel(s) {bad}; interpolate them "
            "(inst.interpolate_bads()) or drop them first."
        )


def check_volts(inst) -> None:
    """Warn when the EEG of an MNE object looks like microvolts, not Volts.

    Parameters
    ----------
    inst : mne.io.Raw | mne.Epochs
        EEG, which MNE holds in Volts.
    """
    picks = mne.pick_types(inst.info, eeg=True, exclude=())
    data = inst.get_data(picks=picks)
    std = np.nanmedian(data.std(axis=-1))
    if std > _VOLTS_SANITY:
        mne_warn(
            f"The EEG has a median standard deviation of {std:.3g}, which looks "
            "like microvolts, not Volts. MNE objects hold Volts: scale the data "
            "by 1e-6 (e.g. inst.apply_function(lambda x: x * 1e-6))."
        )


def check_drift(data) -> float:
    """Warn when slow drifts dominate the clips; return the median fraction.

    The fraction, per clip and channel, is the variance of the least-squares
    line through the clip over the clip's variance (about its global mean).

    Parameters
    ----------
    data : ndarray, shape (n_epochs, n_channels, n_times)
        Clips.

    Returns
    -------
    fraction : float
        Median over clips and channels, in [0, 1].
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


def _check_inst(inst, name: str = "inst"):
    _validate_type(
        inst, (mne.io.BaseRaw, mne.BaseEpochs), name, "mne.io.Raw or mne.Epochs"
    )
    pick_eeg(inst, name=name)


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


# --------------------------------------------------------------------------- #
# the braindecode chain: band-pass + resample


def _check_band(l_freq, h_freq, sfreq_in, sfreq_out, notes):
    """Validate the band edges; return them as applied (notes appended)."""
    nyq = sfreq_in / 2.0
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
            f"of the input (sfreq={sfreq_in} Hz); pass a lower l_freq."
        )
    if h_freq is not None and h_freq >= nyq:
        notes.append(
            f"h_freq={h_freq} Hz is at or above the input Nyquist frequency "
            f"({nyq} Hz): low-pass skipped."
        )
        h_freq = None
    if h_freq is not None and h_freq >= sfreq_out / 2.0:
        notes.append(
            f"h_freq={h_freq} Hz is above the output Nyquist ({sfreq_out / 2} Hz); "
            "resampling's anti-alias filter sets the effective low-pass."
        )
    return l_freq, h_freq


def _filter_kwargs(inst, l_freq, h_freq, notes) -> dict:
    """FIR when it fits in the data (per epoch), zero-phase IIR otherwise."""
    sfreq = inst.info["sfreq"]
    n_times = len(inst.times)
    fir = mne.filter.create_filter(None, sfreq, l_freq, h_freq, verbose=False)
    kw = dict(l_freq=l_freq, h_freq=h_freq, verbose=False)
    if len(fir) > n_times:
        per = "epoch" if isinstance(inst, mne.BaseEpochs) else "recording"
        notes.append(
            f"The FIR filter for {l_freq}-{h_freq} Hz needs {len(fir)} samples, "
            f"more than the {n_times} per {per}: using a zero-phase 4th-order "
            "Butterworth (IIR) instead."
        )
        kw.update(method="iir", iir_params=dict(_IIR_PARAMS))
    return kw


def _chain_steps(inst, l_freq, h_freq, sfreq, notes) -> list[tuple[str, dict]]:
    """List the filter and resample steps (MNE method name, keyword arguments)."""
    steps = []
    if l_freq is not None or h_freq is not None:
        steps.append(("filter", _filter_kwargs(inst, l_freq, h_freq, notes)))
    if not np.isclose(inst.info["sfreq"], sfreq):
        steps.append(("resample", dict(sfreq=sfreq, verbose=False)))
    return steps


def _run_chain(inst, steps):
    """Run ``steps`` as braindecode Preprocessors on ``inst`` (loaded; changed)."""
    if not steps:
        return inst
    BaseConcatDataset, RawDataset, Preprocessor, preprocess = _import_braindecode()
    chain = [Preprocessor(fn, apply_on_array=False, **kw) for fn, kw in steps]
    if isinstance(inst, mne.io.BaseRaw):
        concat = BaseConcatDataset([RawDataset(inst)])
        preprocess(concat, chain, n_jobs=1)
        return concat.datasets[0].raw
    # braindecode's WindowsDataset needs braindecode window metadata, which
    # arbitrary Epochs lack, so run the same Preprocessors on them directly
    for step in chain:
        inst = step.apply(inst)
    return inst


@verbose
def prepare_epochs(
    y,
    *,
    sfreq: float | None = None,
    l_freq: float | None = None,
    h_freq: float | None = None,
    require_positions: bool = True,
    name: str = "y",
    verbose=None,
) -> tuple[mne.BaseEpochs, dict]:
    """Check training clips and run the braindecode chain: the EEG input path.

    In order:

    1. pick the EEG channels (bad ones kept); the others are dropped and
       counted; a ValueError if there is none;
    2. with ``require_positions``, check every EEG channel has a position
       (a ValueError that says how to set a montage);
    3. check the values are finite (a ValueError naming the channels) and
       look like Volts (a warning if they look like microvolts);
    4. the braindecode ``Preprocessor`` chain of :func:`preprocess_eeg`:
       ``filter(l_freq, h_freq)`` when either is given (a zero-phase
       Butterworth when the FIR is longer than a clip; an ``h_freq`` at or
       above the input's Nyquist is dropped), then ``resample(sfreq)`` when
       ``sfreq`` differs from the data's, with a RuntimeWarning (a trained
       model works at one rate);
    5. check that slow drifts do not dominate the clips (a warning).

    What was done is logged in one line (``EEG input: ...``) and returned.

    Parameters
    ----------
    y : mne.Epochs
        Clips in Volts. Never modified.
    sfreq : float | None
        Sampling rate to work at; None keeps the data's.
    l_freq : float | None
        High-pass edge in Hz of the chain; None for no high-pass.
    h_freq : float | None
        Low-pass edge in Hz of the chain; None for no low-pass.
    require_positions : bool
        Require a position for every EEG channel (the generator's electrode
        graph needs them).
    name : str
        How ``y`` is named in messages.
    verbose : bool | str | int | None
        Control verbosity of the logging output (see :func:`mne.verbose`).

    Returns
    -------
    epochs : mne.Epochs
        A new object, loaded: the EEG channels, filtered and resampled.
    steps : dict
        JSON-able record: ``n_eeg`` and ``n_dropped`` (channels kept and
        dropped), ``l_freq``/``h_freq`` (band edges as applied, None when not
        applied), ``filter`` (``"fir"``, ``"iir"`` or None), ``sfreq_in`` and
        ``sfreq`` (Hz, before and after), ``drift`` (median fraction of a
        clip's variance held by a straight line, after the chain).
    """
    _validate_type(y, mne.BaseEpochs, name, "mne.Epochs")
    _validate_type(require_positions, bool, "require_positions")
    picks = pick_eeg(y, name=name)
    sfreq_in = float(y.info["sfreq"])
    sfreq_out = sfreq_in if sfreq is None else _check_sfreq(sfreq)
    notes: list[str] = []
    l_freq, h_freq = _check_band(l_freq, h_freq, sfreq_in, sfreq_out, notes)
    if require_positions:
        chs = [y.info["chs"][k] for k in picks]
        check_positions([ch["ch_name"] for ch in chs], [ch["loc"][:3] for ch in chs])
    epochs = y.copy().pick(picks).load_data()
    check_finite(epochs.get_data(copy=False), epochs.ch_names, name=name)
    check_volts(epochs)
    chain = _chain_steps(epochs, l_freq, h_freq, sfreq_out, notes)
    filt = dict(chain).get("filter")
    if "resample" in dict(chain):
        mne_warn(
            f"EEG sampled at {sfreq_in:g} Hz is resampled to sfreq={sfreq_out:g} "
            f"Hz; pass EEG at {sfreq_out:g} Hz (epochs.resample({sfreq_out:g})) "
            "to skip this step."
        )
    epochs = _run_chain(epochs, chain)
    drift = check_drift(epochs.get_data(copy=False))

    steps = {
        "n_eeg": len(picks),
        "n_dropped": len(y.ch_names) - len(picks),
        "l_freq": l_freq,
        "h_freq": h_freq,
        "filter": None if filt is None else filt.get("method", "fir"),
        "sfreq_in": sfreq_in,
        "sfreq": float(epochs.info["sfreq"]),
        "drift": drift,
    }
    _log_steps(steps, notes)
    return epochs, steps


def _log_steps(steps, notes) -> None:
    """Log the one ``EEG input: ...`` line saying what :func:`prepare_epochs` did."""
    said = [f"{steps['n_eeg']} EEG channel(s)"]
    if steps["n_dropped"]:
        said.append(f"{steps['n_dropped']} other channel(s) dropped")
    lo, hi = steps["l_freq"], steps["h_freq"]
    if steps["filter"] is not None:
        band = (
            f"band-pass {lo:g}-{hi:g} Hz"
            if lo is not None and hi is not None
            else (f"high-pass {lo:g} Hz" if lo is not None else f"low-pass {hi:g} Hz")
        )
        said.append(f"{band} ({steps['filter'].upper()})")
    if steps["sfreq"] != steps["sfreq_in"]:
        said.append(f"resampled {steps['sfreq_in']:g} -> {steps['sfreq']:g} Hz")
    said.append(f"a line per clip holds {100 * steps['drift']:.0f} % of the variance")
    said += notes
    logger.info("EEG input: " + "; ".join(said))


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
    notes: list[str] = []
    l_freq, h_freq = _check_band(l_freq, h_freq, inst.info["sfreq"], sfreq, notes)
    _check_picks(inst.info, picks)
    out = inst.copy().load_data()
    steps = [("pick", dict(picks=picks, exclude=()))]
    steps += _chain_steps(out, l_freq, h_freq, sfreq, notes)
    for note in notes:
        logger.info(note)
    check_volts(out)
    return _run_chain(out, steps)


# --------------------------------------------------------------------------- #
# working scale


def check_eeg_array(data, name: str = "data") -> np.ndarray:
    """Return ``data`` as a numeric array of shape ([n_epochs, ]n_ch, n_times)."""
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
    return arr


def _scale_data(data, name: str = "data"):
    """Return (array with channels on axis -2, channel names or None)."""
    if isinstance(data, (mne.io.BaseRaw, mne.BaseEpochs, mne.Evoked)):
        return data.get_data(), list(data.ch_names)
    return check_eeg_array(data, name), None


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
    check_finite(x, names)
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
