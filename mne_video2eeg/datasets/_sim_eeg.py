"""Simulated 62-channel EEG driven by measured video drivers (sphere head model).

The generative model is stated in full in the docstring of
:func:`mne_video2eeg.datasets.simulate_video_eeg`; the constants below are the
numbers it quotes, so keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache

import mne
import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import lfilter

from ..montage import make_seed_info

# Pre-stimulus screen: uniform mid-grey (luma 0.5, no contrast).
_GREY_LUMA = 0.5
# Normalisers of the drivers: a "unit" of each driver.
_C50 = 0.05  # semi-saturation of the change -> VEP contrast-response function
_FLICK_UNIT = 0.1  # fast-luminance unit (luma) of the SSVEP driver
_MOTION_UNIT = 0.05  # motion-energy unit of the MT driver
_CONTRAST_UNIT = 0.1
_DRIVE_TAU = 0.3  # s, integration time of the visual drive that blocks alpha
_ALPHA_BLOCK = 0.35  # alpha amplitude = exp(-_ALPHA_BLOCK * drive)
_ASYM = 0.4  # frontal alpha L/R amplitude = 1 -/+ _ASYM * valence
_THETA_VALENCE = 0.4  # frontal midline theta amplitude = 1 - _THETA_VALENCE * v
_HIGHPASS_WIN = 0.5  # s, box window whose mean is removed for the SSVEP driver
_BAND_WIDTH = 0.4  # Hz, Gaussian spectral s.d. of alpha/theta oscillations
_PINK_EXPONENT = 1.0  # background power ~ 1 / f**_PINK_EXPONENT
_N_BACKGROUND = 150  # random background dipoles per subject

# Source name -> (electrode it sits under, depth fraction from the sphere
# centre to that electrode, peak scalp amplitude in uV per unit waveform).
SOURCES: dict[str, tuple[str, float, float]] = {
    "v1_l": ("O1", 0.72, 10.0),
    "v1_r": ("O2", 0.72, 10.0),
    "mt_l": ("P7", 0.72, 6.0),
    "mt_r": ("P8", 0.72, 6.0),
    "alpha_l": ("PO3", 0.72, 10.0),
    "alpha_r": ("PO4", 0.72, 10.0),
    "frontal_l": ("F3", 0.72, 6.0),
    "frontal_r": ("F4", 0.72, 6.0),
    "theta": ("FZ", 0.6, 5.0),
}
_SSVEP_REL = 1.0  # SSVEP amplitude relative to the V1 VEP unit
_BACKGROUND_UV = 10.0  # channel-average RMS of the 1/f background
_SENSOR_NOISE_UV = 1.0  # RMS white sensor noise


@lru_cache(maxsize=1)
def _head_model():
    """Sphere head model + 10 mm volume grid + forward for the SEED montage.

    Returns (info, gain (62, 3 * n_src), source positions (n_src, 3), centre).
    Independent of sfreq, so one per process.
    """
    info = make_seed_info(200.0)
    sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    src = mne.setup_volume_source_space(sphere=sphere, pos=10.0, verbose=False)
    fwd = mne.make_forward_solution(
        info, trans=None, src=src, bem=sphere, eeg=True, meg=False, verbose=False
    )
    gain = fwd["sol"]["data"]
    gain.flags.writeable = False
    rr = fwd["source_rr"]
    rr.flags.writeable = False
    return info, gain, rr, np.asarray(sphere["r0"], float)


def _bump(t: np.ndarray, peak: float, shape: float) -> np.ndarray:
    """Gamma-shaped bump with unit height at ``peak`` seconds (0 for t <= 0)."""
    out = np.zeros_like(t)
    pos = t > 0
    x = t[pos] / peak
    out[pos] = x ** (shape - 1) * np.exp(-(shape - 1) * (x - 1))
    return out


def _kernels(sfreq: float, latency: float) -> dict[str, np.ndarray]:
    """Make the response kernels of one subject (latency shift in seconds)."""
    t = np.arange(int(round(0.6 * sfreq))) / sfreq
    vep = _bump(t, 0.100 + latency, 8) - 1.3 * _bump(t, 0.170 + latency, 10)
    ssvep = _bump(t, 0.080 + latency, 60)
    mt = _bump(t, 0.170 + latency, 6)
    # unit DC gain: the SSVEP and MT sources are delayed, smoothed copies of
    # their drivers (MT negative, an N2-like sustained motion response)
    return dict(vep=vep, ssvep=ssvep / ssvep.sum(), mt=-mt / mt.sum())


def _draw_subject(rng, subject_index: int) -> dict:
    """Per-subject parameters: frequencies, latency, gains, orientations."""
    _, gain, rr, r0 = _head_model()
    sub = dict(
        alpha_hz=float(rng.uniform(8.5, 11.5)),
        theta_hz=float(rng.uniform(5.0, 7.0)),
        latency=float(rng.uniform(-0.015, 0.015)),
        gains={name: float(np.exp(rng.normal(0, 0.2))) for name in SOURCES},
    )
    info = _head_model()[0]
    pos = {ch["ch_name"]: ch["loc"][:3] for ch in info["chs"]}
    topo = {}
    for name, (elec, depth, amp_uv) in SOURCES.items():
        target = r0 + depth * (pos[elec] - r0)
        idx = int(np.argmin(np.linalg.norm(rr - target, axis=1)))
        ori = rr[idx] - r0
        ori = ori / np.linalg.norm(ori) + rng.normal(0, 0.25, 3)  # ~15 deg jitter
        ori /= np.linalg.norm(ori)
        g = gain[:, 3 * idx : 3 * idx + 3] @ ori
        topo[name] = g * (amp_uv * 1e-6 * sub["gains"][name] / np.abs(g).max())
    sub["topo"] = topo
    bg_idx = rng.choice(len(rr), _N_BACKGROUND, replace=False)
    ori = rng.normal(size=(_N_BACKGROUND, 3))
    ori /= np.linalg.norm(ori, axis=1, keepdims=True)
    g_bg = np.einsum("cjk,jk->cj", gain.reshape(len(gain), -1, 3)[:, bg_idx], ori)
    scale = _BACKGROUND_UV * 1e-6 / np.sqrt((g_bg**2).sum(1).mean())
    sub["bg_topo"] = g_bg * scale
    return sub


def _upsample(per_frame: np.ndarray, n_times: int, sfreq: float, fps: float):
    """Zero-order hold: each frame holds until the next, as on a screen."""
    k = np.minimum((np.arange(n_times) / sfreq * fps).astype(int), len(per_frame) - 1)
    return per_frame[k]


def _clip_signals(drivers: dict, n_times: int, sfreq: float, fps: float) -> dict:
    """Turn per-frame drivers into the 200 Hz input signals of the sources."""
    luma, con, mot = drivers["luma"], drivers["contrast"], drivers["motion"]
    # change at each frame onset, relative to the grey screen before frame 0
    change = np.abs(np.diff(luma, prepend=_GREY_LUMA)) + np.abs(
        np.diff(con, prepend=0.0)
    )
    response = change**2 / (change**2 + _C50**2)  # Naka-Rushton, n = 2
    impulses = np.zeros(n_times)
    onsets = np.round(np.arange(len(luma)) / fps * sfreq).astype(int)
    keep = onsets < n_times
    np.add.at(impulses, onsets[keep], response[keep])
    luma_up = _upsample(luma, n_times, sfreq, fps)
    win = max(int(round(_HIGHPASS_WIN * sfreq)), 1)
    fast = (luma_up - uniform_filter1d(luma_up, win, mode="nearest")) / _FLICK_UNIT
    motion = _upsample(mot, n_times, sfreq, fps) / _MOTION_UNIT
    raw_drive = _upsample(con, n_times, sfreq, fps) / _CONTRAST_UNIT + motion
    raw_drive = raw_drive + np.abs(fast)
    a = np.exp(-1.0 / (_DRIVE_TAU * sfreq))
    drive = lfilter([1 - a], [1, -a], raw_drive)  # causal, from rest (0)
    valence = float(np.tanh(3.0 * (luma.mean() - 0.5) + 4.0 * drivers["warmth"].mean()))
    return dict(
        impulses=impulses, fast=fast, motion=motion, drive=drive, valence=valence
    )


def _narrowband(rng, n: int, n_times: int, sfreq: float, freq: float):
    """Unit-RMS Gaussian oscillations with a Gaussian spectral peak at freq."""
    f = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    w = np.exp(-0.5 * ((f - freq) / _BAND_WIDTH) ** 2)
    spec = (rng.normal(size=(n, f.size)) + 1j * rng.normal(size=(n, f.size))) * w
    x = np.fft.irfft(spec, n_times, axis=-1)
    return x / x.std(axis=-1, keepdims=True)


def _pink(rng, n: int, n_times: int, sfreq: float):
    """Unit-RMS Gaussian noise with power ~ 1/f (flat below 1 Hz)."""
    f = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    w = 1.0 / np.maximum(f, 1.0) ** (_PINK_EXPONENT / 2)
    w[0] = 0.0
    spec = (rng.normal(size=(n, f.size)) + 1j * rng.normal(size=(n, f.size))) * w
    x = np.fft.irfft(spec, n_times, axis=-1)
    return x / x.std(axis=-1, keepdims=True)


def _simulate_subject(sub: dict, signals: list, kernels: dict, rngs, sfreq: float):
    """All clips of one subject: (noisy, clean), each (n_clips, 62, n_times) V.

    ``rngs`` holds one Generator per clip, so each epoch's noise is its own.
    """
    n_clips, n_times = len(signals), signals[0]["impulses"].size
    topo = sub["topo"]

    def conv(x, h):
        return np.convolve(x, h)[:n_times]

    v1 = np.array(
        [
            conv(s["impulses"], kernels["vep"])
            + _SSVEP_REL * conv(s["fast"], kernels["ssvep"])
            for s in signals
        ]
    )
    mt = np.array([conv(s["motion"], kernels["mt"]) for s in signals])
    clean = (topo["v1_l"] + topo["v1_r"])[None, :, None] * v1[:, None]
    clean += (topo["mt_l"] + topo["mt_r"])[None, :, None] * mt[:, None]
    # induced: video-modulated amplitudes, random phase (not in ``clean``)
    names = ("alpha_l", "alpha_r", "frontal_l", "frontal_r", "theta")
    amp = np.empty((n_clips, len(names), n_times))
    pink = np.empty((n_clips, _N_BACKGROUND, n_times))
    for ci, (s, rng) in enumerate(zip(signals, rngs, strict=True)):
        alpha = _narrowband(rng, 4, n_times, sfreq, sub["alpha_hz"])
        theta = _narrowband(rng, 1, n_times, sfreq, sub["theta_hz"])[0]
        env, v = np.exp(-_ALPHA_BLOCK * s["drive"]), s["valence"]
        amp[ci] = [
            alpha[0] * env,
            alpha[1] * env,
            (1 - _ASYM * v) * alpha[2],
            (1 + _ASYM * v) * alpha[3],
            (1 - _THETA_VALENCE * v) * theta,
        ]
        pink[ci] = _pink(rng, _N_BACKGROUND, n_times, sfreq)
    sensor = np.stack(
        [rng.normal(0, _SENSOR_NOISE_UV * 1e-6, (62, n_times)) for rng in rngs]
    )
    # one large product per subject: small BLAS calls are slow when threaded
    induced = _project(np.array([topo[n] for n in names]).T, amp)
    background = _project(sub["bg_topo"], pink)
    return clean + induced + background + sensor, clean


def _project(topo: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(n_ch, n_src) x (n_epochs, n_src, n_times) -> (n_epochs, n_ch, n_times)."""
    n_ep, n_src, n_times = sources.shape
    flat = sources.transpose(1, 0, 2).reshape(n_src, -1)
    return (topo @ flat).reshape(len(topo), n_ep, n_times).transpose(1, 0, 2)
