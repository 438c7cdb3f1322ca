"""Electrode graphs for the SPGN: the E-Graph (distances) and S-Graph (signals).

Everything here is numpy/scipy/MNE: the neural-network code turns the dense
adjacency matrices into tensors itself (``torch.as_tensor``), so building a
graph never imports torch.
"""

from __future__ import annotations

import numbers

import mne
import numpy as np
from mne.utils import logger
from scipy.signal.windows import tukey
from scipy.spatial.distance import cdist

from ._bands import FREQ_BANDS
from .preprocessing import check_eeg_array, check_finite, check_positions, pick_eeg
from .utils._checks import _check_positive, _check_sfreq, _validate_type
from .utils._docs import verbose

__all__ = [
    "adjacency_to_edge_index",
    "make_electrode_graph",
    "make_signal_graph",
    "normalize_adjacency",
]

# Zero-phase 4th-order Butterworth (second-order sections, forward-backward):
# unlike MNE's default FIR, whose length for the 1-4 Hz band (~3.3 s) exceeds
# a 2-s clip, an IIR filter works on epochs of any length without padding
# warnings, and the S-Graph only needs band-limited signals, not a flat
# passband.
_SGRAPH_IIR = dict(order=4, ftype="butter", output="sos")
# Band edges are clipped to this fraction of Nyquist so the band-pass stays
# well-conditioned.
_NYQ_FRACTION = 0.95
_TAPER_ALPHA = 0.5


# --------------------------------------------------------------------------- #
# shared checks


def _check_n_neighbors(n_neighbors, n_ch: int) -> int | None:
    """Return the number of neighbours to keep, or None for a dense graph."""
    if n_neighbors is None:
        return None
    n_neighbors = _check_positive(n_neighbors, "n_neighbors", integer=True)
    # k >= n_ch - 1 keeps every edge: the dense graph
    return None if n_neighbors >= n_ch - 1 else n_neighbors


def _knn_mask(strength: np.ndarray, k: int | None) -> np.ndarray:
    """Symmetric (union) k-nearest-neighbour mask, self excluded.

    ``strength`` is larger for closer nodes (e.g. a kernel weight or |r|).
    """
    n = strength.shape[0]
    if k is None:
        mask = np.ones((n, n), bool)
    else:
        s = strength.astype(float, copy=True)
        np.fill_diagonal(s, -np.inf)
        # stable sort so ties are broken by channel order, reproducibly
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        mask = np.zeros((n, n), bool)
        mask[np.arange(n)[:, None], order] = True
        mask |= mask.T
    np.fill_diagonal(mask, False)
    return mask


