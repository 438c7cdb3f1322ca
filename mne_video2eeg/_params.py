"""The estimator's parameters: its own, and network settings routed to nn.

Network settings are ``module__<name>`` keyword arguments (the skorch /
braindecode convention): stored as attributes, listed by ``get_params``, set by
``set_params``, and routed to the network by :mod:`mne_video2eeg.nn.config`
at ``fit``.  Architecture settings that used to be top-level parameters (``width=`` ...)
still work for one release, with a ``FutureWarning``.
"""

from __future__ import annotations

import numpy as np
from mne.utils import warn
from sklearn.base import BaseEstimator

from .utils._checks import _check_option, _check_positive

#: Architecture settings that were estimator parameters; now ``module__*``.
RENAMED = {
    "width": "width",
    "depth": "depth",
    "patch_size": "patch_size",
    "n_train_timesteps": "num_train_timesteps",
    "prediction_type": "prediction_type",
    "cond_drop_prob": "cond_drop_prob",
}


def _routed(name: str) -> bool:
    return name.startswith("module__") or name in RENAMED


def check_module_prefix(module_params: dict) -> None:
    """Refuse keyword arguments that are neither network settings nor renamed."""
    other = sorted(k for k in module_params if not _routed(k))
    if other:
        raise TypeError(
            f"Video2EEGGenerator got unexpected keyword argument(s) {other}; "
            "network settings are passed as module__<name>=value."
        )


class RoutedParamsMixin(BaseEstimator):
    """``get_params``/``set_params`` that include the ``module__*`` settings."""

    def get_params(self, deep: bool = True) -> dict:
        """Get the parameters, ``module__*`` network settings included."""
        params = super().get_params(deep=deep)
        params.update({k: v for k, v in vars(self).items() if _routed(k)})
        return params

    def set_params(self, **params) -> RoutedParamsMixin:
        """Set parameters; ``module__<name>`` sets a network setting."""
        module = {k: params.pop(k) for k in list(params) if _routed(k)}
        vars(self).update(module)
        return super().set_params(**params)

    def _module_params(self) -> dict:
        """Network settings without prefix; deprecated names warn and route."""
        out = {}
        for old, new in RENAMED.items():
            if old not in vars(self):
                continue
            value = vars(self)[old]
            warn(
                f"{old}= is deprecated and will be removed in the next release; "
                f"pass module__{new}={value!r} instead.",
                FutureWarning,
            )
            out[new] = value
        prefix = len("module__")
        out.update(
            {k[prefix:]: v for k, v in vars(self).items() if k[:prefix] == "module__"}
        )
        return out

    def _check_params(self, module_params: dict) -> dict:
        for name in ("n_inference_steps", "n_epochs", "batch_size"):
            _check_positive(getattr(self, name), name, integer=True)
        for name in ("learning_rate", "sfreq"):
            _check_positive(getattr(self, name), name)
        _check_positive(self.guidance_scale, "guidance_scale", strict=False)
        from .nn import SAMPLERS

        _check_option("sampler", self.sampler, SAMPLERS)
        prediction = module_params.get("prediction_type", "v_prediction")
        if self.sampler == "trigflow" and prediction != "v_prediction":
            raise ValueError(
                "sampler='trigflow' integrates the v-prediction ODE, got "
                f"module__prediction_type={prediction!r}. Pass sampler='dpmsolver' "
                "(with n_inference_steps=10 or more) or v-prediction."
            )
        if isinstance(self.condition_on_video, str):
            _check_option("condition_on_video", self.condition_on_video, ("onset",))
        from ._expected import EXPECTED_EEG

        _check_option("expected_eeg", self.expected_eeg, EXPECTED_EEG)
        band = self.eeg_band
        if not isinstance(band, tuple | list) or len(band) != 2:
            raise ValueError(
                f"eeg_band must be (l_freq, h_freq), e.g. (0.5, None), got {band!r}."
            )
        graphs = tuple(self.graphs)
        if not graphs or any(g not in ("electrode", "signal") for g in graphs):
            raise ValueError(
                "graphs must be a non-empty subset of ('electrode', 'signal'), got "
                f"{self.graphs!r}."
            )
        return {
            "use_graphs": list(graphs),
            "spatial_attention": bool(self.spatial_attention),
            "self_play": bool(self.self_play),
            "graph_da": bool(self.graph_da),
            "whiten": self._whiten_mode() != "none",
        }

    def _whiten_mode(self) -> str:
        if isinstance(self.whiten, bool | np.bool_):
            return "cross-spectral" if self.whiten else "none"
        _check_option("whiten", self.whiten, ("cross-spectral", "spectral", "none"))
        return self.whiten
