"""Scenes of the version-2 simulator: textured backgrounds, objects, cuts.

:func:`_draw_scene_params` draws a scene description per clip (JSON-able) and
:func:`_render_scene` renders it as uint8 BGR frames, written with
:func:`._sim_video._write_clip`. Unlike the version-1 clips (one full-field
grating and blob), a scene has several objects - Gabor-textured blobs that
appear (abruptly or fading in), move, loom and vanish at their own places in
the visual field - on a static 1/f texture that a cut may replace; the flicker
of a third of the clips is a local flickering disc, not the whole field. So
what drives the simulated brain (local, retinotopic, adapting quantities,
:mod:`._sim_drivers`) is not one of the global frame statistics a low-level
encoder computes.
"""

from __future__ import annotations

import numpy as np

from ._sim_video import clip_plan, to_bgr

# Per-emotion ranges (uniform draws unless stated). Palettes and levels
# overlap between emotions: colour alone is a weak cue of the emotion, which
# the scene's dynamics (abrupt onsets, looming, jerky motion) carry as well.
# speed in frame widths per second; tf: temporal frequency (Hz) of the
# objects' internal gratings; p_*: probabilities per object or per clip.
_STYLES: dict[str, dict] = {
    "negative": dict(
        hue=(170.0, 280.0),
        alt_hue=((330.0, 380.0), 0.4),  # (range, probability): dark reds
        sat=(0.05, 0.45),
        lum=(0.25, 0.50),
        tex=(0.04, 0.12),
        n_obj=(2, 5),
        p_abrupt=0.9,
        p_loom=0.4,
        speed=(0.2, 0.8),
        tf=(1.0, 4.0),
        jerky=True,
        p_cut=0.5,
    ),
    "neutral": dict(
        hue=(0.0, 360.0),
        sat=(0.0, 0.25),
        lum=(0.32, 0.62),
        tex=(0.03, 0.10),
        n_obj=(1, 4),
        p_abrupt=0.5,
        p_loom=0.1,
        speed=(0.05, 0.4),
        tf=(0.5, 2.0),
        jerky=False,
        p_cut=0.3,
    ),
    "positive": dict(
        hue=(0.0, 90.0),
        sat=(0.15, 0.70),
        lum=(0.38, 0.70),
        tex=(0.03, 0.10),
        n_obj=(1, 4),
        p_abrupt=0.25,
        p_loom=0.0,
        speed=(0.05, 0.4),
        tf=(0.5, 2.0),
        jerky=False,
        p_cut=0.15,
    ),
}
_SF_CHOICES = (2.5, 5.0, 10.0)  # object grating, cycles per frame width
_FLICKER_DEPTH = 0.35  # flicker disc: luminance increment lum * depth * (1 + cos)
_FLICKER_RADIUS = 0.25  # s.d. of the flicker disc, in frame half-widths
_TEX_BAND = (2.0, 16.0)  # cycles per frame width of the background texture
SEG_S = 0.25  # s, jerky motion: a new velocity every segment


def _draw_object(rng, st: dict, n_frames: int, video_fps: float, *, first: bool):
    """One object: position, size, texture, timing and motion."""
    n_seg = max(int(np.ceil(n_frames / max(video_fps * SEG_S, 1))), 1)
    speed = rng.uniform(*st["speed"])
    if st["jerky"]:
        ang = rng.uniform(0, 2 * np.pi, n_seg)
        mag = speed * rng.uniform(0.3, 1.7, n_seg)
    else:
        ang = np.full(n_seg, rng.uniform(0, 2 * np.pi))
        mag = np.full(n_seg, speed)
    # the first object is on screen at the clip onset; others appear later
    on = 0 if first else int(rng.integers(max(n_frames // 8, 1), max(n_frames - 4, 2)))
    abrupt = bool(rng.random() < st["p_abrupt"])
    life = int(rng.integers(max(n_frames // 3, 2), 2 * n_frames))
    return dict(
        x=float(rng.uniform(-0.7, 0.7)),
        y=float(rng.uniform(-0.7, 0.7)),
        r=float(rng.uniform(0.10, 0.22)),
        sf=float(rng.choice(_SF_CHOICES)),
        ori=float(rng.uniform(0, np.pi)),
        con=float(rng.uniform(0.15, 0.45)),
        dl=float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.35)),
        on=on,
        off=on + life,
        fade=1 if abrupt else int(rng.integers(3, 9)),
        abrupt=abrupt,
        loom=float(rng.uniform(0.5, 1.5)) if rng.random() < st["p_loom"] else 0.0,
        tf=float(rng.uniform(*st["tf"])),
        vel=np.stack([mag * np.cos(ang), mag * np.sin(ang)], -1),
        flicker=False,
    )


def _flicker_object(rng, n_frames: int) -> dict:
    """Draw a static disc whose luminance flickers, in a random quadrant."""
    return dict(
        x=float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.6)),
        y=float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.6)),
        r=_FLICKER_RADIUS,
        sf=_SF_CHOICES[0],
        ori=float(rng.uniform(0, np.pi)),
        con=0.05,
        dl=_FLICKER_DEPTH,
        on=0,
        off=n_frames + 1,
        fade=1,
        abrupt=True,
        loom=0.0,
        tf=0.0,
        vel=np.zeros((1, 2)),
        flicker=True,
    )


