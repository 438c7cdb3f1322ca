"""Generation keeps peak memory flat: output + one batch, for any clip count."""

import gc
import tracemalloc

import numpy as np
import pytest
from _tiny import TINY_GENERATOR, video_eeg_pair

pytest.importorskip("torch")

from mne_video2eeg import Video2EEGGenerator  # noqa: E402

SFREQ, N_TIMES = 100.0, 200


def _pair(n_videos, seed=0):
    return video_eeg_pair(
        n_videos, n_times=N_TIMES, sfreq=SFREQ, n_frames=4, scale=5e-6, seed=seed
    )


def _features(n_videos, seed):
    return _pair(n_videos, seed)[0]


#: The tiny generator with 20-sample tokens (10 per 2-s clip).
PARAMS = dict(TINY_GENERATOR, module__patch_size=20, sfreq=SFREQ)


@pytest.fixture(scope="module")
def fitted():
    feats, epochs = _pair(4)
    return Video2EEGGenerator(**PARAMS).fit(feats, epochs), feats


def _overhead(gen, n_videos, batch_size):
    """Traced peak during generate minus the returned data (bytes)."""
    feats = _features(n_videos, 1)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        epochs = gen.generate(feats, batch_size=batch_size, random_state=0)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    data_bytes = epochs.get_data(copy=False).nbytes
    assert len(epochs) == n_videos
    return peak - data_bytes, data_bytes


def test_generate_peak_memory_flat(fitted):
    """4x more clips: the peak beyond the output itself barely moves."""
    gen, _ = fitted
    batch = 8
    _overhead(gen, 8, batch)  # one-off allocations (lazy imports, caches)
    small, small_data = _overhead(gen, 32, batch)
    large, large_data = _overhead(gen, 128, batch)
    assert large_data == 4 * small_data
    one_batch = small_data // 32 * batch
    # the output is the only O(n_clips) array; the rest (per-epoch metadata,
    # events, feature tokens: ~1 kB per clip) must stay well below a copy of
    # the output (a list of batches + concatenate + float64 copies would add
    # 2-3x the output growth, i.e. > 3.5 MB here)
    grown = large - small
    print(f"overhead {small} -> {large} B; data {small_data} -> {large_data} B")
    assert grown < 0.1 * (large_data - small_data), (grown, small, large)
    # one batch's working set: the network's, and the mean model's design
    # (expected_eeg="mtrf"; float64, an onset column per sample + lagged
    # features), which is made per batch too
    mtrf = gen.mean_model_
    n_columns = mtrf.n_onset_ + len(mtrf.lags_) * len(mtrf.regressors_)
    design = batch * N_TIMES * n_columns * 8
    assert small < 4 * one_batch + 3 * design + 2 * 2**20, (small, one_batch, design)


cuda = pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA device"
)


@pytest.mark.cuda
@cuda
def test_cuda_fit_generate_end_to_end(fitted, tmp_path):
    """device="cuda": fit, generate (flat GPU memory), save/read round trip."""
    import torch

    from mne_video2eeg import read_generator

    feats, epochs = _pair(4)
    gen = Video2EEGGenerator(**dict(PARAMS, n_epochs=2, device="cuda")).fit(
        feats, epochs
    )
    assert next(gen.module_.parameters()).is_cuda
    peaks = []
    for n_videos in (16, 64):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        out = gen.generate(_features(n_videos, 2), batch_size=8, random_state=0)
        torch.cuda.synchronize()
        peaks.append(torch.cuda.max_memory_allocated())
        assert len(out) == n_videos and np.isfinite(out.get_data()).all()
    # GPU memory holds one batch at a time: 4x the clips, same peak
    assert peaks[1] <= peaks[0] * 1.1 + 2**20, peaks
    back = read_generator(gen.save(tmp_path / "gen.pt"), device="cuda")
    assert next(back.module_.parameters()).is_cuda
    a = gen.generate(feats, random_state=1).get_data()
    np.testing.assert_allclose(back.generate(feats, random_state=1).get_data(), a)


@pytest.mark.cuda
@cuda
def test_cuda_sampling_matches_cpu_shapes():
    """The sampler runs on CUDA with a CUDA generator; output is finite."""
    import torch

    from mne_video2eeg.nn import VideoEEGDenoiser, VideoEEGDiffusion
    from mne_video2eeg.nn.sampling import sample_batched

    adj = np.ones((6, 6))
    den = VideoEEGDenoiser(
        n_channels=6, n_times=40, sfreq=100.0, n_video_features=3, n_subjects=1,
        graphs={"electrode": adj, "signal": adj}, width=8, depth=1, patch_size=10,
        n_heads=2, lag_width=4,
    )  # fmt: skip
    model = VideoEEGDiffusion(den).to("cuda").eval()
    cond = dict(
        video=torch.randn(5, 2, 3),
        video_time=torch.arange(2) / 2.0,
        subject=torch.zeros(5, dtype=torch.long),
    )
    for sampler in ("trigflow", "dpmsolver", "ddim", "ddpm"):
        out = sample_batched(model, cond, batch_size=2, n_steps=3, sampler=sampler)
        assert out.shape == (5, 6, 40) and np.isfinite(out).all()
