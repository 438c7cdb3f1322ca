"""Reading videos: frames, timestamps, resampling, seeking, segments, bad input."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from mne_video2eeg.video import VideoClip, iter_video_segments, read_video
from mne_video2eeg.video import io as vio

FPS = 24
STEP = 5  # grey level per frame index: survives MJPG's small errors when rounded


def _write_video(path, n_frames, *, fps=FPS, width=48, height=32):
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height)
    )
    for k in range(n_frames):
        writer.write(np.full((height, width, 3), (STEP * k) % 250, np.uint8))
    writer.release()
    return Path(path)


def _index(frames):
    """Frame index encoded in the grey level."""
    return np.round(frames.reshape(len(frames), -1).mean(1) / STEP).astype(int)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    # 48 frames at 24 fps = 2 s
    return _write_video(tmp_path_factory.mktemp("vid") / "clip.avi", 48)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    # 10 s, tiny frames: stands in for a 10-minute SEED-DV block
    return _write_video(
        tmp_path_factory.mktemp("vid") / "block.avi", 240, width=16, height=16
    )


def test_read_native(video):
    frames, times = read_video(video, size=None)
    assert frames.shape == (48, 32, 48, 3)
    assert frames.dtype == np.uint8
    np.testing.assert_allclose(times, np.arange(48) / FPS)
    np.testing.assert_array_equal(_index(frames), np.arange(48))
    frames, _ = read_video(str(video), size=16)
    assert frames.shape == (48, 16, 16, 3)


def test_read_rgb_order(tmp_path):
    path = tmp_path / "red.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 24, (32, 32))
    for _ in range(3):
        writer.write(np.tile(np.array([0, 0, 255], np.uint8), (32, 32, 1)))  # BGR red
    writer.release()
    frames, _ = read_video(path, size=8)
    red, green, blue = (
        frames[..., 0].mean(),
        frames[..., 1].mean(),
        frames[..., 2].mean(),
    )
    assert red > 200 and green < 50 and blue < 50


def test_resample_fps(video):
    frames, times = read_video(video, fps=10, size=8)
    np.testing.assert_allclose(times, np.arange(20) / 10)
    expected = np.floor(np.arange(20) / 10 * FPS + 1e-6).astype(int)
    np.testing.assert_array_equal(_index(frames), expected)
    # upsampling repeats the nearest preceding frame
    frames, times = read_video(video, fps=48, size=8)
    assert len(frames) == 96
    np.testing.assert_array_equal(_index(frames), np.arange(96) // 2)


def test_start_stop(video):
    frames, times = read_video(video, size=8, start=0.5, stop=1.5)
    np.testing.assert_array_equal(_index(frames), np.arange(12, 36))
    np.testing.assert_allclose(times, np.arange(24) / FPS)
    frames, times = read_video(video, size=8, fps=10, start=0.55, stop=1.0)
    np.testing.assert_allclose(times, np.arange(5) / 10)
    expected = np.floor((0.55 + np.arange(5) / 10) * FPS + 1e-6).astype(int)
    np.testing.assert_array_equal(_index(frames), expected)
    # stop=None reads to the end
    frames, _ = read_video(video, size=8, start=1.75)
    np.testing.assert_array_equal(_index(frames), np.arange(42, 48))


class _CountingCapture:
    """cv2.VideoCapture that counts opens and decoded frames."""

    opened = 0
    decoded = 0

    def __init__(self, *args):
        type(self).opened += 1
        self._cap = _REAL_CAPTURE(*args)

    def grab(self):
        type(self).decoded += 1
        return self._cap.grab()

    def read(self):
        type(self).decoded += 1
        return self._cap.read()

    def __getattr__(self, name):
        return getattr(self._cap, name)


_REAL_CAPTURE = cv2.VideoCapture


@pytest.fixture
def counting(monkeypatch):
    _CountingCapture.opened = _CountingCapture.decoded = 0
    monkeypatch.setattr(vio.cv2, "VideoCapture", _CountingCapture)
    return _CountingCapture


def test_seek_decodes_only_the_clip(long_video, counting):
    frames, _ = read_video(long_video, size=None, start=8.0, stop=9.0)
    np.testing.assert_array_equal(_index(frames), np.arange(192, 216) % 50)
    assert counting.decoded <= 30  # not the 192 frames before the clip


def test_iter_video_segments_one_pass(long_video, counting):
    segments = [(0.0, 0.5), (2.0, 2.5), (8.0, 8.25), VideoClip(long_video, 9.5, 10.0)]
    out = list(iter_video_segments(long_video, segments, size=8))
    assert counting.opened == 1
    assert [seg for seg, _, _ in out] == segments
    for (seg, frames, times), first in zip(out, [0, 48, 192, 228], strict=True):
        start, stop = (seg.start, seg.stop) if isinstance(seg, VideoClip) else seg
        n = round((stop - start) * FPS)
        np.testing.assert_array_equal(_index(frames), np.arange(first, first + n) % 50)
        np.testing.assert_allclose(times, np.arange(n) / FPS)
    assert counting.decoded < 150
    # resampled segments
    ((_, frames, times),) = iter_video_segments(long_video, [(1.0, 2.0)], fps=4, size=8)
    np.testing.assert_allclose(times, [0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(_index(frames), [24, 30, 36, 42])


def test_video_clip_id(tmp_path):
    assert VideoClip(tmp_path / "a.avi").id == "a.avi"
    assert VideoClip(tmp_path / "a.avi", 1, 2.5).id == "a.avi[1.000-2.500]"
    assert VideoClip(tmp_path / "a.avi", 1, 2, name="x").id == "x"
    with pytest.raises(AttributeError):
        VideoClip(tmp_path / "a.avi").start = 3  # frozen


def test_missing_and_corrupt(tmp_path, video):
    with pytest.raises(FileNotFoundError, match="nope.avi"):
        read_video(tmp_path / "nope.avi")
    with pytest.raises(FileNotFoundError, match="not found"):
        read_video(tmp_path)  # a folder
    bad = tmp_path / "garbage.avi"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(
        ValueError, match=r"OpenCV could not decode.*garbage.avi.*ffmpeg"
    ):
        read_video(bad)
    # unknown codec: the MJPG fourcc replaced by one no decoder knows
    codec = tmp_path / "codec.avi"
    codec.write_bytes(video.read_bytes().replace(b"MJPG", b"ZZZZ"))
    with pytest.raises(ValueError, match=r"could not decode.*codec.avi.*H\.264"):
        read_video(codec)
    with pytest.raises(TypeError, match="fname"):
        read_video(3)


def test_zero_frames(tmp_path):
    path = tmp_path / "empty.avi"
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 24, (32, 32)).release()
    with pytest.raises(ValueError, match=r"empty.avi.*(no frames|could not decode)"):
        read_video(path)


def test_truncated(tmp_path, video):
    path = tmp_path / "trunc.avi"
    data = video.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(RuntimeWarning, match="truncated"):
        frames, times = read_video(path, size=8)
    assert 0 < len(frames) < 48
    assert len(times) == len(frames)


def test_bad_segments_and_options(video):
    with pytest.raises(
        ValueError, match=r"clip.avi.*starts at 5.000 s.*duration 2.000"
    ):
        read_video(video, start=5.0)
    with pytest.raises(ValueError, match=r"clip.avi.*stops at 3.000 s.*duration 2.000"):
        read_video(video, start=1.0, stop=3.0)
    with pytest.raises(ValueError, match="stop must be > start"):
        read_video(video, start=1.0, stop=1.0)
    with pytest.raises(ValueError, match="start must be >= 0"):
        read_video(video, start=-1.0)
    with pytest.raises(ValueError, match="past the end"):
        list(iter_video_segments(video, [(0, 1), (1.5, 2.5)]))
    with pytest.raises(TypeError, match="segment"):
        list(iter_video_segments(video, [3.0]))
    for fps in (0, -2.0):
        with pytest.raises(ValueError, match="fps"):
            read_video(video, fps=fps)
    with pytest.raises(ValueError, match="size"):
        read_video(video, size=0)
    with pytest.raises(TypeError, match="size"):
        read_video(video, size=2.5)
