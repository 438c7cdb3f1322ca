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


def _draw_subject(rng, subject_index: int, sources: dict = SOURCES) -> dict:
    """Per-subject parameters: frequencies, latency, gains, orientations."""
    _, gain, rr, r0 = _head_model()
    sub = dict(
        alpha_hz=float(rng.uniform(8.5, 11.5)),
        theta_hz=float(rng.uniform(5.0, 7.0)),
        latency=float(rng.uniform(-0.015, 0.015)),
        gains={name: float(np.exp(rng.normal(0, 0.2))) for name in sources},
    )
    info = _head_model()[0]
    pos = {ch["ch_name"]: ch["loc"][:3] for ch in info["chs"]}
    topo = {}
    for name, (elec, depth, amp_uv) in sources.items():
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
    n_times = signals[0]["impulses"].size
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
    induced, background, sensor = _ongoing(sub, signals, rngs, sfreq)
    return clean + induced + background + sensor, clean


def _ongoing(sub, signals, rngs, sfreq, asym=_ASYM, theta_valence=_THETA_VALENCE):
    """Induced oscillations, 1/f background and sensor noise of all clips.

    Video-modulated amplitudes with random phase (not in ``clean``): posterior
    alpha blocked by ``signals[i]["drive"]``, frontal alpha asymmetry and
    midline theta set by ``signals[i]["valence"]``. Each (n_clips, 62, n_times).
    """
    n_clips, n_times = len(signals), signals[0]["drive"].size
    topo = sub["topo"]
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
            (1 - asym * v) * alpha[2],
            (1 + asym * v) * alpha[3],
            (1 - theta_valence * v) * theta,
        ]
        pink[ci] = _pink(rng, _N_BACKGROUND, n_times, sfreq)
    sensor = np.stack(
        [rng.normal(0, _SENSOR_NOISE_UV * 1e-6, (62, n_times)) for rng in rngs]
    )
    # one large product per subject: small BLAS calls are slow when threaded
    induced = _project(np.array([topo[n] for n in names]).T, amp)
    background = _project(sub["bg_topo"], pink)
    return induced, background, sensor