def _check_square(adj, name: str = "adj") -> np.ndarray:
    _validate_type(adj, "array-like", name)
    adj = np.asarray(adj)
    if not (np.issubdtype(adj.dtype, np.number) or adj.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {adj.dtype}.")
    adj = adj.astype(np.float64)
    if adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
        raise ValueError(
            f"{name} must be a square (n_ch, n_ch) matrix, got shape {adj.shape}. "
            "Pass one dense adjacency matrix (loop over a batch yourself)."
        )
    if not np.isfinite(adj).all():
        raise ValueError(
            f"{name} contains {int((~np.isfinite(adj)).sum())} NaN/Inf entries; "
            "build the graph from finite data."
        )
    return adj


# --------------------------------------------------------------------------- #
# E-Graph


def _positions(inst, ch_names) -> tuple[list[str], np.ndarray]:
    """Channel names and 3-D positions (m) from an Info, MNE object or montage."""
    if isinstance(inst, mne.channels.DigMontage):
        ch_pos = inst.get_positions()["ch_pos"]
        if ch_names is None:
            ch_names = list(inst.ch_names)
        else:
            _validate_type(ch_names, (list, tuple), "ch_names")
            ch_names = list(ch_names)
            absent = [name for name in ch_names if name not in ch_pos]
            if absent:
                raise ValueError(
                    f"The montage has no position for channel(s) {absent}. Pass "
                    "ch_names that the montage holds, or a montage covering them "
                    "(e.g. mne_video2eeg.make_seed_montage())."
                )
        pos = np.array([ch_pos[name] for name in ch_names], float).reshape(-1, 3)
        return ch_names, pos
    info = inst if isinstance(inst, mne.Info) else getattr(inst, "info", None)
    if not isinstance(info, mne.Info):
        raise TypeError(
            "info must be an mne.Info, an MNE object with .info (Raw, Epochs, "
            f"Evoked) or an mne.channels.DigMontage, got {type(inst).__name__}."
        )
    if ch_names is not None:
        raise ValueError(
            "ch_names is only used with a DigMontage; with an Info the EEG "
            f"channels of the Info are used (got ch_names={ch_names!r}). Pick "
            "channels on the MNE object instead (inst.pick([...]))."
        )
    picks = pick_eeg(info, name="info")
    ch_names = [info["ch_names"][p] for p in picks]
    pos = np.array([info["chs"][p]["loc"][:3] for p in picks], float)
    return ch_names, pos


def make_electrode_graph(
    info,
    *,
    ch_names: list[str] | None = None,
    n_neighbors: int | None = 8,
    sigma: float | None = None,
    self_loops: bool = False,
) -> np.ndarray:
    """Make the E-Graph: a Gaussian-kernel graph of 3-D electrode distances.

    The weight between electrodes ``i`` and ``j`` at Euclidean distance
    ``d_ij`` is ``exp(-d_ij**2 / (2 * sigma**2))``. Each electrode keeps its
    ``n_neighbors`` nearest electrodes and the graph is made symmetric by
    union (an edge is kept if either end counts the other among its nearest).

    Parameters
    ----------
    info : mne.Info | instance of Raw | Epochs | Evoked | mne.channels.DigMontage
        Where the electrode positions come from. With an Info (or an object
        holding one), the EEG channels are used, in their order, bad channels
        included. With a montage, its channels (or ``ch_names``) are used.
    ch_names : list of str | None
        Channel order when ``info`` is a DigMontage; ``None`` uses the
        montage's own order. Not allowed with an Info.
    n_neighbors : int | None
        Nearest neighbours kept per electrode. ``None`` (or ``>= n_ch - 1``)
        keeps all pairs (a dense graph).
    sigma : float | None
        Kernel width in metres. ``None`` uses the median distance from each
        electrode to its ``n_neighbors`` nearest electrodes (all pairs if
        ``n_neighbors`` is None), so a typical neighbour gets weight
        ``exp(-1/2) ~ 0.61`` whatever the head size.
    self_loops : bool
        Put ones on the diagonal; else the diagonal is zero.

    Returns
    -------
    adj : ndarray of float64, shape (n_ch, n_ch)
        Symmetric, non-negative adjacency matrix.
    """
    _validate_type(self_loops, bool, "self_loops")
    names, pos = _positions(info, ch_names)
    check_positions(names, pos, purpose=", so the electrode graph cannot be built")
    n_ch = len(names)
    if n_ch < 2:
        raise ValueError(f"The electrode graph needs >= 2 channels, got {names}.")
    k = _check_n_neighbors(n_neighbors, n_ch)
    dist = cdist(pos, pos)
    mask = _knn_mask(-dist, k)
    if sigma is None:
        if k is None:
            knn_d = dist[~np.eye(n_ch, dtype=bool)]
        else:
            knn_d = np.sort(dist + np.diag(np.full(n_ch, np.inf)), axis=1)[:, :k]
        sigma = float(np.median(knn_d))
        if sigma <= 0:
            raise ValueError(
                "Electrodes share identical positions (median neighbour distance "
                "0); check the montage or pass sigma explicitly."
            )
        logger.debug(f"E-Graph kernel width sigma={sigma:.4f} m (median kNN)")
    else:
        sigma = _check_positive(sigma, "sigma")
    adj = np.exp(-(dist**2) / (2.0 * sigma**2)) * mask
    np.fill_diagonal(adj, 1.0 if self_loops else 0.0)
    return adj


# --------------------------------------------------------------------------- #
# S-Graph


def _resolve_bands(bands, sfreq: float) -> dict[str, tuple[float, float]]:
    """Validate ``bands`` and fit them below Nyquist (drop or clip, logged)."""
    if bands is None:
        bands = dict(FREQ_BANDS)
    elif isinstance(bands, str):
        bands = [bands]
    if isinstance(bands, (list, tuple)):
        unknown = [b for b in bands if b not in FREQ_BANDS]
        if unknown:
            raise ValueError(
                f"Unknown band name(s) {unknown}; use names of FREQ_BANDS "
                f"{list(FREQ_BANDS)} or pass a dict name -> (fmin, fmax) in Hz."
            )
        bands = {b: FREQ_BANDS[b] for b in bands}
    _validate_type(bands, dict, "bands", "dict, list of band names, or None")
    if not bands:
        raise ValueError("bands is empty; pass at least one band.")
    nyq = sfreq / 2.0
    out = {}
    for name, edges in bands.items():
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise ValueError(
                f"Band {name!r} must be a (fmin, fmax) pair in Hz, got {edges!r}."
            ) from None
        if not (0 < lo < hi) or not np.isfinite(hi):
            raise ValueError(
                f"Band {name!r} must satisfy 0 < fmin < fmax, got ({lo}, {hi})."
            )
        top = _NYQ_FRACTION * nyq
        if lo >= top:
            logger.info(
                f"S-Graph: dropping band {name!r} ({lo}-{hi} Hz): at or above "
                f"the Nyquist frequency {nyq} Hz of sfreq={sfreq} Hz."
            )
            continue
        if hi > top:
            logger.info(
                f"S-Graph: clipping band {name!r} from {lo}-{hi} Hz to "
                f"{lo}-{top:g} Hz to fit below Nyquist ({nyq} Hz)."
            )
            hi = top
        out[str(name)] = (lo, hi)
    if not out:
        raise ValueError(
            f"No band fits below the Nyquist frequency {nyq} Hz of sfreq={sfreq} "
            f"Hz (bands {bands}). Use data sampled above twice the top band edge."
        )
    return out


def _signal_data(data, sfreq, ch_names):
    """Return (n_epochs, n_ch, n_times) float64 data, sfreq, channel names."""
    if isinstance(data, (mne.io.BaseRaw, mne.BaseEpochs)):
        if sfreq is not None and not np.isclose(sfreq, data.info["sfreq"]):
            raise ValueError(
                f"sfreq={sfreq} disagrees with data.info['sfreq']="
                f"{data.info['sfreq']}; leave sfreq=None for MNE objects."
            )
        if ch_names is not None:
            raise ValueError(
                "ch_names is only for arrays; MNE objects carry their own "
                f"(got ch_names={ch_names!r})."
            )
        picks = pick_eeg(data, name="data")
        names = [data.ch_names[p] for p in picks]
        arr = data.get_data(picks=picks)
        arr = arr[np.newaxis] if arr.ndim == 2 else arr
        return arr.astype(np.float64, copy=False), float(data.info["sfreq"]), names
    arr = check_eeg_array(data, "data")
    if sfreq is None:
        raise ValueError(
            "sfreq is required for array data (sfreq=None received); pass "
            "sfreq=<sampling rate in Hz>, or pass mne.Epochs / mne.io.Raw."
        )
    sfreq = _check_sfreq(sfreq)
    arr = arr[np.newaxis] if arr.ndim == 2 else arr
    n_ch = arr.shape[1]
    if ch_names is None:
        names = None
    else:
        _validate_type(ch_names, (list, tuple), "ch_names")
        names = [str(c) for c in ch_names]
        if len(names) != n_ch:
            raise ValueError(
                f"ch_names has {len(names)} names but data has {n_ch} channels."
            )
    return arr.astype(np.float64), sfreq, names


@verbose
def make_signal_graph(
    data,
    *,
    sfreq: float | None = None,
    bands=None,
    n_neighbors: int | None = None,
    absolute: bool = True,
    return_bands: bool = False,
    ch_names: list[str] | None = None,
    verbose=None,
):
    """Make the S-Graph: band-wise correlation graphs and their fused mean.

    For each frequency band, every epoch is demeaned, tapered (Tukey window,
    cosine ramps over the outer quarter at each end, so filter ringing at
    the epoch edges does not create spurious correlations) and band-passed
    separately (zero-phase 4th-order Butterworth via
    :func:`mne.filter.filter_data`, which works on epochs of any length),
    then the Pearson correlation between channels is
    computed over all epochs and time points pooled together (the filtered
    epochs are concatenated; each channel's mean over the pool is removed).
    Pooling gives long recordings and many short clips one consistent
    estimate, where averaging per-epoch correlations would be noisy for
    2-s clips with few cycles of the slow bands.

    Parameters
    ----------
    data : mne.Epochs | mne.io.Raw | array, shape ([n_epochs, ]n_ch, n_times)
        EEG. For MNE objects the EEG channels are used (bad ones included)
        and ``sfreq`` comes from the info.
    sfreq : float | None
        Sampling rate in Hz; required for arrays.
    bands : dict | list of str | None
        ``None`` uses :data:`mne_video2eeg._bands.FREQ_BANDS` (delta, theta,
        alpha, beta, gamma). A list picks some of those by name; a dict maps
        names to ``(fmin, fmax)`` in Hz. Bands starting at or above 0.95 x
        Nyquist are dropped, bands ending above it are clipped to it (both
        logged at INFO); if none is left a ValueError is raised.
    n_neighbors : int | None
        If given, each channel keeps its ``n_neighbors`` strongest edges
        (by ``|r|``), symmetrised by union, in every band graph and in the
        fused graph (the fused graph is sparsified after averaging).
    absolute : bool
        Use ``|r|`` (default; a non-negative graph) instead of signed ``r``.
    return_bands : bool
        Also return the per-band graphs.
    ch_names : list of str | None
        Channel names for array input (used as coordinates); MNE objects
        provide their own.
    verbose : bool | str | int | None
        Control verbosity of the logging output (see :func:`mne.verbose`).

    Returns
    -------
    adj : ndarray of float64, shape (n_ch, n_ch)
        The fused graph: the mean of the band graphs (before sparsification),
        symmetric with a zero diagonal.
    band_graphs : xarray.DataArray, dims (band, ch1, ch2)
        Only if ``return_bands``. Coordinates: ``band`` names with ``fmin`` /
        ``fmax`` (Hz, after clipping), and ``ch1``/``ch2`` channel names when
        known (else channel indices).
    """
    _validate_type(absolute, bool, "absolute")
    _validate_type(return_bands, bool, "return_bands")
    arr, sfreq, names = _signal_data(data, sfreq, ch_names)
    n_epochs, n_ch, n_times = arr.shape
    if n_ch < 2 or n_times < 2:
        raise ValueError(
            f"The S-Graph needs >= 2 channels and >= 2 time points, got "
            f"{n_ch} channel(s) x {n_times} sample(s)."
        )
    check_finite(arr, names, name="data")
    flat = arr.std(axis=(0, 2)) == 0
    if flat.any():
        raise ValueError(
            f"Channel(s) {_names_of(np.flatnonzero(flat), names)} are flat "
            "(zero variance), so their correlation is undefined; drop or "
            "interpolate them first."
        )
    band_edges = _resolve_bands(bands, sfreq)
    k = _check_n_neighbors(n_neighbors, n_ch)

    # Filtering a short epoch rings at its edges, and the ringing is driven by
    # the edge samples that correlated channels share: on 2-s clips this put
    # |r| ~ 0.5 into bands with no shared power. A Tukey taper (half cosine
    # ramps over the outer 25% at each end) after demeaning removes it while
    # keeping the middle half untouched.
    arr = (arr - arr.mean(axis=-1, keepdims=True)) * tukey(n_times, _TAPER_ALPHA)
    graphs = np.empty((len(band_edges), n_ch, n_ch))
    for bi, (name, (lo, hi)) in enumerate(band_edges.items()):
        logger.debug(f"S-Graph band {name}: {lo:g}-{hi:g} Hz")
        filt = mne.filter.filter_data(
            arr,
            sfreq,
            lo,
            hi,
            method="iir",
            iir_params=_SGRAPH_IIR,
            phase="zero",
            verbose=False,
        )
        pooled = filt.transpose(1, 0, 2).reshape(n_ch, -1)
        graphs[bi] = _correlation(pooled, absolute)
    fused = graphs.mean(axis=0)
    fused = _sparsify(fused, k)
    if not return_bands:
        return fused
    import xarray as xr  # lazy: keeps `import mne_video2eeg.graphs` light

    for bi in range(len(graphs)):
        graphs[bi] = _sparsify(graphs[bi], k)
    coords_ch = names if names is not None else list(range(n_ch))
    band_graphs = xr.DataArray(
        graphs,
        dims=("band", "ch1", "ch2"),
        coords=dict(
            band=list(band_edges),
            fmin=("band", [e[0] for e in band_edges.values()]),
            fmax=("band", [e[1] for e in band_edges.values()]),
            ch1=coords_ch,
            ch2=coords_ch,
        ),
        name="signal_graph",
        attrs=dict(sfreq=sfreq, absolute=int(absolute)),
    )
    return fused, band_graphs


def _names_of(idx, names):
    return [names[i] for i in idx] if names is not None else [int(i) for i in idx]


def _correlation(x: np.ndarray, absolute: bool) -> np.ndarray:
    """Pearson correlation between rows, zero diagonal."""
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1))
    # a channel with no power in this band (e.g. numerically zero after
    # filtering) gets no edges rather than NaN
    norm[norm == 0] = np.inf
    r = (x @ x.T) / np.outer(norm, norm)
    r = np.clip((r + r.T) / 2.0, -1.0, 1.0)
    if absolute:
        r = np.abs(r)
    np.fill_diagonal(r, 0.0)
    return r


