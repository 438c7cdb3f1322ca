"""Consecutive clip epochs as one continuous recording with annotations."""

from __future__ import annotations

import mne
import numpy as np

from .utils._checks import _validate_type


def clips_to_raw(epochs: mne.BaseEpochs, *, gap: float = 0.0) -> mne.io.RawArray:
    """Lay clip epochs end to end as a continuous :class:`mne.io.RawArray`.

    Each clip becomes one annotation whose onset is the clip's first sample,
    whose duration is the clip length and whose description is the clip's
    emotion (``metadata["emotion"]``, else the event name). The video id, the
    subject and the sample index travel in the annotation ``extras``.

    Parameters
    ----------
    epochs : mne.Epochs
        Clip epochs, e.g. from :meth:`Video2EEGGenerator.generate`.
    gap : float
        Seconds of zeros between clips (0 = clips touch). A gap makes clip
        boundaries visible in a browser but adds data that is not EEG.

    Returns
    -------
    raw : mne.io.RawArray
        Continuous data in Volts with the epochs' info (montage included).
    """
    _validate_type(epochs, mne.BaseEpochs, "epochs", "mne.Epochs")
    gap = float(gap)
    if gap < 0:
        raise ValueError(f"gap must be >= 0 seconds, got {gap}.")
    data = epochs.get_data(copy=False)
    if len(data) == 0:
        raise ValueError("epochs holds no clip: there is nothing to lay out as Raw.")
    sfreq = epochs.info["sfreq"]
    n_times = data.shape[-1]
    n_gap = int(round(gap * sfreq))
    step = n_times + n_gap
    cont = np.zeros((data.shape[1], step * len(data) - n_gap), data.dtype)
    for k, clip in enumerate(data):
        cont[:, k * step : k * step + n_times] = clip
    info = epochs.info.copy()
    with info._unlock():
        info["meas_date"] = None
    raw = mne.io.RawArray(cont, info, verbose=False)
    md = epochs.metadata
    inv_event_id = {code: name for name, code in epochs.event_id.items()}
    descriptions, extras = [], []
    for k in range(len(data)):
        row = {} if md is None else md.iloc[k].to_dict()
        label = row.get("emotion", inv_event_id.get(epochs.events[k, 2], "clip"))
        descriptions.append(str(label))
        extras.append(
            {
                key: (str(row[key]) if key in ("video", "subject") else int(row[key]))
                for key in ("video", "subject", "sample")
                if key in row
            }
        )
    raw.set_annotations(
        mne.Annotations(
            onset=np.arange(len(data)) * step / sfreq,
            duration=np.full(len(data), n_times / sfreq),
            description=descriptions,
            extras=extras,
        )
    )
    return raw