def _project(topo: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(n_ch, n_src) x (n_epochs, n_src, n_times) -> (n_epochs, n_ch, n_times)."""
    n_ep, n_src, n_times = sources.shape
    flat = sources.transpose(1, 0, 2).reshape(n_src, -1)
    return (topo @ flat).reshape(len(topo), n_ep, n_times).transpose(1, 0, 2)


# ---------------------------------------------------------------------------
# Version 2: retinotopic, gain-controlled, adapting drivers (see _sim_drivers)

# Source name -> (electrode, depth fraction, peak scalp uV per unit waveform)
# before the video-locked gain that ``snr`` sets. V1 has one source per
# visual-field quadrant, in the contralateral hemisphere: the lower field on
# the upper bank of the calcarine sulcus (under O1/O2), the upper field on the
# lower bank (under CB1/CB2) with inverted polarity (the C1 inversion).
SOURCES_V2: dict[str, tuple[str, float, float]] = {
    "v1_lower_l": ("O1", 0.72, 10.0),
    "v1_lower_r": ("O2", 0.72, 10.0),
    "v1_upper_l": ("CB1", 0.72, 10.0),
    "v1_upper_r": ("CB2", 0.72, 10.0),
    "loc_l": ("PO7", 0.72, 6.0),
    "loc_r": ("PO8", 0.72, 6.0),
    "mt_l": ("P7", 0.72, 6.0),
    "mt_r": ("P8", 0.72, 6.0),
    "p3": ("PZ", 0.6, 6.0),
    "alpha_l": ("PO3", 0.72, 10.0),
    "alpha_r": ("PO4", 0.72, 10.0),
    "frontal_l": ("F3", 0.72, 6.0),
    "frontal_r": ("F4", 0.72, 6.0),
    "theta": ("FZ", 0.6, 5.0),
}
# visual-field quadrant (order of _sim_drivers.QUADRANTS) -> (source, sign)
_QUADRANT_SOURCES = (
    ("v1_upper_r", -1.0),  # upper left field -> right hemisphere, lower bank
    ("v1_upper_l", -1.0),
    ("v1_lower_r", 1.0),
    ("v1_lower_l", 1.0),
)
_HEMIFIELD_SOURCES = (("loc_r", "mt_r"), ("loc_l", "mt_l"))  # left, right field
_V2_FLICK_UNIT = 0.2  # Weber fraction: unit of the local flicker (SSVEP) driver
_V2_FLICK_TAU = 1.0  # s, SSVEP gain control: history of |flicker|
_V2_CAPTURE_TAU = 1.0  # s, attention capture by object onsets (alpha blocking)
_V2_ASYM = 0.15  # frontal alpha L/R amplitude = 1 -/+ _V2_ASYM * valence
_V2_THETA_VALENCE = 0.2


def _kernels_v2(sfreq: float, latency: float) -> dict[str, np.ndarray]:
    """Version-1 kernels plus the object-onset N170-like and P3 kernels."""
    kernels = _kernels(sfreq, latency)
    t = np.arange(int(round(0.6 * sfreq))) / sfreq
    kernels["loc"] = -_bump(t, 0.170 + latency, 10)
    kernels["p3"] = _bump(t, 0.350 + latency, 6)
    return kernels


def _clip_signals_v2(drivers: dict, n_times: int, sfreq: float, fps: float) -> dict:
    """Turn per-frame version-2 drivers into 200 Hz source inputs."""
    n_frames = len(drivers["luma"])
    onsets = np.round(np.arange(n_frames) / fps * sfreq).astype(int)
    keep = onsets < n_times

    def impulses(per_frame):  # (n_frames, k) -> (k, n_times)
        out = np.zeros((per_frame.shape[1], n_times))
        for j in range(per_frame.shape[1]):
            np.add.at(out[j], onsets[keep], per_frame[keep, j])
        return out

    lum = np.stack([_upsample(q, n_times, sfreq, fps) for q in drivers["lum_q"].T])
    win = max(int(round(_HIGHPASS_WIN * sfreq)), 1)
    level = uniform_filter1d(lum, win, axis=-1, mode="nearest")
    fast = (lum - level) / (level + 0.05) / _V2_FLICK_UNIT
    # the steady-state response adapts: divided by its recent amplitude
    a = np.exp(-1.0 / (_V2_FLICK_TAU * sfreq))
    fast = fast / (1.0 + lfilter([1 - a], [1, -a], np.abs(fast), axis=-1))
    motion = np.stack([_upsample(m, n_times, sfreq, fps) for m in drivers["motion"].T])
    gain = _upsample(drivers["gain_q"].mean(1), n_times, sfreq, fps)
    capture = lfilter(
        [1.0],
        [1, -np.exp(-1.0 / (_V2_CAPTURE_TAU * sfreq))],
        impulses(drivers["novelty"][:, None])[0],
    )
    raw_drive = gain / 0.6 + motion.sum(0) + np.abs(fast).sum(0) + capture
    a = np.exp(-1.0 / (_DRIVE_TAU * sfreq))
    return dict(
        vep=impulses(drivers["vep_q"]),
        fast=fast,
        loc=impulses(drivers["onsets"]),
        p3=impulses(drivers["novelty"][:, None])[0],
        motion=motion,
        drive=lfilter([1 - a], [1, -a], raw_drive),
        valence=float(drivers["valence"]),
    )


def _simulate_subject_v2(sub, signals, kernels, rngs, sfreq, gain: float):
    """Version-2 clips of one subject: (noisy, clean), (n_clips, 62, n_times) V.

    ``gain`` scales every video-locked source (it sets the video-locked share).
    """
    n_times = signals[0]["drive"].size
    topo = sub["topo"]

    def conv(x, h):
        return np.convolve(x, h)[:n_times]

    n_src = 4 + 2 * 2 + 1
    src = np.empty((len(signals), n_src, n_times))
    names = []
    for ci, s in enumerate(signals):
        row = []
        for q, (name, sign) in enumerate(_QUADRANT_SOURCES):
            wave = conv(s["vep"][q], kernels["vep"])
            wave = wave + _SSVEP_REL * conv(s["fast"][q], kernels["ssvep"])
            row.append(sign * wave)
            names.append(name)
        for h, (loc, mt) in enumerate(_HEMIFIELD_SOURCES):
            row.append(conv(s["loc"][h], kernels["loc"]))
            row.append(conv(s["motion"][h], kernels["mt"]))
            names += [loc, mt]
        row.append(conv(s["p3"], kernels["p3"]))
        names.append("p3")
        src[ci] = row
    names = names[:n_src]
    clean = gain * _project(np.array([topo[n] for n in names]).T, src)
    induced, background, sensor = _ongoing(
        sub, signals, rngs, sfreq, _V2_ASYM, _V2_THETA_VALENCE
    )
    return clean + induced + background + sensor, clean
