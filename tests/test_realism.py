"""Realism statistics on Gaussian processes whose answers are known."""

import matplotlib.pyplot as plt
import mne
import numpy as np
import pytest
import xarray as xr

from mne_video2eeg import metrics as M
from mne_video2eeg import viz

SFREQ, N_T = 200.0, 400  # 2-s clips, as SEED-DV
NAMES = ["Fp1", "Fz", "F3", "F4", "C3", "Cz", "C4", "P3", "Pz", "P4"]
NAMES += ["POz", "O1", "Oz", "O2"]  # the occipital ones (alpha peak)
N_CH = len(NAMES)


def _info(names=NAMES, sfreq=SFREQ):
    info = mne.create_info(list(names), sfreq, "eeg")
    info.set_montage(mne.channels.make_standard_montage("biosemi64"))
    return info


def _positions(names=NAMES):
    pos = mne.channels.make_standard_montage("biosemi64").get_positions()["ch_pos"]
    return np.array([pos[n] for n in names])


def _sources(rng, n_src, n_clips, *, exponent=2.0, alpha=4.0, band=None, n_t=N_T):
    """Unit-ish noise with PSD f**-exponent * (1 + (alpha - 1) * G(f; 10 Hz, 1 Hz)).

    One continuous signal per source (FFT-shaped), cut into clips of n_t
    samples; ``band`` = (lo, hi) keeps only those frequencies (ideal filter).
    Returns (n_clips, n_src, n_t).
    """
    total = n_clips * n_t
    f = np.fft.rfftfreq(total, 1 / SFREQ)
    power = np.where(f > 0, np.maximum(f, 0.1) ** -exponent, 0.0)
    power *= 1 + (alpha - 1) * np.exp(-((f - 10) ** 2) / 2)
    if band is not None:
        power *= (f >= band[0]) & (f <= band[1])
    spec = np.fft.rfft(rng.standard_normal((n_src, total))) * np.sqrt(power)
    x = np.fft.irfft(spec, n=total)
    x /= x.std()
    return x.reshape(n_src, n_clips, n_t).transpose(1, 0, 2)


def _epochs(data, names=NAMES, sfreq=SFREQ):
    return mne.EpochsArray(data, _info(names, sfreq), verbose=False)


def _mixed(rng, mixing, n_clips, **kw):
    """EEG = mixing @ sources, 10 uV scale: channel covariance ~ mixing mixing^T."""
    src = _sources(rng, mixing.shape[1], n_clips, **kw)
    return _epochs(np.einsum("cs,nst->nct", mixing, src) * 1e-5)


def _avg_ref_corr(cov):
    """Correlation implied by a channel covariance after average reference."""
    h = np.eye(len(cov)) - 1 / len(cov)
    c = h @ cov @ h
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def _distance_mixing(names=NAMES, length=0.05):
    pos = _positions(names)
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    return np.exp(-d / length)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def pair():
    """Two draws of one process (14 channels, 1/f^2 + alpha, distance mixing)."""
    rng = np.random.default_rng(1)
    mix = _distance_mixing()
    return _mixed(rng, mix, 40), _mixed(rng, mix, 40)


# ----------------------------------------------------------------- amplitude


def test_amplitude_known_variances():
    """Independent channels, 5-30 Hz noise (inside the band-pass) of s.d. s_c.

    After average reference var_c = s_c^2 (1 - 2/n) + sum(s^2) / n^2.
    """
    rng = np.random.default_rng(0)
    sd = np.linspace(5e-6, 20e-6, N_CH)
    data = _sources(rng, N_CH, 40, exponent=0.0, alpha=1.0, band=(5, 30))
    data = data / data.std(axis=(0, 2), keepdims=True) * sd[:, None]
    expected = np.median(np.sqrt(sd**2 * (1 - 2 / N_CH) + np.sum(sd**2) / N_CH**2))
    epochs = _epochs(data)
    # the 1-45 Hz band-pass passes the 5-30 Hz band unchanged, also at the
    # edges of the 2-s clips
    assert M.amplitude(epochs, verbose=False) == pytest.approx(expected, rel=0.02)
    assert M.amplitude(epochs, l_freq=None) == pytest.approx(expected, rel=0.02)
    # linear in the data, in Volts
    twice = _epochs(2 * data)
    assert M.amplitude(twice) == pytest.approx(2 * M.amplitude(epochs), rel=1e-9)


