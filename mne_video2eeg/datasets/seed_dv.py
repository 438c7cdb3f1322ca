"""Read SEED-DV (EEG2Video, Liu et al. 2024) as released: clip epochs and videos.

Layout (see ``SEED-DV.md``): ``EEG/subN.npy`` (7 blocks, 62 channels, 104000
samples at 200 Hz), ``Video/{1st..7th}_10min.mp4``, ``meta_info/*.npy``,
``BLIP/{1st..7th}_10min.txt`` and, often, the derived
``Segmented_Rawf_200Hz_2s/subN.npy`` (7, 40, 5, 62, 400). In each 520-s block,
clip ``k`` (0..4) of the ``c``-th presented concept (0..39) starts at
``13 * c + 3 + 2 * k`` s.
"""

from __future__ import annotations

import re
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from mne.utils import logger, warn

from .._inputs import emotion_events
from ..montage import SEED_CH_NAMES, make_seed_info
from ..utils._checks import _check_option, _check_positive, _validate_type
from ..utils._docs import verbose
from ..video.io import VideoClip, VideoReader
from .recording import emotion_column

__all__ = ["SEED_DV_COARSE_CLASSES", "read_seed_dv", "seed_dv_clips"]

SFREQ = 200.0
N_BLOCKS, N_CONCEPTS, N_CLIPS = 7, 40, 5
HINT_S, CLIP_S, CONCEPT_S = 3.0, 2.0, 13.0
BLOCK_S = N_CONCEPTS * CONCEPT_S  # 520 s
N_BLOCK_SAMPLES = int(BLOCK_S * SFREQ)  # 104000
N_CLIP_SAMPLES = int(CLIP_S * SFREQ)  # 400
BLOCK_NAMES = ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th")
RAW_DIR, SEGMENTED_DIR = "EEG", "Segmented_Rawf_200Hz_2s"
LABEL_FILE = "All_video_label.npy"
#: Optional per-clip annotations, (7, 200) arrays; names as released.
META_FILES = {
    "color": "All_video_color.npy",
    "face": "All_video_face_apperance.npy",
    "human": "All_video_human_apperance.npy",
    "obj_number": "All_video_obj_number.npy",
    "optical_flow": "All_video_optical_flow_score.npy",
}
#: Median optical-flow score of SEED-DV: the fast/slow split of the authors.
OPTICAL_FLOW_SPLIT = 1.799
#: The 9 coarse classes and their concept ids (inclusive ranges).
SEED_DV_COARSE_CLASSES = {
    "Land Animal": (1, 7),
    "Water Animal": (8, 11),
    "Plant": (12, 14),
    "Exercise": (15, 18),
    "Human": (19, 21),
    "Natural Scene": (22, 27),
    "Food": (28, 32),
    "Musical Instrument": (33, 36),
    "Transportation": (37, 40),
}
# Plausible EEG: median channel standard deviation, in microvolts.
_UV_RANGE = (0.5, 500.0)
_SUBJECT_FILE = re.compile(r"^sub(\d+)(?:_session(\d+))?\.npy$")
_SUBJECT_ARG = re.compile(r"^(?:sub)?0*(\d+)(?:_session(\d+))?$")


def _clip_id(block: int, pos: int, clip: int) -> str:
    return f"b{block}_c{pos:02d}_k{clip}"


def _clip_start(pos, clip):
    return CONCEPT_S * pos + HINT_S + CLIP_S * clip


def _video_name(block: int) -> str:
    return f"{BLOCK_NAMES[block - 1]}_10min.mp4"


def _coarse_class(concept: int) -> str:
    for name, (lo, hi) in SEED_DV_COARSE_CLASSES.items():
        if lo <= concept <= hi:
            return name
    raise ValueError(f"Concept id {concept} is outside 1..40.")  # pragma: no cover


# --------------------------------------------------------------------------- #
# argument checks


def _check_root(root) -> Path:
    _validate_type(root, "path-like", "root")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"SEED-DV folder not found: {root}. Pass the folder that holds EEG/, "
            "Video/, meta_info/ and BLIP/ as released."
        )
    return root


