"""Figures comparing generated with real EEG (matplotlib; each returns a Figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import mne
import numpy as np
import xarray as xr

from ._bands import FREQ_BANDS
from .utils._checks import _validate_type
from .utils._docs import fill_doc

__all__ = [
    "plot_band_similarity",
    "plot_band_topomaps",
    "plot_correlation_distance",
    "plot_covariance_comparison",
    "plot_psd_comparison",
    "plot_spectral_parameters",
    "plot_traces",
]

_COLORS = {"real": "k", "generated": "C3"}


def _epochs(inst, name):
    _validate_type(inst, mne.BaseEpochs, name, "mne.Epochs")
    if len(inst) == 0:
        raise ValueError(f"{name} holds no epochs.")
    return inst


def _pair(real, generated):
    """Check both sets; return them with ``generated`` in ``real``'s channel order."""
    real, generated = _epochs(real, "real"), _epochs(generated, "generated")
    if real.ch_names != generated.ch_names:
        if set(real.ch_names) != set(generated.ch_names):
            raise ValueError(
                "real and generated have different channels; pick the common ones "
                "first (inst.pick(...))."
            )
        generated = generated.copy().reorder_channels(real.ch_names)
    if not np.isclose(real.info["sfreq"], generated.info["sfreq"]):
        raise ValueError(
            f"real and generated sampling rates differ ({real.info['sfreq']} vs "
            f"{generated.info['sfreq']} Hz); resample one of them."
        )
    return real, generated


def _show(fig, show):
    if show:
        plt.show()
    return fig


@fill_doc
def plot_psd_comparison(
    real, generated, *, fmin=1.0, fmax=45.0, picks=None, show=True
) -> plt.Figure:
    """Plot the mean log PSD of real and generated EEG.

    Welch PSDs (:meth:`mne.Epochs.compute_psd`) averaged over epochs, in dB
    re 1 uV^2/Hz; the line is the mean over channels, the band the channel
    range (5th-95th percentile).

    Parameters
    ----------
    %(real_generated_plot)s
    fmin, fmax : float
        Frequency range in Hz.
    picks : str | list | None
        Channels to include (MNE picks); None = all EEG.
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    real, generated = _pair(real, generated)
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for name, inst in (("real", real), ("generated", generated)):
        n_fft = min(len(inst.times), int(round(2 * inst.info["sfreq"])))
        spec = inst.compute_psd(
            method="welch",
            fmin=fmin,
            fmax=fmax,
            picks=picks,
            n_fft=n_fft,
            verbose=False,
        )
        psd, freqs = spec.get_data(return_freqs=True)
        db = 10 * np.log10(np.maximum(psd.mean(0), 1e-300) * 1e12)
        ax.plot(freqs, db.mean(0), color=_COLORS[name], label=name)
        lo, hi = np.percentile(db, [5, 95], axis=0)
        ax.fill_between(freqs, lo, hi, color=_COLORS[name], alpha=0.2, lw=0)
    ax.set(
        xlabel="Frequency (Hz)",
        ylabel="PSD (dB re 1 µV²/Hz)",
        title="Power spectra: real vs generated",
    )
    ax.legend()
    return _show(fig, show)


@fill_doc
def plot_band_similarity(scores, generated=None, *, show=True) -> plt.Figure:
    """Bar plot of the per-band similarity (level and topography).

    Parameters
    ----------
    scores : xarray.Dataset | mne.Epochs
        The output of :func:`mne_video2eeg.metrics.band_similarity` (variables
        ``level``/``topo``) or of :func:`mne_video2eeg.metrics.evaluate`
        (``band_similarity``/``band_topography``); or the real epochs, in which
        case ``generated`` is required and the scores are computed here.
    generated : mne.Epochs | None
        Generated epochs when ``scores`` is the real data.
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    from .metrics import band_similarity

    if isinstance(scores, mne.BaseEpochs):
        if generated is None:
            raise ValueError(
                "plot_band_similarity(real, generated): pass the generated epochs "
                "too, or a scores Dataset alone."
            )
        scores = band_similarity(scores, generated, verbose=False)
    _validate_type(scores, xr.Dataset, "scores", "xarray.Dataset or mne.Epochs")
    if "level" in scores:
        level_name, topo_name = "level", "topo"
    elif "band_similarity" in scores:
        level_name, topo_name = "band_similarity", "band_topography"
    else:
        raise ValueError(
            "scores has no band similarity variables ('level'/'topo' or "
            f"'band_similarity'/'band_topography'); got {list(scores.data_vars)}."
        )
    bands = [str(b) for b in scores["band"].values]
    x = np.arange(len(bands))
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    width = 0.38
    ax.bar(x - width / 2, scores[level_name].values, width, label="level")
    if topo_name in scores:
        ax.bar(x + width / 2, scores[topo_name].values, width, label="topography")
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set(
        xticks=x,
        xticklabels=bands,
        ylim=(0, 1.05),
        ylabel="Similarity",
        title="Band similarity (1 = identical)",
    )
    ax.legend(loc="lower right")
    return _show(fig, show)