# ------------------------------------------------------- spectral parameters


@pytest.mark.parametrize("exponent", [1.0, 2.0])
def test_spectral_parameters_recover_exponent_and_alpha(exponent):
    """1/f^a noise with a x4 alpha peak at 10 Hz: specparam finds a and 4."""
    rng = np.random.default_rng(2)
    epochs = _mixed(rng, np.eye(N_CH), 30, exponent=exponent, alpha=4.0)
    sp = M.spectral_parameters(epochs, verbose=False)
    assert float(sp.exponent_median) == pytest.approx(exponent, abs=0.15)
    np.testing.assert_allclose(sp.exponent, exponent, atol=0.3)
    assert float(sp.alpha_peak_ratio_median) == pytest.approx(4.0, rel=0.25)
    occ = sp.occipital.values
    assert list(sp.channel.values[occ]) == ["POz", "O1", "Oz", "O2"]
    np.testing.assert_allclose(sp.alpha_peak_freq[occ], 10.0, atol=1.0)
    assert (sp.r_squared > 0.95).all()
    assert sp.psd.dims == ("channel", "freq") and sp.freq.min() >= 2
    assert sp.freq.max() <= 40
    # the aperiodic fit lies below the model at the alpha peak
    at10 = sp.sel(freq=10.0)
    assert (at10.model_fit > 2 * at10.aperiodic_fit).all()


def test_spectral_parameters_without_alpha():
    """No alpha peak: ratio NaN on most channels, counted as 1 in the median.

    (specparam fits some noise bumps of a 30-clip PSD as small peaks, ratio
    ~1.2-1.8, on a few channels.)
    """
    rng = np.random.default_rng(3)
    epochs = _mixed(rng, np.eye(N_CH), 30, exponent=2.0, alpha=1.0)
    sp = M.spectral_parameters(epochs, verbose=False)
    assert 1.0 <= float(sp.alpha_peak_ratio_median) < 1.6
    assert int(np.isnan(sp.alpha_peak_ratio).sum()) >= N_CH // 4
    assert float(sp.exponent_median) == pytest.approx(2.0, abs=0.15)


# --------------------------------------------------- correlation by distance


def test_correlation_by_distance_known_mixing():
    """EEG = A @ white sources: cross-spectrum A A^T at every f, r^2 = coherence.

    (White sources: many degrees of freedom per clip, so 60 clips pin r down.)
    """
    rng = np.random.default_rng(9)
    mix = _distance_mixing()
    real = _mixed(rng, mix, 60, exponent=0.0, alpha=1.0)
    cd = M.correlation_by_distance(real, verbose=False)
    rho = _avg_ref_corr(mix @ mix.T)
    np.testing.assert_allclose(cd.correlation, rho, atol=0.03)
    iu = np.triu_indices(N_CH, 1)
    dist = np.linalg.norm(_positions()[:, None] - _positions()[None], axis=-1)[iu]
    np.testing.assert_allclose(cd.pair_distance, dist)  # metres
    assert cd.pair_distance.max() < 0.25
    # the same cross-spectrum shape at every frequency: coherence = rho^2 in
    # every band, per distance bin (+ the estimator's bias, ~1/60 here)
    assert int(cd.n_pairs.sum()) == len(iu[0])
    in_bin = (dist[:, None] >= cd.distance_low.values) & (
        dist[:, None] <= cd.distance_high.values
    )
    expected = (rho[iu][:, None] ** 2 * in_bin).sum(0) / in_bin.sum(0)
    for band in cd.band.values:
        np.testing.assert_allclose(cd.coherence.sel(band=band), expected, atol=0.04)
        np.testing.assert_allclose(
            cd.pair_coherence.sel(band=band), rho[iu] ** 2, atol=0.15
        )
    # neighbours share sources (r > 0); the average reference makes distant
    # pairs anti-correlated (r < 0): both far from 0, so mean |r| ~ mean |rho|
    near = dist <= np.quantile(dist, 0.2)
    far = dist >= np.quantile(dist, 0.8)
    assert (rho[iu][near] > 0.1).all() and (rho[iu][far] < -0.1).all()
    assert float(cd.neighbour) == pytest.approx(np.abs(rho[iu])[near].mean(), abs=0.03)
    assert float(cd.distant) == pytest.approx(np.abs(rho[iu])[far].mean(), abs=0.03)


