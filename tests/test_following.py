"""Stimulus-following scores on cases with known answers."""

import mne
import numpy as np
import pandas as pd
import pytest

from mne_video2eeg.metrics import (
    evoked_correlation,
    evoked_split_half,
    ssvep_snr,
    template_identification,
)

CH = ["Fpz", "T7", "O1", "POz", "Oz", "Iz", "O2", "T8"]
SFREQ = 100.0


def _epochs(data, videos, subjects=None):
    info = mne.create_info(CH[: data.shape[1]], SFREQ, "eeg")
    md = pd.DataFrame({"video": videos})
    if subjects is not None:
        md["subject"] = subjects
    return mne.EpochsArray(data, info, metadata=md, verbose=False)


def _templates_plus_noise(rng, n_videos=5, n_per=12, noise=0.5, n_times=200):
    templates = rng.standard_normal((n_videos, len(CH), n_times)) * 1e-5
    videos = np.repeat([f"code{v:02d}" for v in range(n_videos)], n_per)
    idx = np.repeat(np.arange(n_videos), n_per)
    data = templates[idx] + noise * 1e-5 * rng.standard_normal(
        (len(idx), len(CH), n_times)
    )
    return _epochs(data, videos), templates


def test_split_half_identical_halves_is_one():
    rng = np.random.default_rng(0)
    signal = rng.standard_normal((3, len(CH), 150)) * 1e-5
    # every clip of a video is the same waveform: any two halves agree exactly
    data = np.repeat(signal, 6, axis=0)
    ep = _epochs(data, np.repeat(["a", "b", "c"], 6))
    ds = evoked_split_half(ep, random_state=0)
    np.testing.assert_allclose(ds["split_half"].values, 1.0)
    assert ds["value"] == pytest.approx(1.0)
    assert list(ds["video"].values) == ["a", "b", "c"]
    assert list(ds["n_clips"].values) == [6, 6, 6]


def test_split_half_known_reliability_and_noise():
    rng = np.random.default_rng(1)
    # signal variance 1, noise variance s2 per clip: the expected r of two
    # averages of n/2 clips is 1 / (1 + s2 / (n / 2)) (large n_times)
    n_per, s2 = 20, 10.0
    sig = rng.standard_normal((2, len(CH), 2000))
    data = np.repeat(sig, n_per, axis=0) + np.sqrt(s2) * rng.standard_normal(
        (2 * n_per, len(CH), 2000)
    )
    ep = _epochs(data * 1e-5, np.repeat(["a", "b"], n_per))
    ds = evoked_split_half(ep, n_repeats=5, random_state=0)
    expected = 1 / (1 + s2 / (n_per / 2))
    assert ds["value"] == pytest.approx(expected, abs=0.04)
    # pure noise: halves are unrelated
    noise = _epochs(rng.standard_normal((40, len(CH), 500)), np.repeat(["a", "b"], 20))
    assert abs(float(evoked_split_half(noise, random_state=0)["value"])) < 0.05


def test_split_half_picks_by_subject_and_errors():
    rng = np.random.default_rng(2)
    ep, _ = _templates_plus_noise(rng, n_videos=2, n_per=8)
    occ = evoked_split_half(ep, picks="occipital", random_state=0)
    assert occ.attrs["channels"] == "O1,POz,Oz,Iz,O2"
    ep.metadata["subject"] = np.tile(["01", "02"], 8)
    ds = evoked_split_half(ep, by="video+subject", random_state=0)
    assert ds.sizes["key"] == 4
    assert set(ds["subject"].values) == {"01", "02"}
    with pytest.raises(ValueError, match="at least 2 clips per key"):
        evoked_split_half(ep[[0, 1, 8]], random_state=0)
    with pytest.raises(ValueError, match="Invalid value for the 'by'"):
        evoked_split_half(ep, by="subject")
    with pytest.raises(TypeError, match="must be mne.Epochs"):
        evoked_split_half(ep.get_data())
    no_md = mne.EpochsArray(ep.get_data(), ep.info, verbose=False)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['video'\]"):
        evoked_split_half(no_md)
    with pytest.raises(ValueError, match="no occipital channel"):
        evoked_split_half(ep.copy().pick(["Fpz", "T7"]), picks="occipital")


