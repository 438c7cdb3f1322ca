"""Datasets: the embedded simulated default and readers of real data."""

from .simulation import simulate_video_eeg

__all__ = ["simulate_video_eeg"]
