"""Write a tiny fake SEED-DV folder in the released layout (for the tests).

Everything keeps the released shapes (62 channels, 7 blocks of 520 s at
200 Hz, 24-fps block videos of 12480 frames); only the content is cheap:

- ``EEG/subN.npy``: float32 (7, 62, 104000) in microvolts (~180 MB each). The
  background is a 20-uV noise chunk of a prime length (6007 samples) repeated,
  so no two clips of a block hold the same samples, plus one planted marker
  (a ramp in channel OZ) at a known clip. ``sub1_session2.npy`` is a sparse
  file (only block 1 written, the rest zeros): cheap on disk.
- ``Segmented_Rawf_200Hz_2s/subN.npy``: cut from the raw arrays as EEG2Video's
  segmentation script does.
- ``Video/{1st..7th}_10min.mp4``: 32x16-pixel mp4v videos whose frame index is
  written in four flat 8x8 tiles (one base-16 digit each), read back with
  :func:`decode_frame_index`.
- ``meta_info/*.npy`` and ``BLIP/*.txt`` with known, random values.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

BLOCKS = ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th")
N_SAMPLES, SFREQ, FPS = 104000, 200, 24
#: Where the marker is planted: (subject, block, concept_pos, clip, channel).
MARKER = dict(subject=1, block=2, concept_pos=7, clip=2, channel="OZ")
MARKER_UV = 300.0  # ramp 0 -> MARKER_UV over the clip


def clip_first_sample(concept_pos: int, clip: int) -> int:
    """First EEG sample of a clip, from the dataset description."""
    return (13 * concept_pos + 3 + 2 * clip) * SFREQ


def _noise(rng, n_ch=62, length=6007):
    return (rng.standard_normal((n_ch, length)) * 20).astype(np.float32)


def _write_eeg(path, rng, *, sparse=False):
    from mne_video2eeg.montage import SEED_CH_NAMES

    arr = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(7, 62, N_SAMPLES)
    )
    chunk = _noise(rng)
    idx = np.arange(N_SAMPLES)
    for b in range(1 if sparse else 7):
        # a different phase of the repeated chunk per block
        arr[b] = chunk[:, (idx + 911 * b) % chunk.shape[1]]
    if not sparse:
        first = clip_first_sample(MARKER["concept_pos"], MARKER["clip"])
        ch = SEED_CH_NAMES.index(MARKER["channel"])
        arr[MARKER["block"] - 1, ch, first : first + 2 * SFREQ] = np.linspace(
            0, MARKER_UV, 2 * SFREQ, dtype=np.float32
        )
    arr.flush()
    del arr


def _write_segmented(raw_path, out_path):
    raw = np.load(raw_path, mmap_mode="r")
    seg = np.lib.format.open_memmap(
        out_path, mode="w+", dtype=np.float32, shape=(7, 40, 5, 62, 400)
    )
    for b in range(7):
        for c in range(40):
            first = clip_first_sample(c, 0)
            block = np.asarray(raw[b, :, first : first + 10 * SFREQ])
            # (62, 2000) -> (62, 5, 400) -> (5, 62, 400)
            seg[b, c] = block.reshape(62, 5, 400).transpose(1, 0, 2)
    seg.flush()
    del seg


def encode_frame(index: int) -> np.ndarray:
    """A 16x32 BGR frame holding ``index`` as four base-16 digits."""
    gray = np.zeros((16, 32), np.uint8)
    for j in range(4):
        gray[:, 8 * j : 8 * j + 8] = ((index >> (4 * j)) & 15) * 16 + 8
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def decode_frame_index(frame: np.ndarray) -> int:
    """Invert :func:`encode_frame` on a decoded (lossy) RGB or BGR frame."""
    gray = np.asarray(frame, float).mean(axis=-1)
    digits = [
        int(np.clip(round((gray[:, 8 * j : 8 * j + 8].mean() - 8) / 16), 0, 15))
        for j in range(4)
    ]
    return sum(d << (4 * j) for j, d in enumerate(digits))


def write_block_video(path, n_frames: int = 40 * 13 * FPS, fps: int = FPS):
    """Write a block video whose frame ``i`` encodes ``i``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (32, 16))
    if not writer.isOpened():  # pragma: no cover - depends on the OpenCV build
        raise RuntimeError("OpenCV cannot write mp4v videos here.")
    for i in range(n_frames):
        writer.write(encode_frame(i))
    writer.release()


def caption(block: int, pos: int, clip: int) -> str:
    return f"a caption of block {block} concept {pos} clip {clip}"


def write_fake_seed_dv(
    root,
    *,
    subjects=(1, 2),
    segmented_subjects=(1,),
    session2: bool = True,
    video_blocks=(1, 2, 3, 4, 5, 6, 7),
    random_state: int = 0,
) -> dict:
    """Write the fake folder under ``root``; return the planted meta arrays."""
    rng = np.random.default_rng(random_state)
    root = Path(root)
    for sub in ("EEG", "Segmented_Rawf_200Hz_2s", "Video", "meta_info", "BLIP"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for s in subjects:
        _write_eeg(root / "EEG" / f"sub{s}.npy", rng)
    for s in segmented_subjects:
        _write_segmented(
            root / "EEG" / f"sub{s}.npy",
            root / "Segmented_Rawf_200Hz_2s" / f"sub{s}.npy",
        )
    if session2:
        _write_eeg(root / "EEG" / "sub1_session2.npy", rng, sparse=True)
    for b in video_blocks:
        write_block_video(root / "Video" / f"{BLOCKS[b - 1]}_10min.mp4")
    meta = dict(
        label=np.stack([rng.permutation(40) + 1 for _ in range(7)]),
        color=rng.integers(0, 7, (7, 200)),
        face=rng.integers(0, 2, (7, 200)),
        human=rng.integers(0, 2, (7, 200)),
        obj_number=rng.integers(1, 4, (7, 200)),
        optical_flow=rng.lognormal(np.log(1.8), 0.5, (7, 200)),
    )
    names = dict(
        label="All_video_label.npy",
        color="All_video_color.npy",
        face="All_video_face_apperance.npy",
        human="All_video_human_apperance.npy",
        obj_number="All_video_obj_number.npy",
        optical_flow="All_video_optical_flow_score.npy",
    )
    for key, arr in meta.items():
        np.save(root / "meta_info" / names[key], arr)
    for b in range(1, 8):
        lines = [caption(b, p, k) for p in range(40) for k in range(5)]
        (root / "BLIP" / f"{BLOCKS[b - 1]}_10min.txt").write_text(
            "\n".join(lines) + "\n"
        )
    return meta
