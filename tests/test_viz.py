"""Each plot returns a Figure (Agg backend) and refuses bad input clearly."""

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd
import pytest

from mne_video2eeg import metrics, viz


@pytest.fixture(scope="module")
def pair(seed_info):
    rng = np.random.default_rng(0)
    n = 6
    md = pd.DataFrame(
        {
            "video": [f"clip_{k % 3}.avi" for k in range(n)],
            "subject": ["01"] * n,
            "emotion": ["negative", "neutral", "positive"] * 2,
        }
    )
    real = mne.EpochsArray(
        rng.standard_normal((n, 62, 400)) * 1e-5, seed_info, metadata=md, verbose=False
    )
    gen = mne.EpochsArray(
        rng.standard_normal((n, 62, 400)) * 2e-5,
        seed_info,
        metadata=md.assign(sample=[0, 0, 0, 1, 1, 1]),
        verbose=False,
    )
    return real, gen


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_plot_psd_comparison(pair):
    fig = viz.plot_psd_comparison(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "real",
        "generated",
    ]
    # generated is twice as large: ~6 dB above the real line
    real_line, gen_line = ax.get_lines()[:2]
    diff = gen_line.get_ydata() - real_line.get_ydata()
    assert np.median(diff) == pytest.approx(6.0, abs=1.0)


def test_plot_band_similarity(pair):
    fig = viz.plot_band_similarity(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes[0].patches) == 10  # level + topography, 5 bands
    scores = metrics.evaluate(*pair, metrics=["band_similarity"], verbose=False)
    fig2 = viz.plot_band_similarity(scores, show=False)
    assert isinstance(fig2, plt.Figure)
    with pytest.raises(ValueError, match="pass the generated"):
        viz.plot_band_similarity(pair[0], show=False)


def test_plot_band_topomaps(pair):
    fig = viz.plot_band_topomaps(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 10
    info = mne.create_info(pair[0].ch_names, 200.0, "eeg")  # no montage
    nopos = mne.EpochsArray(pair[0].get_data(), info, verbose=False)
    with pytest.raises(ValueError, match="needs channel positions.*set_montage"):
        viz.plot_band_topomaps(nopos, nopos, show=False)


def test_plot_traces(pair):
    fig = viz.plot_traces(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 4
    fig = viz.plot_traces(*pair, video="clip_2.avi", picks=["OZ", "PZ"], show=False)
    assert [ax.get_ylabel().split("\n")[0] for ax in fig.axes] == ["OZ", "PZ"]
    assert "clip_2.avi" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="not in both"):
        viz.plot_traces(*pair, video="nope.avi", show=False)
    with pytest.raises(TypeError, match="mne.Epochs"):
        viz.plot_traces(pair[0].get_data(), pair[1], show=False)
