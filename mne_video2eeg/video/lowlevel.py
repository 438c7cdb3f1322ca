"""The "lowlevel" video encoder: cheap per-frame image statistics (OpenCV/numpy).

These are the visual quantities early visual cortex and EEG are known to
follow (luminance, contrast, colour, motion, spatial frequency, edges), so a
model can be trained offline without CLIP weights, at a frame rate close to
the EEG's time scale.
"""

from __future__ import annotations

import cv2
import numpy as np

# Colour, motion and spatial-frequency statistics are computed on frames
# area-averaged to this size: their values barely change, the cost drops ~16x.
_SMALL = 64
# Spatial-frequency bands in cycles per image (Nyquist is _SMALL / 2 = 32).
_SF_BANDS = {"sf_low": (1.0, 4.0), "sf_mid": (4.0, 12.0), "sf_high": (12.0, 32.01)}
# Canny thresholds on 8-bit grey levels: OpenCV's commonly used pair.
_CANNY = (100, 200)
# Largest global shift searched, in small-frame pixels per frame step (1/8 of
# the width, a little beyond what DIS's own pyramid follows on 64-px frames).
_MAX_SHIFT = _SMALL // 8
# Smallest correlation coefficient at which the global shift is trusted: two
# windowed frames of independent noise peak at 0.15-0.3, a cut between two
# textures at up to ~0.5, a moving bar, grating or texture above 0.9.
_MIN_SHIFT_CORR = 0.6

LOWLEVEL_FEATURES = (
    "lum_mean",
    "lum_std",
    "contrast_rms",
    "hue_sin",
    "hue_cos",
    "saturation",
    "motion_mag",
    "motion_dx",
    "motion_dy",
    "sf_low",
    "sf_mid",
    "sf_high",
    "edge_density",
)
_MOTION = [LOWLEVEL_FEATURES.index(n) for n in ("motion_mag", "motion_dx", "motion_dy")]


def _radial_masks():
    fy = np.fft.fftfreq(_SMALL) * _SMALL  # cycles per image
    fx = np.fft.rfftfreq(_SMALL) * _SMALL
    rad = np.hypot(fy[:, None], fx[None, :])
    return np.stack([(rad >= lo) & (rad < hi) for lo, hi in _SF_BANDS.values()])


