"""Datasets: the embedded simulated default and readers of real data."""

from ._windows import make_clip_epochs
from .recording import read_video_recording
from .seed_dv import SEED_DV_COARSE_CLASSES, read_seed_dv, seed_dv_clips
from .simulation import simulate_video_eeg

__all__ = [
    "SEED_DV_COARSE_CLASSES",
    "make_clip_epochs",
    "read_seed_dv",
    "read_video_recording",
    "seed_dv_clips",
    "simulate_video_eeg",
]