def _check_ints(values, name: str, lo: int, hi: int) -> list[int]:
    """``values`` as sorted unique ints in ``lo..hi``; None: all of them."""
    if values is None:
        return list(range(lo, hi + 1))
    if isinstance(values, int | np.integer) and not isinstance(values, bool):
        values = [values]
    _validate_type(values, (list, tuple, range, np.ndarray), name)
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(
                f"{name} entries must be ints in {lo}..{hi}, got {value!r}."
            )
        if not lo <= value <= hi:
            raise ValueError(f"{name} must be in {lo}..{hi}, got {int(value)}.")
        out.append(int(value))
    if not out:
        raise ValueError(f"{name} is empty; pass None (all of {lo}..{hi}) or some.")
    return sorted(set(out))


def _check_blocks(blocks) -> list[int]:
    return _check_ints(blocks, "blocks", 1, N_BLOCKS)


def _subject_key(num, session) -> str:
    return f"{int(num):02d}" + (f"_session{int(session)}" if session else "")


def _present_subjects(folder: Path) -> dict[str, Path]:
    present = {}
    for path in sorted(folder.glob("sub*.npy")):
        match = _SUBJECT_FILE.match(path.name)
        if match:
            present[_subject_key(*match.groups())] = path
    return present


def _check_subjects(subjects, present: dict[str, Path], folder: Path) -> list[str]:
    main = sorted(k for k in present if "_session" not in k)
    if not present:
        raise FileNotFoundError(
            f"No subject file (subN.npy) in {folder}. Expected the released files "
            "sub1.npy ... sub20.npy there."
        )
    if subjects is None:
        if not main:
            raise FileNotFoundError(
                f"{folder} holds only extra sessions ({sorted(present)}); pass "
                "subjects= naming them, e.g. subjects=['01_session2']."
            )
        return main
    if isinstance(subjects, str | int | np.integer):
        subjects = [subjects]
    _validate_type(subjects, (list, tuple, range, np.ndarray), "subjects")
    keys = []
    for subject in subjects:
        if isinstance(subject, bool):
            raise TypeError(f"subjects entries must be int or str, got {subject!r}.")
        if isinstance(subject, int | np.integer):
            key = _subject_key(subject, None)
        else:
            _validate_type(subject, str, "each subjects entry", "int or str")
            match = _SUBJECT_ARG.match(subject.strip())
            if match is None:
                raise ValueError(
                    f"Cannot read the subject {subject!r}; use 1, '01', 'sub1' or, "
                    "for an extra session, '01_session2'."
                )
            key = _subject_key(*match.groups())
        if key not in present:
            raise ValueError(
                f"Subject {subject!r} ({key}) has no file in {folder}; the subjects "
                f"present are {sorted(present)}."
            )
        keys.append(key)
    if not keys:
        raise ValueError("subjects is empty; pass None for every subject.")
    return list(dict.fromkeys(keys))


def _eeg_folder(root: Path, source: str) -> tuple[str, Path]:
    _check_option("source", source, ("auto", "raw", "segmented"))
    folders = {"raw": root / RAW_DIR, "segmented": root / SEGMENTED_DIR}
    if source == "auto":
        source = "raw" if folders["raw"].is_dir() else "segmented"
        if not folders[source].is_dir():
            raise FileNotFoundError(
                f"No EEG in {root}: expected the folder {folders['raw']} (released "
                f"subN.npy, (7, 62, 104000)) or {folders['segmented']} (derived "
                "subN.npy, (7, 40, 5, 62, 400))."
            )
    if not folders[source].is_dir():
        shape = "(7, 62, 104000)" if source == "raw" else "(7, 40, 5, 62, 400)"
        raise FileNotFoundError(
            f"EEG folder not found: {folders[source]} (source={source!r} reads "
            f"subN.npy arrays of shape {shape} there)."
        )
    return source, folders[source]


# --------------------------------------------------------------------------- #
# files


