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
from mne.utils import ProgressBar, logger, verbose

from ..montage import SEED_OCCIPITAL_CH_NAMES, make_seed_info
from ..utils._checks import (
    _check_positive,
    _check_random_state,
    _check_sfreq,
    _check_writable_dir,
    _validate_type,
)
from ..utils._fileio import atomic_path
from . import _sim_eeg, _sim_video

__all__ = ["simulate_video_eeg"]

# Bump when the videos a given set of parameters produces change.
_SIM_VERSION = 1
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
        :math:`v` below), ``luminance``, ``contrast``, ``motion`` (clip means
        of the measured drivers), ``hue`` (degrees), ``saturation``
        (rendered), ``speed_hz`` (grating drift), ``alpha_hz``, ``theta_hz``
        and ``latency_ms`` (the subject's parameters).
    clean : mne.EpochsArray
        Only if ``return_clean``: the stimulus-locked part (visual evoked,
        steady-state and motion responses) projected to the scalp, without
        oscillations, background or sensor noise; same info, events and
        metadata as ``epochs``.

    Notes
    -----
    **Videos.** Each clip is a drifting sinusoidal grating (1.5-3 cycles per
    frame width, random orientation) plus a Gaussian blob (s.d. 0.15 frame
    half-widths), on a uniform field, coloured in HSV with one hue and
    saturation per clip, and written with OpenCV's Motion-JPEG writer
    (quality 95). Parameters are drawn per clip from its emotion (uniform
    ranges):

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

    **Drivers** are measured on the *decoded* frames of the written files, so
    the mapping is a function of the video a model sees: per frame :math:`k`,
    luma :math:`L_k` (BT.601 mean), contrast :math:`C_k` (luma s.d. over
    pixels), motion energy :math:`M_k` (mean absolute difference of
    consecutive mean-removed luma frames) and warmth :math:`W_k` (mean
    R - B). Frames are held until the next one (zero-order hold) at
    ``sfreq``. The screen is mid-grey (:math:`L = 0.5, C = 0`) before frame 0.

    **Sources** are fixed-orientation dipoles at the 10 mm volume-grid points
    nearest to 72 %% of the way from the sphere centre to an electrode (60 %%
    for the midline theta), radial with a per-subject random tilt (s.d. 0.25
    per component, about 15 deg), in :func:`mne.make_sphere_model` ("auto")
    with :func:`mne.make_forward_solution`. Each source is scaled so that a
    unit waveform peaks at the given amplitude on its best electrode, times a
    per-subject log-normal gain (s.d. 0.2):

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

    **SNR.** With the defaults (``random_state=0``) the stimulus-locked part
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
    _validate_type(return_clean, bool, "return_clean")
    _validate_type(path, (None, "path-like"), "path")
    rng = _check_random_state(random_state)
    rng_video, rng_subject, rng_noise = rng.spawn(3)

    clip_params = _sim_video._draw_clip_params(
        params["n_clips"], params["clip_duration"], params["video_fps"], rng_video
    )
    video_key = _video_key(params, random_state, clip_params)
    folder = _resolve_path(path, video_key)
    videos = _write_videos(folder, clip_params, params, video_key)
    drivers = [
        _sim_video._clip_drivers(fname)
        for fname in ProgressBar(videos, mesg="Measuring video drivers")
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
    key["version"] = _SIM_VERSION
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
    for p, name in zip(
        ProgressBar(clip_params, mesg="Rendering clips"), names, strict=True
    ):
        frames = _sim_video._render_clip(
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
    signals = [
        _sim_eeg._clip_signals(d, n_times, sfreq, params["video_fps"]) for d in drivers
    ]
    width = max(2, len(str(n_subjects)))
    data = np.empty((n_subjects * n_clips, 62, n_times))
    clean = np.empty_like(data)
    rows = []
    noise_rngs = rng_noise.spawn(n_subjects * n_clips)
    for si in ProgressBar(range(n_subjects), mesg="Simulating subjects"):
        sub = _sim_eeg._draw_subject(rng_subject, si)
        kernels = _sim_eeg._kernels(sfreq, sub["latency"])
        sl = slice(si * n_clips, (si + 1) * n_clips)
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
