"""Read video frames with OpenCV, streamed: only the asked-for part is decoded."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from mne.utils import logger, warn

from ..utils._checks import _check_positive, _validate_type
from ..utils._docs import verbose

__all__ = ["VideoClip", "iter_video_segments", "read_video"]

# Tolerance (in frames) when comparing requested times with frame times, so that
# float round-off (e.g. 0.1 * 30 = 3.0000000000000004) never shifts a frame.
_EPS = 1e-6


@dataclass(frozen=True)
class VideoClip:
    """A video file, or a segment ``[start, stop)`` (seconds) of one.

    Parameters
    ----------
    fname : Path
        The video file.
    start, stop : float | None
        Segment bounds in seconds from the file start; ``None`` for the file
        start / end.
    name : str | None
        Identifier to use instead of the default (see :attr:`id`).
    """

    fname: Path
    start: float | None = None
    stop: float | None = None
    name: str | None = None

    @property
    def id(self) -> str:
        """Identifier: ``name``, else the file name (plus ``[start-stop]``)."""
        if self.name is not None:
            return self.name
        base = Path(self.fname).name
        if self.start is None and self.stop is None:
            return base
        start = 0.0 if self.start is None else self.start
        stop = math.inf if self.stop is None else self.stop
        return f"{base}[{start:.3f}-{stop:.3f}]"


class VideoReader:
    """One open ``cv2.VideoCapture`` that serves segments in a single pass.

    Not part of the public API: the readers of this package share it.
    """

    def __init__(self, fname):
        _validate_type(fname, "path-like", "fname")
        self.fname = Path(fname).expanduser()
        if not self.fname.is_file():
            raise FileNotFoundError(
                f"Video file not found: {self.fname}. Check the path (it must be "
                "an existing file, not a folder)."
            )
        self._cap = cv2.VideoCapture(str(self.fname))
        if not self._cap.isOpened():
            raise ValueError(self._decode_msg())
        self.native_fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        self.n_frames = int(round(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        if not (np.isfinite(self.native_fps) and self.native_fps > 0):
            self.close()
            raise ValueError(self._decode_msg("it reports no frame rate"))
        if self.n_frames <= 0:
            # some containers do not store a frame count: count by decoding once
            count = 0
            while self._cap.grab():
                count += 1
            self.n_frames = count
            self._cap.release()
            self._cap = cv2.VideoCapture(str(self.fname))
        if self.n_frames <= 0:
            self.close()
            raise ValueError(
                f"Video {self.fname} has no frames (OpenCV reports 0 frames). "
                "Check the file, or re-encode it: ffmpeg -i IN -c:v libx264 OUT.mp4"
            )
        self.duration = self.n_frames / self.native_fps
        self._pos = 0  # index of the next frame read() returns
        self._last = None  # (index, bgr frame) last decoded, for duplicates

    def _decode_msg(self, why="it is corrupt, truncated or uses an unknown codec"):
        return (
            f"OpenCV could not decode the video {self.fname} ({why}). Re-encode "
            "it with ffmpeg to H.264 or MJPG, e.g. `ffmpeg -i IN -c:v libx264 "
            "-pix_fmt yuv420p OUT.mp4` or `ffmpeg -i IN -c:v mjpeg -q:v 3 OUT.avi`."
        )

    def close(self):
        self._cap.release()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def _check_bounds(self, start, stop, what):
        start = 0.0 if start is None else float(start)
        stop = self.duration if stop is None else float(stop)
        for val, name in ((start, "start"), (stop, "stop")):
            if not np.isfinite(val):
                raise ValueError(f"{name} must be finite, got {val!r} for {what}.")
        dur = (
            f"{self.duration:.3f} s ({self.n_frames} frames at {self.native_fps:g} fps)"
        )
        if start < 0:
            raise ValueError(f"start must be >= 0, got {start!r} for {what}.")
        if start >= self.duration:
            raise ValueError(
                f"Segment of {what} starts at {start:.3f} s, past the end of the "
                f"video (duration {dur}). Use a start below the duration."
            )
        # half a frame of slack: a clip ending exactly on the last frame is fine
        if stop > self.duration + 0.5 / self.native_fps:
            raise ValueError(
                f"Segment of {what} stops at {stop:.3f} s, past the end of the "
                f"video (duration {dur}). Use a stop <= the duration."
            )
        if stop <= start:
            raise ValueError(
                f"stop must be > start, got start={start!r}, stop={stop!r} for {what}."
            )
        return start, min(stop, self.duration)

    def _frame_plan(self, start, stop, fps):
        """Native frame index for each output sample, and output times."""
        nfps = self.native_fps
        if fps is None:
            first = math.ceil(start * nfps - _EPS)
            last = math.ceil(stop * nfps - _EPS)  # exclusive
            idx = np.arange(first, min(last, self.n_frames))
            times = idx / nfps - start
        else:
            n_out = max(math.ceil((stop - start) * fps - _EPS), 1)
            times = np.arange(n_out) / fps
            # nearest preceding native frame of each sample time
            idx = np.floor((start + times) * nfps + _EPS).astype(int)
            idx = np.minimum(idx, self.n_frames - 1)
        return idx.astype(int), times

    def _seek(self, index):
        # Reading forward is cheaper than a seek for short gaps; a long gap (or
        # a backward jump) uses OpenCV's seek so a 10-minute block is never
        # decoded from its start to reach a late clip.
        if index < self._pos or index - self._pos > 2 * self.native_fps:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            self._pos = int(round(self._cap.get(cv2.CAP_PROP_POS_FRAMES)))
            if self._pos != index:  # some containers seek inexactly
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                self._pos = 0
        while self._pos < index:
            if not self._cap.grab():
                return False
            self._pos += 1
        return True

    def iter_batches(self, start, stop, *, fps, size, batch_size, what):
        """Yield ``(frames_rgb, times, native_idx)`` batches for one segment."""
        start, stop = self._check_bounds(start, stop, what)
        idx, times = self._frame_plan(start, stop, fps)
        if idx.size == 0:
            raise ValueError(
                f"Segment of {what} ({start:.3f}-{stop:.3f} s) holds no frame of "
                f"the video (frame rate {self.native_fps:g} fps). Widen the segment."
            )
        buf, buf_t, buf_i = [], [], []
        n_done = 0
        for k, (i, t) in enumerate(zip(idx, times, strict=True)):
            if self._last is not None and self._last[0] == i:
                bgr = self._last[1]
            else:
                ok = self._seek(i) and self._cap.grab()
                if ok:
                    self._pos += 1
                    ok, bgr = self._cap.retrieve()
                if not ok:
                    break
                self._last = (int(i), bgr)
            buf.append(_to_rgb(bgr, size))
            buf_t.append(t)
            buf_i.append(i)
            n_done = k + 1
            if len(buf) == batch_size:
                yield np.stack(buf), np.array(buf_t), np.array(buf_i)
                buf, buf_t, buf_i = [], [], []
        if buf:
            yield np.stack(buf), np.array(buf_t), np.array(buf_i)
        if n_done == 0:
            raise ValueError(self._decode_msg("no frame could be decoded"))
        if n_done < len(idx):
            warn(
                f"Video {self.fname} ended at frame {self._pos} although it reports "
                f"{self.n_frames} frames ({self.duration:.3f} s): the file looks "
                f"truncated. Returning {n_done} of {len(idx)} samples for {what}. "
                "Re-encode it with ffmpeg to get a consistent file."
            )


def _to_rgb(bgr, size):
    if size is not None and bgr.shape[:2] != (size, size):
        # INTER_AREA averages when shrinking (no aliasing); the paper squashes to
        # a square 256x256, so the aspect ratio is not kept.
        interp = cv2.INTER_AREA if bgr.shape[0] >= size else cv2.INTER_LINEAR
        bgr = cv2.resize(bgr, (size, size), interpolation=interp)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def check_fps_size(fps, size):
    """Validate a frame rate (> 0 or None) and a frame size (int >= 1 or None)."""
    if fps is not None:
        fps = _check_positive(fps, "fps")
    if size is not None:
        _validate_type(size, "int", "size")
        if size < 1:
            raise ValueError(f"size must be an int >= 1 or None, got {size!r}.")
        size = int(size)
    return fps, size


def _concat(batches, size):
    frames, times = [], []
    for f, t, _ in batches:
        frames.append(f)
        times.append(t)
    return np.concatenate(frames), np.concatenate(times)


@verbose
def read_video(
    fname,
    *,
    fps: float | None = None,
    size: int | None = 256,
    start: float | None = None,
    stop: float | None = None,
    verbose=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read RGB frames of a video (or of a segment of it) with OpenCV.

    Parameters
    ----------
    %(fname_video)s
    %(fps_read)s
    %(size_frames)s
    start, stop : float | None
        Segment in seconds from the file start (``None``: file start / end).
        Decoding seeks to ``start`` and stops at ``stop``.
    %(verbose)s

    Returns
    -------
    frames : ndarray, shape (n_frames, size, size, 3), dtype uint8
        RGB frames.
    times : ndarray, shape (n_frames,)
        Frame times in seconds relative to ``start`` (or the file start).

    Notes
    -----
    Frame times are ``frame_index / native_fps``, i.e. a constant frame rate is
    assumed (true of nearly all files; re-encode variable-rate ones).
    """
    fps, size = check_fps_size(fps, size)
    with VideoReader(fname) as reader:
        logger.info(
            f"Reading {reader.fname.name}: {reader.n_frames} frames at "
            f"{reader.native_fps:g} fps"
        )
        what = VideoClip(reader.fname, start, stop).id
        return _concat(
            reader.iter_batches(
                start, stop, fps=fps, size=size, batch_size=256, what=what
            ),
            size,
        )


