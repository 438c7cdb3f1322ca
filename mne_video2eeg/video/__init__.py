"""Video input: OpenCV reading, feature encoders, CLIP emotion labels.

torch/open_clip are imported only when the CLIP encoder is used.
"""

from .emotion import DEFAULT_EMOTION_PROMPTS, label_emotions
from .features import DEFAULT_FPS, extract_video_features
from .io import VideoClip, iter_video_segments, read_video
from .lowlevel import LOWLEVEL_FEATURES, LowLevelEncoder

__all__ = [
    "DEFAULT_EMOTION_PROMPTS",
    "DEFAULT_FPS",
    "LOWLEVEL_FEATURES",
    "LowLevelEncoder",
    "VideoClip",
    "extract_video_features",
    "iter_video_segments",
    "label_emotions",
    "read_video",
]
