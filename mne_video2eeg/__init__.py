"""mne-video2eeg: synthetic EEG from video for MNE-Python.

Public API only. Names that need torch are imported lazily so that
``import mne_video2eeg`` stays fast.
"""

from ._version import __version__
from .montage import SEED_CH_NAMES, make_seed_info, make_seed_montage

__all__ = [
    "SEED_CH_NAMES",
    "__version__",
    "make_seed_info",
    "make_seed_montage",
]