def _has_positions(info):
    locs = np.array([ch["loc"][:3] for ch in info["chs"]])
    return np.isfinite(locs).all() and np.any(locs, axis=1).all()


@fill_doc
def plot_band_topomaps(real, generated, *, bands=FREQ_BANDS, show=True) -> plt.Figure:
    """Per-band topomaps of log band power, real (top) vs generated (bottom).

    Each column is a band; both rows share its colour scale (dB re 1 uV^2/Hz
    of the mean Welch band power over epochs), drawn with
    :func:`mne.viz.plot_topomap`.

    Parameters
    ----------
    %(real_generated_plot)s
        ``real`` needs channel positions.
    %(bands)s
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    from .metrics._spectral import band_power, check_bands

    real, generated = _pair(real, generated)
    picks = mne.pick_types(real.info, eeg=True, exclude=())
    if len(picks) == 0:
        raise ValueError("plot_band_topomaps needs EEG channels; real has none.")
    info = mne.pick_info(real.info, picks)
    if not _has_positions(info):
        raise ValueError(
            "plot_band_topomaps needs channel positions, but real.info has none "
            "(or some are missing). Set a montage first, e.g. "
            "epochs.set_montage(mne_video2eeg.make_seed_montage())."
        )
    sfreq = real.info["sfreq"]
    bands = check_bands(bands, sfreq)
    maps = {
        name: 10
        * np.log10(
            np.maximum(
                band_power(inst.get_data(picks=picks), sfreq, bands).mean(0), 1e-300
            )
            * 1e12
        )
        for name, inst in (("real", real), ("generated", generated))
    }
    n_b = len(bands)
    fig, axes = plt.subplots(
        2, n_b, figsize=(2.2 * n_b, 4.6), layout="constrained", squeeze=False
    )
    for j, band in enumerate(bands):
        vmin = min(maps["real"][:, j].min(), maps["generated"][:, j].min())
        vmax = max(maps["real"][:, j].max(), maps["generated"][:, j].max())
        for i, name in enumerate(("real", "generated")):
            im, _ = mne.viz.plot_topomap(
                maps[name][:, j],
                info,
                axes=axes[i, j],
                vlim=(vmin, vmax),
                cmap="viridis",
                show=False,
            )
            axes[i, j].set_title(f"{name}\n{band}" if i == 0 else name, fontsize=9)
        fig.colorbar(im, ax=axes[:, j], shrink=0.6, label="dB", location="bottom")
    return _show(fig, show)


@fill_doc
def plot_traces(
    real, generated, *, video=None, picks=None, max_samples=5, show=True
) -> plt.Figure:
    """Real vs generated traces of one video, per channel.

    For the chosen video: the real epochs (thin grey) and their mean (black),
    the generated samples (thin red) and their mean (red), in µV.

    Parameters
    ----------
    %(real_generated_plot)s
        Both need a ``video`` metadata column.
    video : str | None
        The video to show; None = the first generated video that is also in
        ``real``.
    picks : str | list | None
        Channels (MNE picks); None = the first 4 EEG channels.
    max_samples : int
        Most individual generated samples drawn.
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    real, generated = _pair(real, generated)
    for inst, name in ((real, "real"), (generated, "generated")):
        if inst.metadata is None or "video" not in inst.metadata.columns:
            raise ValueError(f"{name} needs a 'video' metadata column.")
    rvid = real.metadata["video"].astype(str).to_numpy()
    gvid = generated.metadata["video"].astype(str).to_numpy()
    common = [v for v in dict.fromkeys(gvid) if v in set(rvid)]
    if video is None:
        if not common:
            raise ValueError("No video occurs in both real and generated epochs.")
        video = common[0]
    video = str(video)
    if video not in common:
        raise ValueError(
            f"Video {video!r} is not in both real and generated epochs; choose one "
            f"of {common[:5]}."
        )
    if picks is None:
        picks = [real.ch_names[p] for p in mne.pick_types(real.info, eeg=True)[:4]]
    rsel = real.copy().pick(picks)
    names = rsel.ch_names
    r = rsel.get_data()[rvid == video] * 1e6
    g = generated.get_data(picks=names)[gvid == video] * 1e6
    times = real.times
    fig, axes = plt.subplots(
        len(names),
        1,
        figsize=(7, 1.6 * len(names) + 0.6),
        sharex=True,
        layout="constrained",
        squeeze=False,
    )
    for k, ax in enumerate(axes[:, 0]):
        for trace in r[:, k]:
            ax.plot(times, trace, color="0.7", lw=0.5)
        for trace in g[:max_samples, k]:
            ax.plot(times, trace, color="C3", lw=0.4, alpha=0.5)
        ax.plot(times, r[:, k].mean(0), color="k", lw=1.2, label="real mean")
        ax.plot(times, g[:, k].mean(0), color="C3", lw=1.2, label="generated mean")
        ax.set_ylabel(f"{names[k]}\n(µV)")
    axes[0, 0].set_title(f"Video {video}: {len(r)} real, {len(g)} generated epochs")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("Time (s)")
    return _show(fig, show)


