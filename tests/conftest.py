"""Shared fixtures: tiny data, made here, never downloaded."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
# Two cores on CI: keep torch from oversubscribing when tests run in parallel.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def seed_info():
    from mne_video2eeg import make_seed_info

    return make_seed_info(200.0)


def _planted_lagged_mapping(n_videos, rng, *, sfreq=200.0, n_times=400, fps=25):
    """Smooth random video features and EEG = channel gains x feature 'a' 100 ms late.

    Returns the feature DataArray, the unitless truth (n_videos, 62, n_times)
    and the video ids; draws from ``rng`` in a fixed order.
    """
    import numpy as np
    import xarray as xr
    from scipy.ndimage import gaussian_filter1d

    n_frames = int(n_times / sfreq * fps)
    ftimes = np.arange(n_frames) / fps
    feat = gaussian_filter1d(rng.standard_normal((n_videos, n_frames, 3)), 1.5, axis=1)
    videos = [f"clip_{v:03d}.avi" for v in range(n_videos)]
    X = xr.DataArray(
        feat,
        dims=("video", "frame", "feature"),
        coords={"video": videos, "time": ("frame", ftimes), "feature": ["a", "b", "c"]},
        attrs={"encoder": "test"},
    )
    times = np.arange(n_times) / sfreq
    gains = rng.standard_normal(62)
    truth = np.stack(
        [
            gains[:, None] * np.interp(times - 0.1, ftimes, feat[v, :, 0])
            for v in range(n_videos)
        ]
    )
    return X, truth, videos


@pytest.fixture(scope="session")
def planted_lagged_mapping():
    """Factory of the planted lagged video -> EEG mapping shared by tests."""
    return _planted_lagged_mapping


@pytest.fixture(scope="session")
def tiny_generator():
    """Parameters of a tiny generator (a copy: edit freely)."""
    from _tiny import TINY_GENERATOR

    return dict(TINY_GENERATOR)


@pytest.fixture(scope="session")
def video_eeg_pair():
    """Factory of random (features, clip epochs) pairs for the estimator tests."""
    from _tiny import video_eeg_pair

    return video_eeg_pair
