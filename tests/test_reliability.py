"""Issue 10: bad input, atomic files, property tests and a soak run."""

import tracemalloc

import mne
import numpy as np
import pytest
import torch
from _tiny import TINY_GENERATOR, video_eeg_pair
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mne_video2eeg import Video2EEGGenerator, make_seed_montage, read_generator
from mne_video2eeg.graphs import make_electrode_graph, make_signal_graph
from mne_video2eeg.metrics import (
    band_similarity,
    covariance_similarity,
    mse,
    pearson_correlation,
    psd_distance,
)

CHANNELS = ["FZ", "CZ", "PZ", "C3", "C4", "O1", "OZ", "O2"]
SFREQ, N_TIMES = 100.0, 100
TINY = dict(TINY_GENERATOR, sfreq=SFREQ)


def _pair(n_videos, *, n_times=N_TIMES, seed=0):
    return video_eeg_pair(
        n_videos, n_times=n_times, sfreq=SFREQ, channels=CHANNELS, seed=seed
    )


@pytest.fixture(scope="module")
def fitted():
    feats, epochs = _pair(4)
    return feats, epochs, Video2EEGGenerator(**TINY).fit(feats, epochs)


def test_extreme_sizes():
    feats, epochs = _pair(1)
    gen = Video2EEGGenerator(**TINY).fit(feats, epochs)  # one clip is enough
    assert len(gen.generate(feats, subject="01")) == 1
    with pytest.raises(ValueError, match="no epochs"):
        Video2EEGGenerator(**TINY).fit(feats, epochs[[]])
    with pytest.raises(ValueError, match="no video"):
        gen.generate(feats.isel(video=[]))
    long_feats, long_epochs = _pair(2, n_times=2000)  # 20-s clips
    gen = Video2EEGGenerator(**{**TINY, "module__patch_size": 100}).fit(
        long_feats, long_epochs
    )
    assert gen.generate(long_feats, subject="01").get_data().shape == (2, 8, 2000)


def test_flat_channel_is_named():
    feats, epochs = _pair(3)
    epochs._data[:, 2] = 0.0
    with pytest.raises(ValueError, match="PZ"):
        Video2EEGGenerator(**TINY).fit(feats, epochs)


def test_save_is_atomic(fitted, tmp_path, monkeypatch):
    feats, _, gen = fitted
    fname = gen.save(tmp_path / "gen.pt")
    before = fname.read_bytes()

    def crash(obj, f, *args, **kwargs):
        with open(f, "wb") as fid:
            fid.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        gen.save(fname, overwrite=True)
    assert fname.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen.pt"]
    monkeypatch.undo()
    assert read_generator(fname, device="cpu").subjects_ == ["01"]


@settings(max_examples=20, deadline=None)
@given(
    n_ch=st.integers(2, 10),
    n_neighbors=st.integers(1, 11),
    seed=st.integers(0, 2**16),
)
def test_electrode_graph_properties(n_ch, n_neighbors, seed):
    names = list(np.random.default_rng(seed).permutation(CHANNELS + ["P3", "P4"]))
    info = mne.create_info(names[:n_ch], 100.0, "eeg")
    info.set_montage(make_seed_montage())
    adj = make_electrode_graph(info, n_neighbors=min(n_neighbors, n_ch - 1))
    assert adj.shape == (n_ch, n_ch)
    assert np.isfinite(adj).all() and (adj >= 0).all()
    np.testing.assert_allclose(adj, adj.T)
    assert (np.diag(adj) == 0).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_epochs=st.integers(1, 4),
    n_ch=st.integers(2, 6),
    scale=st.floats(1e-7, 1e-3),
    seed=st.integers(0, 2**16),
)
def test_signal_graph_and_metric_bounds(n_epochs, n_ch, scale, seed):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n_epochs, n_ch, 200)) * scale
    gen = rng.standard_normal((n_epochs, n_ch, 200)) * scale * rng.uniform(0.2, 5)
    adj = make_signal_graph(real, sfreq=100.0)
    assert np.isfinite(adj).all() and (adj >= 0).all() and (adj <= 1 + 1e-9).all()
    np.testing.assert_allclose(adj, adj.T, atol=1e-12)
    r = pearson_correlation(real, gen, sfreq=100.0, verbose=False)
    assert -1 <= r <= 1
    assert mse(real, gen, sfreq=100.0, verbose=False) >= 0
    assert psd_distance(real, gen, sfreq=100.0, verbose=False) >= 0
    bands = band_similarity(real, gen, sfreq=100.0, verbose=False)
    level = bands["level"].values
    assert np.all((level >= 0) & (level <= 1))
    if n_ch > 2:
        assert -1 <= covariance_similarity(real, gen, sfreq=100.0) <= 1


@pytest.mark.slow
def test_soak_generate_memory_flat(fitted):
    feats, _, gen = fitted
    one = feats.isel(video=[0])
    for _ in range(5):  # warm up allocator caches and lazy imports
        gen.generate(one, subject="01", verbose=False)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(200):
        gen.generate(one, subject="01", verbose=False)
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 2_000_000, f"Python heap grew by {grown} bytes over 200 calls"
