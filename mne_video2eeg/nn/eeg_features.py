"""A small braindecode network whose hidden layer is the feature space of EEG-FID.

The network (braindecode's ShallowFBCSPNet: temporal + spatial convolution,
square, average pool, log) is trained on real epochs to classify emotion. Its
log band-power-like hidden units, averaged over time, are the features: one
value per spatial filter (``n_filters`` dimensions), few enough that a
Gaussian fit on a few hundred epochs is well conditioned.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ..utils._checks import _check_positive, _check_random_state

__all__ = ["EEGFeatureNet"]


def _import_shallow_net():
    with warnings.catch_warnings():
        # braindecode's import chain (wfdb, montage names, torch.jit) emits
        # Future/Deprecation warnings users cannot act on
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from braindecode.models import ShallowFBCSPNet
    return ShallowFBCSPNet


class EEGFeatureNet:
    """Emotion-classifying ShallowFBCSPNet used as an EEG feature extractor.

    Parameters
    ----------
    n_filters : int
        Number of temporal/spatial filters (= feature dimension).
    n_epochs : int
        Training passes over the data.
    batch_size : int
        Mini-batch size.
    lr : float
        AdamW learning rate.
    random_state : int | numpy.random.Generator | None
        Seed of the initialisation, shuffling and dropout (local generators only).
    """

    def __init__(
        self,
        *,
        n_filters: int = 20,
        n_epochs: int = 30,
        batch_size: int = 32,
        lr: float = 1e-3,
        random_state=None,
    ):
        self.n_filters = n_filters
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state

    def fit(self, X: np.ndarray, y, *, sfreq: float) -> EEGFeatureNet:
        """Train on real epochs.

        Parameters
        ----------
        X : ndarray, shape (n_epochs, n_channels, n_times)
            Real EEG in Volts.
        y : array-like of str, shape (n_epochs,)
            Emotion labels.
        sfreq : float
            Sampling rate in Hz.

        Returns
        -------
        self : EEGFeatureNet
        """
        ShallowFBCSPNet = _import_shallow_net()
        X = np.asarray(X, float)
        y = np.asarray(y)
        if X.ndim != 3 or len(X) != len(y):
            raise ValueError(
                "X must be (n_epochs, n_channels, n_times) with one label per "
                f"epoch, got X {X.shape} and {len(y)} labels."
            )
        n_epochs = _check_positive(self.n_epochs, "n_epochs", integer=True)
        batch = _check_positive(self.batch_size, "batch_size", integer=True)
        self.classes_, codes = np.unique(y, return_inverse=True)
        # per-channel z-scoring with the real statistics: Volts are ~1e-5
        self.mean_ = X.mean(axis=(0, 2))[:, None]
        self.std_ = np.maximum(X.std(axis=(0, 2))[:, None], 1e-30)
        n_times = X.shape[-1]
        rng = _check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        gen = torch.Generator().manual_seed(seed)
        # fork_rng: braindecode layers initialise from torch's global RNG; seed it
        # only inside this block so the caller's global state is left untouched
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = ShallowFBCSPNet(
                n_chans=X.shape[1],
                n_outputs=max(len(self.classes_), 2),
                n_times=n_times,
                sfreq=sfreq,
                n_filters_time=self.n_filters,
                n_filters_spat=self.n_filters,
                pool_time_length=min(75, max(n_times // 4, 2)),
                pool_time_stride=min(15, max(n_times // 20, 1)),
                filter_time_length=min(25, max(n_times // 8, 2)),
                final_conv_length="auto",
            )
            xt = torch.as_tensor(self._scale(X), dtype=torch.float32)
            yt = torch.as_tensor(codes, dtype=torch.long)
            opt = torch.optim.AdamW(net.parameters(), lr=self.lr)
            loss_fn = torch.nn.CrossEntropyLoss()
            # a plain loop (not skorch's EEGClassifier): local RNG for shuffling,
            # no console tables, a few lines
            net.train()
            for _ in range(n_epochs):
                perm = torch.randperm(len(xt), generator=gen)
                for start in range(0, len(xt), batch):
                    idx = perm[start : start + batch]
                    if len(idx) < 2:  # BatchNorm needs 2 samples
                        continue
                    opt.zero_grad()
                    loss = loss_fn(net(xt[idx]), yt[idx])
                    loss.backward()
                    opt.step()
        net.eval()
        self.module_ = net
        self.n_features_ = self.n_filters
        return self

    def _scale(self, X):
        return (np.asarray(X, float) - self.mean_) / self.std_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Hidden log-power features, averaged over time.

        Parameters
        ----------
        X : ndarray, shape (n_epochs, n_channels, n_times)
            EEG in Volts, same channels and length as in ``fit``.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_filters)
        """
        if not hasattr(self, "module_"):
            raise RuntimeError("EEGFeatureNet is not fitted yet; call fit() first.")
        X = np.asarray(X, float)
        if X.ndim != 3 or X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"X must be (n_epochs, {self.mean_.shape[0]}, n_times), got {X.shape}."
            )
        out = []
        with torch.inference_mode():
            h = torch.as_tensor(self._scale(X), dtype=torch.float32)
            for name, layer in self.module_.named_children():
                h = layer(h)
                if name == "pool_nonlin_exp":
                    break
            out = h.flatten(2).mean(-1)  # (n_epochs, n_filters)
        return out.numpy().astype(float)
