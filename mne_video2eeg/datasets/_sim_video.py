"""Procedural affective video clips for the simulated dataset, and their drivers.

Two halves: :func:`_draw_clip_params` + :func:`_render_clip` make the frames
(written with :func:`_write_clip`), and :func:`_clip_drivers` reads a written
file back and measures the per-frame quantities that drive the simulated EEG.
The EEG is computed from what the *file* holds, never from the render
parameters, so a model that sees the video can in principle learn the mapping.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

EMOTIONS: tuple[str, ...] = ("negative", "neutral", "positive")

# Per-emotion ranges (uniform draws). Hue in degrees (0 red, 30 orange, 60 yellow,
# 220 blue); saturation, luminance ("value" of HSV) and contrast in [0, 1];
# speed is the grating's temporal frequency in Hz (cycles/s).
_STYLES: dict[str, dict] = {
    "negative": dict(
        hue=(200.0, 240.0),
        sat=(0.20, 0.35),
        lum=(0.22, 0.32),
        con=(0.16, 0.22),
        speed=(2.5, 4.0),
        n_steps=(2, 4),  # abrupt luminance/contrast jumps
        step=(0.35, 0.6),  # relative size of a jump
        jerky=True,
    ),
    "neutral": dict(
        hue=(0.0, 360.0),
        sat=(0.0, 0.06),
        lum=(0.45, 0.55),
        con=(0.10, 0.16),
        speed=(0.5, 1.0),
        n_steps=(0, 2),
        step=(0.15, 0.25),
        jerky=False,
    ),
    "positive": dict(
        hue=(20.0, 50.0),
        sat=(0.55, 0.80),
        lum=(0.62, 0.75),
        con=(0.12, 0.18),
        speed=(0.8, 1.6),
        n_steps=(0, 0),
        step=(0.0, 0.0),
        jerky=False,
    ),
}
_FLICKER_BAND = (6.0, 15.0)
_FLICKER_DEPTH = 0.35  # relative luminance modulation of flicker clips
_FOURCC = "MJPG"
VIDEO_EXT = ".avi"


def flicker_freqs(video_fps: float) -> list[float]:
    """Flicker frequencies in 6-15 Hz that the frame rate carries exactly.

    A flicker is only displayable below the Nyquist rate fps/2 and is only
    periodic frame-to-frame when fps/f is an integer; at 24 fps that leaves
    12, 8 and 6 Hz (2, 3 and 4 frames per cycle), at 30 fps 15, 10, 7.5, 6 Hz.
    """
    freqs = []
    n = 2
    while video_fps / n >= _FLICKER_BAND[0]:
        f = video_fps / n
        if f <= _FLICKER_BAND[1]:
            freqs.append(float(f))
        n += 1
    return freqs


def clip_plan(n_clips: int, clip_duration: float, video_fps: float, rng):
    """Emotions (balanced, shuffled), flicker clips and frames of every clip.

    Returns ``(emotions, flicker_hz, n_frames)``: a third of the clips, in
    random positions, flicker at the frequencies of :func:`flicker_freqs`
    cycled over them (``flicker_hz`` maps clip index to Hz).
    """
    emotions = np.array([EMOTIONS[i % 3] for i in range(n_clips)])
    emotions = emotions[rng.permutation(n_clips)]
    freqs = flicker_freqs(video_fps)
    n_flicker = int(round(n_clips / 3)) if freqs else 0
    flicker_idx = rng.choice(n_clips, n_flicker, replace=False).tolist()
    flicker_hz = {ci: freqs[j % len(freqs)] for j, ci in enumerate(flicker_idx)}
    n_frames = max(int(round(clip_duration * video_fps)), 1)
    return emotions, flicker_hz, n_frames


def _draw_clip_params(n_clips: int, clip_duration: float, video_fps: float, rng):
    """Draw the render parameters of every clip (balanced emotions)."""
    emotions, flicker_hz, n_frames = clip_plan(n_clips, clip_duration, video_fps, rng)
    params = []
    for ci, emo in enumerate(emotions):
        st = _STYLES[str(emo)]
        p = dict(
            emotion=str(emo),
            hue=float(rng.uniform(*st["hue"])) % 360.0,
            sat=float(rng.uniform(*st["sat"])),
            lum=float(rng.uniform(*st["lum"])),
            con=float(rng.uniform(*st["con"])),
            speed=float(rng.uniform(*st["speed"])),
            orientation=float(rng.uniform(0, np.pi)),
            spatial_freq=float(rng.uniform(1.5, 3.0)),  # cycles per frame width
            jerky=st["jerky"],
            flicker_hz=np.nan,
        )
        if ci in flicker_hz:
            p["flicker_hz"] = flicker_hz[ci]
        # luminance / contrast step times (frame index) and sizes
        n_steps = int(rng.integers(st["n_steps"][0], st["n_steps"][1] + 1))
        p["steps"] = [
            (
                int(rng.integers(max(n_frames // 6, 1), max(n_frames, 2))),
                float(rng.choice([-1, 1]) * rng.uniform(*st["step"])),
            )
            for _ in range(n_steps)
        ]
        # smooth luminance drift (positive clips sway, others barely)
        p["sway_hz"] = float(rng.uniform(0.4, 1.0))
        p["sway"] = 0.12 if emo == "positive" else 0.03
        # jerky motion: speed and direction redrawn every ~0.25 s
        n_seg = max(int(np.ceil(n_frames / max(video_fps / 4, 1))), 1)
        p["seg_speed"] = rng.uniform(0.5, 1.5, n_seg) * rng.choice([-1, 1], n_seg)
        p["blob_path"] = rng.uniform(-0.6, 0.6, (n_seg, 2))
        p["blob_phase"] = float(rng.uniform(0, 2 * np.pi))
        params.append(p)
    return params


def _frame_courses(p: dict, n_frames: int, video_fps: float):
    """Per-frame luminance, contrast, grating phase and blob centre."""
    t = np.arange(n_frames) / video_fps
    # steps multiply the level (relative changes keep pixels inside [0, 1])
    gain = np.ones(n_frames)
    for k0, size in p["steps"]:
        gain[k0:] *= 1.0 + size
    gain = np.clip(gain, 0.5, 1.6)
    lum = p["lum"] * gain * (1 + p["sway"] * np.sin(2 * np.pi * p["sway_hz"] * t))
    con = p["con"] * gain
    if np.isfinite(p["flicker_hz"]):
        # cosine sampled at the frame times: exact for fps / f integer
        lum = lum * (1 + _FLICKER_DEPTH * np.cos(2 * np.pi * p["flicker_hz"] * t))
    seg = np.minimum((t * 4).astype(int), len(p["seg_speed"]) - 1)
    if p["jerky"]:
        speed = p["speed"] * p["seg_speed"][seg]
        centre = p["blob_path"][seg]  # jumps between positions
    else:
        speed = p["speed"] * (1 + 0.3 * np.sin(2 * np.pi * 0.5 * t))
        ang = p["blob_phase"] + 2 * np.pi * 0.4 * t  # smooth circular path
        centre = 0.45 * np.stack([np.cos(ang), np.sin(ang)], -1)
    phase = 2 * np.pi * np.cumsum(speed) / video_fps
    return lum, con, phase, centre


def _render_clip(p: dict, n_frames: int, video_fps: float, frame_size: int):
    """Render one clip as uint8 BGR frames, shape (n_frames, size, size, 3).

    A drifting sinusoidal grating plus a bright Gaussian blob, on a uniform
    field whose level is the clip's luminance, coloured through HSV with the
    clip's hue and saturation.
    """
    lum, con, phase, centre = _frame_courses(p, n_frames, video_fps)
    ax = np.linspace(-1.0, 1.0, frame_size)
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    proj = xx * np.cos(p["orientation"]) + yy * np.sin(p["orientation"])
    grating = np.sin(2 * np.pi * p["spatial_freq"] * proj[None] - phase[:, None, None])
    d2 = (xx[None] - centre[:, 0, None, None]) ** 2 + (
        yy[None] - centre[:, 1, None, None]
    ) ** 2
    blob = np.exp(-d2 / (2 * 0.15**2))
    value = lum[:, None, None] * (1 + 0.3 * blob) + con[:, None, None] * grating
    value = np.clip(value, 0.0, 1.0)
    return to_bgr(value, p["hue"], p["sat"])


def to_bgr(value: np.ndarray, hue: float, sat: float) -> np.ndarray:
    """Colour HSV "value" frames in [0, 1] with one hue (deg) and saturation."""
    hsv = np.empty(value.shape + (3,), np.uint8)
    hsv[..., 0] = int(round(hue / 2.0)) % 180  # OpenCV hue is 0-179
    hsv[..., 1] = int(round(sat * 255))
    hsv[..., 2] = np.round(value * 255).astype(np.uint8)
    return np.stack([cv2.cvtColor(f, cv2.COLOR_HSV2BGR) for f in hsv])


def _write_clip(fname: Path, frames: np.ndarray, video_fps: float) -> None:
    """Write frames with OpenCV's built-in Motion-JPEG AVI writer.

    The built-in writer needs no FFmpeg, is byte-deterministic and any OpenCV
    (with or without FFmpeg) reads it back frame-exact in count.
    """
    size = (frames.shape[2], frames.shape[1])
    fourcc = cv2.VideoWriter_fourcc(*_FOURCC)
    writer = cv2.VideoWriter(str(fname), cv2.CAP_OPENCV_MJPEG, fourcc, video_fps, size)
    if not writer.isOpened():  # pragma: no cover - depends on the OpenCV build
        writer = cv2.VideoWriter(str(fname), fourcc, video_fps, size)
    if not writer.isOpened():  # pragma: no cover
        raise RuntimeError(
            f"OpenCV {cv2.__version__} cannot write {_FOURCC} video to {fname}; "
            "install opencv-python-headless with video support."
        )
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


def _read_frames(fname: Path) -> np.ndarray:
    """Decode every frame of a clip as uint8 RGB, shape (n_frames, h, w, 3)."""
    cap = cv2.VideoCapture(str(fname))
    frames = []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise RuntimeError(f"OpenCV could not decode any frame of {fname}.")
    return np.stack(frames)


def _clip_drivers(fname: Path) -> dict[str, np.ndarray]:
    """Measure the per-frame EEG drivers on the decoded frames of a clip.

    Returns luma (BT.601 mean), contrast (luma standard deviation over
    pixels), motion (mean absolute difference of consecutive mean-removed luma
    frames, 0 for the first frame), warmth (mean R - B) and saturation (mean
    HSV saturation), each a float64 array of shape (n_frames,), in [0, 1]
    units (warmth in [-1, 1]).
    """
    rgb8 = _read_frames(fname)
    rgb = rgb8.astype(np.float32) / 255.0
    y = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    lum = y.mean(axis=(1, 2), dtype=np.float64)
    con = y.std(axis=(1, 2), dtype=np.float64)
    yc = y - lum[:, None, None].astype(np.float32)
    mot = np.zeros(len(y))
    mot[1:] = np.abs(np.diff(yc, axis=0)).mean(axis=(1, 2), dtype=np.float64)
    warm = (rgb[..., 0] - rgb[..., 2]).mean(axis=(1, 2), dtype=np.float64)
    mx = rgb8.max(-1).astype(np.float32)
    mn = rgb8.min(-1).astype(np.float32)
    sat = ((mx - mn) / np.maximum(mx, 1.0)).mean(axis=(1, 2), dtype=np.float64)
    return dict(luma=lum, contrast=con, motion=mot, warmth=warm, saturation=sat)
