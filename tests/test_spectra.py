"""Spectral whitening of the diffusion: known answers, exact inverse, v = 0 prior."""

import numpy as np
import pytest

from mne_video2eeg.spectra import fit_amplitude_spectra

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


def _diffusion(whiten=True):
    from mne_video2eeg.nn import VideoEEGDenoiser, VideoEEGDiffusion

    adj = np.ones((4, 4)) - np.eye(4)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        den = VideoEEGDenoiser(
            n_channels=4, n_times=64, sfreq=100.0, n_video_features=3,
            n_subjects=2, graphs={"electrode": adj, "signal": adj}, width=8,
            depth=1, patch_size=8, n_heads=2, lag_width=4,
        )  # fmt: skip
    return VideoEEGDiffusion(den, whiten=whiten)


def test_whitening_is_exactly_invertible_and_per_subject():
    model = _diffusion()
    rng = np.random.default_rng(1)
    amp = rng.uniform(0.1, 3.0, size=model.amplitude.shape)
    model.set_whitening(amp)
    x = torch.randn(6, 4, 64, generator=torch.Generator().manual_seed(0))
    subject = torch.tensor([0, 1, 2, 0, 1, 2])
    white = model.whiten_eeg(x, subject)
    back = model.whiten_eeg(white, subject, inverse=True)
    torch.testing.assert_close(back, x, atol=1e-5, rtol=1e-5)
    # each row used its own subject's spectrum
    one = model.whiten_eeg(x[1:2], torch.tensor([1]))
    torch.testing.assert_close(white[1:2], one)
    assert not torch.allclose(white[0], model.whiten_eeg(x[:1], torch.tensor([1]))[0])
    # whiten=False is the identity, and bad spectra are refused
    assert _diffusion(whiten=False).whiten_eeg(x, subject) is x
    with pytest.raises(ValueError, match="shape"):
        model.set_whitening(np.ones((2, 4, 33)))
    with pytest.raises(ValueError, match="strictly positive"):
        model.set_whitening(np.zeros(model.amplitude.shape))


def test_whitened_prior_samples_the_spectrum():
    """A network predicting v = 0 (the optimum for white data) samples the spectra.

    The default sampler integrates dx/dtheta = v, so with v = 0 it returns its
    white-noise start exactly; coloured back, each channel has the subject's
    power spectrum.
    """
    model = _diffusion()
    model.residual = False
    freqs = np.fft.rfftfreq(64)
    amp = np.broadcast_to(
        (1.0 / np.sqrt(np.maximum(freqs, freqs[1])))[None, None]
        * np.array([1.0, 2.0, 0.5, 1.5])[None, :, None],
        model.amplitude.shape,
    )
    model.set_whitening(amp)
    model.denoiser.forward = lambda x, t, *a, **k: torch.zeros_like(x)
    n = 512
    cond = dict(
        video=torch.zeros(n, 2, 3),
        video_time=torch.arange(2) / 2.0,
        subject=torch.zeros(n, dtype=torch.long),
    )
    x = model.sample(cond, n_steps=5, generator=torch.Generator().manual_seed(0))
    power = (torch.fft.rfft(x, dim=-1).abs() ** 2).mean(0).numpy() / 64
    ratio = power[:, 1:-1] / amp[0, :, 1:-1] ** 2
    # 512 draws: ~6 % sampling error per bin, ~1 % on the median; the solver
    # itself loses nothing (DPM-Solver++ at 10 steps lost ~5 %)
    assert 0.95 < np.median(ratio) < 1.05, np.median(ratio)
    np.testing.assert_allclose(np.median(ratio, axis=1), np.median(ratio), rtol=0.1)
