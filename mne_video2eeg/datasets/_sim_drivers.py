"""Drivers of the version-2 simulator: what the simulated visual system computes.

Measured on the *decoded* frames of a written scene (contrast, luminance) and
on its scene description (object onsets, motion), per frame. None is a global
frame statistic: each is local (four visual-field quadrants, three spatial
scales), passes a saturating nonlinearity and is normalised by its own recent
history (contrast gain control), and the evoked input is a transient that
adapts to sustained input and rebounds at changes. The constants are quoted
in :func:`mne_video2eeg.datasets.simulate_video_eeg`'s docstring; keep the two
in step.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._sim_scene import SEG_S, object_courses

_SIZE = 64  # analysis frame size (pixels)
_GREY = 0.5  # pre-stimulus screen: uniform mid-grey
# DoG centre s.d. (pixels at 64 px; surround 1.6x): peaks near 11, 5.6 and
# 2.8 cycles per frame width
_SCALES = (1.0, 2.0, 4.0)
_SCALE_WEIGHTS = (0.3, 0.45, 0.25)  # contrast sensitivity: the middle scale most
_C50 = 0.08  # local RMS contrast of half-saturation (Naka-Rushton, n = 2)
_GC_TAU = 0.8  # s, contrast history of the divisive gain control
_GC_SIGMA = 0.04  # semi-saturation of the gain control (~ the median E_q)
_ADAPT_TAU = 0.15  # s, fast adaptation of the transient (evoked) channel
_OFF_GAIN = 0.5  # response to a decrease relative to an increase
_LUM_TAU = 0.15  # s, luminance adaptation
_LUM_WEIGHT = 1.5  # weight of the Weber luminance transient in the evoked input
_VEP_C50 = 0.3  # semi-saturation of the evoked input
_SPEED50 = 0.2  # frame widths per second: half-saturating speed of MT
_MT_TAU = 1.0  # s, motion gain-control history
_MT_SIGMA = 0.5
_HABITUATION_TAU = 0.6  # s, recovery of the novelty (P3) response after an onset
# Quadrants in visual-field terms: (upper, lower) x (left, right)
QUADRANTS = ("upper_left", "upper_right", "lower_left", "lower_right")


def _ema(x: np.ndarray, tau: float, fps: float, init=0.0) -> np.ndarray:
    """Causal exponential moving average along axis 0, state *before* each frame.

    ``out[k]`` summarises frames ``< k`` (``out[0] = init``): the history a
    response at frame ``k`` is normalised by.
    """
    a = np.exp(-1.0 / (tau * fps))
    out = np.empty_like(x, dtype=np.float64)
    state = np.broadcast_to(np.asarray(init, np.float64), x.shape[1:]).copy()
    for k in range(len(x)):
        out[k] = state
        state = a * state + (1 - a) * x[k]
    return out


def _read_luma(fname) -> tuple[np.ndarray, np.ndarray]:
    """Decode a clip: luma (n, 64, 64) in [0, 1] and RGB means (n, 3)."""
    cap = cv2.VideoCapture(str(fname))
    luma, rgb = [], []
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            small = cv2.resize(frame, (_SIZE, _SIZE), interpolation=cv2.INTER_AREA)
            f = small.astype(np.float32)[..., ::-1] / 255.0  # RGB
            rgb.append(f.mean(axis=(0, 1)))
            luma.append(f @ np.array([0.299, 0.587, 0.114], np.float32))
    finally:
        cap.release()
    if not luma:
        raise RuntimeError(f"OpenCV could not decode any frame of {fname}.")
    return np.stack(luma).astype(np.float64), np.stack(rgb).astype(np.float64)


def _quadrant_means(x: np.ndarray) -> np.ndarray:
    """(n, 64, 64) -> (n, 4) means over the quadrants of ``QUADRANTS``."""
    h = _SIZE // 2
    q = x.reshape(len(x), 2, h, 2, h).mean(axis=(2, 4))  # (n, upper/lower, l/r)
    return q.reshape(len(x), 4)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of each frame of (64, 64, n) float32 (frames as channels)."""
    out = cv2.GaussianBlur(x, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    return out.reshape(x.shape)  # one channel comes back 2-D


def _contrast_energy(luma: np.ndarray) -> np.ndarray:
    """Pooled local contrast responses, (n, n_scales, 4 quadrants).

    Per scale: a DoG band-pass image, its local energy (blurred square) over
    the local mean luminance squared (local RMS contrast squared), a
    Naka-Rushton response per pixel, averaged over each quadrant.
    """
    # OpenCV filters up to 512 channels at once: frames go in as channels
    out = np.empty((len(luma), len(_SCALES), 4))
    for start in range(0, len(luma), 512):
        chunk = np.ascontiguousarray(
            luma[start : start + 512].transpose(1, 2, 0), np.float32
        )
        for i, s in enumerate(_SCALES):
            band = _blur(chunk, s) - _blur(chunk, 1.6 * s)
            energy = _blur(band * band, 2 * s)
            local = _blur(chunk, 4 * s)
            c2 = (energy / (local + 0.05) ** 2).astype(np.float64)
            resp = np.moveaxis(c2 / (c2 + _C50**2), -1, 0)
            out[start : start + 512, i] = _quadrant_means(resp)
    return out


def _hemifield_weights(x: float) -> np.ndarray:
    """Soft (left, right) visual-field weights of a horizontal position."""
    right = 1.0 / (1.0 + np.exp(-x / 0.1))
    return np.array([1.0 - right, right])


def _scene_events(p: dict, n_frames: int, fps: float):
    """Object onsets (n, 2 hemifields), novelty (n,) and motion (n, 2)."""
    onsets = np.zeros((n_frames, 2))
    novelty = np.zeros(n_frames)
    motion = np.zeros((n_frames, 2))
    last_onset = -np.inf
    for o in sorted(p["objects"], key=lambda o: o["on"]):
        vis, pos, radius, _ = object_courses(o, n_frames, fps)
        size = radius / 0.15
        if o["on"] < n_frames:
            k = o["on"]
            # salience: contrast and luminance step, size; fading in halves it
            sal = np.sqrt(o["con"] + abs(o["dl"])) * np.sqrt(size[k])
            sal *= 1.0 if o["abrupt"] else 0.35
            onsets[k] += sal * _hemifield_weights(o["x"])
            # novelty habituates: an onset soon after another evokes less
            gap = (k - last_onset) / fps
            novelty[k] += sal * (1.0 - np.exp(-gap / _HABITUATION_TAU))
            last_onset = k
        # local speed: translation, internal drift and looming expansion
        t_on = np.maximum((np.arange(n_frames) - o["on"]) / fps, 0)
        seg = np.minimum(t_on // SEG_S, len(o["vel"]) - 1).astype(int)
        trans = np.hypot(*np.asarray(o["vel"])[seg].T)
        drift = o["tf"] / o["sf"]
        speed = np.hypot(trans, drift) + 0.5 * o["loom"] * o["r"]
        tuned = speed**2 / (speed**2 + _SPEED50**2)
        w = vis * size * np.sqrt(o["con"]) * tuned
        for h, sign in enumerate((-1, 1)):
            hw = 1.0 / (1.0 + np.exp(-sign * pos[:, 0] / 0.1))
            motion[:, h] += w * hw
    motion = motion / (_MT_SIGMA + _ema(motion, _MT_TAU, fps))
    return onsets, novelty, motion


def _valence(p: dict, luma_mean: float, warmth: float, fps: float, n: int):
    """Appraised valence of a clip from four cues, in (-1, 1).

    Brightness and warmth of the frames (pleasant: bright, warm), threat
    (abrupt onsets after the clip start and looming objects, per second) and
    jerk (mean change of object velocity between motion segments).
    """
    duration = n / fps
    threat = sum(
        (o["abrupt"] and 0 < o["on"] < n) + (o["loom"] > 0) for o in p["objects"]
    )
    jerks = [
        float(np.abs(np.diff(np.asarray(o["vel"]), axis=0)).sum(-1).mean())
        for o in p["objects"]
        if len(o["vel"]) > 1
    ]
    jerk = float(np.mean(jerks)) if jerks else 0.0
    cues = dict(
        brightness=luma_mean, warmth=warmth, threat=threat / duration, jerk=jerk
    )
    z = (
        3.0 * (luma_mean - 0.45)
        + 3.0 * warmth
        - 0.8 * (cues["threat"] - 0.3)
        - 1.0 * jerk
    )
    return float(np.tanh(0.6 * z)), cues


def _scene_drivers(fname, p: dict, video_fps: float) -> dict:
    """Measure the per-frame drivers of one written scene.

    Returns float64 arrays (n_frames first): ``luma``, ``contrast`` (n,:
    the mean of ``contrast_q``), ``lum_q``,
    ``contrast_q``, ``gain_q``, ``transient_q``, ``lum_transient_q``, ``vep_q``
    (n, 4 quadrants), ``energy`` (n, 3 scales, 4), ``onsets``, ``motion``
    (n, 2 hemifields: left, right), ``novelty`` (n,), ``warmth`` (n,) and
    ``valence`` (float) with its ``cues``.
    """
    luma, rgb = _read_luma(fname)
    n = len(luma)
    lum_q = _quadrant_means(luma)
    energy = _contrast_energy(luma)
    contrast = np.tensordot(energy, _SCALE_WEIGHTS, axes=([1], [0]))  # (n, 4)
    # divisive gain control by the recent contrast history (grey before: 0)
    gain = contrast / (_GC_SIGMA + _ema(contrast, _GC_TAU, video_fps))
    # transient channel: change from a fast-adapting state, off-responses weaker
    adapted = _ema(gain, _ADAPT_TAU, video_fps)
    transient = np.maximum(gain - adapted, 0) + _OFF_GAIN * np.maximum(
        adapted - gain, 0
    )
    lum_adapted = _ema(lum_q, _LUM_TAU, video_fps, init=_GREY)
    lum_transient = np.abs(lum_q - lum_adapted) / (lum_adapted + 0.15)
    drive = transient + _LUM_WEIGHT * lum_transient
    vep = drive**2 / (drive**2 + _VEP_C50**2)
    onsets, novelty, motion = _scene_events(p, n, video_fps)
    warmth = rgb[:, 0] - rgb[:, 2]
    valence, cues = _valence(p, float(luma.mean()), float(warmth.mean()), video_fps, n)
    return dict(
        luma=luma.mean(axis=(1, 2)),
        lum_q=lum_q,
        energy=energy,
        contrast=contrast.mean(1),
        contrast_q=contrast,
        gain_q=gain,
        transient_q=transient,
        lum_transient_q=lum_transient,
        vep_q=vep,
        onsets=onsets,
        novelty=novelty,
        motion=motion,
        warmth=warmth,
        valence=valence,
        cues=cues,
    )