@fill_doc
def plot_correlation_distance(real, generated, *, show=True) -> plt.Figure:
    """Plot channel-pair correlation against electrode distance, both sets.

    Each dot is a channel pair (mean ``|r|`` over clips), each line the mean
    over the pairs in a distance bin, from
    :func:`mne_video2eeg.metrics.correlation_by_distance` with its defaults
    (1-45 Hz, average reference); the legend gives the ``neighbour`` and
    ``distant`` summaries.

    Parameters
    ----------
    %(real_generated_plot)s
        Both need channel positions.
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    from .metrics import correlation_by_distance

    real, generated = _pair(real, generated)
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    for name, inst in (("real", real), ("generated", generated)):
        st = correlation_by_distance(inst, verbose=False)
        color = _COLORS[name]
        ax.scatter(
            st.pair_distance * 100, st.pair_abs_r, s=5, color=color, alpha=0.2, lw=0
        )
        label = (
            f"{name} (neighbour {float(st.neighbour):.2f}, "
            f"distant {float(st.distant):.2f})"
        )
        ax.plot(st.distance * 100, st.abs_r, "o-", color=color, label=label)
    ax.set(
        xlabel="Electrode distance (cm)",
        ylabel="|r| (mean over clips)",
        ylim=(0, 1),
        title="Channel correlation vs distance",
    )
    ax.legend()
    return _show(fig, show)


@fill_doc
def plot_covariance_comparison(real, generated, *, show=True) -> plt.Figure:
    """Plot the channel correlation matrices of both sets side by side.

    The zero-lag correlation matrix, averaged over clips, after the
    realism statistics' preprocessing (1-45 Hz, average reference: the
    ``correlation`` of :func:`mne_video2eeg.metrics.correlation_by_distance`),
    on one colour scale from -1 to 1; the title gives
    :func:`mne_video2eeg.metrics.riemann_distance` between the sets.

    Parameters
    ----------
    %(real_generated_plot)s
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    from .metrics import riemann_distance
    from .metrics._realism import clip_correlation, prepared_data

    real, generated = _pair(real, generated)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), layout="constrained")
    for ax, (name, inst) in zip(
        axes, (("real", real), ("generated", generated)), strict=True
    ):
        data, info = prepared_data(inst, 1.0, 45.0, name)
        im = ax.imshow(clip_correlation(data).mean(0), vmin=-1, vmax=1, cmap="RdBu_r")
        if len(info.ch_names) <= 32:
            ticks = np.arange(len(info.ch_names))
            ax.set_xticks(ticks, info.ch_names, rotation=90, fontsize=7)
            ax.set_yticks(ticks, info.ch_names, fontsize=7)
        ax.set_title(name)
    fig.colorbar(im, ax=axes, shrink=0.8, label="Pearson r")
    dist = riemann_distance(real, generated, verbose=False)
    fig.suptitle(f"Channel correlation (Riemannian distance {dist:.2f})")
    return _show(fig, show)