def _load_npy(path: Path, what: str, *, mmap: bool = False) -> np.ndarray:
    try:
        arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ValueError(
            f"Cannot read {path} as a numpy .npy array ({what}): {err}"
        ) from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(
        arr.dtype, np.complexfloating
    ):
        raise ValueError(f"{path} must hold real numbers ({what}), got {arr.dtype}.")
    return arr


def _check_shape(arr, path, shape, what):
    if arr.shape != shape:
        raise ValueError(f"{path} has shape {arr.shape}; expected {shape} ({what}).")


def _read_labels(root: Path) -> np.ndarray:
    path = root / "meta_info" / LABEL_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"Concept label file not found: {path}. SEED-DV ships it as "
            "meta_info/All_video_label.npy, shape (7, 40), the concept id (1..40) "
            "of each presented concept."
        )
    labels = _load_npy(path, "concept ids 1..40 per block and position")
    _check_shape(labels, path, (N_BLOCKS, N_CONCEPTS), "7 blocks x 40 concept ids")
    if not (np.isfinite(labels).all() and (labels == np.round(labels)).all()):
        raise ValueError(f"{path} must hold integer concept ids 1..40.")
    labels = labels.astype(int)
    if labels.min() < 1 or labels.max() > N_CONCEPTS:
        raise ValueError(
            f"{path} holds concept ids {labels.min()}..{labels.max()}; expected "
            "1..40 as released."
        )
    return labels


def _read_meta(root: Path) -> dict[str, np.ndarray | None]:
    out = {}
    for col, name in META_FILES.items():
        path = root / "meta_info" / name
        if not path.is_file():
            logger.info(f"No {path}: the '{col}' column is NaN.")
            out[col] = None
            continue
        arr = _load_npy(path, f"the '{col}' annotation of each clip")
        _check_shape(arr, path, (N_BLOCKS, N_CONCEPTS * N_CLIPS), "7 blocks x 200")
        if col != "optical_flow" and (arr == np.round(arr)).all():
            arr = arr.astype(int)
        out[col] = arr
    return out


def _read_captions(root: Path, block: int) -> list[str] | None:
    path = root / "BLIP" / f"{BLOCK_NAMES[block - 1]}_10min.txt"
    if not path.is_file():
        logger.info(f"No {path}: the 'caption' column of block {block} is NaN.")
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) != N_CONCEPTS * N_CLIPS:
        raise ValueError(
            f"{path} has {len(lines)} lines; expected 200 captions (one per clip "
            "of the block, in presentation order)."
        )
    return [line.strip() for line in lines]


def _block_metadata(root, block, labels, meta) -> pd.DataFrame:
    pos = np.repeat(np.arange(N_CONCEPTS), N_CLIPS)
    clip = np.tile(np.arange(N_CLIPS), N_CONCEPTS)
    concept = labels[block - 1, pos]
    start = _clip_start(pos, clip)
    md = pd.DataFrame(
        {
            "block": block,
            "concept_pos": pos,
            "clip": clip,
            "concept": concept,
            "coarse_class": [_coarse_class(c) for c in concept],
            "video": [_clip_id(block, p, k) for p, k in zip(pos, clip, strict=True)],
            "video_file": _video_name(block),
            "start": start,
            "stop": start + CLIP_S,
        }
    )
    for col, arr in meta.items():
        md[col] = np.nan if arr is None else arr[block - 1]
    flow = meta["optical_flow"]
    md["optical_flow_fast"] = (
        np.nan if flow is None else flow[block - 1] > OPTICAL_FLOW_SPLIT
    )
    captions = _read_captions(root, block)
    md["caption"] = np.nan if captions is None else captions
    return md