def _segment_bounds(segment):
    if isinstance(segment, VideoClip):
        return segment.start, segment.stop
    try:
        start, stop = segment
    except (TypeError, ValueError):
        raise TypeError(
            "Each segment must be a (start, stop) pair of seconds or a VideoClip, "
            f"got {segment!r}."
        ) from None
    return start, stop


@verbose
def iter_video_segments(
    fname,
    segments: Iterable,
    *,
    fps: float | None = None,
    size: int | None = 256,
    verbose=None,
) -> Iterator[tuple[object, np.ndarray, np.ndarray]]:
    """Yield the frames of several segments of one video in a single pass.

    Parameters
    ----------
    %(fname_video)s
    segments : iterable of (start, stop) | VideoClip
        Segments in seconds; sorted by start is fastest (the file is opened once
        and read forward, seeking over the gaps).
    %(fps_read)s
    %(size_frames)s
    %(verbose)s

    Yields
    ------
    segment : tuple | VideoClip
        The segment as given.
    frames : ndarray, shape (n_frames, size, size, 3), dtype uint8
        RGB frames of the segment.
    times : ndarray, shape (n_frames,)
        Times in seconds relative to the segment start.
    """
    fps, size = check_fps_size(fps, size)
    segments = list(segments)
    bounds = [_segment_bounds(s) for s in segments]
    with VideoReader(fname) as reader:
        for seg, (start, stop) in zip(segments, bounds, strict=True):
            what = VideoClip(reader.fname, start, stop).id
            frames, times = _concat(
                reader.iter_batches(
                    start, stop, fps=fps, size=size, batch_size=256, what=what
                ),
                size,
            )
            yield seg, frames, times