def test_identification_templates_plus_noise_near_one():
    rng = np.random.default_rng(3)
    real, templates = _templates_plus_noise(rng)
    # single real clips against leave-one-out templates
    ds = template_identification(real)
    assert bool(ds["leave_one_out"])
    assert ds["chance"] == pytest.approx(0.2)
    assert ds["accuracy"] >= 0.95
    assert ds["confusion"].values.sum() == len(real)
    # new clips (e.g. generated) of the same templates
    new = _epochs(
        np.repeat(templates, 4, axis=0) + 0.5e-5 * rng.standard_normal((20, 8, 200)),
        np.repeat([f"code{v:02d}" for v in range(5)], 4),
    )
    ds = template_identification(real, new)
    assert not bool(ds["leave_one_out"])
    assert ds["accuracy"] >= 0.95
    np.testing.assert_array_equal(ds["n_candidates"].values, 4)


def test_identification_pure_noise_near_chance():
    rng = np.random.default_rng(4)
    n_videos, n_per = 5, 40
    data = rng.standard_normal((n_videos * n_per, len(CH), 100)) * 1e-5
    ep = _epochs(data, np.repeat([f"v{k}" for k in range(n_videos)], n_per))
    ds = template_identification(ep)
    # leave-one-out keeps a clip from matching itself: chance, not above
    assert abs(ds["accuracy"] - 0.2) < 0.08
    # without leave-one-out each clip is inside its own template: optimistic
    biased = template_identification(ep, leave_one_out=False)
    assert biased["accuracy"] > ds["accuracy"] + 0.2
    # other noise clips as candidates: chance as well
    other = _epochs(rng.standard_normal(data.shape) * 1e-5, ep.metadata["video"])
    assert abs(template_identification(ep, other)["accuracy"] - 0.2) < 0.08


def test_identification_ignores_channel_offsets_and_by_subject():
    rng = np.random.default_rng(5)
    real, templates = _templates_plus_noise(rng, n_per=6)
    # a large constant offset per clip and channel must not decide the match
    off = real.get_data() + 1e-3 * rng.standard_normal((len(real), len(CH), 1))
    shifted = _epochs(off, real.metadata["video"])
    assert template_identification(shifted)["accuracy"] >= 0.95
    real.metadata["subject"] = np.tile(["01", "02"], 15)
    ds = template_identification(real, by="video+subject", picks="occipital")
    assert ds.attrs["channels"] == "O1,POz,Oz,Iz,O2"
    assert ds["accuracy"] >= 0.9
    assert ds["chance"] == pytest.approx(0.2)


def test_identification_errors():
    rng = np.random.default_rng(6)
    real, _ = _templates_plus_noise(rng, n_videos=3, n_per=4)
    unseen = _epochs(real.get_data()[:2], ["zzz", "zzz"])
    with pytest.raises(ValueError, match="have no real template"):
        template_identification(real, unseen)
    with pytest.raises(ValueError, match="same number of samples"):
        template_identification(real, real.copy().crop(0, 1.0))
    with pytest.raises(ValueError, match="lack the channel"):
        template_identification(real, real.copy().pick(["O1", "O2"]))
    with pytest.raises(TypeError, match="leave_one_out"):
        template_identification(real, leave_one_out="yes")
    single = real[[0, 4, 5, 8, 9]]  # one clip of the first video
    with pytest.raises(ValueError, match="Leave-one-out templates need"):
        template_identification(single)


def test_evoked_correlation_of_k_mean_is_the_existing_metric():
    # the evoked r of the mean of K generated clips is evoked_correlation:
    # K clips = template + noise give r near 1 against the real average
    rng = np.random.default_rng(7)
    real, templates = _templates_plus_noise(rng, n_per=10, noise=0.3)
    gen = _epochs(
        np.repeat(templates, 16, axis=0) + 0.3e-5 * rng.standard_normal((80, 8, 200)),
        np.repeat([f"code{v:02d}" for v in range(5)], 16),
    )
    ds = evoked_correlation(real, gen, n_samples=16)
    assert ds["value"] > 0.95


