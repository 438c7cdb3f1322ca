"""open_clip models from LOCAL weights only, and the "clip" frame encoder.

Nothing here downloads: a tag such as ``"openai"`` is used only when its file
is already in the local Hugging Face / open_clip cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import open_clip
import torch
from mne.utils import logger
from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME
from open_clip.pretrained import get_pretrained_cfg, list_pretrained_tags_by_model

from ..utils._checks import _validate_type
from ..utils._docs import fill_doc

__all__ = ["ClipEncoder", "MissingWeightsError", "load_clip_model"]


class MissingWeightsError(RuntimeError):
    """CLIP weights were asked for but are not on this machine."""


def _how_to_get(model_name, tag):
    return (
        "To obtain them, on a machine with internet run\n"
        f'    python -c "import open_clip; open_clip.create_model_and_transforms('
        f"'{model_name}', pretrained='{tag}')\"\n"
        "(this fills the Hugging Face cache, ~/.cache/huggingface; copy it to this "
        "machine or set HF_HOME), then pass pretrained='" + tag + "'. Or download "
        "the checkpoint file yourself and pass pretrained='/path/to/file' (.bin, "
        ".pt or .safetensors). For tests only, allow_random=True builds a model "
        "with random weights."
    )


def _cached_tag_file(model_name, tag, cache_dir=None):
    """Local file of an open_clip tag, or None; never touches the network."""
    cfg = get_pretrained_cfg(model_name, tag)
    if not cfg:
        return None, {}
    if "file" in cfg and os.path.isfile(cfg["file"]):
        return cfg["file"], cfg
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, fname = os.path.split(hub)
        names = [fname] if fname else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
        if fname.endswith((".bin", ".pth")):
            names.insert(0, fname[:-4] + ".safetensors")
        for name in names:
            path = try_to_load_from_cache(repo, name, cache_dir=cache_dir)
            if isinstance(path, str) and os.path.isfile(path):
                return path, cfg
    url = cfg.get("url", "")
    if url:
        folder = cache_dir or os.path.expanduser("~/.cache/clip")
        path = os.path.join(folder, os.path.basename(url))
        if os.path.isfile(path):
            return path, cfg
    return None, cfg


def resolve_clip_weights(
    model_name: str = "ViT-L-14",
    pretrained: str | os.PathLike | None = None,
    *,
    allow_random: bool = False,
    cache_dir=None,
) -> tuple[str | None, dict]:
    """Find the local checkpoint file for ``pretrained`` (cheap, no loading).

    Returns the file path (``None`` for random weights) and the open_clip tag
    config (preprocessing and QuickGELU flag; empty for a plain file).
    """
    _validate_type(model_name, str, "model_name")
    _validate_type(pretrained, ("path-like", None), "pretrained")
    if model_name not in open_clip.list_models():
        raise ValueError(
            f"Unknown open_clip model_name {model_name!r}. Choose one of "
            "open_clip.list_models(), e.g. 'ViT-L-14' (the paper) or 'ViT-B-32'."
        )
    if pretrained is None:
        if allow_random:
            return None, {}
        tags = list_pretrained_tags_by_model(model_name)
        for tag in sorted(tags, key=lambda t: t != "openai"):  # the paper's first
            path, cfg = _cached_tag_file(model_name, tag, cache_dir)
            if path is not None:
                logger.info(f"Using cached open_clip weights {model_name}/{tag}")
                return path, cfg
        raise MissingWeightsError(
            f"No pretrained weights for open_clip model {model_name!r} were found "
            "on this machine (looked for the tags "
            f"{tags} in the local cache; nothing is downloaded). "
            + _how_to_get(model_name, "openai" if "openai" in tags else tags[0])
            if tags
            else f"open_clip has no pretrained tag for {model_name!r}: pass "
            "pretrained='/path/to/checkpoint'."
        )
    pretrained = os.fspath(pretrained)
    if os.path.isfile(pretrained):
        return str(Path(pretrained).expanduser().resolve()), {}
    tags = list_pretrained_tags_by_model(model_name)
    if pretrained in tags:
        path, cfg = _cached_tag_file(model_name, pretrained, cache_dir)
        if path is None:
            raise MissingWeightsError(
                f"The weights {model_name!r}/{pretrained!r} are not in the local "
                "cache (nothing is downloaded). " + _how_to_get(model_name, pretrained)
            )
        return path, cfg
    raise ValueError(
        f"pretrained={pretrained!r} is neither an existing checkpoint file nor an "
        f"open_clip tag of {model_name!r} (tags: {tags}). Pass the path to a local "
        "checkpoint file or one of those tags."
    )


@fill_doc
def load_clip_model(
    model_name: str = "ViT-L-14",
    pretrained: str | os.PathLike | None = None,
    *,
    device: str = "cpu",
    allow_random: bool = False,
    cache_dir=None,
):
    """Load an open_clip model from local weights, in eval mode.

    Parameters
    ----------
    %(model_name_clip)s
    %(pretrained_clip)s
    %(device_clip)s
    %(allow_random_clip)s
    cache_dir : path-like | None
        The Hugging Face hub cache to search (default: its usual location).

    Returns
    -------
    model : open_clip.CLIP
        The model, in eval mode on ``device``.
    tokenizer : callable
        The matching open_clip tokenizer.

    Raises
    ------
    MissingWeightsError
        If the weights are not on this machine; the message says how to get them.
    """
    path, cfg = resolve_clip_weights(
        model_name, pretrained, allow_random=allow_random, cache_dir=cache_dir
    )
    if path is None:
        logger.warning(
            f"open_clip model {model_name!r} built with RANDOM weights "
            "(allow_random=True): its features carry no meaning."
        )
    kwargs = {}
    if cfg:
        # the tag's own preprocessing and activation (openai weights were trained
        # with QuickGELU; the plain config would silently use GELU)
        kwargs = dict(
            force_quick_gelu=bool(cfg.get("quick_gelu", False)),
            image_mean=cfg.get("mean"),
            image_std=cfg.get("std"),
        )
    # open_clip's own loading path: a file path in `pretrained` goes through
    # open_clip.load_checkpoint (format conversions, strict key check).
    model, _, _ = open_clip.create_model_and_transforms(
        model_name, pretrained=path, device=device, **kwargs
    )
    model.eval()
    tokenizer = open_clip.get_tokenizer(model_name)
    return model, tokenizer


def _weights_id(path):
    """Identify a checkpoint for cache keys without hashing gigabytes."""
    if path is None:
        return "random"
    st = os.stat(path)
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


class ClipEncoder:
    """Encode RGB frames with an open_clip image tower (unit-norm embeddings)."""

    name = "clip"

    def __init__(
        self,
        model_name="ViT-L-14",
        pretrained=None,
        *,
        device="cpu",
        allow_random=False,
        batch_size=64,
    ):
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        self.allow_random = allow_random
        self._path, self._cfg = resolve_clip_weights(
            model_name, pretrained, allow_random=allow_random
        )
        self._pretrained = pretrained
        self._model = None  # loaded on first use, so cache hits skip it
        mc = open_clip.get_model_config(model_name)
        self.embed_dim = int(mc["embed_dim"])
        self.feature_names = tuple(f"clip_{k:03d}" for k in range(self.embed_dim))

    def config(self) -> dict:
        """JSON-able description (part of the cache key)."""
        return {
            "encoder": self.name,
            "version": 1,
            "model_name": self.model_name,
            "pretrained": None if self._pretrained is None else str(self._pretrained),
            "weights": _weights_id(self._path),
        }

    @property
    def model(self):
        """The open_clip model, loaded on first use."""
        if self._model is None:
            self._model, _ = load_clip_model(
                self.model_name,
                self._pretrained,
                device=self.device,
                allow_random=self.allow_random,
            )
        return self._model

    def reset(self):
        """Nothing to forget: frames are encoded independently."""

    def _preprocess(self, frames):
        # open_clip's transforms want PIL images one by one; for square frames
        # "resize shortest side + centre crop" is a plain resize, done here in
        # OpenCV on the whole batch, then the model's own mean/std.
        pcfg = self.model.visual.preprocess_cfg
        size = self.model.visual.image_size
        size = size[0] if isinstance(size, tuple | list) else size
        out = []
        for f in frames:
            h, w = f.shape[:2]
            s = size / min(h, w)
            nh, nw = max(size, round(h * s)), max(size, round(w * s))
            r = cv2.resize(f, (nw, nh), interpolation=cv2.INTER_CUBIC)
            y0, x0 = (nh - size) // 2, (nw - size) // 2
            out.append(r[y0 : y0 + size, x0 : x0 + size])
        x = np.stack(out).astype(np.float32) / 255.0
        x = (x - np.asarray(pcfg["mean"], np.float32)) / np.asarray(
            pcfg["std"], np.float32
        )
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))

    def encode(self, frames, native_idx=None, native_fps=None) -> np.ndarray:
        """Encode RGB uint8 frames -> (n_frames, embed_dim) unit-norm float32."""
        model = self.model
        res = []
        with torch.inference_mode():
            for k in range(0, len(frames), self.batch_size):
                x = self._preprocess(frames[k : k + self.batch_size]).to(self.device)
                res.append(model.encode_image(x, normalize=True).float().cpu().numpy())
        return np.concatenate(res).astype(np.float32)

    def finalize(self, feats):
        """Return ``feats`` unchanged."""
        return feats

    def encode_text(self, texts: list[str]) -> np.ndarray:
        """Unit-norm text embeddings."""
        tokenizer = open_clip.get_tokenizer(self.model_name)
        with torch.inference_mode():
            tok = tokenizer(texts).to(self.device)
            emb = self.model.encode_text(tok, normalize=True)
        return emb.float().cpu().numpy()

    @property
    def logit_scale(self) -> float:
        """CLIP temperature (exp of the learnt logit scale)."""
        return float(self.model.logit_scale.exp().item())
