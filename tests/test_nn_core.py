"""Tests of the SPGN denoiser, conditioning and diffusion (tiny configs)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mne_video2eeg.nn import VideoEEGDenoiser, VideoEEGDiffusion  # noqa: E402

N_FEAT, N_FRAMES, N_SUBJ = 5, 8, 2


def _graphs(n_channels, seed=0):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n_channels, 3))
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    a_e = np.exp(-(dist**2))
    np.fill_diagonal(a_e, 0)
    a_s = np.abs(np.corrcoef(rng.normal(size=(n_channels, 50))))
    np.fill_diagonal(a_s, 0)
    return {"electrode": a_e, "signal": a_s}


def _make(n_channels=8, n_times=64, seed=0, **kw):
    params = dict(
        n_channels=n_channels,
        n_times=n_times,
        sfreq=100.0,
        n_video_features=N_FEAT,
        n_subjects=N_SUBJ,
        graphs=_graphs(n_channels),
        occipital_idx=[n_channels - 2, n_channels - 1],
        width=16,
        depth=2,
        patch_size=8,
        n_heads=2,
        lag_width=8,
    )
    params.update(kw)
    with torch.random.fork_rng():  # local seeding of the weight init
        torch.manual_seed(seed)
        return VideoEEGDenoiser(**params)


def _cond(b, n_channels=8, seed=0, ref=False):
    g = torch.Generator().manual_seed(seed)
    cond = dict(
        video=torch.randn(b, N_FRAMES, N_FEAT, generator=g),
        video_time=torch.arange(N_FRAMES) / 8.0,
        subject=torch.arange(b) % (N_SUBJ + 1),
    )
    if ref:
        cond["ref_eeg"] = torch.randn(b, n_channels, 50, generator=g)
    return cond


@pytest.mark.parametrize(
    "n_channels,n_times,patch", [(8, 64, 8), (12, 100, 25), (5, 70, 16)]
)
def test_shapes(n_channels, n_times, patch):
    den = _make(n_channels, n_times, patch_size=patch)
    x = torch.randn(3, n_channels, n_times)
    out = den(x, torch.tensor([0, 10, 999]), _cond(3, n_channels, ref=True))
    assert out.shape == x.shape
    assert torch.isfinite(out).all()
    model = VideoEEGDiffusion(den)
    loss, logs = model.loss(x, _cond(3, n_channels), generator=torch.Generator())
    assert loss.ndim == 0 and {"loss", "mse", "trf_mse", "disc_loss"} <= set(logs)
    samp = model.sample(_cond(2, n_channels), n_steps=3)
    assert samp.shape == (2, n_channels, n_times)


def _eval_out(den, seed=0):
    den.eval()
    x = torch.randn(2, 8, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return den(x, torch.tensor([5, 500]), _cond(2))


@pytest.mark.parametrize(
    "switch",
    [
        dict(spatial_attention=False),
        dict(self_play=False),
        dict(use_graphs=["electrode"]),
        dict(use_graphs=["signal"]),
        dict(cross_attention=False),
        dict(lag_path=False),
        dict(n_filters=2),
    ],
)
def test_switches_change_computation(switch):
    ref = _eval_out(_make())
    other = _eval_out(_make(**switch))
    assert other.shape == ref.shape
    assert not torch.allclose(ref, other)


def test_graph_da_train_only():
    den = _make(da_noise_std=0.5, da_node_drop=0.3, cond_drop_prob=0.0)
    x = torch.randn(2, 8, 64)
    t = torch.tensor([5, 500])
    cond = _cond(2)
    den.eval()
    with torch.no_grad():
        e1, e2 = den(x, t, cond), den(x, t, cond)
    assert torch.equal(e1, e2)  # no augmentation at inference
    den.train()
    with torch.no_grad():
        t1 = den(x, t, cond, generator=torch.Generator().manual_seed(0))
        t2 = den(x, t, cond, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(t1, t2)  # augmentation in training
    off = _make(graph_da=False, cond_drop_prob=0.0).train()
    with torch.no_grad():
        o1 = off(x, t, cond, generator=torch.Generator().manual_seed(0))
        o2 = off(x, t, cond, generator=torch.Generator().manual_seed(1))
    assert torch.equal(o1, o2)


def test_gradients_reach_all_parameters():
    den = _make(cond_drop_prob=0.5)
    model = VideoEEGDiffusion(den).train()
    # batch with both dropped and kept samples (CFG), ref EEG given
    loss, _ = model.loss(
        torch.randn(8, 8, 64),
        _cond(8, ref=True),
        generator=torch.Generator().manual_seed(3),
    )
    loss.backward()
    missing = [
        n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()
    ]
    assert missing == []


@pytest.mark.parametrize("term", ["mse", "disc_loss", "trf_mse"])
def test_population_embedding_learns_from_every_loss_term(term):
    """Subject dropout trains the unknown row in every path, on known subjects."""
    den = _make(cond_drop_prob=0.0)  # no CFG drop: only subject dropout
    model = VideoEEGDiffusion(den, subject_drop_prob=0.5).train()
    cond = _cond(8)
    cond["subject"] = torch.arange(8) % N_SUBJ  # training subjects only
    terms, _ = model.loss_terms(
        torch.randn(8, 8, 64), cond, generator=torch.Generator().manual_seed(0)
    )
    terms[term].backward()
    unknown = den.cond.subject_embed.weight.grad[-1]
    assert unknown.abs().sum() > 0
    # without subject dropout the unknown row gets nothing
    den.zero_grad()
    model.subject_drop_prob = 0.0
    terms, _ = model.loss_terms(
        torch.randn(8, 8, 64), cond, generator=torch.Generator().manual_seed(0)
    )
    terms[term].backward()
    grad = den.cond.subject_embed.weight.grad
    assert grad is None or not grad[-1].any()


def test_gradients_when_switched_off():
    # legitimately gradient-free: nothing. Switched-off parts are not built.
    den = _make(self_play=False, spatial_attention=False, ref_encoder=False)
    names = [n for n, _ in den.named_parameters()]
    assert not any(
        ".fusion." in n or ".attn." in n or "ref_encoder" in n for n in names
    )
    model = VideoEEGDiffusion(den, trf_weight=0.0, residual=False)
    loss, logs = model.loss(torch.randn(4, 8, 64), _cond(4), generator=None)
    assert "disc_loss" not in logs
    loss.backward()
    # without ref EEG in cond, without CFG drop the unknown-subject row is
    # unused; the expected-EEG map's head learns from its regression only (the
    # denoiser gets a detached copy), so without it that head alone is idle
    idle = [n for n, p in model.named_parameters() if p.grad is None]
    assert idle == ["denoiser.cond.trf.weight", "denoiser.cond.trf.bias"]


def test_deterministic_cpu():
    def run():
        den = _make(seed=4)
        model = VideoEEGDiffusion(den)
        g = torch.Generator().manual_seed(0)
        loss, _ = model.loss(torch.ones(4, 8, 64), _cond(4), generator=g)
        s = model.sample(
            _cond(2), n_steps=4, generator=torch.Generator().manual_seed(2)
        )
        return loss.detach(), s

    (l1, s1), (l2, s2) = run(), run()
    assert torch.equal(l1, l2) and torch.equal(s1, s2)


@pytest.mark.parametrize("sampler", ["trigflow", "ddim", "dpmsolver", "ddpm"])
def test_samplers_and_guidance(sampler):
    model = VideoEEGDiffusion(_make())
    kw = dict(n_steps=4, sampler=sampler)
    base = model.sample(_cond(2), generator=torch.Generator().manual_seed(0), **kw)
    again = model.sample(_cond(2), generator=torch.Generator().manual_seed(0), **kw)
    guided = model.sample(
        _cond(2), generator=torch.Generator().manual_seed(0), guidance_scale=3.0, **kw
    )
    assert torch.equal(base, again)
    assert not torch.allclose(base, guided)
    assert torch.isfinite(guided).all()


def test_bad_input():
    with pytest.raises(ValueError, match=r"shape \(8, 8\).*got \(7, 7\)"):
        _make(graphs={"electrode": np.ones((7, 7))})
    with pytest.raises(ValueError, match="use_graphs"):
        _make(use_graphs=["nope"])
    den = _make()
    x = torch.randn(2, 8, 64)
    t = torch.tensor([1, 2])
    bad = _cond(2)
    bad["video"] = torch.randn(2, N_FRAMES, N_FEAT + 1)
    with pytest.raises(
        ValueError, match=rf"n_video_features={N_FEAT}.*got \(2, 8, 6\)"
    ):
        den(x, t, bad)
    bad = _cond(2)
    bad["subject"] = torch.tensor([0, N_SUBJ + 1])
    with pytest.raises(ValueError, match=rf"\[0, {N_SUBJ}\].*got values in \[0, 3\]"):
        den(x, t, bad)
    with pytest.raises(ValueError, match=r"x_t must have shape \(batch, 8, 64\)"):
        den(torch.randn(2, 8, 60), t, _cond(2))
    bad = _cond(2)
    bad["video_time"] = torch.arange(3.0)
    with pytest.raises(ValueError, match="video_time must have shape"):
        den(x, t, bad)
    with pytest.raises(ValueError, match="sampler"):
        VideoEEGDiffusion(den).sample(_cond(2), sampler="euler")


def test_video_mask_and_time_alignment():
    den = _make().eval()
    cond = _cond(2)
    x = torch.randn(2, 8, 64)
    t = torch.tensor([3, 3])
    with torch.no_grad():
        out = den(x, t, cond)
        # masked (NaN-padded) frames are ignored: NaNs do not propagate
        nan = dict(cond, video=cond["video"].clone())
        nan["video"][:, -2:] = float("nan")
        nan["video_mask"] = torch.ones(2, N_FRAMES, dtype=torch.bool)
        nan["video_mask"][:, -2:] = False
        out_nan = den(x, t, nan)
        # shifting the video in time changes the prediction
        shifted = dict(cond, video_time=cond["video_time"] + 0.2)
        out_shift = den(x, t, shifted)
    assert torch.isfinite(out_nan).all()
    assert not torch.allclose(out, out_shift)


@pytest.mark.parametrize("guidance_scale", [1.0, 2.0])
def test_cpu_micro_batches_same_output(monkeypatch, guidance_scale):
    """Denoiser calls in row chunks (CPU speed) give the whole-batch output."""
    import mne_video2eeg.nn.sampling as diffusion

    model = VideoEEGDiffusion(_make())
    kw = dict(n_steps=3, sampler="dpmsolver", guidance_scale=guidance_scale)
    monkeypatch.setattr(diffusion, "CPU_MICRO_BATCH", 2)
    chunked = model.sample(_cond(5), generator=torch.Generator().manual_seed(0), **kw)
    monkeypatch.setattr(diffusion, "CPU_MICRO_BATCH", 1000)
    whole = model.sample(_cond(5), generator=torch.Generator().manual_seed(0), **kw)
    torch.testing.assert_close(chunked, whole, rtol=1e-5, atol=1e-6)


def test_cpu_chunks_in_parallel_workers_same_output(monkeypatch):
    """Chunks on a pool of 1-thread workers: same output, thread count restored."""
    import mne_video2eeg.nn.sampling as diffusion

    model = VideoEEGDiffusion(_make())
    monkeypatch.setattr(diffusion, "CPU_MICRO_BATCH", 2)
    n_threads = torch.get_num_threads()
    seen = []
    real = model.denoiser.forward

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(model.denoiser, "forward", spy)
    kw = dict(n_steps=3, sampler="dpmsolver")
    torch.set_num_threads(2)
    try:
        gen = torch.Generator().manual_seed(0)
        pooled = model.sample(_cond(7), generator=gen, **kw)
        assert torch.get_num_threads() == 2 and set(seen) == {1}
        torch.set_num_threads(1)  # one thread: chunks in turn, no pool
        seq = model.sample(_cond(7), generator=torch.Generator().manual_seed(0), **kw)
    finally:
        torch.set_num_threads(n_threads)
    torch.testing.assert_close(pooled, seq, rtol=1e-5, atol=1e-6)