def _read_subject_data(path, source, blocks, out) -> None:
    """Fill ``out`` (n_blocks * 200, 62, 400) with the clips, in the file's unit."""
    if source == "raw":
        arr = _load_npy(path, "continuous EEG of the 7 blocks", mmap=True)
        _check_shape(
            arr, path, (N_BLOCKS, len(SEED_CH_NAMES), N_BLOCK_SAMPLES),
            "7 blocks x 62 channels x 104000 samples (520 s at 200 Hz)",
        )  # fmt: skip
        pos = np.repeat(np.arange(N_CONCEPTS), N_CLIPS)
        clip = np.tile(np.arange(N_CLIPS), N_CONCEPTS)
        first = np.round(_clip_start(pos, clip) * SFREQ).astype(int)
        idx = first[:, np.newaxis] + np.arange(N_CLIP_SAMPLES)  # (200, 400)
        # fancy indexing reads only the clip samples of each block (memmap)
        for j, b in enumerate(blocks):
            part = out[j * len(idx) : (j + 1) * len(idx)]
            part[:] = np.asarray(arr[b - 1][:, idx]).transpose(1, 0, 2)
    else:
        arr = _load_npy(path, "2-s clips", mmap=True)
        _check_shape(
            arr, path,
            (N_BLOCKS, N_CONCEPTS, N_CLIPS, len(SEED_CH_NAMES), N_CLIP_SAMPLES),
            "7 blocks x 40 concepts x 5 clips x 62 channels x 400 samples",
        )  # fmt: skip
        n_block = N_CONCEPTS * N_CLIPS
        for j, b in enumerate(blocks):
            out[j * n_block : (j + 1) * n_block] = np.asarray(arr[b - 1]).reshape(
                -1, len(SEED_CH_NAMES), N_CLIP_SAMPLES
            )
    if not np.isfinite(out).all():
        raise ValueError(f"{path} holds NaN or Inf values in the selected clips.")


def _check_amplitude(data_uv: np.ndarray) -> None:
    std = float(np.median(data_uv.std(axis=-1)))
    lo, hi = _UV_RANGE
    if not lo <= std <= hi:
        warn(
            f"After scaling with scale=1e-6 (files assumed in microvolts) the "
            f"median channel standard deviation is {std:.3g} uV, outside the "
            f"plausible EEG range {lo}-{hi} uV. If the files hold another unit, "
            "pass scale= (the factor to Volts, e.g. scale=1.0 for Volts, 1e-3 "
            "for millivolts)."
        )


# --------------------------------------------------------------------------- #
# public API


