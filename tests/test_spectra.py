"""The Gaussian part: known cross-spectra, exact inverse, v = 0 samples them."""

import numpy as np
import pytest

from mne_video2eeg.spectra import CrossSpectralModel, fit_amplitude_spectra

torch = pytest.importorskip("torch")


def _coloured(rng, n_epochs, n_channels, n_times, gains):
    """White noise through a per-channel 1/f-like filter, scaled by ``gains``."""
    freqs = np.fft.rfftfreq(n_times)
    shape = 1.0 / np.sqrt(np.maximum(freqs, freqs[1]))
    spec = np.fft.rfft(rng.standard_normal((n_epochs, n_channels, n_times)), axis=-1)
    return np.fft.irfft(spec * shape, n=n_times, axis=-1) * np.asarray(gains)[:, None]


def test_fit_amplitude_spectra_known_answers():
    rng = np.random.default_rng(0)
    n_t = 128
    a = _coloured(rng, 400, 3, n_t, [1.0, 2.0, 0.5])
    b = 3.0 * _coloured(rng, 400, 3, n_t, [1.0, 2.0, 0.5])
    amp = fit_amplitude_spectra(
        np.concatenate([a, b]), np.repeat([0, 1], 400), 2, smooth_bins=1
    )
    assert amp.shape == (3, 3, n_t // 2 + 1) and amp.dtype == np.float32
    freqs = np.fft.rfftfreq(n_t)
    expected = 1.0 / np.sqrt(np.maximum(freqs, freqs[1]))
    # group 0: the filter's amplitude x channel gain (400 epochs: ~5 % error)
    mid = slice(2, -2)
    for ch, gain in enumerate([1.0, 2.0, 0.5]):
        ratio = amp[0, ch, mid] / (gain * expected[mid])
        assert abs(np.median(ratio) - 1) < 0.05
    # group 1 is 3x group 0; the population row is their geometric mean
    assert abs(np.median(amp[1] / amp[0]) - 3.0) < 0.15
    np.testing.assert_allclose(amp[2], np.sqrt(amp[0] * amp[1]), rtol=1e-5)
    # whitened by its spectrum, each channel has unit power in every bin
    spec = np.fft.rfft(a, axis=-1) / amp[0]
    power = (np.abs(spec) ** 2).mean(0) / n_t
    np.testing.assert_allclose(power.mean(-1), 1.0, rtol=1e-5)
    # smoothing averages neighbouring bins, and a flat channel does not divide by 0
    flat = a.copy()
    flat[:, 1] = 0.0
    amp_s = fit_amplitude_spectra(flat, np.zeros(400, int), 1, smooth_bins=5)
    assert np.isfinite(amp_s).all() and (amp_s > 0).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data=np.zeros((0, 2, 8)), groups=np.zeros(0, int)), "at least one"),
        (dict(groups=np.zeros(3)), "integer per epoch"),
        (dict(groups=np.array([0, 0, 2])), "cover range"),
        (dict(n_groups=0), "n_groups"),
        (dict(smooth_bins=0), "smooth_bins"),
    ],
)
def test_fit_amplitude_spectra_bad_input(kwargs, match):
    args = dict(data=np.ones((3, 2, 8)), groups=np.array([0, 1, 1]), n_groups=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_amplitude_spectra(args.pop("data"), args.pop("groups"), **args)


# a volume-conduction-like mixing: neighbours share 0.6-0.8 of their sources
_MIX = np.array(
    [
        [1.0, 0.8, 0.5, 0.2],
        [0.0, 1.0, 0.6, 0.3],
        [0.0, 0.0, 1.0, 0.7],
        [0.0, 0.0, 0.0, 1.0],
    ]
).T


def _mixed(rng, n_epochs, n_times=128, gain=1.0):
    """1/f-coloured sources mixed by ``_MIX``: cross-spectrum known in closed form.

    ``S(f) = gain^2 |h(f)|^2 M M^T`` with ``h`` the source filter; coherency
    ``M M^T`` normalised, the same at every frequency.
    """
    sources = _coloured(rng, n_epochs, 4, n_times, np.ones(4))
    return gain * np.einsum("cd,ndt->nct", _MIX, sources)


def _true_coherency():
    cov = _MIX @ _MIX.T
    d = np.sqrt(np.diag(cov))
    return cov / np.outer(d, d)


@pytest.mark.parametrize("n_epochs", [20, 2000])
def test_cross_spectral_model_known_answers(n_epochs):
    """40 s (20 clips) to thousands of clips: spectra, coherency, exact inverse."""
    rng = np.random.default_rng(0)
    x = _mixed(rng, n_epochs)
    model = CrossSpectralModel().fit(x)
    n_freqs = 128 // 2 + 1
    assert model.colouring_.shape == (2, n_freqs, 4, 4)
    # the coherency is the mixing's at every frequency; shrinkage towards the
    # identity is what little data needs (LW: large at 20 clips, ~0 at 2000)
    true = _true_coherency()
    err = np.abs(model.coherency_[0, 2:-2] - true).max()
    lam = np.median(model.shrinkage_[0])
    if n_epochs == 20:
        assert 0.02 < lam < 0.6 and err < 0.35, (lam, err)
    else:
        assert lam < 0.02 and err < 0.08, (lam, err)
    # whitening and colouring are exact inverses; whitened data are white
    white = model.whiten(x)
    np.testing.assert_allclose(model.colour(white), x, atol=1e-5 * np.abs(x).max())
    if n_epochs == 2000:
        flat = white.transpose(1, 0, 2).reshape(4, -1)
        np.testing.assert_allclose(np.cov(flat), np.eye(4), atol=0.06)
    # samples have the fitted cross-spectrum: channel correlation and s.d.
    draws = model.sample(4000, random_state=1)
    flat_x = x.transpose(1, 0, 2).reshape(4, -1)
    flat_s = draws.transpose(1, 0, 2).reshape(4, -1)
    tol = 0.25 if n_epochs == 20 else 0.05
    np.testing.assert_allclose(np.corrcoef(flat_s), np.corrcoef(flat_x), atol=tol)
    np.testing.assert_allclose(flat_s.std(1), flat_x.std(1), rtol=tol)


def test_cross_spectral_model_groups_population_and_spectral_mode():
    rng = np.random.default_rng(2)
    x = np.concatenate([_mixed(rng, 300), _mixed(rng, 300, gain=3.0)])
    groups = np.repeat([0, 1], 300)
    model = CrossSpectralModel(random_state=0).fit(x, groups)
    s0, s1, pop = (model.cross_spectrum(g) for g in (0, 1, None))
    # group 1 has 9x the power; the population is the groups' mean
    ratio = np.real(np.einsum("fcc->fc", s1) / np.einsum("fcc->fc", s0))
    assert abs(np.median(ratio) - 9.0) < 0.9
    np.testing.assert_allclose(pop, (s0 + s1) / 2, rtol=1e-6, atol=1e-12)
    # each clip is whitened with its own group's matrices
    white = model.whiten(x[[0, 300]], [0, 1])
    np.testing.assert_allclose(white[1], model.whiten(x[[300]], 1)[0])
    assert not np.allclose(white[1], model.whiten(x[[300]], 0)[0])
    # shrinkage=1: independent channels with their own spectra (the previous
    # per-channel whitening)
    diag = CrossSpectralModel(shrinkage=1.0).fit(x, groups)
    np.testing.assert_allclose(
        diag.coherency_[0], np.broadcast_to(np.eye(4), diag.coherency_[0].shape)
    )
    np.testing.assert_allclose(diag.power_[:2], model.power_[:2])
    # rebuilt from the colouring (as a checkpoint does): the same model
    back = CrossSpectralModel.from_colouring(model.colouring_, n_times=128)
    np.testing.assert_allclose(back.cross_spectrum(1), s1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(back.whiten(x[:3], 0), model.whiten(x[:3], 0), atol=1e-4)


def test_cross_spectral_model_leaves_out_artefact_clips():
    """One clip 40x as strong (an electrode pop) does not inflate the power."""
    rng = np.random.default_rng(6)
    x = _mixed(rng, 60)
    x[7] *= np.sqrt(40.0)
    robust = CrossSpectralModel().fit(x)
    assert np.flatnonzero(robust.outliers_).tolist() == [7]
    clean = CrossSpectralModel().fit(np.delete(x, 7, axis=0))
    np.testing.assert_allclose(robust.power_, clean.power_)
    naive = CrossSpectralModel(outlier_threshold=None).fit(x)
    assert not naive.outliers_.any()
    assert np.median(naive.power_[0] / robust.power_[0]) > 1.4


def test_cross_spectral_model_rank_deficient_and_bad_input():
    rng = np.random.default_rng(3)
    x = _mixed(rng, 50)
    x -= x.mean(1, keepdims=True)  # average reference: the channels sum to 0
    model = CrossSpectralModel(shrinkage=0.0).fit(x)
    assert np.isfinite(model.whitening_).all()
    np.testing.assert_allclose(model.colour(model.whiten(x)), x, atol=1e-5)
    with pytest.raises(ValueError, match="shrinkage"):
        CrossSpectralModel(shrinkage=2).fit(x)
    with pytest.raises(ValueError, match="outlier_threshold"):
        CrossSpectralModel(outlier_threshold=-1).fit(x)
    with pytest.raises(ValueError, match="coherence_bins"):
        CrossSpectralModel(coherence_bins=0).fit(x)
    with pytest.raises(ValueError, match="shape"):
        model.whiten(x[:, :3])
    with pytest.raises(ValueError, match="group"):
        model.sample(2, group=5)
    with pytest.raises(ValueError, match="n_times // 2"):
        CrossSpectralModel.from_colouring(model.colouring_, n_times=64)


def _diffusion(whiten=True):
    from mne_video2eeg.nn import VideoEEGDenoiser, VideoEEGDiffusion

    adj = np.ones((4, 4)) - np.eye(4)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        den = VideoEEGDenoiser(
            n_channels=4, n_times=128, sfreq=100.0, n_video_features=3,
            n_subjects=2, graphs={"electrode": adj, "signal": adj}, width=8,
            depth=1, patch_size=8, n_heads=2, lag_width=4,
        )  # fmt: skip
    return VideoEEGDiffusion(den, whiten=whiten)


def test_whitening_is_exactly_invertible_per_subject_and_saved():
    model = _diffusion()
    rng = np.random.default_rng(1)
    x = np.concatenate([_mixed(rng, 100), _mixed(rng, 100, gain=2.0)])
    spectral = CrossSpectralModel().fit(x, np.repeat([0, 1], 100))
    model.set_whitening(spectral.colouring_)
    xt = torch.tensor(x[[0, 100, 1, 101]], dtype=torch.float32)
    subject = torch.tensor([0, 1, 2, 0])
    white = model.whiten_eeg(xt, subject)
    back = model.whiten_eeg(white, subject, inverse=True)
    torch.testing.assert_close(back, xt, atol=1e-4, rtol=1e-4)
    # the same transform as the numpy model, row by row with its subject
    expected = spectral.whiten(x[[0, 100, 1, 101]], [0, 1, 2, 0])
    np.testing.assert_allclose(white.numpy(), expected, atol=1e-4)
    # only the colouring is saved; the whitening is rebuilt on load
    state = model.state_dict()
    assert "colouring" in state and "whitening" not in state
    fresh = _diffusion()
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.whitening, model.whitening)
    # whiten=False is the identity and stores nothing; bad matrices are refused
    plain = _diffusion(whiten=False)
    assert plain.whiten_eeg(xt, subject) is xt and plain.colouring.numel() == 0
    with pytest.raises(ValueError, match="whiten=False"):
        plain.set_whitening(spectral.colouring_)
    with pytest.raises(ValueError, match="shape"):
        model.set_whitening(spectral.colouring_[:, :3])
    with pytest.raises(ValueError, match="finite"):
        model.set_whitening(np.full(model.colouring.shape, np.nan))


def test_network_predicting_nothing_samples_the_fitted_cross_spectrum():
    """v = 0 (the optimum for white data) samples the Gaussian part exactly.

    The default sampler integrates dx/dtheta = v, so with v = 0 it returns its
    white-noise start; coloured back, the samples have the subject's spectra
    and channel correlations (within sampling error).
    """
    model = _diffusion()
    model.residual = False
    rng = np.random.default_rng(4)
    x = np.concatenate([_mixed(rng, 400), _mixed(rng, 400, gain=2.0)])
    spectral = CrossSpectralModel().fit(x, np.repeat([0, 1], 400))
    model.set_whitening(spectral.colouring_)
    model.denoiser.forward = lambda x, t, *a, **k: torch.zeros_like(x)
    n = 1000
    cond = dict(
        video=torch.zeros(n, 2, 3),
        video_time=torch.arange(2) / 2.0,
        subject=torch.ones(n, dtype=torch.long),
    )
    s = model.sample(cond, n_steps=5, generator=torch.Generator().manual_seed(0))
    s = s.numpy().astype(float)
    spec = np.fft.rfft(s, axis=-1)
    cross = np.einsum("ncf,ndf->fcd", spec, spec.conj()) / (n * 128)
    fitted = spectral.cross_spectrum(1)
    # per-channel power per bin: ~3 % error on the median over bins
    ratio = np.real(np.einsum("fcc->fc", cross) / np.einsum("fcc->fc", fitted))
    assert 0.95 < np.median(ratio) < 1.05, np.median(ratio)
    # channel correlations and amplitude of subject 1 (the 2x group)
    flat_s = s.transpose(1, 0, 2).reshape(4, -1)
    flat_x = x[400:].transpose(1, 0, 2).reshape(4, -1)
    np.testing.assert_allclose(np.corrcoef(flat_s), np.corrcoef(flat_x), atol=0.05)
    np.testing.assert_allclose(flat_s.std(1), flat_x.std(1), rtol=0.05)
