"""Embedded default dataset: simulated paired video clips and 62-channel EEG."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from mne.utils import ProgressBar, logger

from ..montage import SEED_OCCIPITAL_CH_NAMES, make_seed_info
from ..utils._checks import (
    _check_option,
    _check_positive,
    _check_random_state,
    _check_sfreq,
    _check_writable_dir,
    _validate_type,
)
from ..utils._docs import verbose
from ..utils._fileio import atomic_path
from . import _sim_drivers, _sim_eeg, _sim_scene, _sim_video

__all__ = ["simulate_video_eeg"]

# Bump when the videos a given set of parameters produces change: version 1
# (``snr="easy"``) and version 2 (every other ``snr``) render different videos.
_SIM_VERSION = {1: 1, 2: 2}
# Named settings of ``snr``: the target video-locked share of single-trial
# variance on occipital channels (median per trial), or "easy" (version 1).
SNR_SETTINGS = {"natural": 0.02, "easy": None}
# Median over trials of (non-video-locked / video-locked) variance on the
# occipital channels of version 2 at unit video-locked gain, pooled over the
# reference simulations (3 subjects x 60 clips, 2 s, random_state 0-4: 900
# trials; per seed 4.2-7.2); the gain that gives a share s is
# sqrt(s / (1 - s) * _V2_NOISE_TO_SIGNAL).
_V2_NOISE_TO_SIGNAL = 5.38
_MANIFEST = "simulation.json"
_MIN_FRAME_SIZE = 16
EVENT_ID = {"negative": 1, "neutral": 2, "positive": 3}


@verbose
def simulate_video_eeg(
    path=None,
    *,
    n_subjects: int = 3,
    n_clips: int = 60,
    clip_duration: float = 2.0,
    sfreq: float = 200.0,
    video_fps: float = 24,
    frame_size: int = 64,
    return_clean: bool = False,
    snr="natural",
    random_state=None,
    verbose=None,
):
    r"""Simulate paired video clips and 62-channel EEG with a known mapping.

    The embedded default dataset of mne-video2eeg: real video files, EEG
    from a physical (sphere) head model, and a stated video -> EEG mapping,
    so that "does the generated EEG follow the video?" can be measured.

    Parameters
    ----------
    path : path-like | None
        Folder for the video files. ``None`` (default) uses
        ``<MNE_DATA or ~/mne_data>/mne-video2eeg/simulation/<hash>``, where the
        hash covers the parameters that shape the videos, and falls back to a
        temporary folder when that is not writable or ``random_state`` is not
        an int. Videos are written to a temporary folder beside (or inside)
        ``path`` and moved in only when all are written. A folder whose
        ``simulation.json`` matches the parameters is reused as is.
    n_subjects : int
        Number of simulated subjects; every subject watches every clip.
    n_clips : int
        Number of video clips (emotions balanced, in random order).
    clip_duration : float
        Duration of each clip and epoch in seconds.
    sfreq : float
        EEG sampling frequency in Hz.
    video_fps : float
        Video frame rate in frames per second.
    frame_size : int
        Width and height of the (square) frames in pixels, at least 16.
    return_clean : bool
        Also return the noise-free stimulus-locked part of the EEG.
    snr : "natural" | "easy" | float
        How strongly the video drives single-trial EEG. ``"natural"``
        (default): the version-2 simulator with the video-locked share of
        single-trial variance on the occipital channels at 2 %% (median per
        trial), the level of movie-watching EEG (see Notes). A float in
        (0, 1): version 2 with that share (the gain is calibrated on a
        reference simulation, so a given dataset lands near, not exactly on,
        the target). ``"easy"``: the version-1 simulator, driven one-to-one by
        global luminance, contrast, motion and colour at 9-18 %% (50-65 %%
        on flicker clips); it reproduces the videos and EEG of version 1
        byte for byte.
    random_state : None | int | numpy.random.Generator
        Seed of everything random. The same int gives identical video files
        (byte for byte) and identical EEG.
    %(verbose)s

    Returns
    -------
    videos : list of pathlib.Path
        One Motion-JPEG ``.avi`` file per clip, ``clip_000.avi``, ...
    epochs : mne.EpochsArray
        EEG in Volts, 62 SEED channels with the SEED montage, ``tmin=0``,
        ``round(clip_duration * sfreq)`` samples, one epoch per (subject,
        clip), subject-major. ``event_id`` maps emotions to 1, 2, 3.
        ``metadata`` columns: ``subject`` ("01", ...), ``video`` (file name,
        equal to ``videos[clip].name``), ``clip`` (int), ``emotion``,
        ``flicker_hz`` (NaN without flicker), ``valence`` (valence index
        :math:`v` below), ``luminance`` (mean luma), ``contrast``, ``motion``
        (clip means of the contrast and motion drivers: :math:`C, M` in
        version 1, :math:`E_q` and the MT drive in version 2), ``hue``
        (degrees), ``saturation`` (rendered), ``speed_hz`` (grating drift;
        in version 2 the objects' mean), ``alpha_hz``, ``theta_hz`` and
        ``latency_ms`` (the subject's parameters).
    clean : mne.EpochsArray
        Only if ``return_clean``: the stimulus-locked part (visual evoked,
        steady-state and motion responses; in version 2 also object-onset
        and P3 responses) projected to the scalp, without oscillations,
        background or sensor noise; same info, events and metadata as
        ``epochs``.

    Notes
    -----
    Two versions share the head model, the subjects and the ongoing
    activity. Version 2 (every ``snr`` but ``"easy"``) is the default;
    version 1 is the former simulator, kept as ``snr="easy"``.

    **Version 2 videos.** Each clip is a scene: a static 1/f texture (2-16
    cycles per frame width, RMS 3-12 %% of the level) on a uniform field,
    with 1-5 objects: Gaussian blobs (s.d. 0.10-0.22 frame half-widths)
    carrying a grating (2.5, 5 or 10 cycles per frame width, drifting at
    0.5-4 Hz, contrast 0.15-0.45) and a luminance step of 5-35 %%, each at
    its own place and time (the first from the clip onset), appearing
    abruptly or fading in over 3-8 frames, moving, maybe looming (growing
    50-150 %% per second) and vanishing after its lifetime. Some clips have a
    cut (new texture, level x 0.7-1.35). A third of the clips have a
    flickering disc (s.d. 0.25 half-widths, in a random quadrant) whose
    luminance step swings between 0 and 70 %% of the level, at the
    frequencies of version 1. The emotion sets overlapping palettes and
    levels, and the dynamics:

    ========  ===========  ==========  =========  =======  ======  =======  ====
    emotion   hue (deg)    saturation  level      objects  abrupt  looming  cuts
    ========  ===========  ==========  =========  =======  ======  =======  ====
    negative  170-280 (a)  0.05-0.45   0.25-0.50  2-5      0.9     0.4      0.5
    neutral   0-360        0-0.25      0.32-0.62  1-4      0.5     0.1      0.3
    positive  0-90         0.15-0.70   0.38-0.70  1-4      0.25    0        0.15
    ========  ===========  ==========  =========  =======  ======  =======  ====

    (a: or, for 40 %% of the negative clips, dark reds 330-20.) Abrupt,
    looming: the probability per object, cuts: per clip. Negative objects
    move at 0.2-0.8 frame widths/s with a new random velocity every 0.25 s
    (jerky), the others smoothly at 0.05-0.4.

    **Version 2 drivers** are local and adapting, none a global frame
    statistic. On the decoded frames (luma, 64 x 64), per frame :math:`k`
    and visual-field quadrant :math:`q`: local contrast energy at three
    scales (difference of Gaussians, centre s.d. 1, 2, 4 px, surround x1.6):
    :math:`c^2` = blurred squared band-pass (s.d. 2x) over the squared local
    mean (s.d. 4x, + 0.05), through :math:`c^2/(c^2 + 0.08^2)` per pixel,
    averaged over :math:`q`, scales weighted 0.3/0.45/0.25: :math:`E_q`;
    contrast gain control :math:`G_q = E_q / (0.1 + \bar E_q)`, the bar a
    causal exponential mean (tau 0.8 s) of the frames before (0 on the
    grey screen); adaptation: the transient :math:`T_q = [G_q - A_q]_+ +
    0.5\,[A_q - G_q]_+` against the fast-adapted state :math:`A_q` (tau
    0.15 s), which decays for sustained input and rebounds at offsets; the
    Weber luminance transient :math:`U_q = |L_q - \tilde L_q| / (\tilde L_q
    + 0.15)` (:math:`\tilde L_q` adapted with tau 0.15 s from grey 0.5);
    the evoked input :math:`r_q = u^2/(u^2 + 0.15^2)`, :math:`u = T_q +
    1.5\,U_q`; the flicker :math:`F_q` = (:math:`L_q` minus its centred
    0.5 s mean) / (that mean + 0.05) / 0.2, divided by 1 + its causal mean
    absolute value (tau 1 s). From the scene description: object onsets
    with salience :math:`\sqrt{\text{contrast} + |\text{step}|}\,
    \sqrt{\text{size}/0.15}` (x0.35 when fading in), split between the
    hemifields by a logistic of the horizontal position (scale 0.1);
    novelty, the salience x :math:`1 - e^{-\text{gap}/0.6\,\text{s}}`
    after the previous onset; motion per hemifield, the sum over visible
    objects of size x :math:`\sqrt{\text{contrast}}\,s^2/(s^2 + 0.2^2)`
    (:math:`s` the speed of translation, drift and expansion in frame
    widths/s), divided by 0.5 + its causal mean (tau 1 s). Valence is an
    appraisal of four cues, :math:`v = \tanh(0.6\,(3(\bar L - 0.45) +
    3\bar W - 0.8\,(\text{threat} - 0.3) - \text{jerk}))`: mean
    luma and warmth (R - B), abrupt later onsets plus looming objects per
    second, and the mean change of object velocity between 0.25 s segments.

    **Version 2 sources.** V1 has one source per quadrant in the
    contralateral hemisphere, the lower field under O1/O2, the upper field
    under CB1/CB2 with inverted polarity (the C1 inversion), each driven by
    :math:`\sum_k r_{q,k}\,h(t - k/\mathrm{fps}) + F_q * g`; object onsets
    drive contralateral lateral-occipital sources (PO7/PO8) through an
    N170-like :math:`-b(t; 170\,\mathrm{ms}, 10)`, novelty a parietal P3
    (Pz, depth 60 %%) :math:`b(t; 350\,\mathrm{ms}, 6)`, motion the
    contralateral MT sources (P7/P8) through :math:`m`. Before the gain,
    V1 peaks at 10 uV, the others at 6 uV; all are scaled by
    :math:`\sqrt{s/(1 - s) \cdot 5.38}` for the share :math:`s` that
    ``snr`` asks (5.38: the median non-locked over locked occipital
    variance per trial at unit gain, 3 subjects x 60 clips, pooled over
    ``random_state`` 0-4; 4.2-7.2 per seed).
    Alpha is blocked by the drive :math:`\overline{G} / 0.3 + \sum M +
    \sum |F_q|` plus an attention capture (novelty through a leaky
    integrator, tau 1 s), smoothed as in version 1; the frontal alpha
    amplitudes are :math:`1 \mp 0.15 v`, the midline theta :math:`1 - 0.2
    v` (smaller effects than version 1's 0.4).

    **Version 2 SNR.** The default 2 %% is a level reported for single-trial
    EEG of people watching films: inter-subject correlations of the most
    correlated EEG components of the order of 0.01-0.05 (Dmochowski et al.
    2012, Front. Hum. Neurosci. 6:112) - under a shared video-locked signal
    plus independent noise, an inter-subject correlation *is* the
    video-locked share of that component, and a single channel holds less
    than the best component - and stimulus-response correlations of video
    features of about 0.1, :math:`r^2 \approx 0.01` (Dmochowski et al.
    2018, NeuroImage 180:134-146). The gain is fixed (the physical model
    does not depend on the dataset), so a dataset's median lands near the
    target: for the other defaults and ``random_state`` 0-4, 1.5-2.6 %%
    (2.5 %% for 0, interquartile range 1.1-4.0 %%; flicker clips barely
    higher), and single trials correlate with the truth at r = 0.13-0.18
    (version 1: 9-18 %%, 49-67 %% on flicker clips, r = 0.3-0.45). No
    driver that reaches a source correlates with a low-level encoder
    feature beyond :math:`|r| = 0.75` (the valence, which shares the
    emotion with the palette; version 1: 1.00 for luminance and contrast,
    0.97 for the valence); the table is in the project's
    ``benchmarks/NOTES.md``.

    **Version 1 videos.** Each clip is a drifting sinusoidal grating (1.5-3
    cycles per frame width, random orientation) plus a Gaussian blob (s.d.
    0.15 frame half-widths), on a uniform field. Clips of both versions are
    coloured in HSV with one hue and saturation per clip and written with
    OpenCV's Motion-JPEG writer (quality 95). Parameters are drawn per clip
    from its emotion (uniform ranges):

    ========  ==========  ==========  ===========  ===========  ============
    emotion   hue (deg)   saturation  value level  contrast     drift (Hz)
    ========  ==========  ==========  ===========  ===========  ============
    negative  200-240     0.20-0.35   0.22-0.32    0.16-0.22    2.5-4, jerky
    neutral   0-360       0-0.06      0.45-0.55    0.10-0.16    0.5-1
    positive  20-50       0.55-0.80   0.62-0.75    0.12-0.18    0.8-1.6
    ========  ==========  ==========  ===========  ===========  ============

    Negative clips have 2-4 abrupt luminance/contrast jumps of 35-60 %%, a
    grating whose speed and direction are redrawn every 0.25 s and a blob
    that jumps; neutral clips 0-2 jumps of 15-25 %%; positive clips none but a
    12 %% sinusoidal luminance sway at 0.4-1 Hz, and neutral/positive motion is
    smooth (speed modulated by 30 %% at 0.5 Hz, blob on a circle). Emotion is
    thus recoverable from palette, brightness and motion style. A random
    third of the clips get a full-field cosine luminance flicker (depth 35 %%)
    at a frequency in 6-15 Hz that the frame rate can show exactly, i.e.
    ``video_fps / n`` for an integer ``n >= 2`` (24 fps: 12, 8 and 6 Hz,
    cycled over the flicker clips; a 10 Hz flicker would alias at 24 fps).

    **Version 1 drivers** are measured on the *decoded* frames of the written
    files (as are version 2's contrast and luminance), so the mapping is a
    function of the video a model sees: per frame :math:`k`, luma
    :math:`L_k` (BT.601 mean), contrast :math:`C_k` (luma s.d. over pixels),
    motion energy :math:`M_k` (mean absolute difference of consecutive
    mean-removed luma frames) and warmth :math:`W_k` (mean R - B). Frames
    are held until the next one (zero-order hold) at ``sfreq``. The screen
    is mid-grey (:math:`L = 0.5, C = 0`) before frame 0 (both versions).

    **Sources** (both versions) are fixed-orientation dipoles at the 10 mm
    volume-grid points nearest to 72 %% of the way from the sphere centre to
    an electrode (60 %% for the midline theta and the P3), radial with a
    per-subject random tilt (s.d. 0.25 per component, about 15 deg), in
    :func:`mne.make_sphere_model` ("auto") with
    :func:`mne.make_forward_solution`. Each source is scaled so that a unit
    waveform peaks at the given amplitude on its best electrode, times a
    per-subject log-normal gain (s.d. 0.2). Version 1's sources, whose
    oscillations, background and noise version 2 shares (with its own alpha
    drive and valence):

    - V1 (under O1, O2; 10 uV): the visual evoked response
      :math:`\sum_k r_k\,h(t - k/\mathrm{fps})` with the change
      :math:`c_k = |\Delta L_k| + |\Delta C_k|` through a contrast-response
      function :math:`r_k = c_k^2 / (c_k^2 + 0.05^2)` and the P1/N1 kernel
      :math:`h = b(t; 100\,\mathrm{ms}, 8) - 1.3\,b(t; 170\,\mathrm{ms}, 10)`,
      where :math:`b(t; p, s) = (t/p)^{s-1} e^{-(s-1)(t/p - 1)}` is a gamma
      bump of unit height at :math:`p`; plus the steady-state response
      :math:`(F * g)(t)`, :math:`F = (L(t) - \bar L_{0.5\,s}(t)) / 0.1`
      (luma minus its centred 0.5 s mean: the flicker) and :math:`g` the
      unit-area :math:`b(t; 80\,\mathrm{ms}, 60)` (a delay with mild
      smoothing, -26 %% in amplitude at 12 Hz).
    - MT (under P7, P8; 6 uV): :math:`-(M / 0.05) * m`, :math:`m` the
      unit-area :math:`b(t; 170\,\mathrm{ms}, 6)`.
    - Occipito-parietal alpha (under PO3, PO4; 10 uV): two independent
      unit-RMS Gaussian oscillations with a Gaussian spectral peak
      (s.d. 0.4 Hz) at the subject's ``alpha_hz`` (uniform 8.5-11.5 Hz),
      amplitude :math:`\exp(-0.35\,D(t))`, where the visual drive :math:`D`
      is :math:`C/0.1 + M/0.05 + |F|` smoothed by a causal exponential
      (tau 0.3 s) from rest: alpha desynchronises after onset, and more for
      contrast, motion and flicker.
    - Frontal alpha (under F3, F4; 6 uV): oscillations at ``alpha_hz`` with
      amplitudes :math:`1 - 0.4v` (left) and :math:`1 + 0.4v` (right), the
      valence index :math:`v = \tanh(3(\bar L - 0.5) + 4\bar W)` of the
      clip (bright and warm: positive; dark and cold: negative), so positive
      clips have relatively less left alpha (more left activation). The
      effect (about 2-3 in ln F4/F3 alpha power between positive and negative
      clips) is far larger than in real recordings (~0.1) on purpose, so that
      it is learnable from a few dozen clips.
    - Frontal midline theta (under Fz; 5 uV): at ``theta_hz`` (uniform
      5-7 Hz), amplitude :math:`1 - 0.4v` (more theta for negative clips).
    - Background: 150 dipoles at random grid points with random orientations
      per subject, independent unit-RMS Gaussian noise with power ~ 1/f
      (flat below 1 Hz), scaled to 10 uV RMS on the average channel.
    - Sensor noise: white, 1 uV RMS.

    All kernels of a subject are shifted by its ``latency_ms`` (uniform
    +-15 ms). ``clean`` is V1 + MT (the phase-locked part, fully determined by
    the video and the subject); the oscillations are driven by the video only
    in amplitude, with random phase, and count as noise, as do background and
    sensor noise, which are independent across epochs.

    **Version 1 SNR.** With ``random_state=0`` the stimulus-locked part
    explains a median 9 %% of the single-trial variance on the 12 occipital
    channels (interquartile range 4-41 %%, the top for flicker clips), 1 %% on
    frontal channels and 3 %% over all channels; single-trial noisy and clean
    occipital signals correlate at r = 0.4, a subject's average over its 60
    epochs at r = 0.91-0.96. Single trials are thus dominated by alpha and
    the 1/f background, as in real EEG, while the stimulus-locked part is
    plain in averages and learnable from all trials. Channels have 8-14 uV
    s.d. (about 65 uV peak-to-peak on occipital channels). The fraction is
    logged at INFO level.

    A model can learn from the video the evoked, steady-state and motion
    waveforms, the alpha blocking and frontal asymmetry in power, and
    subject-specific gains, latencies and rhythms; it cannot predict the
    phase of ongoing oscillations or the background.
    """
    params = _check_params(
        n_subjects, n_clips, clip_duration, sfreq, video_fps, frame_size
    )
    params["share"] = _check_snr(snr)
    params["version"] = 1 if params["share"] is None else 2
    _validate_type(return_clean, bool, "return_clean")
    _validate_type(path, (None, "path-like"), "path")
    rng = _check_random_state(random_state)
    rng_video, rng_subject, rng_noise = rng.spawn(3)

    draw = (
        _sim_video._draw_clip_params
        if params["version"] == 1
        else _sim_scene._draw_scene_params
    )
    clip_params = draw(
        params["n_clips"], params["clip_duration"], params["video_fps"], rng_video
    )
    video_key = _video_key(params, random_state, clip_params)
    folder = _resolve_path(path, video_key)
    videos = _write_videos(folder, clip_params, params, video_key)
    fps = params["video_fps"]
    drivers = [
        _sim_video._clip_drivers(fname)
        if params["version"] == 1
        else _sim_drivers._scene_drivers(fname, p, fps)
        for fname, p in zip(
            ProgressBar(videos, mesg="Measuring video drivers"),
            clip_params,
            strict=True,
        )
    ]
    for fname, drv in zip(videos, drivers, strict=True):
        if drv["luma"].size != params["n_frames"]:  # pragma: no cover
            raise RuntimeError(
                f"{fname} decoded to {drv['luma'].size} frames instead of "
                f"{params['n_frames']}; delete {folder} and run again."
            )
    epochs, clean = _simulate_eeg(
        videos, clip_params, drivers, params, rng_subject, rng_noise
    )
    return (videos, epochs, clean) if return_clean else (videos, epochs)


def _check_snr(snr):
    """Return the target video-locked share (float) or None for version 1."""
    if isinstance(snr, str):
        _check_option("snr", snr, tuple(SNR_SETTINGS))
        return SNR_SETTINGS[snr]
    if isinstance(snr, bool):
        raise TypeError(f"snr must be a str or a float, got a bool ({snr!r}).")
    _validate_type(snr, "numeric", "snr", "str or float")
    if not 0 < snr < 1:
        raise ValueError(
            f"snr must be one of {tuple(SNR_SETTINGS)} or a video-locked share "
            f"of variance strictly between 0 and 1, got {snr!r}. Pass e.g. "
            'snr=0.05, snr="natural" (0.02) or snr="easy" (version 1).'
        )
    return float(snr)


def _v2_gain(share: float) -> float:
    """Video-locked source gain that gives ``share`` on the reference set."""
    return float(np.sqrt(share / (1.0 - share) * _V2_NOISE_TO_SIGNAL))


def _check_params(n_subjects, n_clips, clip_duration, sfreq, video_fps, frame_size):
    params = dict(
        n_subjects=_check_positive(n_subjects, "n_subjects", integer=True),
        n_clips=_check_positive(n_clips, "n_clips", integer=True),
        clip_duration=_check_positive(clip_duration, "clip_duration"),
        sfreq=_check_sfreq(sfreq),
        video_fps=_check_positive(video_fps, "video_fps"),
        frame_size=_check_positive(frame_size, "frame_size", integer=True),
    )
    if params["frame_size"] < _MIN_FRAME_SIZE:
        raise ValueError(
            f"frame_size must be at least {_MIN_FRAME_SIZE} pixels, got "
            f"{frame_size!r}. Pass frame_size={_MIN_FRAME_SIZE} or more (default 64)."
        )
    params["n_times"] = int(round(params["clip_duration"] * params["sfreq"]))
    params["n_frames"] = int(round(params["clip_duration"] * params["video_fps"]))
    for key, rate in (("n_times", "sfreq"), ("n_frames", "video_fps")):
        if params[key] < 2:
            raise ValueError(
                f"clip_duration={clip_duration!r} s at {rate}={params[rate]!r} "
                f"gives {params[key]} samples; pass a longer clip_duration "
                f"(at least {2 / params[rate]:g} s)."
            )
    return params


def _video_key(params: dict, random_state, clip_params: list) -> dict:
    """Describe what the videos depend on (for the cache folder and manifest).

    The drawn clip parameters are part of it, so a change of the drawing code
    can never reuse stale files; a change of the rendering code needs a bump
    of ``_SIM_VERSION``.
    """
    key = {k: params[k] for k in ("n_clips", "video_fps", "frame_size", "n_frames")}
    key["random_state"] = (
        int(random_state) if isinstance(random_state, int | np.integer) else None
    )
    key["version"] = _SIM_VERSION[params["version"]]
    drawn = json.dumps(clip_params, sort_keys=True, default=lambda a: a.tolist())
    key["clips"] = hashlib.sha256(drawn.encode()).hexdigest()[:16]
    return key


def _resolve_path(path, video_key: dict) -> Path:
    """Pick the folder for the videos (checked writable, maybe not yet made)."""
    if path is not None:
        path = Path(path).expanduser()
        if path.exists():
            return _check_writable_dir(path, "path", create=False)
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ValueError(
                f"path {path} cannot be created: {parent} is not a writable "
                "folder. Pass a folder you can write to."
            )
        return path
    if video_key["random_state"] is None:
        return Path(tempfile.mkdtemp(prefix="mne-video2eeg-simulation-"))
    digest = hashlib.sha256(json.dumps(video_key, sort_keys=True).encode()).hexdigest()[
        :16
    ]
    root = Path(mne.get_config("MNE_DATA", str(Path("~/mne_data").expanduser())))
    for base in (root.expanduser(), Path(tempfile.gettempdir())):
        folder = base / "mne-video2eeg" / "simulation" / digest
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            _check_writable_dir(folder.parent, "path", create=False)
        except (OSError, ValueError):
            logger.info(f"Cannot write to {folder.parent}; trying a temp folder.")
            continue
        return folder
    raise ValueError(  # pragma: no cover - the temp dir is always writable
        "No writable folder for the simulated videos; pass path=<a folder>."
    )


def _clip_names(n_clips: int) -> list[str]:
    width = max(3, len(str(n_clips - 1)))
    return [f"clip_{i:0{width}d}{_sim_video.VIDEO_EXT}" for i in range(n_clips)]


def _is_complete(folder: Path, video_key: dict, names: list[str]) -> bool:
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if video_key["random_state"] is None or manifest.get("params") != video_key:
        return False
    sizes = manifest.get("sizes", {})
    return all(
        (folder / n).is_file() and (folder / n).stat().st_size == sizes.get(n)
        for n in names
    )


def _render_all(folder: Path, clip_params, params: dict, video_key, names):
    render = (
        _sim_video._render_clip if params["version"] == 1 else _sim_scene._render_scene
    )
    for p, name in zip(
        ProgressBar(clip_params, mesg="Rendering clips"), names, strict=True
    ):
        frames = render(
            p, params["n_frames"], params["video_fps"], params["frame_size"]
        )
        _sim_video._write_clip(folder / name, frames, params["video_fps"])
    manifest = dict(
        params=video_key, sizes={n: (folder / n).stat().st_size for n in names}
    )
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=1))


def _write_videos(folder: Path, clip_params, params: dict, video_key) -> list[Path]:
    names = _clip_names(params["n_clips"])
    if _is_complete(folder, video_key, names):
        logger.info(f"Reusing the simulated videos in {folder}")
        return [folder / n for n in names]
    if not folder.exists() or not any(folder.iterdir()):
        # a fresh folder appears whole or not at all
        with atomic_path(folder, is_dir=True) as tmp:
            _render_all(tmp, clip_params, params, video_key, names)
    else:
        # a folder with other content: stage inside it, then move file by file
        stage = Path(tempfile.mkdtemp(prefix=".simulate-", dir=folder))
        try:
            _render_all(stage, clip_params, params, video_key, names)
            (folder / _MANIFEST).unlink(missing_ok=True)
            for name in [*names, _MANIFEST]:  # manifest last: marks completion
                os.replace(stage / name, folder / name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    logger.info(f"Wrote {len(names)} simulated clips to {folder}")
    return [folder / n for n in names]


def _simulate_eeg(videos, clip_params, drivers, params, rng_subject, rng_noise):
    sfreq, n_times = params["sfreq"], params["n_times"]
    n_subjects, n_clips = params["n_subjects"], params["n_clips"]
    fps, v2 = params["video_fps"], params["version"] == 2
    if v2:
        signals = [_sim_eeg._clip_signals_v2(d, n_times, sfreq, fps) for d in drivers]
        gain = _v2_gain(params["share"])
    else:
        signals = [_sim_eeg._clip_signals(d, n_times, sfreq, fps) for d in drivers]
    width = max(2, len(str(n_subjects)))
    data = np.empty((n_subjects * n_clips, 62, n_times))
    clean = np.empty_like(data)
    rows = []
    noise_rngs = rng_noise.spawn(n_subjects * n_clips)
    for si in ProgressBar(range(n_subjects), mesg="Simulating subjects"):
        sl = slice(si * n_clips, (si + 1) * n_clips)
        if v2:
            sub = _sim_eeg._draw_subject(rng_subject, si, _sim_eeg.SOURCES_V2)
            kernels = _sim_eeg._kernels_v2(sfreq, sub["latency"])
            data[sl], clean[sl] = _sim_eeg._simulate_subject_v2(
                sub, signals, kernels, noise_rngs[sl], sfreq, gain
            )
        else:
            sub = _sim_eeg._draw_subject(rng_subject, si)
            kernels = _sim_eeg._kernels(sfreq, sub["latency"])
            data[sl], clean[sl] = _sim_eeg._simulate_subject(
                sub, signals, kernels, noise_rngs[sl], sfreq
            )
        for ci in range(n_clips):
            p, d = clip_params[ci], drivers[ci]
            rows.append(
                dict(
                    subject=f"{si + 1:0{width}d}",
                    video=videos[ci].name,
                    clip=ci,
                    emotion=p["emotion"],
                    flicker_hz=p["flicker_hz"],
                    valence=signals[ci]["valence"],
                    luminance=float(d["luma"].mean()),
                    contrast=float(d["contrast"].mean()),
                    motion=float(d["motion"].mean()),
                    hue=p["hue"],
                    saturation=p["sat"],
                    speed_hz=p["speed"],
                    alpha_hz=sub["alpha_hz"],
                    theta_hz=sub["theta_hz"],
                    latency_ms=1e3 * sub["latency"],
                )
            )
    metadata = pd.DataFrame(rows)
    codes = metadata["emotion"].map(EVENT_ID).to_numpy()
    events = np.column_stack(
        [np.arange(len(rows)) * n_times, np.zeros(len(rows), int), codes]
    ).astype(int)
    present = {k: v for k, v in EVENT_ID.items() if v in set(codes.tolist())}
    info = make_seed_info(sfreq)
    kw = dict(tmin=0.0, event_id=present, metadata=metadata, verbose=False)
    epochs = mne.EpochsArray(data, info, events, **kw)
    clean_epochs = mne.EpochsArray(clean, info.copy(), events, **kw)
    _log_summary(epochs, data, clean, n_subjects, n_clips)
    return epochs, clean_epochs


def _log_summary(epochs, data, clean, n_subjects, n_clips):
    occ = [epochs.ch_names.index(ch) for ch in SEED_OCCIPITAL_CH_NAMES]
    frac = clean[:, occ].var(axis=-1).sum(1) / data[:, occ].var(axis=-1).sum(1)
    logger.info(
        f"Simulated {n_subjects} subject(s) x {n_clips} clip(s): "
        f"{1e6 * data.std(axis=-1).mean():.1f} uV mean channel s.d.; "
        f"stimulus-locked variance fraction on occipital channels "
        f"{100 * np.median(frac):.1f} % (median per trial)."
    )
