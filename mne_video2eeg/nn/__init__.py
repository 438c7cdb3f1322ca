"""Torch modules of mne-video2eeg.

The only place, with ``_training`` and the estimator, that imports torch.

- :class:`VideoEEGDenoiser`: SPGN denoiser (``denoiser.py``), built from
  :mod:`.spgn` (graph layers) and :mod:`.conditioning` (video/subject/time).
- :class:`VideoEEGDiffusion`: DDPM loss + angle-space Adams (:mod:`.samplers`),
  DDIM, DPM-Solver++ and DDPM samplers.
"""

from .denoiser import VideoEEGDenoiser
from .diffusion import SAMPLERS, VideoEEGDiffusion

__all__ = ["SAMPLERS", "VideoEEGDenoiser", "VideoEEGDiffusion"]