def _sparsify(adj: np.ndarray, k: int | None) -> np.ndarray:
    if k is None:
        return adj
    return adj * _knn_mask(np.abs(adj), k)


# --------------------------------------------------------------------------- #
# conversions for the network code


def adjacency_to_edge_index(
    adj, *, threshold: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a dense adjacency into torch_geometric ``edge_index``/``edge_weight``.

    Parameters
    ----------
    adj : array, shape (n_nodes, n_nodes)
        Dense adjacency; ``adj[i, j]`` is the weight of the edge ``i -> j``
        (source ``i``, target ``j``), so asymmetric (directed) graphs are kept
        as they are.
    threshold : float
        Keep the entries with ``|adj[i, j]| > threshold`` (default: every
        non-zero entry, self loops included).

    Returns
    -------
    edge_index : ndarray of int64, shape (2, n_edges)
        Row 0 the sources, row 1 the targets, in row-major order; wrap with
        ``torch.as_tensor``. ``torch_geometric.utils.to_dense_adj`` gives
        ``adj`` back (entries at or below the threshold set to zero).
    edge_weight : ndarray of float32, shape (n_edges,)
        The kept entries of ``adj``.
    """
    adj = _check_square(adj)
    if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}.")
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(
            f"threshold must be finite and >= 0 (it applies to |adj|), got "
            f"{threshold!r}."
        )
    rows, cols = np.nonzero(np.abs(adj) > threshold)
    edge_index = np.stack([rows, cols]).astype(np.int64)
    return edge_index, adj[rows, cols].astype(np.float32)


def normalize_adjacency(adj, *, add_self_loops: bool = True) -> np.ndarray:
    """Symmetrically normalise an adjacency as in GCN: D^-1/2 (A + I) D^-1/2.

    Parameters
    ----------
    adj : array, shape (n_nodes, n_nodes)
        Symmetric, non-negative adjacency ``A``.
    add_self_loops : bool
        Add the identity to ``A`` before normalising (Kipf & Welling). If
        False, ``D^-1/2 A D^-1/2``; nodes without edges get all-zero rows.

    Returns
    -------
    adj_norm : ndarray of float64, shape (n_nodes, n_nodes)
        Symmetric normalised adjacency (``D`` the row sums of ``A (+ I)``).
    """
    _validate_type(add_self_loops, bool, "add_self_loops")
    adj = _check_square(adj)
    if (adj < 0).any():
        raise ValueError(
            f"adj must be non-negative for GCN normalisation, got minimum "
            f"{adj.min():g}. Use make_signal_graph(..., absolute=True) or clip."
        )
    if not np.allclose(adj, adj.T, rtol=1e-6, atol=1e-10):
        err = np.abs(adj - adj.T).max()
        raise ValueError(
            f"adj must be symmetric, got max |A - A.T| = {err:g}. Symmetrise it "
            "first, e.g. (adj + adj.T) / 2."
        )
    if add_self_loops:
        adj = adj + np.eye(adj.shape[0])
    deg = adj.sum(axis=1)
    with np.errstate(divide="ignore"):
        inv_sqrt = np.where(deg > 0, 1.0 / np.sqrt(deg), 0.0)
    return inv_sqrt[:, None] * adj * inv_sqrt[None, :]
