"""Zero-shot emotion labels from CLIP (image embedding vs. prompt embeddings)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr
from mne.utils import logger, warn

from ..utils._checks import _validate_type
from ..utils._docs import verbose

__all__ = ["DEFAULT_EMOTION_PROMPTS", "label_emotions", "zero_shot_emotions"]

# A few phrasings per label, their text embeddings averaged (the CLIP paper's
# prompt ensembling), so no single wording decides the label.
DEFAULT_EMOTION_PROMPTS = {
    "negative": [
        "a sad video",
        "a frightening scene",
        "a disgusting scene",
        "a scene of violence or anger",
        "a photo that makes people feel upset",
    ],
    "neutral": [
        "an ordinary everyday scene",
        "a calm and neutral video",
        "a plain photo of objects",
        "a documentary scene with no emotion",
        "a photo that makes people feel nothing in particular",
    ],
    "positive": [
        "a happy video",
        "a funny scene",
        "a beautiful and joyful scene",
        "people laughing and celebrating",
        "a photo that makes people feel happy",
    ],
}


def _check_prompts(prompts):
    if prompts is None:
        return DEFAULT_EMOTION_PROMPTS
    _validate_type(prompts, dict, "prompts")
    if len(prompts) < 2:
        raise ValueError(
            f"prompts needs at least two labels, e.g. {{'negative': [...], "
            f"'positive': [...]}}, got {list(prompts)}."
        )
    out = {}
    for label, texts in prompts.items():
        _validate_type(label, str, "prompt label")
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValueError(
                f"prompts[{label!r}] must be a non-empty string or list of "
                f"non-empty strings, got {texts!r}."
            )
        out[label] = texts
    return out


def _image_embeddings(videos, enc, fps, size):
    """-> (ids, (n_videos, dim) unit-norm clip-level embeddings)."""
    from .features import check_fps_size, default_fps, extract, normalize_videos

    if isinstance(videos, xr.DataArray):
        feats = videos
        if feats.attrs.get("encoder") != "clip" or feats.dims != (
            "video",
            "frame",
            "feature",
        ):
            raise ValueError(
                "A features DataArray given to label_emotions must come from "
                "extract_video_features(..., encoder='clip') with dims (video, "
                f"frame, feature); got encoder={feats.attrs.get('encoder')!r}, "
                f"dims={feats.dims}."
            )
        used = json.loads(feats.attrs.get("config", "{}")).get("model_name")
        if used is not None and used != enc.model_name:
            raise ValueError(
                f"The features were encoded with model_name={used!r} but "
                f"model_name={enc.model_name!r} was given: pass model_name={used!r} "
                "so image and text embeddings share one space."
            )
    else:
        items = normalize_videos(videos)
        fps, size = check_fps_size(default_fps(items, fps, "clip"), size)
        feats = extract(items, enc, fps=fps, size=size)
    emb = np.nanmean(feats.values, axis=1)  # NaN frames are padding
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
    return [str(v) for v in feats.coords["video"].values], emb


@verbose
def label_emotions(
    videos_or_features,
    *,
    prompts: dict | None = None,
    model_name: str = "ViT-L-14",
    pretrained=None,
    allow_random: bool = False,
    device: str = "cpu",
    fps: float | None = None,
    size: int | None = 256,
    verbose=None,
) -> pd.DataFrame:
    """Label each video negative / neutral / positive with zero-shot CLIP.

    The mean of a video's frame embeddings is compared with the averaged text
    embedding of each label's prompts; a softmax of the CLIP-scaled cosine
    similarities gives the probabilities. This is how SEED-DV, which ships no
    emotion labels, gets them.

    Parameters
    ----------
    videos_or_features : videos | xarray.DataArray
        Anything :func:`~mne_video2eeg.extract_video_features` accepts (encoded
        with ``encoder="clip"``), or the DataArray it returned for
        ``encoder="clip"``.
    prompts : dict | None
        ``{label: prompt or list of prompts}``; default
        :data:`DEFAULT_EMOTION_PROMPTS` (labels negative, neutral, positive).
    %(model_name_clip)s
        Use the model the features were encoded with.
    %(pretrained_clip)s
    %(allow_random_clip)s
    %(device_clip)s
    fps : float | None
        Rate in Hz at which frames of video inputs are encoded; None: 2 Hz,
        the ``"clip"`` default of :func:`~mne_video2eeg.extract_video_features`.
    %(size_frames)s
    %(verbose)s

    Returns
    -------
    labels : pandas.DataFrame
        Indexed by video id, one ``p_<label>`` column per label (rows sum to 1)
        and ``emotion`` (the most probable label).
    """
    from .clip import ClipEncoder

    prompts = _check_prompts(prompts)
    enc = ClipEncoder(model_name, pretrained, device=device, allow_random=allow_random)
    ids, img = _image_embeddings(videos_or_features, enc, fps, size)
    if img.shape[1] != enc.embed_dim:
        raise ValueError(
            f"The features have {img.shape[1]} dimensions but {model_name!r} embeds "
            f"in {enc.embed_dim}: pass the model_name used to encode them."
        )
    labels = list(prompts)
    text = []
    for label in labels:
        e = enc.encode_text(prompts[label]).mean(0)
        text.append(e / (np.linalg.norm(e) + 1e-12))
    logits = enc.logit_scale * img @ np.stack(text).T
    logits -= logits.max(1, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(1, keepdims=True)
    df = pd.DataFrame(prob, index=pd.Index(ids, name="video"))
    df.columns = [f"p_{label}" for label in labels]
    df["emotion"] = [labels[k] for k in prob.argmax(1)]
    logger.info(f"Emotion labels: {df['emotion'].value_counts().to_dict()}")
    return df


def zero_shot_emotions(X, ids: list[str]) -> dict[str, str]:
    """CLIP's zero-shot labels of the videos ``ids`` of CLIP features ``X``.

    The model and weights are the ones recorded in ``X.attrs["config"]``; for
    other encoders, features of random weights, or weights that are not on
    this machine, no label is guessed (the latter with a warning).

    Parameters
    ----------
    X : xarray.DataArray
        Features from :func:`~mne_video2eeg.extract_video_features`.
    ids : list of str
        The videos to label.

    Returns
    -------
    labels : dict of str to str
        ``{video id: label}``; empty when nothing could be guessed.
    """
    try:
        config = json.loads(X.attrs.get("config", "{}"))
    except (TypeError, json.JSONDecodeError):
        return {}
    if config.get("encoder") != "clip" or config.get("pretrained") is None:
        return {}
    try:
        labels = label_emotions(
            X.sel(video=ids),
            model_name=config["model_name"],
            pretrained=config["pretrained"],
            verbose=False,
        )
    except (OSError, RuntimeError, ValueError) as err:
        warn(
            f"CLIP zero-shot emotion labels failed ({err}); unseen videos are "
            "labelled 'unknown'. Pass emotion= to label them."
        )
        return {}
    logger.info(f"Labelled {len(ids)} unseen video(s) by CLIP zero-shot")
    return {str(v): str(e) for v, e in labels["emotion"].items()}