def test_correlation_by_distance_independent_channels():
    """No mixing: no distance dependence (r = -1/(n-1) from the reference)."""
    rng = np.random.default_rng(4)
    epochs = _mixed(rng, np.eye(N_CH), 60, exponent=0.0, alpha=1.0)
    cd = M.correlation_by_distance(epochs, bins=[0.0, 0.1, 0.3], verbose=False)
    assert float(cd.neighbour) == pytest.approx(float(cd.distant), abs=0.02)
    np.testing.assert_allclose(cd.distance, [0.05, 0.2])
    iu = np.triu_indices(N_CH, 1)
    np.testing.assert_allclose(cd.correlation.values[iu], -1 / (N_CH - 1), atol=0.03)
    # coherence bias of 60 clips: about 1 / 60
    assert (cd.coherence < 0.05).all()


# ------------------------------------------------------- Riemannian distance


def test_riemann_distance_known_answers(pair):
    real, other = pair
    assert M.riemann_distance(real, real) == pytest.approx(0.0, abs=1e-6)
    # one set = the other x s: every covariance x s^2, d = sqrt(n) |log s^2|
    twice = _epochs(2 * real.get_data())
    expected = np.sqrt(N_CH) * np.log(4.0)
    assert M.riemann_distance(real, twice) == pytest.approx(expected, rel=1e-6)
    # a second draw of the process is much closer than a different mixing
    rng = np.random.default_rng(5)
    other_mix = _mixed(rng, _distance_mixing(length=0.02)[::-1], 40)
    same = M.riemann_distance(real, other)
    assert same < 0.5 * M.riemann_distance(real, other_mix)
    assert M.riemann_distance(real, other, estimator="lwf") > 0


# ----------------------------------------------------------------------- C2ST


def _planted(rng, n_ch, n_clips, sign, n_t=N_T):
    """Unit-variance white channels, channels 0 and 1 correlated +-0.9.

    The per-channel spectra are identical for both signs; only the channel
    covariance differs.
    """
    cov = np.eye(n_ch)
    cov[0, 1] = cov[1, 0] = 0.9 * sign
    src = _sources(rng, n_ch, n_clips, exponent=0.0, alpha=1.0, n_t=n_t)
    return np.einsum("cs,nst->nct", np.linalg.cholesky(cov), src) * 1e-5


def test_c2st_riemann_chance_and_planted_difference():
    rng = np.random.default_rng(6)
    real = _epochs(_planted(rng, N_CH, 40, +1))
    same = _epochs(_planted(rng, N_CH, 30, +1))
    flipped = _epochs(_planted(rng, N_CH, 40, -1))
    null = M.c2st(real, same, random_state=0, verbose=False)
    assert float(null.accuracy) == pytest.approx(0.5, abs=0.2)
    assert float(null.p_value) > 0.01
    # balanced: the larger set is subsampled to 30 clips
    assert int(null.n_predictions) == 60 and null.attrs["n_per_set"] == 30
    assert null.fold_accuracy.sizes["fold"] == 5
    planted = M.c2st(real, flipped, n_splits=4, random_state=0, verbose=False)
    assert float(planted.accuracy) >= 0.95
    assert float(planted.p_value) < 1e-6
    assert planted.fold_accuracy.sizes["fold"] == 4
    again = M.c2st(real, flipped, n_splits=4, random_state=0, verbose=False)
    xr.testing.assert_identical(planted, again)


