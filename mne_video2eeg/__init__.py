"""mne-video2eeg: synthetic EEG from video for MNE-Python.

Public API only. Names that need torch or OpenCV are imported lazily (on
first access) so that ``import mne_video2eeg`` stays fast.
"""

from importlib import import_module

from ._version import __version__
from .montage import SEED_CH_NAMES, make_seed_info, make_seed_montage

_LAZY = {
    "Video2EEGGenerator": "estimator",
    "read_generator": "estimator",
    "extract_video_features": "video.features",
    "label_emotions": "video.emotion",
    "read_video": "video.io",
    "VideoClip": "video.io",
    "write_bids": "bids",
    "clips_to_raw": "_raw",
    "shard_videos": "sharding",
}

__all__ = [
    "SEED_CH_NAMES",
    "__version__",
    "make_seed_info",
    "make_seed_montage",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