def _draw_scene_params(n_clips: int, clip_duration: float, video_fps: float, rng):
    """Draw the scene description of every clip (balanced emotions)."""
    emotions, flicker_hz, n_frames = clip_plan(n_clips, clip_duration, video_fps, rng)
    params = []
    for ci, emo in enumerate(emotions):
        st = _STYLES[str(emo)]
        n_obj = int(rng.integers(st["n_obj"][0], st["n_obj"][1] + 1))
        objects = [
            _draw_object(rng, st, n_frames, video_fps, first=i == 0)
            for i in range(n_obj)
        ]
        hue = rng.uniform(*st["hue"])
        if "alt_hue" in st and rng.random() < st["alt_hue"][1]:
            hue = rng.uniform(*st["alt_hue"][0])
        p = dict(
            emotion=str(emo),
            hue=float(hue) % 360.0,
            sat=float(rng.uniform(*st["sat"])),
            lum=float(rng.uniform(*st["lum"])),
            tex=float(rng.uniform(*st["tex"])),
            tex_seed=int(rng.integers(2**31)),
            sway_hz=float(rng.uniform(0.2, 0.8)),
            sway=float(rng.uniform(0.0, 0.08)),
            jerky=st["jerky"],
            cut=-1,
            cut_gain=1.0,
            cut_seed=int(rng.integers(2**31)),
            flicker_hz=np.nan,
        )
        if rng.random() < st["p_cut"]:
            p["cut"] = int(
                rng.integers(max(n_frames // 4, 1), max(3 * n_frames // 4, 2))
            )
            p["cut_gain"] = float(rng.uniform(0.7, 1.35))
        if ci in flicker_hz:
            p["flicker_hz"] = flicker_hz[ci]
            objects.append(_flicker_object(rng, n_frames))
        p["objects"] = objects
        drifts = [o["tf"] for o in objects if not o["flicker"]]
        p["speed"] = float(np.mean(drifts))  # mean grating drift (Hz)
        params.append(p)
    return params


def _texture(seed: int, size: int) -> np.ndarray:
    """Unit-RMS 1/f noise texture band-limited to ``_TEX_BAND`` cycles/frame."""
    rng = np.random.default_rng(seed)
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(size) * size, np.fft.fftfreq(size) * size))
    amp = np.where((f >= _TEX_BAND[0]) & (f <= _TEX_BAND[1]), 1.0 / np.maximum(f, 1), 0)
    spec = amp * np.exp(2j * np.pi * rng.random((size, size)))
    tex = np.fft.ifft2(spec).real
    return tex / tex.std()


def object_courses(o: dict, n_frames: int, video_fps: float):
    """Per-frame visibility, centre (x, y), radius and grating phase."""
    k = np.arange(n_frames)
    t_on = (k - o["on"]) / video_fps
    vis = np.clip((k - o["on"] + 1) / o["fade"], 0.0, 1.0) * (k < o["off"])
    seg = np.minimum(np.maximum(t_on, 0) // SEG_S, len(o["vel"]) - 1).astype(int)
    step = o["vel"][seg] * (t_on[:, None] >= 0) / video_fps  # frame widths
    pos = np.array([o["x"], o["y"]]) + 2.0 * np.cumsum(step, axis=0)  # half-widths
    # bounce off the borders (reflect into [-0.85, 0.85])
    pos = 0.85 - np.abs((pos + 0.85) % 3.4 - 1.7)
    radius = o["r"] * (1.0 + o["loom"] * np.maximum(t_on, 0))
    phase = 2 * np.pi * o["tf"] * np.maximum(t_on, 0)
    return vis, pos, radius, phase


def _background_level(p: dict, n_frames: int, video_fps: float) -> np.ndarray:
    t = np.arange(n_frames) / video_fps
    lum = p["lum"] * (1 + p["sway"] * np.sin(2 * np.pi * p["sway_hz"] * t))
    if p["cut"] >= 0:
        lum[p["cut"] :] *= p["cut_gain"]
    return lum


def _render_scene(p: dict, n_frames: int, video_fps: float, frame_size: int):
    """Render one scene as uint8 BGR frames, shape (n_frames, size, size, 3)."""
    t = np.arange(n_frames) / video_fps
    lum = _background_level(p, n_frames, video_fps)
    tex = np.repeat(_texture(p["tex_seed"], frame_size)[None], n_frames, axis=0)
    if p["cut"] >= 0:
        tex[p["cut"] :] = _texture(p["cut_seed"], frame_size)
    value = lum[:, None, None] * (1.0 + p["tex"] * tex)
    ax = np.linspace(-1.0, 1.0, frame_size)
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    for o in p["objects"]:
        vis, pos, radius, phase = object_courses(o, n_frames, video_fps)
        shown = np.flatnonzero(vis > 0)
        if shown.size == 0:
            continue
        d2 = (xx[None] - pos[shown, 0, None, None]) ** 2 + (
            yy[None] - pos[shown, 1, None, None]
        ) ** 2
        env = np.exp(-d2 / (2 * radius[shown, None, None] ** 2))
        proj = xx * np.cos(o["ori"]) + yy * np.sin(o["ori"])
        # sf in cycles per frame width = 2 half-widths
        grating = np.sin(np.pi * o["sf"] * proj[None] - phase[shown, None, None])
        dl = np.full(shown.size, o["dl"])
        if o["flicker"]:
            dl = dl * (1 + np.cos(2 * np.pi * p["flicker_hz"] * t[shown]))
        obj = dl[:, None, None] + o["con"] * grating
        value[shown] += (vis[shown] * lum[shown])[:, None, None] * env * obj
    value = np.clip(value, 0.0, 1.0)
    return to_bgr(value, p["hue"], p["sat"])
