"""The network's settings: which ones a user routes, their defaults, the build.

The estimator takes network settings as ``module__<name>`` keyword arguments
(the skorch / braindecode convention).  Each name is a keyword of
:class:`~.denoiser.VideoEEGDenoiser` or :class:`~.diffusion.VideoEEGDiffusion`;
:func:`network_config` routes them to their class, fills every other setting
with its default and returns the complete configuration, which is what the
checkpoint records and :func:`build_network` rebuilds.
"""

from __future__ import annotations

import inspect

import torch

from .denoiser import VideoEEGDenoiser
from .diffusion import VideoEEGDiffusion

#: Settings the estimator derives from the data (never set by hand).
DATA_SETTINGS = (
    "n_channels",
    "n_times",
    "sfreq",
    "n_video_features",
    "n_subjects",
    "graphs",
    "occipital_idx",
)

#: Settings owned by the estimator's own parameters (its ablation switches).
SWITCH_SETTINGS = {
    "use_graphs": "graphs",
    "spatial_attention": "spatial_attention",
    "self_play": "self_play",
    "graph_da": "graph_da",
    "whiten": "whiten",
}


def _defaults(cls, skip=()) -> dict:
    params = inspect.signature(cls.__init__).parameters
    return {
        name: p.default
        for name, p in params.items()
        if name not in ("self", "denoiser", *skip)
        and p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def network_settings() -> dict[str, dict]:
    """Every routable setting with its default, per class.

    Returns
    -------
    settings : dict
        ``{"denoiser": {name: default}, "diffusion": {name: default}}``
        without the data-derived and switch-owned settings.
    """
    skip = (*DATA_SETTINGS, *SWITCH_SETTINGS)
    return {
        "denoiser": _defaults(VideoEEGDenoiser, skip),
        "diffusion": _defaults(VideoEEGDiffusion, skip),
    }


def network_config(module_params: dict, *, data: dict, switches: dict) -> dict:
    """Route ``module__*`` settings and complete them with the defaults.

    Parameters
    ----------
    module_params : dict
        Settings without the ``module__`` prefix, e.g. ``{"width": 48}``.
    data : dict
        The data-derived denoiser settings (:data:`DATA_SETTINGS` but
        ``graphs``).
    switches : dict
        The estimator's switches, keyed as in :data:`SWITCH_SETTINGS`.

    Returns
    -------
    config : dict
        ``{"denoiser": {...}, "diffusion": {...}}``, JSON-able, every setting
        explicit.
    """
    settings = network_settings()
    routable = {**settings["denoiser"], **settings["diffusion"]}
    for name in module_params:
        if name in SWITCH_SETTINGS:
            raise ValueError(
                f"module__{name} is set by the estimator's own parameter "
                f"{SWITCH_SETTINGS[name]!r}; pass {SWITCH_SETTINGS[name]}=... instead."
            )
        if name in DATA_SETTINGS:
            raise ValueError(
                f"module__{name} is derived from the data at fit and cannot be set."
            )
        if name not in routable:
            raise ValueError(
                f"Unknown network setting module__{name}. The network takes "
                f"module__<name> for name in {sorted(routable)}."
            )
    denoiser = {**settings["denoiser"], **data}
    denoiser.update({k: v for k, v in module_params.items() if k in denoiser})
    denoiser.update({k: v for k, v in switches.items() if k != "whiten"})
    diffusion = dict(settings["diffusion"], whiten=bool(switches["whiten"]))
    diffusion.update({k: v for k, v in module_params.items() if k in diffusion})
    return {"denoiser": denoiser, "diffusion": diffusion}


def build_network(config: dict, graphs: dict) -> VideoEEGDiffusion:
    """Build the model a :func:`network_config` describes (values validated)."""
    denoiser = VideoEEGDenoiser(graphs=graphs, **config["denoiser"])
    return VideoEEGDiffusion(denoiser, **config["diffusion"])


def data_settings(info, n_times: int, n_features: int, subjects: list) -> dict:
    """Return the network settings the training data decide (:data:`DATA_SETTINGS`)."""
    from ..montage import SEED_OCCIPITAL_CH_NAMES

    occipital = [
        k
        for k, name in enumerate(info.ch_names)
        if name.upper() in SEED_OCCIPITAL_CH_NAMES or name.upper().startswith("O")
    ]
    return {
        "n_channels": len(info.ch_names),
        "n_times": int(n_times),
        "sfreq": float(info["sfreq"]),
        "n_video_features": int(n_features),
        "n_subjects": len(subjects),
        "occipital_idx": occipital or None,
    }


def resolve_device(device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; say so when CUDA is missing."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was asked for but torch sees no CUDA device. "
            'Use device="cpu" or device="auto".'
        )
    return device