@fill_doc
def plot_spectral_parameters(real, generated, *, picks=None, show=True) -> plt.Figure:
    """Plot the specparam fits of both sets: PSD, model and aperiodic fit.

    One row per channel, one column per set: the clip-averaged Welch PSD, the
    full specparam model and its aperiodic part, from
    :func:`mne_video2eeg.metrics.spectral_parameters` with its defaults, in
    µV²/Hz on log-log axes; titles give the exponent and the alpha peak ratio.

    Parameters
    ----------
    %(real_generated_plot)s
    picks : str | list of str | None
        Channel name(s); None = the first occipital channel (name starting
        with "O" or holding "PO"/"Oz"), else the first channel.
    %(show_plot)s

    Returns
    -------
    %(fig_plot)s
    """
    from .metrics import spectral_parameters

    real, generated = _pair(real, generated)
    fits = {
        name: spectral_parameters(inst, verbose=False)
        for name, inst in (("real", real), ("generated", generated))
    }
    chans = [str(c) for c in fits["real"].channel.values]
    if picks is None:
        occ = fits["real"].occipital.values
        picks = [chans[int(np.argmax(occ))]]
    picks = [picks] if isinstance(picks, str) else list(picks)
    bad = [p for p in picks if p not in chans]
    if bad or not picks:
        raise ValueError(
            f"picks must name good EEG channels, got {bad or picks}; choose from "
            f"{chans[:10]}..."
        )
    fig, axes = plt.subplots(
        len(picks),
        2,
        figsize=(8, 3.2 * len(picks)),
        sharey="row",
        layout="constrained",
        squeeze=False,
    )
    for row, ch in enumerate(picks):
        for col, (name, fit) in enumerate(fits.items()):
            sel = fit.sel(channel=ch)
            ax, freqs = axes[row, col], fit.freq.values
            ax.loglog(freqs, sel.psd * 1e12, color=_COLORS[name], label="PSD")
            ax.loglog(freqs, sel.model_fit * 1e12, color="C0", label="specparam fit")
            ax.loglog(freqs, sel.aperiodic_fit * 1e12, "k--", label="aperiodic")
            ratio = float(sel.alpha_peak_ratio)
            alpha = "no alpha peak" if np.isnan(ratio) else f"alpha x{ratio:.1f}"
            ax.set_title(
                f"{name} {ch}: exponent {float(sel.exponent):.2f}, {alpha}",
                fontsize=9,
            )
            ax.set(xlabel="Frequency (Hz)", ylabel="PSD (µV²/Hz)")
    axes[0, 0].legend(fontsize=8)
    return _show(fig, show)
