"""Read a user's own video-EEG recording: continuous Raw + video files -> clips.

The recording is a continuous :class:`mne.io.Raw` whose annotations mark the
onset of each video; the videos are files on disk. The reader returns the
clip epochs (cut by :func:`~mne_video2eeg.datasets.make_clip_epochs`,
braindecode's windowing) and the matching
:class:`~mne_video2eeg.video.io.VideoClip` objects, the same pair as
:func:`~mne_video2eeg.datasets.read_seed_dv` and
:func:`~mne_video2eeg.datasets.seed_dv_clips` give for SEED-DV.

The emotion helpers here are shared with the SEED-DV reader.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import mne
import pandas as pd
from mne.utils import logger, warn

from .._inputs import UNKNOWN_EMOTION, emotion_events, subject_str
from ..utils._checks import _check_positive, _validate_type
from ..utils._docs import verbose
from ..video.io import VideoClip, VideoReader

__all__ = ["read_video_recording"]

_VIDEO_SUFFIXES = {".avi", ".mp4", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"}


# --------------------------------------------------------------------------- #
# emotions, shared with seed_dv.py


def emotion_column(
    metadata: pd.DataFrame,
    emotions,
    *,
    key_columns: tuple[tuple[str, ...], ...] = (("video",),),
) -> pd.Series:
    """Emotion label of each metadata row from a user table, or "unknown".

    ``emotions`` is None, a str (one label for all), a dict/Series {video id:
    label}, or a DataFrame with an ``emotion`` column keyed by the first of
    ``key_columns`` whose columns it holds, else by its index (video ids, as
    :func:`~mne_video2eeg.video.emotion.label_emotions` returns).
    """
    n = len(metadata)
    if emotions is None:
        return pd.Series([UNKNOWN_EMOTION] * n, index=metadata.index, dtype=object)
    if isinstance(emotions, str):
        if not emotions.strip():
            raise ValueError("emotions must not be an empty string.")
        return pd.Series([emotions] * n, index=metadata.index, dtype=object)
    if isinstance(emotions, Mapping):
        emotions = pd.Series(dict(emotions), dtype=object)
    if isinstance(emotions, pd.Series):
        emotions = emotions.rename("emotion").to_frame()
        emotions.index = emotions.index.map(str)
    if not isinstance(emotions, pd.DataFrame):
        raise TypeError(
            "emotions must be None, a str, a dict {video id: emotion}, a pandas "
            "Series or a DataFrame with an 'emotion' column (e.g. the output of "
            f"mne_video2eeg.video.emotion.label_emotions), got "
            f"{type(emotions).__name__}."
        )
    if "emotion" not in emotions.columns:
        raise ValueError(
            "The emotions DataFrame needs an 'emotion' column, got columns "
            f"{list(emotions.columns)}."
        )
    keys = next(
        (list(k) for k in key_columns if all(c in emotions.columns for c in k)),
        None,
    )
    table = emotions.reset_index() if keys is None else emotions
    if keys is None:  # index holds the video ids (label_emotions' layout)
        table = table.rename(columns={table.columns[0]: "video"})
        table["video"] = table["video"].map(str)
        keys = ["video"]
    dup = table.duplicated(keys)
    if dup.any():
        raise ValueError(
            f"The emotions table has several rows for the same {keys}, e.g. "
            f"{table.loc[dup, keys].head(3).to_dict('records')}; keep one per clip."
        )
    left = metadata[keys].copy()
    right = table[keys + ["emotion"]].copy()
    for key in keys:  # compare ids as str, numbers as numbers
        if key == "video" or left[key].dtype == object:
            left[key] = left[key].map(str)
            right[key] = right[key].map(str)
    merged = left.merge(right, how="left", on=keys, validate="many_to_one")
    missing = merged["emotion"].isna().to_numpy()
    if missing.any():
        ex = left.loc[missing, keys].drop_duplicates().head(5).to_dict("records")
        raise ValueError(
            f"The emotions table has no label for {int(missing.sum())} of {n} "
            f"clip(s) (matched on {keys}), e.g. {ex}. Label every clip, e.g. with "
            "mne_video2eeg.video.emotion.label_emotions, or pass emotions=None "
            f"(every clip is then {UNKNOWN_EMOTION!r})."
        )
    return pd.Series(
        merged["emotion"].map(str).to_numpy(), index=metadata.index, dtype=object
    )


# --------------------------------------------------------------------------- #
# the reader


def _check_subject(subject, raw) -> str:
    if subject is not None:
        return subject_str(subject)
    info = raw.info.get("subject_info") or {}
    if info.get("his_id"):
        return str(info["his_id"])
    if info.get("id") is not None:
        return f"{int(info['id']):02d}"
    raise ValueError(
        "raw.info['subject_info'] names no subject (neither 'his_id' nor 'id'); "
        "pass subject='01' (or the subject's label)."
    )


def _video_table(videos) -> dict[str, tuple[Path, float, float]]:
    """{video id: (file, segment start, segment duration)} from the headers."""
    if isinstance(videos, str | os.PathLike | VideoClip):
        videos = [videos]
    if not isinstance(videos, Iterable):
        raise TypeError(
            "videos must be a path, a VideoClip or a list of those, got "
            f"{type(videos).__name__}."
        )
    table = {}
    for k, video in enumerate(videos):
        if isinstance(video, VideoClip):
            vid, fname, start, stop = (
                video.id,
                Path(video.fname),
                video.start,
                video.stop,
            )
            # an unnamed whole-file clip is identified by its file name
            if video.name is None and start is None and stop is None:
                vid = fname.name
        else:
            _validate_type(video, "path-like", f"videos[{k}]")
            fname, start, stop = Path(video), None, None
            vid = fname.name
        if not fname.is_file():
            raise FileNotFoundError(
                f"Video file not found: {fname} (videos[{k}]). Pass existing files."
            )
        if vid in table:
            raise ValueError(
                f"Two videos share the id {vid!r} (videos are identified by file "
                "name); rename one or pass VideoClip(fname, name=...)."
            )
        with VideoReader(fname) as reader:
            duration = reader.duration
        start = 0.0 if start is None else float(start)
        stop = duration if stop is None else min(float(stop), duration)
        if stop <= start:
            raise ValueError(
                f"Video {fname} lasts {duration:.3f} s; the segment {start}-{stop} s "
                f"of videos[{k}] holds nothing."
            )
        table[vid] = (fname, start, stop - start)
    if not table:
        raise ValueError("videos is empty: pass the video files shown.")
    return table


def _description_map(raw, table, description_to_video) -> dict[str, str]:
    """{annotation description: video id} for the annotations that are videos."""
    if description_to_video is None:
        description_to_video = {}
    _validate_type(description_to_video, dict, "description_to_video")
    bad = {d: v for d, v in description_to_video.items() if str(v) not in table}
    if bad:
        raise ValueError(
            f"description_to_video maps to video id(s) not in videos: {bad}. "
            f"The videos are {sorted(table)}."
        )
    descs = [str(d) for d in raw.annotations.description]
    mapping = {}
    for desc in dict.fromkeys(descs):
        if desc in description_to_video:
            mapping[desc] = str(description_to_video[desc])
        elif desc in table:
            mapping[desc] = desc
    if not mapping:
        raise ValueError(
            f"No annotation of raw names a video: the annotation descriptions are "
            f"{sorted(set(descs))[:10]} and the videos {sorted(table)[:10]}. Mark "
            "each video onset with an annotation described by the video's file "
            "name, or pass description_to_video={description: file name}."
        )
    other = sorted(
        {d for d in descs if d not in mapping and not d.lower().startswith("bad")}
    )
    # a description with a video file's extension names a video that was not
    # passed (a forgotten file), not a task marker
    suffixes = {Path(v).suffix.lower() for v in table} | _VIDEO_SUFFIXES
    unpassed = [d for d in other if Path(d).suffix.lower() in suffixes]
    if unpassed:
        warn(
            f"{len(unpassed)} annotation description(s) name a video that is not "
            f"in videos, e.g. {unpassed[:5]}: their onsets are dropped. Pass those "
            "video files too, or map the descriptions with description_to_video."
        )
    other = [d for d in other if d not in unpassed]
    if other:
        logger.info(f"Ignoring annotation(s) that name no video: {other[:10]}")
    return mapping


@verbose
def read_video_recording(
    raw: mne.io.BaseRaw,
    videos,
    *,
    clip_duration: float | None = None,
    description_to_video: dict[str, str] | None = None,
    subject: str | int | None = None,
    emotions=None,
    l_freq: float | None = 0.5,
    h_freq: float | None = None,
    sfreq: float | None = None,
    verbose=None,
) -> tuple[list[VideoClip], mne.Epochs]:
    """Cut a video-EEG recording into clip epochs paired with their videos.

    Each annotation of ``raw`` that names a video (its description is the
    video's file name, or is mapped to it by ``description_to_video``) starts
    one epoch of ``clip_duration`` seconds; the windowing is
    :func:`~mne_video2eeg.datasets.make_clip_epochs` (braindecode's
    ``create_windows_from_events``). The videos come back as
    :class:`~mne_video2eeg.video.io.VideoClip` segments of the same length, so
    ``extract_video_features(clips)`` and the epochs match on ``video``.

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous EEG in Volts with one annotation per video onset. Other
        annotations (``BAD_*``, task markers) are ignored.
    videos : path-like | VideoClip | list of those
        The video files shown. A video is identified by its file name
        (``Path(f).name``); a :class:`~mne_video2eeg.video.io.VideoClip` is
        identified by its ``id`` and its ``start`` is the video time at the
        annotation onset.
    clip_duration : float | None
        Epoch length in seconds. ``None`` uses the duration of the shortest
        video shown (epochs need one length). A video shorter than
        ``clip_duration`` is an error.
    description_to_video : dict of str to str | None
        Maps annotation descriptions to video ids (file names), for
        recordings whose markers are codes (e.g. ``{"Stimulus/S 11":
        "clip_011.mp4"}``). Descriptions equal to a video id need no entry.
    subject : str | int | None
        Subject label (an int becomes zero-padded, ``3 -> "03"``). ``None``
        uses ``raw.info["subject_info"]`` (``his_id``, else ``id``).
    emotions : None | str | dict | pandas.Series | pandas.DataFrame
        Emotion label per video: ``{video id: label}``, a Series, or a
        DataFrame with an ``emotion`` column indexed by video id (the output of
        :func:`~mne_video2eeg.video.emotion.label_emotions`) or with a
        ``video`` column; a str labels every clip. ``None`` uses the
        annotations' ``emotion`` extra where present, else ``"unknown"``.
    l_freq, h_freq : float | None
        Band-pass of the continuous recording before it is cut into clips
        (:func:`~mne_video2eeg.preprocessing.preprocess_eeg`, braindecode's
        ``Preprocessor`` chain: pick EEG, filter, resample). The default
        0.5 Hz high-pass removes the slow drifts of a recording made without
        one (filtered here, on the whole recording, it leaves no edge
        artefacts in the clips); ``None`` skips that edge.
    sfreq : float | None
        Resample the recording to this rate; ``None`` keeps its own.
    %(verbose)s

    Returns
    -------
    clips : list of VideoClip
        One per video shown, in order of first onset;
        ``VideoClip(fname, start, start + clip_duration, name=video id)``.
    epochs : mne.Epochs
        One epoch per video onset (``tmin=0``, no baseline), events coded by
        emotion (negative 1, neutral 2, positive 3, other labels 4, 5, ...).
        ``metadata`` columns: ``video``, ``subject``, ``emotion``,
        ``video_file`` (file name), ``start``/``stop`` (seconds in the video
        file), ``description``, ``onset`` and ``sample`` (from
        :func:`~mne_video2eeg.datasets.make_clip_epochs`) and any
        annotation extras.
    """
    from ..preprocessing import check_volts, preprocess_eeg
    from ._windows import make_clip_epochs

    _validate_type(raw, mne.io.BaseRaw, "raw", "mne.io.Raw")
    subject = _check_subject(subject, raw)
    table = _video_table(videos)
    mapping = _description_map(raw, table, description_to_video)
    used = list(dict.fromkeys(mapping.values()))
    if clip_duration is None:
        durations = {vid: table[vid][2] for vid in used}
        clip_duration = min(durations.values())
        if max(durations.values()) - clip_duration > 1e-6:
            logger.info(
                f"The videos last {clip_duration:.3f}-{max(durations.values()):.3f} "
                f"s; cutting every clip to the shortest ({clip_duration:.3f} s)."
            )
    else:
        clip_duration = _check_positive(clip_duration, "clip_duration")
        for vid in used:
            fname, start, dur = table[vid]
            # half a sample of slack: a video exactly clip_duration long fits
            if dur + 0.5 / raw.info["sfreq"] < clip_duration:
                raise ValueError(
                    f"Video {fname} lasts {dur:.3f} s (from {start:.3f} s), shorter "
                    f"than clip_duration={clip_duration} s. Pass a shorter "
                    "clip_duration (or None for the shortest video)."
                )
    event_id = {desc: k + 1 for k, desc in enumerate(sorted(mapping))}
    if l_freq is not None or h_freq is not None or sfreq is not None:
        out_sfreq = raw.info["sfreq"] if sfreq is None else sfreq
        raw = preprocess_eeg(raw, sfreq=out_sfreq, l_freq=l_freq, h_freq=h_freq)
        logger.info(
            f"Preprocessed the recording: EEG picked, band {l_freq}-{h_freq} Hz, "
            f"{raw.info['sfreq']:g} Hz"
        )
    else:  # preprocess_eeg checks the units on its way
        check_volts(raw)
    epochs = make_clip_epochs(raw, clip_duration=clip_duration, event_id=event_id)

    md = epochs.metadata.copy()
    md["video"] = md["description"].map(mapping)
    md["subject"] = subject
    md["video_file"] = [table[v][0].name for v in md["video"]]
    md["start"] = [table[v][1] for v in md["video"]]
    md["stop"] = md["start"] + clip_duration
    if emotions is None and "emotion" in md:
        labels = md["emotion"].where(md["emotion"].notna(), UNKNOWN_EMOTION)
        labels = labels.map(str)
    else:
        labels = emotion_column(md, emotions)
    md["emotion"] = labels.to_numpy()
    first = ["video", "subject", "emotion", "video_file", "start", "stop"]
    md = md[first + [c for c in md.columns if c not in first]]
    codes, emo_id = emotion_events(list(md["emotion"]))
    epochs.events[:, 2] = codes
    epochs.event_id = emo_id
    epochs.metadata = md.reset_index(drop=True)

    clips = [
        VideoClip(
            table[vid][0],
            table[vid][1],
            table[vid][1] + clip_duration,
            name=vid,
        )
        for vid in md["video"].drop_duplicates()
    ]
    n_left = len(used) - len(clips)
    logger.info(
        f"Read {len(epochs)} clip(s) of {clip_duration:g} s of {len(clips)} "
        f"video(s) for subject {subject}"
        + (f" ({n_left} video(s) had no clip in the recording)." if n_left else ".")
    )
    return clips, epochs