@verbose
def read_seed_dv(
    root,
    *,
    subjects=None,
    blocks=None,
    source: str = "auto",
    scale: float | None = None,
    emotions=None,
    verbose=None,
) -> mne.EpochsArray:
    """Read SEED-DV as 2-s clip epochs with the dataset's annotations.

    Parameters
    ----------
    %(root_seed_dv)s
        ``Video/`` is not read here (see :func:`seed_dv_clips`).
    subjects : int | str | list of (int | str) | None
        Subjects to read: ``1``, ``"01"`` or ``"sub1"`` (file ``sub1.npy``).
        ``None`` reads every ``subN.npy``. Extra sessions that some copies
        carry (``sub1_session2.npy``) are read only when named, e.g.
        ``"01_session2"``; their ``subject`` is ``"01"`` and ``session`` 2.
    blocks : int | list of int | None
        Blocks 1..7 (``None``: all). Blocks are read from the memory-mapped
        arrays, so a subset reads only its part of the files.
    source : "auto" | "raw" | "segmented"
        ``"raw"``: the released continuous ``EEG/subN.npy`` (7, 62, 104000),
        cut at ``13 * c + 3 + 2 * k`` s. ``"segmented"``: the derived
        ``Segmented_Rawf_200Hz_2s/subN.npy`` (7, 40, 5, 62, 400), which
        EEG2Video's segmentation script cuts from the same arrays at the same
        times (so both give identical epochs). ``"auto"``: ``"raw"`` if
        ``EEG/`` exists, else ``"segmented"``.
    scale : float | None
        Factor from the file's unit to Volts. The released arrays are, by all
        accounts, in microvolts, so ``None`` means ``1e-6`` and warns if the
        result is implausible as EEG (median channel standard deviation
        outside 0.5-500 uV). An explicit value is trusted (no check).
    emotions : None | str | dict | pandas.Series | pandas.DataFrame
        Emotion labels; SEED-DV ships none. ``None`` labels every clip
        ``"unknown"``. Otherwise a table merged by clip: a dict/Series
        ``{video id: label}``, or a DataFrame with an ``emotion`` column and
        the key in columns ``video``, or ``block``/``concept_pos``/``clip``,
        or ``concept`` (one label per concept id), or in its index (video
        ids). The output of
        :func:`~mne_video2eeg.video.emotion.label_emotions` on
        :func:`seed_dv_clips` (zero-shot CLIP, indexed by video id) fits
        directly. A str labels every clip.
    %(verbose)s

    Returns
    -------
    epochs : mne.EpochsArray
        One 2-s epoch (400 samples at 200 Hz, ``tmin=0``) per clip, ordered by
        subject, block, presentation position, clip; the 62 channels in the
        released order with :func:`~mne_video2eeg.montage.make_seed_montage`;
        Volts. Events are coded by emotion (negative 1, neutral 2, positive 3,
        other labels such as ``"unknown"`` 4, 5, ... in sorted order); select
        concepts through the metadata (``epochs["concept == 5"]``).
        ``metadata`` columns:

        - ``subject`` ("01".."20"), ``session`` (1, or N of ``_sessionN``),
          ``block`` (1..7), ``concept_pos`` (0..39, presentation position),
          ``clip`` (0..4);
        - ``concept`` (1..40, ``meta_info/All_video_label.npy``) and
          ``coarse_class`` (one of :data:`SEED_DV_COARSE_CLASSES`);
        - ``video``: the clip id ``"b{block}_c{concept_pos:02d}_k{clip}"``
          (e.g. ``"b1_c07_k2"``), identical to the ``id`` of the
          :class:`~mne_video2eeg.video.io.VideoClip` from
          :func:`seed_dv_clips`, hence to the ``video`` coordinate of
          ``extract_video_features(seed_dv_clips(...))``;
        - ``video_file`` (``"1st_10min.mp4"`` ...), ``start``/``stop``
          (seconds in the block video and block EEG);
        - ``emotion`` (see ``emotions``);
        - ``color``, ``face``, ``human``, ``obj_number``, ``optical_flow``
          (``meta_info/All_video_*.npy``, index ``5 * concept_pos + clip``) and
          ``optical_flow_fast`` (``optical_flow > 1.799``, the dataset median);
        - ``caption`` (line ``5 * concept_pos + clip`` of
          ``BLIP/{1st..7th}_10min.txt``).

        Missing optional files (``BLIP/``, the ``meta_info`` annotations other
        than the labels) give NaN columns and a note in the log.

    Notes
    -----
    Memory: each subject takes ``1400 x 62 x 400`` float64 values (about
    280 MB); read subsets with ``subjects=``/``blocks=`` when needed.
    """
    root = _check_root(root)
    blocks = _check_blocks(blocks)
    source, folder = _eeg_folder(root, source)
    present = _present_subjects(folder)
    keys = _check_subjects(subjects, present, folder)
    if scale is not None:
        scale = _check_positive(scale, "scale")
    labels = _read_labels(root)
    meta = _read_meta(root)
    block_md = pd.concat(
        [_block_metadata(root, b, labels, meta) for b in blocks], ignore_index=True
    )

    # one float64 buffer filled subject by subject (no concatenated copy)
    n_sub = len(block_md)
    data = np.empty((len(keys) * n_sub, len(SEED_CH_NAMES), N_CLIP_SAMPLES))
    mds = []
    for s, key in enumerate(keys):
        logger.info(f"Reading {present[key]} (blocks {blocks})")
        _read_subject_data(
            present[key], source, blocks, data[s * n_sub : (s + 1) * n_sub]
        )
        subject, _, session = key.partition("_session")
        md = block_md.copy()
        md.insert(0, "subject", subject)
        md.insert(1, "session", int(session) if session else 1)
        mds.append(md)
    metadata = pd.concat(mds, ignore_index=True)
    if scale is None:
        _check_amplitude(data)
        scale = 1e-6
    data *= scale

    metadata["emotion"] = emotion_column(
        metadata,
        emotions,
        key_columns=(("video",), ("block", "concept_pos", "clip"), ("concept",)),
    ).to_numpy()
    first = ["subject", "session", "block", "concept_pos", "clip", "concept"]
    first += ["coarse_class", "video", "video_file", "start", "stop", "emotion"]
    metadata = metadata[first + [c for c in metadata.columns if c not in first]]
    codes, event_id = emotion_events(list(metadata["emotion"]))
    events = np.column_stack(
        [np.arange(len(codes)) * N_CLIP_SAMPLES, np.zeros(len(codes), int), codes]
    )
    epochs = mne.EpochsArray(
        data,
        make_seed_info(SFREQ),
        events=events,
        tmin=0.0,
        event_id=event_id,
        metadata=metadata,
        verbose=False,
    )
    logger.info(
        f"Read {len(epochs)} SEED-DV clips ({len(keys)} subject(s), blocks "
        f"{blocks}, source={source!r})."
    )
    return epochs


