"""Clip windowing: fixed-length clip epochs at annotation onsets.

:func:`make_clip_epochs` cuts a continuous recording into clips with
braindecode's ``create_windows_from_events``; the readers of this subpackage
(:func:`~mne_video2eeg.datasets.read_video_recording`) use it.
"""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pandas as pd
from mne.utils import logger
from mne.utils import warn as mne_warn

from ..preprocessing import pick_eeg
from ..utils._checks import _check_positive, _validate_type
from ..utils._docs import verbose

__all__ = ["make_clip_epochs"]


def _import_windowing():
    """Import braindecode's windowing, hiding its import-time notices."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecations users cannot act on
        from braindecode.datasets import BaseConcatDataset, RawDataset
        from braindecode.preprocessing import create_windows_from_events
    return BaseConcatDataset, RawDataset, create_windows_from_events


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
    _validate_type(raw, mne.io.BaseRaw, "raw", "mne.io.Raw")
    pick_eeg(raw, name="raw")
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
    BaseConcatDataset, RawDataset, create_windows_from_events = _import_windowing()
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