def test_c2st_braindecode_chance_and_planted_difference():
    """64 clips of 8 channels x 500 samples at 250 Hz, CPU, a few seconds."""
    pytest.importorskip("braindecode")
    rng = np.random.default_rng(7)
    names, sfreq = NAMES[:8], 250.0

    def make(sign):
        return _epochs(_planted(rng, 8, 32, sign, n_t=500), names, sfreq)

    real, same, flipped = make(+1), make(+1), make(-1)
    kw = dict(classifier="braindecode", random_state=0, verbose=False)
    null = M.c2st(real, same, **kw)
    assert float(null.accuracy) == pytest.approx(0.5, abs=0.2)
    assert float(null.p_value) > 0.01
    planted = M.c2st(real, flipped, **kw)
    assert float(planted.accuracy) >= 0.85
    assert float(planted.p_value) < 1e-6
    assert planted.attrs["classifier"] == "braindecode"


# ------------------------------------------------------------ compare_realism


def test_compare_realism_ceiling_and_difference(pair):
    real, other = pair
    ceiling = M.compare_realism(real, other, random_state=0, verbose=False)
    assert list(ceiling.set.values) == ["real", "generated"]
    assert float(ceiling.amplitude_ratio) == pytest.approx(1.0, abs=0.05)
    assert float(ceiling.exponent_difference) == pytest.approx(0.0, abs=0.1)
    assert float(ceiling.alpha_peak_ratio_relative_difference) == pytest.approx(
        0.0, abs=0.2
    )
    np.testing.assert_allclose(
        ceiling.neighbour_r[0], ceiling.neighbour_r[1], atol=0.03
    )
    assert float(ceiling.c2st_accuracy.sel(classifier="riemann")) < 0.7

    # 1/f generated EEG, twice as large: every statistic is the one-set
    # function's value on each set (the same code on both)
    rng = np.random.default_rng(8)
    gen = _mixed(rng, 2 * _distance_mixing(), 40, exponent=1.0)
    out = M.compare_realism(real, gen, random_state=0, verbose=False)
    amp = [M.amplitude(x, verbose=False) for x in (real, gen)]
    sps = [M.spectral_parameters(x, verbose=False) for x in (real, gen)]
    cds = [M.correlation_by_distance(x, verbose=False) for x in (real, gen)]
    np.testing.assert_allclose(out.amplitude, amp)
    np.testing.assert_allclose(out.amplitude_ratio, amp[1] / amp[0])
    np.testing.assert_allclose(out.exponent, [float(s.exponent_median) for s in sps])
    np.testing.assert_allclose(
        out.alpha_peak_ratio, [float(s.alpha_peak_ratio_median) for s in sps]
    )
    np.testing.assert_allclose(out.neighbour_r, [float(c.neighbour) for c in cds])
    np.testing.assert_allclose(out.distant_r, [float(c.distant) for c in cds])
    assert float(out.riemann_distance) == pytest.approx(M.riemann_distance(real, gen))
    assert float(out.exponent_difference) == pytest.approx(-1.0, abs=0.2)
    assert float(out.c2st_accuracy.sel(classifier="riemann")) > 0.9
    assert float(out.riemann_distance) > float(ceiling.riemann_distance)

    # channel order does not matter
    reordered = gen.copy().reorder_channels(NAMES[::-1])
    again = M.compare_realism(real, reordered, random_state=0, verbose=False)
    xr.testing.assert_allclose(out, again)
    none = M.compare_realism(real, gen, classifiers=(), verbose=False)
    assert none.sizes["classifier"] == 0
    moved = gen.copy()
    moved.info["chs"][0]["loc"][0] += 0.01  # 1 cm
    with pytest.warns(RuntimeWarning, match="positions differ by up to 10.0 mm"):
        M.compare_realism(real, moved, classifiers=(), verbose=False)