def _check_block_video(path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(
            f"Block video not found: {path}. SEED-DV ships Video/1st_10min.mp4 ... "
            "Video/7th_10min.mp4, one 520-s video per block."
        )
    # frame count and rate come from the container header; nothing is decoded
    with VideoReader(path) as reader:
        duration, fps = reader.duration, reader.native_fps
    # half a frame of slack, as read_video allows for a segment's end
    if duration + 0.5 / fps < BLOCK_S:
        raise ValueError(
            f"Block video {path} lasts {duration:.3f} s ({reader.n_frames} frames "
            f"at {fps:g} fps); a SEED-DV block lasts {BLOCK_S:g} s (40 concepts x "
            "13 s). The file is truncated or not a SEED-DV block video."
        )


@verbose
def seed_dv_clips(
    root,
    block=None,
    *,
    concept_pos=None,
    verbose=None,
) -> list[VideoClip]:
    """List the 2-s segments of the SEED-DV block videos, aligned with the epochs.

    Parameters
    ----------
    %(root_seed_dv)s
        Only ``Video/{1st..7th}_10min.mp4`` are read here.
    block : int | list of int | None
        Block(s) 1..7; ``None`` for all 7.
    concept_pos : int | list of int | None
        Presentation positions 0..39 to keep (``None``: all 40).
    %(verbose)s

    Returns
    -------
    clips : list of VideoClip
        ``VideoClip(Video/<block>_10min.mp4, start, start + 2, name=id)`` with
        ``start = 13 * concept_pos + 3 + 2 * clip`` and ``id`` the ``video``
        column of :func:`read_seed_dv` (``"b1_c07_k2"``), ordered by block,
        position, clip (the order :func:`read_seed_dv` uses, and sorted by
        start within a file, which
        :func:`~mne_video2eeg.video.io.iter_video_segments` reads in one pass).
        ``extract_video_features(clips)`` reads only these segments, never a
        whole 10-minute file.
    """
    root = _check_root(root)
    blocks = _check_ints(block, "block", 1, N_BLOCKS)
    positions = _check_ints(concept_pos, "concept_pos", 0, N_CONCEPTS - 1)
    video_dir = root / "Video"
    if not video_dir.is_dir():
        raise FileNotFoundError(
            f"Video folder not found: {video_dir}. SEED-DV ships the block videos "
            "there (1st_10min.mp4 ... 7th_10min.mp4)."
        )
    clips = []
    for b in blocks:
        path = video_dir / _video_name(b)
        _check_block_video(path)
        for pos in positions:
            for k in range(N_CLIPS):
                start = float(_clip_start(pos, k))
                clips.append(
                    VideoClip(path, start, start + CLIP_S, _clip_id(b, pos, k))
                )
    logger.info(f"{len(clips)} SEED-DV video clips from block(s) {blocks}.")
    return clips
