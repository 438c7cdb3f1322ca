"""Low-level features: format, behaviour on controlled stimuli, cache, bad input."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import xarray as xr

from mne_video2eeg.video import (
    LOWLEVEL_FEATURES,
    VideoClip,
    extract_video_features,
)
from mne_video2eeg.video import io as vio


def _write_video(path, frames_rgb, fps=24):
    h, w = frames_rgb.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for f in frames_rgb:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return Path(path)


def _texture(size=64, seed=0):
    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(
        rng.uniform(0, 255, (size, size)).astype(np.float32), (0, 0), 2
    )
    tex = (tex - tex.min()) / np.ptp(tex) * 200 + 25
    return np.repeat(tex[..., None], 3, axis=2).astype(np.uint8)


def _moving(n, dx=0, dy=0):
    tex = _texture()
    return np.stack([np.roll(tex, (k * dy, k * dx), axis=(0, 1)) for k in range(n)])


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    dark = np.full((36, 32, 32, 3), 40, np.uint8)
    bright = np.full((48, 32, 32, 3), 200, np.uint8)
    return [
        _write_video(root / "dark.avi", dark),
        _write_video(root / "bright.avi", bright),
    ]


def test_output_format(videos):
    feats = extract_video_features(videos, size=32)
    assert feats.dims == ("video", "frame", "feature")
    assert list(feats.video.values) == ["dark.avi", "bright.avi"]
    assert list(feats.feature.values) == list(LOWLEVEL_FEATURES)
    # 1.5 s and 2 s at the default 25 Hz; the shorter one is NaN-padded
    np.testing.assert_array_equal(feats.n_frames.values, [38, 50])
    np.testing.assert_allclose(feats.time.values, np.arange(50) / 25)
    assert np.isnan(feats.values[0, 38:]).all()
    assert (
        np.isfinite(feats.values[0, :38]).all() and np.isfinite(feats.values[1]).all()
    )
    assert feats.attrs["encoder"] == "lowlevel" and feats.attrs["fps"] == 25.0
    assert feats.attrs["size"] == 32
    assert json.loads(feats.attrs["config"])["fps"] == 25.0
    assert "mne_video2eeg_version" in feats.attrs
    # brighter clip -> higher luminance
    lum = feats.sel(feature="lum_mean").mean("frame")
    assert lum.sel(video="bright.avi") > lum.sel(video="dark.avi") + 0.5
    # a single path and segments of a file
    one = extract_video_features(videos[1], fps=10, size=16)
    assert one.sizes["video"] == 1 and one.sizes["frame"] == 20
    clips = [VideoClip(videos[1], 0.0, 1.0), VideoClip(videos[1], 1.0, 1.5)]
    seg = extract_video_features(clips, fps=10, size=16)
    assert list(seg.video.values) == [
        "bright.avi[0.000-1.000]",
        "bright.avi[1.000-1.500]",
    ]
    np.testing.assert_array_equal(seg.n_frames.values, [10, 5])


def test_array_inputs():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (2, 10, 40, 40, 3), dtype=np.uint8)
    feats = extract_video_features(arr, fps=10, size=None)
    assert list(feats.video.values) == ["video0", "video1"]
    np.testing.assert_allclose(feats.time.values, np.arange(10) / 10)
    same = extract_video_features({"a": arr[0], "b": arr[1, :6]}, fps=10, size=None)
    np.testing.assert_array_equal(same.n_frames.values, [10, 6])
    np.testing.assert_allclose(same.values[0], feats.values[0])
    # resizing to `size` applies to arrays too
    small = extract_video_features(arr[:1], fps=10, size=20)
    assert small.attrs["size"] == 20
    par = extract_video_features(arr, fps=10, size=None, n_jobs=2)
    np.testing.assert_allclose(par.values, feats.values)


def test_motion_energy_and_direction():
    n = 20
    vids = {
        "static": _moving(n),
        "right": _moving(n, dx=1),
        "left": _moving(n, dx=-1),
        "down": _moving(n, dy=1),
    }
    feats = extract_video_features(vids, fps=20, size=None)
    m = feats.sel(frame=slice(1, n - 2)).median("frame")  # wrap-around frame aside
    mag = m.sel(feature="motion_mag")
    assert mag.sel(video="static") < 0.01
    for vid in ("right", "left", "down"):
        assert mag.sel(video=vid) > 10 * mag.sel(video="static") + 0.05
    # 1 px/frame on a 64-px frame at 20 fps is 20/64 frame widths per second
    assert m.sel(video="right", feature="motion_dx") == pytest.approx(20 / 64, rel=0.3)
    assert m.sel(video="left", feature="motion_dx") < -0.1
    assert abs(m.sel(video="right", feature="motion_dy")) < 0.05
    assert m.sel(video="down", feature="motion_dy") > 0.1
    assert np.isfinite(feats.values).all()  # first frame filled, no NaN


def _pattern(kind, size, step, k, n):
    """Frame ``k`` of a grey pattern moving ``step`` native pixels per frame.

    Bars and gratings vary along one axis only (the aperture problem: a local
    flow sees only the component across them); the texture is a window
    panning over a larger 2-D texture, like a camera.
    """
    shift = round((k - n / 2) * step)  # centred, so a bar stays in the frame
    if kind == "texture":
        big = _texture(size + 2 * abs(step) * n, seed=1)[..., 0]
        x0 = abs(step) * n - shift
        return big[:size, x0 : x0 + size]
    x = np.arange(size) - shift
    if kind in ("vbar", "hbar"):
        width = size // 10
        profile = np.where((x >= size // 2) & (x < size // 2 + width), 200, 60)
    else:
        phase = 2 * np.pi * x / (size // 4)  # period 16 px at 64: > 2 x 6 px
        wave = np.sin(phase) if kind == "sine" else np.sign(np.sin(phase))
        profile = 128 + 80 * wave
    img = np.broadcast_to(profile[None, :], (size, size))
    return img.T if kind == "hbar" else img


@pytest.mark.parametrize("size", [64, 256])
def test_motion_of_bars_gratings_and_textures(size):
    # motion_dx/dy are in frame widths per second: a step of s native pixels
    # per frame at `fps` is s / size * fps whatever the analysis size
    n, fps = 6, 20.0
    steps = (-6, -3, -1, 1, 2, 3, 4, 5, 6)
    kinds = ("vbar", "hbar", "square", "sine", "texture")
    grey = {
        f"{kind}{step}": np.stack([_pattern(kind, size, step, k, n) for k in range(n)])
        for kind in kinds
        for step in (0, *steps)
    }
    # independent noise on a flat frame: no global shift explains it, so none
    # may seed the flow (a random one, up to the 1/8 frame width per frame
    # searched, reads ~2 widths/s here; DIS alone on the noise ~0.4)
    grey["noise"] = 128 + np.random.default_rng(0).normal(0, 3, (n, size, size))
    vids = {
        k: np.repeat(v[..., None], 3, axis=3).astype(np.uint8) for k, v in grey.items()
    }
    feats = extract_video_features(vids, fps=fps, size=None)
    m = feats.sel(frame=slice(1, None)).median("frame")
    assert m.sel(video="noise", feature="motion_mag") < 0.4 * fps / 8
    for kind in kinds:
        along, across = (
            ("motion_dy", "motion_dx") if kind == "hbar" else ("motion_dx", "motion_dy")
        )
        assert m.sel(video=f"{kind}0", feature="motion_mag") < 0.01, kind
        for step in steps:
            true = step / size * fps
            got = m.sel(video=f"{kind}{step}")
            assert got.sel(feature=along) == pytest.approx(true, rel=0.3), (kind, step)
            assert got.sel(feature="motion_mag") == pytest.approx(abs(true), rel=0.3)
            assert abs(got.sel(feature=across)) < 0.1 * abs(true), (kind, step)


def test_flicker_frequency():
    fps, f_flicker, n = 25.0, 5.0, 100
    t = np.arange(n) / fps
    level = 128 + 80 * np.sin(2 * np.pi * f_flicker * t)
    arr = np.broadcast_to(level[:, None, None, None], (n, 16, 16, 3)).astype(np.uint8)
    feats = extract_video_features(arr, fps=fps, size=None)
    lum = feats.sel(feature="lum_mean").values[0]
    spec = np.abs(np.fft.rfft(lum - lum.mean()))
    freqs = np.fft.rfftfreq(n, 1 / fps)
    assert freqs[spec.argmax()] == pytest.approx(f_flicker)


def test_colour_contrast_frequency_edges():
    n = 3
    red = np.zeros((n, 64, 64, 3), np.uint8)
    red[..., 0] = 255
    grey = np.full((n, 64, 64, 3), 128, np.uint8)
    stripes = np.zeros((n, 64, 64, 3), np.uint8)
    stripes[:, :, ::2] = 255  # finest grating: high spatial frequency, many edges
    blob = np.zeros((n, 64, 64, 3), np.uint8)
    blob[:, 16:48, 16:48] = 255  # one square: coarse
    feats = extract_video_features(
        {"red": red, "grey": grey, "stripes": stripes, "blob": blob}, fps=10, size=None
    ).isel(frame=0)
    assert feats.sel(video="red", feature="saturation") > 0.9
    assert feats.sel(video="red", feature="hue_cos") > 0.9  # hue 0 degrees
    assert feats.sel(video="grey", feature="saturation") < 0.05
    assert feats.sel(video="grey", feature="contrast_rms") < 1e-3
    assert feats.sel(video="stripes", feature="contrast_rms") > 0.5
    sf = feats.sel(feature=["sf_low", "sf_mid", "sf_high"])
    assert np.argmax(sf.sel(video="stripes").values) == 2
    assert np.argmax(sf.sel(video="blob").values) == 0
    assert feats.sel(video="stripes", feature="edge_density") > feats.sel(
        video="blob", feature="edge_density"
    )
    assert feats.sel(video="grey", feature="edge_density") == 0


def test_cache_hit_without_decoding(videos, tmp_path, monkeypatch):
    first = extract_video_features(videos, size=16, cache=tmp_path)
    assert len(list(tmp_path.glob("*.nc"))) == 2

    def _no_decode(*args, **kwargs):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(vio, "VideoReader", _no_decode)
    second = extract_video_features(videos, size=16, cache=tmp_path)
    xr.testing.assert_identical(first, second)
    # another configuration is another entry (and must decode)
    with pytest.raises(AssertionError, match="decoded although cached"):
        extract_video_features(videos, size=16, fps=10, cache=tmp_path)
    # cache=True: under MNE_DATA
    monkeypatch.undo()
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))
    extract_video_features(videos[0], size=16, cache=True)
    assert list((tmp_path / "mne_data" / "mne-video2eeg" / "features").glob("*.nc"))
    # arrays are cached by content
    arr = np.zeros((1, 5, 16, 16, 3), np.uint8)
    a = extract_video_features(arr, fps=5, cache=tmp_path / "arr")
    b = extract_video_features(arr, fps=5, cache=tmp_path / "arr")
    xr.testing.assert_identical(a, b)
    assert len(list((tmp_path / "arr").glob("*.nc"))) == 1


def test_bad_inputs(videos, tmp_path):
    with pytest.raises(ValueError, match="encoder.*'resnet'"):
        extract_video_features(videos, encoder="resnet")
    with pytest.raises(ValueError, match=r"Duplicate video ids \['dark.avi'\]"):
        extract_video_features([videos[0], videos[0]])
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        extract_video_features([tmp_path / "missing.avi"])
    arr = np.zeros((1, 4, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="fps is required"):
        extract_video_features(arr)
    with pytest.raises(ValueError, match="fps"):
        extract_video_features(arr, fps=0)
    with pytest.raises(ValueError, match="uint8"):
        extract_video_features(arr.astype(float), fps=5)
    with pytest.raises(ValueError, match="shape"):
        extract_video_features(np.zeros((4, 8, 8), np.uint8), fps=5)
    with pytest.raises(ValueError, match="zero frames"):
        extract_video_features({"a": np.zeros((0, 8, 8, 3), np.uint8)}, fps=5)
    with pytest.raises(TypeError, match="videos"):
        extract_video_features(3)
    with pytest.raises(TypeError, match=r"videos\[0\]"):
        extract_video_features([3.5])
    with pytest.raises(ValueError, match="empty"):
        extract_video_features([])
    with pytest.raises(ValueError, match="batch_size"):
        extract_video_features(arr, fps=5, batch_size=0)
    with pytest.raises(ValueError, match="size"):
        extract_video_features(arr, fps=5, size=0)
    with pytest.raises(ValueError, match=r"dark.avi\[5.000-6.000\].*past the end"):
        extract_video_features([VideoClip(videos[0], 5.0, 6.0)])
