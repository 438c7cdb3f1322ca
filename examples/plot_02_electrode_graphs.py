"""
.. _ex-electrode-graphs:

==========================================
Electrode graphs: the E-Graph and S-Graph
==========================================

The SPGN graph network of :class:`~mne_video2eeg.Video2EEGGenerator` passes
messages between the 62 electrodes of the SEED montage along two graphs:

- the **E-Graph** (:func:`~mne_video2eeg.graphs.make_electrode_graph`): a
  Gaussian kernel of the 3-D distances between electrodes, each electrode
  keeping its nearest neighbours;
- the **S-Graph** (:func:`~mne_video2eeg.graphs.make_signal_graph`): how
  strongly the channels' signals correlate, band by band (delta to gamma),
  averaged over bands.

Here we build both on the SEED montage and look at them as matrices and on
the scalp.
"""

# %%
import matplotlib.pyplot as plt
import mne
import numpy as np

from mne_video2eeg import make_seed_info
from mne_video2eeg.datasets import simulate_video_eeg
from mne_video2eeg.graphs import (
    make_electrode_graph,
    make_signal_graph,
    normalize_adjacency,
)

info = make_seed_info(sfreq=200.0)  # 62 EEG channels with the SEED montage
ch_names = info.ch_names

# %%
# The E-Graph
# -----------
# Each electrode keeps its 8 nearest electrodes (symmetrised: an edge exists
# when either end counts the other among its nearest). The kernel width is the
# median neighbour distance, so a typical neighbour gets weight ~0.61.

adj_e = make_electrode_graph(info, n_neighbors=8)
print(
    f"E-Graph: {int((adj_e > 0).sum() / 2)} edges, symmetric: "
    f"{np.allclose(adj_e, adj_e.T)}"
)


def plot_adjacency(adj, title, ax):
    im = ax.imshow(adj, cmap="viridis", interpolation="nearest")
    ticks = np.arange(0, len(ch_names), 8)
    ax.set(xticks=ticks, yticks=ticks, title=title)
    ax.set_xticklabels([ch_names[t] for t in ticks], rotation=90, fontsize=7)
    ax.set_yticklabels([ch_names[t] for t in ticks], fontsize=7)
    return im


fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
fig.colorbar(plot_adjacency(adj_e, "E-Graph (distance kernel)", ax), ax=ax)

# %%
# On the scalp: the edges drawn between electrode positions (line width and
# opacity follow the weight), and the weights from one electrode (OZ, over the
# visual cortex) as a topographic map.

layout = mne.channels.make_eeg_layout(info)
xy = layout.pos[:, :2] + layout.pos[:, 2:] / 2  # box centres


def plot_edges(adj, title, ax):
    i, j = np.nonzero(np.triu(adj, k=1))
    w = adj[i, j] / adj.max()
    for a, b, weight in zip(i, j, w, strict=True):
        ax.plot(*xy[[a, b]].T, color="C0", lw=2 * weight, alpha=0.3 + 0.7 * weight)
    ax.scatter(*xy.T, s=12, color="k", zorder=3)
    ax.set(title=title, aspect="equal")
    ax.set_axis_off()


oz = ch_names.index("OZ")
is_oz = np.array(ch_names) == "OZ"
star = dict(marker="*", markerfacecolor="C0", markeredgecolor="k", markersize=14)


def weights_from_oz(adj):
    w = adj[oz].copy()
    w[oz] = w.max()  # the diagonal is 0; show OZ itself as strongly linked
    return w


fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), layout="constrained")
plot_edges(adj_e, "E-Graph edges", axes[0])
mne.viz.plot_topomap(
    weights_from_oz(adj_e),
    info,
    axes=axes[1],
    cmap="Reds",
    show=False,
    contours=0,
    mask=is_oz,
    mask_params=star,
)
axes[1].set_title("E-Graph weights from OZ")

# %%
# The S-Graph
# -----------
# The S-Graph needs EEG. We use a few clips of the simulated dataset (the
# videos are cached after the first run). Each band's graph is the absolute
# Pearson correlation of the band-passed channels, pooled over epochs; the
# fused graph is their mean.

videos, epochs = simulate_video_eeg(
    n_subjects=1, n_clips=6, random_state=0, verbose="error"
)
adj_s, band_graphs = make_signal_graph(epochs, return_bands=True, verbose="error")
print(band_graphs.sizes)

fig, axes = plt.subplots(
    1, len(band_graphs["band"]), figsize=(12, 2.8), layout="constrained"
)
for ax, band in zip(axes, band_graphs["band"].values, strict=True):
    g = band_graphs.sel(band=band)
    ax.imshow(g.values, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set(
        title=f"{band} ({float(g['fmin']):g}-{float(g['fmax']):g} Hz)",
        xticks=[],
        yticks=[],
    )

# %%
# Sparsified to the 6 strongest edges per channel, the fused S-Graph next to
# the E-Graph: nearby electrodes correlate (volume conduction), but the
# S-Graph also links distant electrodes that share sources, here the visual
# responses of the occipital channels.

adj_s6 = make_signal_graph(epochs, n_neighbors=6, verbose="error")
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), layout="constrained")
plot_edges(adj_s6, "S-Graph edges (6 strongest per channel)", axes[0])
mne.viz.plot_topomap(
    weights_from_oz(adj_s),
    info,
    axes=axes[1],
    cmap="Reds",
    show=False,
    contours=0,
    mask=is_oz,
    mask_params=star,
)
axes[1].set_title("S-Graph weights from OZ")

# %%
# The network uses the graphs normalised as in a graph convolutional network,
# :math:`D^{-1/2} (A + I) D^{-1/2}`:

norm = normalize_adjacency(adj_e)
print(
    f"normalised E-Graph: eigenvalues in [{np.linalg.eigvalsh(norm).min():.2f}, "
    f"{np.linalg.eigvalsh(norm).max():.2f}]"
)