def _flicker(rng, n_clips=30, amp=1.0, f=6.0, sfreq=250.0, n_times=500):
    t = np.arange(n_times) / sfreq
    ssvep = amp * np.sin(2 * np.pi * f * t) + 0.5 * amp * np.sin(2 * np.pi * 2 * f * t)
    noise = rng.standard_normal((n_clips, 4, n_times))
    info = mne.create_info(["Fz", "O1", "Oz", "PO8"], sfreq, "eeg")
    data = noise.copy()
    data[:, 1:] += ssvep  # occipital channels only
    return mne.EpochsArray(data * 1e-6, info, verbose=False)


def test_ssvep_snr_planted_sinusoid():
    rng = np.random.default_rng(8)
    amp, sfreq, n_times = 1.0, 250.0, 500
    ep = _flicker(rng, amp=amp, sfreq=sfreq, n_times=n_times)
    ds = ssvep_snr(ep, 6.0, n_harmonics=3)
    assert list(ds["channel"].values) == ["O1", "Oz", "PO8"]
    np.testing.assert_allclose(ds["frequency"].values, [6.0, 12.0, 18.0])
    assert list(ds["harmonic"].values) == [1, 2, 3]
    # white noise of unit variance has |rfft|^2 = n_times per bin; a sinusoid
    # of amplitude A on an exact bin adds (A n_times / 2)^2: the expected SNR
    # is 1 + A^2 n_times / 4
    expected = 1 + amp**2 * n_times / 4
    assert ds["snr_mean"].sel(frequency=6.0) == pytest.approx(expected, rel=0.25)
    exp12 = 1 + (0.5 * amp) ** 2 * n_times / 4
    assert ds["snr_mean"].sel(frequency=12.0) == pytest.approx(exp12, rel=0.25)
    assert ds["snr_mean"].sel(frequency=18.0) == pytest.approx(1.0, abs=0.5)
    assert ds.attrs["resolution_hz"] == pytest.approx(0.5)
    # the frontal channel holds noise only
    front = ssvep_snr(ep, 6.0, picks=["Fz"])
    assert float(front["snr_mean"].sel(frequency=6.0)) == pytest.approx(1.0, abs=0.6)
    # a slow drift (no high-pass) leaks through the boxcar window unless each
    # clip's line is removed: the SNR stays
    t = np.arange(n_times) / sfreq
    drifting = mne.EpochsArray(
        ep.get_data() + 50e-6 * t * rng.uniform(-1, 1, (len(ep), 4, 1)),
        ep.info,
        verbose=False,
    )
    np.testing.assert_allclose(
        ssvep_snr(drifting, 6.0)["snr"].values, ds["snr"].values, rtol=1e-6
    )
    # arrays need sfreq and integer picks; same numbers
    arr = ssvep_snr(ep.get_data(), 6.0, picks=[1, 2, 3], sfreq=sfreq)
    np.testing.assert_allclose(arr["snr"].values, ds["snr"].values)


def test_ssvep_snr_harmonics_dedup_nyquist_and_errors():
    rng = np.random.default_rng(9)
    ep = _flicker(rng, n_clips=4)
    ds = ssvep_snr(ep, [6.0, 12.0], n_harmonics=2)
    np.testing.assert_allclose(ds["frequency"].values, [6.0, 12.0, 24.0])
    with pytest.warns(RuntimeWarning, match="dropped"):
        ds = ssvep_snr(ep, 60.0, n_harmonics=3)
    np.testing.assert_allclose(ds["frequency"].values, [60.0, 120.0])
    with pytest.raises(ValueError, match="bandwidth"):
        ssvep_snr(ep, 6.0, bandwidth=0.6)
    with pytest.raises(ValueError, match="positive frequencies"):
        ssvep_snr(ep, -6.0)
    with pytest.raises(ValueError, match="sfreq"):
        ssvep_snr(ep.get_data(), 6.0, picks=None)
    with pytest.raises(ValueError, match="needs channel names"):
        ssvep_snr(ep.get_data(), 6.0, sfreq=250.0)
    with pytest.raises(TypeError, match="must be mne.Epochs or an array"):
        ssvep_snr([1, 2], 6.0)
    with pytest.raises(ValueError, match="can be scored"), pytest.warns(RuntimeWarning):
        ssvep_snr(ep, 124.0)
