"""The estimator's fitted state: what ``fit`` learned, to and from a file.

:class:`FittedStateMixin` turns the fitted attributes into plain values and
arrays (and back), so that the generator file (:mod:`._checkpoint`)
serialises what it is handed and never reaches into the estimator.
"""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._checkpoint import read_generator_file, write_generator_file
from ._expected import mean_model_from_state, mean_model_state

#: Fitted attributes saved as they are (beside the montage and the weights).
_STATE = (
    "n_times_",
    "feature_names_",
    "feature_attrs_",
    "feature_times_",
    "feature_scale_",
    "scale_",
    "subjects_",
    "emotions_",
    "video_emotions_",
    "graphs_",
    "history_",
    "module_config_",
    "preprocessing_",
)


class FittedStateMixin:
    """Save, get and set the fitted state of :class:`Video2EEGGenerator`."""

    def save(self, fname, *, overwrite: bool = False) -> Path:
        """Save the fitted generator (state dict + JSON config), atomically.

        Parameters
        ----------
        fname : path-like
            Checkpoint file to write (conventionally ``*.pt``).
        overwrite : bool
            Replace an existing file; with False an existing file is never
            touched.

        Returns
        -------
        fname : pathlib.Path
            The written file.
        """
        check_is_fitted(self, "module_")
        params = {k: v for k, v in self.get_params(deep=False).items()}
        return write_generator_file(
            fname, params=params, state=self._fitted_state(), overwrite=overwrite
        )

    def _fitted_state(self) -> dict:
        """Everything ``fit`` learned, as plain values and arrays."""
        montage = self.info_.get_montage()
        positions = None if montage is None else montage.get_positions()
        if positions is not None and any(
            positions[k] is None for k in ("nasion", "lpa", "rpa")
        ):
            positions = None
        return {
            "ch_names": list(self.info_.ch_names),
            "sfreq": float(self.info_["sfreq"]),
            "montage": None
            if positions is None
            else {
                "ch_pos": np.array(
                    [positions["ch_pos"][c] for c in self.info_.ch_names]
                ),
                **{
                    k: np.asarray(positions[k], float) for k in ("nasion", "lpa", "rpa")
                },
            },
            **{name: getattr(self, name) for name in _STATE},
            "mean_model_": None
            if self.mean_model_ is None
            else mean_model_state(self.mean_model_),
            "state_dict": self.module_.state_dict(),
        }

    def _set_fitted_state(self, state: dict, device):
        """Restore what ``fit`` learned from :meth:`_fitted_state`'s output."""
        from .nn.config import build_network, resolve_device
        from .spectra import CrossSpectralModel

        info = mne.create_info(state["ch_names"], state["sfreq"], ch_types="eeg")
        if state["montage"] is not None:
            pos = state["montage"]
            info.set_montage(
                mne.channels.make_dig_montage(
                    ch_pos=dict(zip(state["ch_names"], pos["ch_pos"], strict=True)),
                    **{k: pos[k] for k in ("nasion", "lpa", "rpa")},
                    coord_frame="head",
                )
            )
        self.info_ = info
        for name in _STATE:
            setattr(self, name, state[name])
        self.n_features_in_ = len(self.feature_names_)
        mean_model = state.get("mean_model_")
        self.mean_model_ = (
            None if mean_model is None else mean_model_from_state(mean_model, info)
        )
        self.device_ = resolve_device(device)
        module = build_network(self.module_config_, self.graphs_)
        module.load_state_dict(state["state_dict"])
        if module.whiten:
            self.spectral_model_ = CrossSpectralModel.from_colouring(
                module.colouring.numpy(), n_times=self.n_times_
            )
        self.module_ = module.to(self.device_).eval()
        self._sample_rng = np.random.default_rng(self.random_state)
        return self

    @classmethod
    def _from_file(cls, fname, *, device, verbose):
        """Make an estimator from a generator file (``read_generator``)."""
        fname, params, state = read_generator_file(fname)
        params = dict(params, device=device)
        for name in ("graphs", "eeg_band"):  # JSON made the tuples lists
            params[name] = tuple(params[name])
        if verbose is not None:
            params["verbose"] = verbose
        gen = cls(**params)
        try:
            return gen._set_fitted_state(state, device)
        except RuntimeError as err:  # load_state_dict: shapes or keys
            raise ValueError(
                f"The weights in {fname} do not fit the model its configuration "
                f"describes (tampered or mismatched file): {str(err)[:300]}"
            ) from None