class LowLevelEncoder:
    """Stateful per-video encoder (it keeps the previous frame for motion).

    Feature definitions (all per frame):

    - ``lum_mean``, ``lum_std``: mean and standard deviation of the grey level
      (ITU-R BT.601 luma) scaled to [0, 1].
    - ``contrast_rms``: ``lum_std / lum_mean``, RMS contrast relative to the mean
      luminance (0 for a black frame).
    - ``hue_sin``, ``hue_cos``: saturation-weighted circular mean of the hue
      (grey frames give 0, 0 rather than an arbitrary hue).
    - ``saturation``: mean HSV saturation in [0, 1].
    - ``motion_mag``, ``motion_dx``, ``motion_dy``: DIS optical flow between
      this frame and the previous distinct native frame, in frame widths per
      second (mean speed, mean rightward and mean downward velocity). The
      means weight each pixel by its squared grey-level gradient: flow is
      only observable where the image has contrast, so a bar moving on a flat
      background reads the bar's speed. The flow starts from the frame's
      global shift (windowed cross-correlation), which is what moving bars
      and gratings need: along a one-dimensional pattern DIS cannot move
      (see ``_weighted_flow``). A frame repeated by upsampling keeps the
      previous value; the first frame of a clip copies the second one's.
    - ``sf_low``, ``sf_mid``, ``sf_high``: share of the (Hann-windowed, mean
      removed) spectral power in 1-4, 4-12 and 12-32 cycles per image.
    - ``edge_density``: fraction of Canny edge pixels.

    Parameters
    ----------
    batch_size : int
        Frames a caller hands to :meth:`encode` at once (the feature
        extraction reads the video in batches of this size).
    """

    name = "lowlevel"
    feature_names = LOWLEVEL_FEATURES

    def __init__(self, batch_size=64):
        self.batch_size = batch_size
        self._masks = _radial_masks()
        self._window = np.outer(np.hanning(_SMALL), np.hanning(_SMALL)).astype(
            np.float32
        )
        # DIS optical flow (OpenCV), ultrafast preset: on 64-px frames it is
        # ~2x faster than Farneback and closer to the true shift of a texture.
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self.reset()

    def config(self) -> dict:
        """Describe the encoder (part of the feature cache key).

        Returns
        -------
        config : dict
            JSON-able: the encoder's name, version and settings.
        """
        return {
            "encoder": self.name,
            "version": 3,
            "flow": "DIS-ultrafast, started at the windowed cross-correlation shift",
            "motion_weights": "squared gradient",
            "analysis_size": _SMALL,
            "sf_bands": {k: list(v) for k, v in _SF_BANDS.items()},
            "canny": list(_CANNY),
        }

    def reset(self):
        """Forget the previous frame (call between videos)."""
        # (native index, small grey frame, motion vector, its _motion_inputs)
        self._prev = None

    def encode(self, frames, native_idx, native_fps) -> np.ndarray:
        """Encode a batch of RGB frames of one video, in order.

        Parameters
        ----------
        frames : ndarray, shape (n_frames, height, width, 3), dtype uint8
            RGB frames, continuing the previous batch (call :meth:`reset`
            between videos).
        native_idx : ndarray of int, shape (n_frames,)
            Index of each frame in the video's native frames: a repeated
            index (a frame repeated by upsampling) keeps the previous motion.
        native_fps : float
            Native frame rate in Hz (motion is in frame widths per second).

        Returns
        -------
        features : ndarray, shape (n_frames, n_features), dtype float32
            The features of :data:`LOWLEVEL_FEATURES`, in that order; motion
            is NaN for the first frame of a video (see :meth:`finalize`).
        """
        n, h, w = frames.shape[:3]
        out = np.empty((n, len(LOWLEVEL_FEATURES)), np.float32)
        # colour conversions are per pixel, so the batch can go through OpenCV
        # as one tall image
        grey = cv2.cvtColor(frames.reshape(n * h, w, 3), cv2.COLOR_RGB2GRAY)
        grey = grey.reshape(n, h, w)
        # meanStdDev on uint8 is ~50x cheaper than a float copy of the frames
        stats = np.array([cv2.meanStdDev(g) for g in grey], np.float64)
        lum_mean = (stats[:, 0, 0, 0] / 255.0).astype(np.float32)
        lum_std = (stats[:, 1, 0, 0] / 255.0).astype(np.float32)
        out[:, 0] = lum_mean
        out[:, 1] = lum_std
        out[:, 2] = np.divide(
            lum_std, lum_mean, out=np.zeros_like(lum_std), where=lum_mean > 1e-6
        )
        if h % _SMALL == 0 and w % _SMALL == 0:
            # whole-factor area averaging never mixes rows of two frames, so the
            # batch is resized as one tall image
            small = cv2.resize(
                frames.reshape(n * h, w, 3),
                (_SMALL, n * _SMALL),
                interpolation=cv2.INTER_AREA,
            ).reshape(n, _SMALL, _SMALL, 3)
        else:
            small = np.stack(
                [
                    cv2.resize(f, (_SMALL, _SMALL), interpolation=cv2.INTER_AREA)
                    for f in frames
                ]
            )
        hsv = cv2.cvtColor(small.reshape(n * _SMALL, _SMALL, 3), cv2.COLOR_RGB2HSV_FULL)
        hsv = hsv.reshape(n, -1, 3).astype(np.float32)
        hue = hsv[..., 0] * (2 * np.pi / 256.0)
        sat = hsv[..., 1] / 255.0
        out[:, 3] = (sat * np.sin(hue)).mean(1)
        out[:, 4] = (sat * np.cos(hue)).mean(1)
        out[:, 5] = sat.mean(1)
        small_grey = cv2.cvtColor(
            small.reshape(n * _SMALL, _SMALL, 3), cv2.COLOR_RGB2GRAY
        ).reshape(n, _SMALL, _SMALL)
        out[:, _MOTION] = self._motion(small_grey, native_idx, native_fps)
        g = small_grey.astype(np.float32) / 255.0
        g -= g.mean(axis=(1, 2), keepdims=True)
        power = np.abs(np.fft.rfft2(g * self._window)) ** 2
        band = np.einsum("nij,bij->nb", power, self._masks)
        total = band.sum(1, keepdims=True)
        out[:, 9:12] = np.divide(band, total, out=np.zeros_like(band), where=total > 0)
        out[:, 12] = [np.count_nonzero(cv2.Canny(f, *_CANNY)) / f.size for f in grey]
        return out

    def _motion_inputs(self, img):
        """Return the frame windowed for correlation and its gradient weights."""
        g = img.astype(np.float32)
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1)
        # the blur rounds the correlation peak of sharp edges, so that the
        # three-point vertex below is close to the sub-pixel shift
        g = cv2.GaussianBlur(g, (0, 0), 1.0)
        g -= g.mean()
        return g * self._window, gx * gx + gy * gy

    def _global_shift(self, prev_win, win):
        """Return the shift (dx, dy) that best aligns two windowed frames.

        Cross-correlation rather than cv2.phaseCorrelate: phase correlation
        whitens the spectrum, which leaves a sine grating (a few frequency
        bins among thousands of leakage bins) at noise level. Both frames are
        windowed, so of a grating's equally good shifts (one per period) the
        smallest wins.
        """
        m = _MAX_SHIFT
        padded = cv2.copyMakeBorder(win, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
        corr = cv2.matchTemplate(padded, prev_win, cv2.TM_CCORR)
        _, peak, _, (j, i) = cv2.minMaxLoc(corr)
        # a flat frame, or frames no shift explains (noise, a cut, motions
        # that differ across the frame): a random shift would seed the flow
        if peak <= _MIN_SHIFT_CORR * np.sqrt(
            float((prev_win * prev_win).sum()) * float((win * win).sum())
        ):
            return 0.0, 0.0
        return j - m + _vertex(corr[i, j - 1 : j + 2]), i - m + _vertex(
            corr[i - 1 : i + 2, j]
        )

    def _motion(self, small_grey, native_idx, native_fps):
        res = np.empty((len(small_grey), 3), np.float32)
        for k, (img, idx) in enumerate(zip(small_grey, native_idx, strict=True)):
            if self._prev is not None and idx == self._prev[0]:
                res[k] = self._prev[2]  # a frame repeated by upsampling
                continue
            inputs = self._motion_inputs(img)
            if self._prev is None:
                vec = np.full(3, np.nan, np.float32)  # filled in finalize()
            else:
                prev_idx, prev_img, _, (prev_win, weights) = self._prev
                vec = self._weighted_flow(prev_img, img, prev_win, inputs[0], weights)
                # pixels of the small frame per frame step -> frame widths / s
                vec *= native_fps / (_SMALL * max(idx - prev_idx, 1))
            res[k] = vec
            self._prev = (idx, img, vec, inputs)
        return res

    def _weighted_flow(self, prev_img, img, prev_win, win, weights):
        """Gradient-weighted mean speed, dx and dy in small-frame pixels."""
        total = weights.sum()
        if total <= 0:  # a flat previous frame: no motion can be seen
            return np.zeros(3, np.float32)
        # DIS's patch search steps by the inverse of the patch's structure
        # tensor; along a bar or a grating that tensor is singular, OpenCV
        # clamps its determinant and the step is exactly 0 (whatever the
        # preset, patch size or frame size): the flow stays where it started.
        # Starting at the global shift, each patch keeps it where it matches
        # better than the pyramid's own guess, and textures refine as before.
        init = np.empty((_SMALL, _SMALL, 2), np.float32)
        init[:] = self._global_shift(prev_win, win)
        flow = self._flow.calc(prev_img, img, init)
        mag = np.hypot(flow[..., 0], flow[..., 1])
        sums = [(mag * weights).sum()] + [
            (flow[..., c] * weights).sum() for c in (0, 1)
        ]
        return np.array(sums, np.float32) / np.float32(total)

    def finalize(self, feats: np.ndarray) -> np.ndarray:
        """Fill the leading motion values (no previous frame yet) backwards.

        Parameters
        ----------
        feats : ndarray, shape (n_frames, n_features)
            The features of one whole video, from :meth:`encode`.

        Returns
        -------
        feats : ndarray, shape (n_frames, n_features)
            The same array, modified in place: the first frames' motion copies
            that of the first frame with a previous one (0 if none has).
        """
        motion = feats[:, _MOTION]
        valid = np.flatnonzero(~np.isnan(motion[:, 0]))
        first = valid[0] if valid.size else len(feats)
        motion[:first] = motion[first] if valid.size else 0.0
        feats[:, _MOTION] = motion
        return feats


def _vertex(three):
    """Offset of the vertex of the parabola through three samples (0 at edges)."""
    if len(three) < 3:
        return 0.0
    left, mid, right = (float(v) for v in three)
    curvature = left - 2.0 * mid + right
    return 0.5 * (left - right) / curvature if curvature < 0 else 0.0