# --------------------------------------------------------------------- errors


def test_errors(pair):
    real, other = pair
    arr = real.get_data()
    with pytest.raises(TypeError, match="must be mne.Epochs.*ndarray.*EpochsArray"):
        M.amplitude(arr)
    with pytest.raises(TypeError, match="generated must be mne.Epochs.*str"):
        M.compare_realism(real, "clips.fif")
    with pytest.raises(TypeError, match="epochs_b"):
        M.riemann_distance(real, arr)
    fewer = other.copy().drop_channels(["Oz"])
    for func in (M.compare_realism, M.riemann_distance, M.c2st):
        with pytest.raises(ValueError, match=r"different good EEG channels.*'Oz'"):
            func(real, fewer)
    slower = _epochs(other.get_data(), sfreq=250.0)
    with pytest.raises(ValueError, match=r"sampling rates differ \(200.0 vs 250.0"):
        M.compare_realism(real, slower)
    with pytest.raises(ValueError, match="l_freq < h_freq"):
        M.amplitude(real, l_freq=30.0, h_freq=10.0)
    with pytest.raises(ValueError, match="Nyquist"):
        M.amplitude(real, h_freq=100.0)
    with pytest.raises(TypeError, match="h_freq"):
        M.amplitude(real, h_freq="45")
    with pytest.raises(ValueError, match="classifier.*svm"):
        M.c2st(real, other, classifier="svm")
    with pytest.raises(ValueError, match="classifiers.*svm"):
        M.compare_realism(real, other, classifiers=("svm",))
    with pytest.raises(ValueError, match="one length, got 400 and 201"):
        M.c2st(real, other.copy().crop(0, 1.0))
    with pytest.raises(ValueError, match="n_splits=50"):
        M.c2st(real, other, n_splits=50)
    with pytest.raises(ValueError, match="n_splits must be >= 2, got 1"):
        M.compare_realism(real, other, n_splits=1)
    with pytest.raises(ValueError, match="estimator"):
        M.riemann_distance(real, other, estimator="scm")
    with pytest.raises(ValueError, match="freq_range"):
        M.spectral_parameters(real, freq_range=(40.0, 2.0))
    with pytest.raises(ValueError, match="fraction"):
        M.correlation_by_distance(real, fraction=0.8)
    no_pos = mne.EpochsArray(arr, mne.create_info(NAMES, SFREQ, "eeg"), verbose=False)
    with pytest.raises(ValueError, match="set_montage"):
        M.correlation_by_distance(no_pos)
    with pytest.raises(ValueError, match="at least 2 good EEG"):
        M.amplitude(real.copy().pick(["Cz"]))


# ----------------------------------------------------------------------- viz


def test_plot_correlation_distance(pair):
    fig = viz.plot_correlation_distance(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("real (neighbour") and labels[1].startswith("generated")
    assert len(fig.axes[0].get_lines()) == 2


def test_plot_covariance_comparison(pair):
    fig = viz.plot_covariance_comparison(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    assert images[0].get_clim() == images[1].get_clim() == (-1, 1)
    np.testing.assert_allclose(np.diag(images[0].get_array()), 1.0)


def test_plot_spectral_parameters(pair):
    fig = viz.plot_spectral_parameters(*pair, show=False)
    assert isinstance(fig, plt.Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("real POz") and titles[1].startswith("generated POz")
    assert len(fig.axes[0].get_lines()) == 3  # PSD, model, aperiodic
    fig = viz.plot_spectral_parameters(*pair, picks=["O1", "Cz"], show=False)
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="picks.*'Nope'"):
        viz.plot_spectral_parameters(*pair, picks="Nope", show=False)
    with pytest.raises(TypeError, match="real"):
        viz.plot_spectral_parameters(pair[0].get_data(), pair[1], show=False)
