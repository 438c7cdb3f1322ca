"""Loaders of the real recordings used by ``benchmarks/real_data.py``.

Each turns files of a data folder (passed in: the package never hard-codes a
data path) into what the package takes: clip :class:`mne.EpochsArray` in
Volts with a montage and ``metadata`` columns ``video``, ``subject``,
``emotion`` (``"unknown"``: these recordings carry no emotion) and ``split``
(``"train"``, ``"val"``, ``"test"``), and one uint8 RGB video per video id at
``fps`` frames per second, for :func:`mne_video2eeg.extract_video_features`.

Files (see ``shared/data/README.md``):

- ``thielen2021_sub-0X.npz``: code-modulated VEP (``pyntbci`` 1.8.3, Thielen
  et al. 2021), 8 channels at 240 Hz. A clip is one 2.1-s code cycle (504
  samples; a 10.5-s trial shows its code 5 times); the video of code ``k``
  (``"code07"``) is a square flashing white (code bit 1) or black (0) at 60
  frames per second, 126 frames. Split by code: 5 test codes that no model
  sees (unseen videos), and of the other 15, 3 validation codes (for
  choices) and 12 training codes.
- ``ssvep_64ch-epo.fif``: SSVEP (``ssvepy`` 0.2), BioSemi 64 channels at
  256 Hz, 16 epochs x 16 s of a 6 Hz flicker (a 7.5-Hz stimulus shows in a
  few epochs). Each epoch is cut into 8 clips of 2 s; every clip shows the
  same video, a white/black square wave at 6 Hz (60 fps: 5 frames white, 5
  black; 2 s hold 12 whole cycles, so every clip starts at the same phase).
  Split by epoch, stratified by the two conditions (event codes 1xx / 2xx):
  4 test epochs, 2 validation epochs, 10 training epochs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import mne
import numpy as np
import pandas as pd

from mne_video2eeg._inputs import clip_epochs

CVEP_CHANNELS = ["Fpz", "T7", "O1", "POz", "Oz", "Iz", "O2", "T8"]
CVEP_SUBJECTS = ("01", "02", "03")
CVEP_FPS = 60.0
CVEP_SAMPLES_PER_FRAME = 4  # 240 Hz EEG / 60 Hz frames
SSVEP_FILE = "ssvep_64ch-epo.fif"
SSVEP_FREQ = 6.0
SSVEP_FPS = 60.0
SSVEP_CLIP_S = 2.0
SSVEP_VIDEO = "flicker06Hz"
EMOTION = "unknown"


def _montage_1020() -> mne.channels.DigMontage:
    # MNE renamed standard_1020 (deprecated, FutureWarning) to colin27_1020,
    # the same positions; older MNE only has the old name
    if "colin27_1020" in mne.channels.get_builtin_montages():
        return mne.channels.make_standard_montage("colin27_1020")
    return mne.channels.make_standard_montage("standard_1020")


@dataclass
class RealRecording:
    """Clips of one real data set, their videos and their split.

    Attributes
    ----------
    name : str
        ``"cvep"`` or ``"ssvep"``.
    epochs : mne.EpochsArray
        Clips in Volts, montage set; metadata ``video, subject, emotion,
        split`` and provenance columns.
    videos : dict of str -> ndarray, shape (n_frames, height, width, 3)
        uint8 RGB frames of each video id.
    fps : float
        Frame rate of ``videos``.
    stim_freqs : list of float
        Flicker frequencies (SSVEP), else empty.
    """

    name: str
    epochs: mne.EpochsArray
    videos: dict[str, np.ndarray]
    fps: float
    stim_freqs: list[float] = field(default_factory=list)

    def split(self, *names: str) -> mne.EpochsArray:
        """Return the clips of the given split(s) (``"train"``, ``"val"``, ...)."""
        keep = self.epochs.metadata["split"].isin(names).to_numpy()
        if not keep.any():
            raise ValueError(f"No clip in split(s) {names} of {self.name}.")
        return self.epochs[np.flatnonzero(keep)]

    def videos_of(self, epochs: mne.BaseEpochs) -> list[str]:
        """Return the sorted video ids of ``epochs``."""
        return sorted(epochs.metadata["video"].astype(str).unique())


def _check_root(root) -> Path:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"Data folder {root} does not exist; pass the folder that holds "
            "thielen2021_sub-0X.npz and ssvep_64ch-epo.fif (e.g. ../shared/data)."
        )
    return root


def _epochs_array(data, info, md) -> mne.EpochsArray:
    return clip_epochs(data, info, md)


def _square(bits: np.ndarray, frame_size: int) -> np.ndarray:
    """Frames of a square white (bit 1) / black (bit 0): (n, size, size, 3) uint8."""
    frames = np.asarray(bits, np.uint8)[:, None, None, None] * np.uint8(255)
    return np.broadcast_to(frames, (len(bits), frame_size, frame_size, 3)).copy()


# --------------------------------------------------------------------------- #
# c-VEP


def cvep_frames(codes: np.ndarray) -> np.ndarray:
    """Frame bits (n_codes, 126) of the 240-Hz codes held 4 samples per frame.

    Raises if a code is not constant within each frame (then frames and EEG
    samples would not line up).
    """
    codes = np.asarray(codes)
    n_codes, n = codes.shape
    if n % CVEP_SAMPLES_PER_FRAME:
        raise ValueError(f"Code length {n} is not a multiple of 4 samples.")
    held = codes.reshape(n_codes, -1, CVEP_SAMPLES_PER_FRAME)
    if not (held == held[..., :1]).all():
        raise ValueError("The codes change within a 60-Hz frame; expected 4 samples.")
    return held[..., 0]


def split_codes(n_codes: int, *, n_test: int = 5, n_val: int = 3, seed: int = 0):
    """Random disjoint (train, val, test) code indices, sorted, fixed seed."""
    if n_test + n_val >= n_codes:
        raise ValueError(
            f"n_test={n_test} + n_val={n_val} leave no training code of {n_codes}."
        )
    perm = np.random.default_rng(seed).permutation(n_codes)
    test = np.sort(perm[:n_test])
    val = np.sort(perm[n_test : n_test + n_val])
    train = np.sort(perm[n_test + n_val :])
    return train, val, test


def load_cvep(
    root,
    *,
    subjects=CVEP_SUBJECTS,
    n_test_codes: int = 5,
    n_val_codes: int = 3,
    seed: int = 0,
    frame_size: int = 32,
) -> RealRecording:
    """Read the c-VEP recordings as code-cycle clips and code videos.

    Parameters
    ----------
    root : path-like
        Folder holding ``thielen2021_sub-0X.npz``.
    subjects : sequence of str
        Subjects to read (``"01"``, ``"02"``, ``"03"``).
    n_test_codes, n_val_codes : int
        Codes held out as unseen test videos, and validation codes among the
        rest (the same codes for every subject).
    seed : int
        Seed of the code split.
    frame_size : int
        Height and width of the rendered frames (a uniform square: small is
        enough for the encoder).

    Returns
    -------
    recording : RealRecording
        ``epochs`` (n_subjects x 100 trials x 5 cycles clips of 8 x 504
        samples, 240 Hz), one video per code, fps 60. Metadata ``video``
        (``"code07"``), ``subject``, ``emotion`` (``"unknown"``), ``split``,
        ``trial``, ``cycle``.
    """
    root = _check_root(root)
    data, rows, codes, fs = [], [], None, None
    for subject in subjects:
        fname = root / f"thielen2021_sub-{subject}.npz"
        if not fname.is_file():
            raise FileNotFoundError(f"{fname} not found (subject {subject!r}).")
        with np.load(fname) as d:
            X, y, V, sf = d["X"], d["y"], d["V"], float(d["fs"])
        if codes is None:
            codes, fs = V, sf
        elif not (np.array_equal(V, codes) and sf == fs):
            raise ValueError(f"{fname} has other codes or sfreq than the others.")
        n_trials, n_ch, n_times = X.shape
        n_cycle = V.shape[1]
        if n_ch != len(CVEP_CHANNELS) or n_times % n_cycle:
            raise ValueError(
                f"{fname}: expected 8 channels and whole code cycles, got {X.shape}."
            )
        n_cycles = n_times // n_cycle
        # (trial, ch, cycle, t) -> (trial, cycle, ch, t): one clip per cycle
        clips = X.reshape(n_trials, n_ch, n_cycles, n_cycle).transpose(0, 2, 1, 3)
        data.append(clips.reshape(-1, n_ch, n_cycle).astype(np.float64))
        for trial in range(n_trials):
            for cycle in range(n_cycles):
                rows.append(
                    dict(
                        video=f"code{int(y[trial]):02d}",
                        subject=subject,
                        emotion=EMOTION,
                        trial=trial,
                        cycle=cycle,
                    )
                )
    md = pd.DataFrame(rows)
    train, val, test = split_codes(
        len(codes), n_test=n_test_codes, n_val=n_val_codes, seed=seed
    )
    split = {f"code{k:02d}": "train" for k in train}
    split.update({f"code{k:02d}": "val" for k in val})
    split.update({f"code{k:02d}": "test" for k in test})
    md["split"] = md["video"].map(split)
    info = mne.create_info(CVEP_CHANNELS, fs, "eeg")
    epochs = _epochs_array(np.concatenate(data), info, md)
    epochs.set_montage(_montage_1020())
    bits = cvep_frames(codes)
    videos = {f"code{k:02d}": _square(bits[k], frame_size) for k in range(len(bits))}
    return RealRecording("cvep", epochs, videos, CVEP_FPS)


# --------------------------------------------------------------------------- #
# SSVEP


def flicker_frames(
    freq: float, duration: float, fps: float, frame_size: int = 32
) -> np.ndarray:
    """White/black square wave at ``freq`` Hz (white first): (n, s, s, 3) uint8."""
    n = int(round(duration * fps))
    t = np.arange(n) / fps
    bits = (np.floor(2 * freq * t + 1e-9) % 2 == 0).astype(np.uint8)
    return _square(bits, frame_size)


def split_epochs(conditions: np.ndarray, *, n_test: int = 4, n_val: int = 2, seed=0):
    """Split label per epoch, stratified by condition (fixed seed)."""
    rng = np.random.default_rng(seed)
    labels = np.full(len(conditions), "train", dtype=object)
    groups = sorted(set(conditions))
    for g, cond in enumerate(groups):
        idx = rng.permutation(np.flatnonzero(conditions == cond))
        # share the test and validation epochs out over the conditions
        nt = n_test // len(groups) + (g < n_test % len(groups))
        nv = n_val // len(groups) + (g < n_val % len(groups))
        if nt + nv >= len(idx):
            raise ValueError(f"Condition {cond} has too few epochs for the split.")
        labels[idx[:nt]] = "test"
        labels[idx[nt : nt + nv]] = "val"
    return labels


def load_ssvep(
    root,
    *,
    n_test_epochs: int = 4,
    n_val_epochs: int = 2,
    seed: int = 0,
    clip_s: float = SSVEP_CLIP_S,
    frame_size: int = 32,
    l_freq: float | None = None,
) -> RealRecording:
    """Read the SSVEP epochs as 2-s clips of a 6-Hz flicker video.

    Parameters
    ----------
    root : path-like
        Folder holding ``ssvep_64ch-epo.fif``.
    n_test_epochs, n_val_epochs : int
        16-s epochs held out for testing and validation (all their clips),
        stratified by condition.
    seed : int
        Seed of the split.
    clip_s : float
        Clip length in seconds (a whole number of flicker cycles keeps every
        clip at the same phase).
    frame_size : int
        Height and width of the rendered frames.
    l_freq : float | None
        High-pass edge in Hz applied to each 16-s epoch before it is cut
        (longer than a clip: less edge effect); None keeps the recording as
        it is, slow drifts included.

    Returns
    -------
    recording : RealRecording
        ``epochs`` (16 epochs x 8 clips of 64 x 512 samples, 256 Hz, BioSemi
        64 montage, no high-pass unless ``l_freq``), one video
        ``"flicker06Hz"``, fps 60, ``stim_freqs=[6.0]``. Metadata ``video``,
        ``subject`` (``"01"``), ``emotion`` (``"unknown"``), ``split``,
        ``epoch``, ``clip``, ``condition``.
    """
    root = _check_root(root)
    fname = root / SSVEP_FILE
    if not fname.is_file():
        raise FileNotFoundError(f"{fname} not found.")
    epochs = mne.read_epochs(fname, preload=True, verbose=False)
    epochs.set_montage("biosemi64")
    if l_freq is not None:
        epochs.filter(l_freq, None, verbose=False)
    sf = float(epochs.info["sfreq"])
    n_clip = int(round(clip_s * sf))
    data = epochs.get_data()
    n_ep, n_ch, n_times = data.shape
    n_per = n_times // n_clip
    if n_per < 1:
        raise ValueError(f"Epochs of {n_times} samples hold no {clip_s}-s clip.")
    clips = data[..., : n_per * n_clip].reshape(n_ep, n_ch, n_per, n_clip)
    clips = clips.transpose(0, 2, 1, 3).reshape(-1, n_ch, n_clip)
    conditions = epochs.events[:, 2] // 100
    split = split_epochs(
        conditions, n_test=n_test_epochs, n_val=n_val_epochs, seed=seed
    )
    md = pd.DataFrame(
        dict(
            video=SSVEP_VIDEO,
            subject="01",
            emotion=EMOTION,
            split=np.repeat(split, n_per),
            epoch=np.repeat(np.arange(n_ep), n_per),
            clip=np.tile(np.arange(n_per), n_ep),
            condition=np.repeat(conditions, n_per),
        )
    )
    out = _epochs_array(clips, epochs.info.copy(), md)
    videos = {SSVEP_VIDEO: flicker_frames(SSVEP_FREQ, clip_s, SSVEP_FPS, frame_size)}
    return RealRecording("ssvep", out, videos, SSVEP_FPS, [SSVEP_FREQ])


LOADERS = {"cvep": load_cvep, "ssvep": load_ssvep}
