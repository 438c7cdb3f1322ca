"""Every metric on cases with a known answer."""

import mne
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mne_video2eeg import metrics as M

SFREQ = 200.0
N_CH, N_T = 8, 400
EMOTIONS = ("negative", "neutral", "positive")


def _info(n_ch=N_CH):
    info = mne.create_info([f"EEG{k:02d}" for k in range(n_ch)], SFREQ, "eeg")
    return info


def _epochs(data, videos, subjects=None, emotions=None, samples=None):
    md = {"video": videos}
    if subjects is not None:
        md["subject"] = subjects
    if emotions is not None:
        md["emotion"] = emotions
    if samples is not None:
        md["sample"] = samples
    return mne.EpochsArray(
        data, _info(data.shape[1]), metadata=pd.DataFrame(md), verbose=False
    )


def _colored(rng, shape):
    """1/f-ish noise with an alpha peak, in Volts."""
    white = rng.standard_normal(shape)
    spec = np.fft.rfft(white, axis=-1)
    f = np.fft.rfftfreq(shape[-1], 1 / SFREQ)
    spec *= 1 / np.maximum(f, 1.0) + 2 * np.exp(-((f - 10) ** 2) / 4)
    return np.fft.irfft(spec, n=shape[-1], axis=-1) * 1e-5


@pytest.fixture(scope="module")
def real():
    rng = np.random.default_rng(0)
    n_v, subs = 12, ["01", "02"]
    data = _colored(rng, (n_v * len(subs), N_CH, N_T))
    # a channel-specific scale makes the topography non-trivial
    data *= np.linspace(0.5, 2.0, N_CH)[:, None]
    videos = [f"clip_{v:03d}.avi" for _ in subs for v in range(n_v)]
    subjects = [s for s in subs for _ in range(n_v)]
    emotions = [EMOTIONS[v % 3] for _ in subs for v in range(n_v)]
    return _epochs(data, videos, subjects, emotions)


def _like(real, data):
    md = real.metadata
    return _epochs(data, list(md.video), list(md.subject), list(md.emotion))


def test_identical_signals(real):
    gen = _like(real, real.get_data())
    assert M.mse(real, gen) == pytest.approx(0.0, abs=1e-12)
    assert M.mae(real, gen) == pytest.approx(0.0, abs=1e-12)
    assert M.pearson_correlation(real, gen) == pytest.approx(1.0)
    bs = M.band_similarity(real, gen)
    np.testing.assert_allclose(bs["level"], 1.0)
    np.testing.assert_allclose(bs["topo"], 1.0)
    assert list(bs["band"].values) == ["delta", "theta", "alpha", "beta", "gamma"]
    assert M.psd_distance(real, gen) == pytest.approx(0.0, abs=1e-9)
    assert M.covariance_similarity(real, gen) == pytest.approx(1.0)
    xc = M.lagged_xcorr(real, gen)
    assert int(xc["lag"]) == 0 and float(xc["peak"]) == pytest.approx(1.0)


def test_scaled_signals(real):
    """x2 amplitude: power ratio 4 -> level 0.25, 6.02 dB; correlation stays 1."""
    gen = _like(real, 2 * real.get_data())
    bs = M.band_similarity(real, gen)
    np.testing.assert_allclose(bs["level"], 0.25, rtol=1e-6)
    np.testing.assert_allclose(bs["topo"], 1.0)
    assert M.psd_distance(real, gen) == pytest.approx(10 * np.log10(4), rel=1e-6)
    assert M.pearson_correlation(real, gen) == pytest.approx(1.0)
    # z-scored with the real statistics, so the error of a x2 signal is z**2
    assert M.mse(real, gen) == pytest.approx(1.0, rel=0.05)
    assert M.covariance_similarity(real, gen) == pytest.approx(1.0)


def test_independent_noise(real):
    rng = np.random.default_rng(1)
    gen = _like(real, _colored(rng, real.get_data().shape))
    assert abs(M.pearson_correlation(real, gen)) < 0.05
    assert M.mse(real, gen) > 1.5  # ~2 for independent signals of equal power
    assert abs(float(M.evoked_correlation(real, gen, match="video")["value"])) < 0.1


@pytest.mark.parametrize("shift", [-7, 3, 12])
def test_lagged_xcorr_finds_shift(real, shift):
    rng = np.random.default_rng(2)
    n_ext = N_T + 40
    base = rng.standard_normal((len(real), N_CH, n_ext))
    ref = base[..., 20 : 20 + N_T]
    # generated = reference delayed by `shift` samples
    gen = base[..., 20 - shift : 20 - shift + N_T]
    md = real.metadata
    out = M.lagged_xcorr(_like(real, ref), _like(real, gen), max_lag=0.1)
    assert int(out["lag"]) == shift
    assert float(out["lag_s"]) == pytest.approx(shift / SFREQ)
    assert float(out["peak"]) > 0.9
    assert out["xcorr"].sizes["lag_samples"] == 2 * 20 + 1
    assert len(md) == len(real)


def _process(rng, clean, var_noise, k):
    """K noisy samples of each clean epoch: shape (n, k, ch, t)."""
    noise = rng.standard_normal((clean.shape[0], k) + clean.shape[1:])
    return clean[:, None] + np.sqrt(var_noise) * noise


def test_evoked_noise_ceiling_matches_true_process():
    """The statistic of the true process ~ sqrt(vs / (vs + vn / K))."""
    rng = np.random.default_rng(3)
    n_v, k, var_noise = 20, 8, 4.0
    t = np.arange(N_T) / SFREQ
    freqs = rng.uniform(1, 8, (n_v, N_CH, 1))
    clean = np.sin(2 * np.pi * freqs * t + rng.uniform(0, 6, (n_v, N_CH, 1)))
    var_clean = clean.var(-1).mean()  # 0.5
    videos = [f"v{v}" for v in range(n_v)]
    real = _epochs(_process(rng, clean, var_noise, 1)[:, 0] * 1e-6, videos)
    gen_data = _process(rng, clean, var_noise, k) * 1e-6
    gen = _epochs(
        gen_data.reshape(-1, N_CH, N_T),
        [v for v in videos for _ in range(k)],
        samples=[s for _ in videos for s in range(k)],
    )
    out = M.evoked_correlation(real, gen, clean=clean * 1e-6)
    analytic = np.sqrt(var_clean / (var_clean + var_noise / k))
    assert float(out["ceiling"]) == pytest.approx(analytic, rel=0.05)
    assert float(out["value"]) == pytest.approx(float(out["ceiling"]), abs=0.03)
    assert float(out["ratio"]) == pytest.approx(1.0, abs=0.05)
    # other videos' truth: unrelated sines -> far below
    assert abs(float(out["mismatched"])) < 0.2
    # fewer samples -> lower ceiling and statistic
    out2 = M.evoked_correlation(real, gen, clean=clean * 1e-6, n_samples=2)
    assert float(out2["n_samples"]) == 2
    assert float(out2["ceiling"]) < float(out["ceiling"])
    # with repeated real trials the ceiling is estimable without the clean truth
    reps = _process(rng, clean, var_noise, 4) * 1e-6
    real4 = _epochs(reps.reshape(-1, N_CH, N_T), [v for v in videos for _ in range(4)])
    out3 = M.evoked_correlation(real4, gen)
    expect = analytic * np.sqrt(var_clean / (var_clean + var_noise / 4))
    assert float(out3["ceiling"]) == pytest.approx(expect, rel=0.1)
    assert float(out3["value"]) == pytest.approx(float(out3["ceiling"]), abs=0.05)


def test_evoked_single_trial_without_clean_warns(real):
    with pytest.warns(RuntimeWarning, match="noise ceiling is NaN"):
        out = M.evoked_correlation(real, _like(real, real.get_data()))
    assert np.isnan(float(out["ceiling"]))
    assert float(out["value"]) == pytest.approx(1.0)


def test_tstr_separable_classes():
    rng = np.random.default_rng(4)

    def make(n):
        emo = [EMOTIONS[i % 3] for i in range(n)]
        data = _colored(rng, (n, N_CH, N_T))
        gain = {"negative": 0.5, "neutral": 1.0, "positive": 2.0}
        data *= np.array([gain[e] for e in emo])[:, None, None]
        return _epochs(data, [f"v{i}" for i in range(n)], emotions=emo)

    out = M.tstr_score(make(45), make(60), random_state=0)
    assert float(out["tstr"]) > 0.95
    assert float(out["trtr"]) > 0.95
    assert float(out["ratio"]) == pytest.approx(float(out["tstr"]) / float(out["trtr"]))
    assert float(out["chance"]) == pytest.approx(1 / 3)


def test_eeg_fid_identical_and_shifted(real):
    from mne_video2eeg.nn.eeg_features import EEGFeatureNet

    net = EEGFeatureNet(n_filters=6, n_epochs=2, random_state=0)
    net.fit(real.get_data(), real.metadata["emotion"], sfreq=SFREQ)
    same = M.eeg_fid(real, _like(real, real.get_data()), feature_net=net)
    assert same == pytest.approx(0.0, abs=1e-6)
    louder = M.eeg_fid(real, _like(real, 3 * real.get_data()), feature_net=net)
    assert louder > 0.1
    # trained inside when no network is given; deterministic for a seed
    a = M.eeg_fid(real, _like(real, 3 * real.get_data()), n_epochs=1, random_state=0)
    b = M.eeg_fid(real, _like(real, 3 * real.get_data()), n_epochs=1, random_state=0)
    assert a == pytest.approx(b)


def test_matching_by_video_and_subject(real):
    data = real.get_data()
    # generated for subject 01 only, in another order, K = 2 samples
    sel = np.flatnonzero(real.metadata["subject"] == "01")[::-1]
    gdata = np.repeat(data[sel], 2, axis=0)
    md = real.metadata.iloc[np.repeat(sel, 2)]
    gen = _epochs(gdata, list(md.video), list(md.subject), list(md.emotion))
    assert M.pearson_correlation(real, gen) == pytest.approx(1.0)
    # population generations ("unknown" subject) fall back to video matching
    gen_u = _epochs(gdata, list(md.video), ["unknown"] * len(md), list(md.emotion))
    r = M.pearson_correlation(real, gen_u)
    assert r < 0.9  # pairs include the other subject's independent epoch
    with pytest.raises(ValueError, match="no real epoch"):
        M.pearson_correlation(real, gen_u, match="video+subject")


def test_arrays_matched_by_position(real):
    data = real.get_data()
    assert M.mse(data, data.copy()) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="sampling rate"):
        M.psd_distance(data, data)
    assert M.psd_distance(data, 2 * data, sfreq=SFREQ) == pytest.approx(6.0206, 1e-3)
    with pytest.raises(ValueError, match="same number of epochs"):
        M.mse(data, data[:3])


def test_errors(real):
    data = real.get_data()
    md = real.metadata
    with pytest.raises(TypeError, match="mne.Epochs or a numpy array"):
        M.mse([1, 2], real)
    bad = data.copy()
    bad[2, 0, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.mse(real, _like(real, bad))
    other = _epochs(data[..., :-1], list(md.video), list(md.subject))
    with pytest.raises(ValueError, match="same \\(n_channels, n_times\\)"):
        M.mse(real, other)
    renamed = _like(real, data).rename_channels({"EEG00": "XYZ"})
    with pytest.raises(ValueError, match="different channels.*XYZ"):
        M.mse(real, renamed)
    resampled = mne.EpochsArray(
        data, mne.create_info(real.ch_names, 100.0, "eeg"), verbose=False
    )
    resampled.metadata = md
    with pytest.raises(ValueError, match="sampling rates differ"):
        M.mse(real, resampled)
    unknown = _epochs(data[:2], ["nope.avi", "clip_000.avi"], ["01", "01"])
    with pytest.raises(ValueError, match="nope.avi"):
        M.pearson_correlation(real, unknown)
    with pytest.raises(ValueError, match="'video' column"):
        M.mse(real, mne.EpochsArray(data, real.info, verbose=False))
    with pytest.raises(ValueError, match="Invalid value for the 'match'"):
        M.mse(real, real, match="subject")
    with pytest.raises(ValueError, match="emotion"):
        M.tstr_score(real, _epochs(data, list(md.video)))


def test_channel_order_is_matched(real):
    gen = _like(real, real.get_data())
    gen.reorder_channels(real.ch_names[::-1])
    assert M.mse(real, gen) == pytest.approx(0.0, abs=1e-12)


def test_evaluate_dataset(real):
    rng = np.random.default_rng(5)
    gen = _like(real, real.get_data() + 0.5 * _colored(rng, real.get_data().shape))
    clean = real.get_data()
    ds = M.evaluate(
        real,
        gen,
        clean=clean,
        # one sample per key: no ensemble for the proper scores
        metrics=[m for m in M.METRICS if m not in _ENSEMBLE_OR_FID],
        random_state=0,
    )
    assert isinstance(ds, xr.Dataset)
    for name in (
        "mse",
        "mae",
        "pearson_correlation",
        "psd_distance",
        "evoked_correlation",
        "evoked_ceiling",
        "evoked_ratio",
        "evoked_mismatched",
        "xcorr_peak",
        "xcorr_lag",
        "covariance_similarity",
        "tstr_accuracy",
        "trtr_accuracy",
        "tstr_ratio",
    ):
        assert ds[name].ndim == 0 and np.isfinite(float(ds[name])), name
    assert ds["band_similarity"].dims == ("band",)
    assert ds["band_topography"].sizes["band"] == 5
    assert 0.8 < float(ds["pearson_correlation"]) < 1.0
    assert float(ds["evoked_correlation"]) > float(ds["evoked_mismatched"])
    with pytest.raises(ValueError, match="Invalid value for the 'metrics'"):
        M.evaluate(real, gen, metrics=["nope"])


_ENSEMBLE_OR_FID = ("energy_score", "dispersion_ratio", "eeg_fid")


@pytest.fixture(scope="module")
def held_out(real):
    """The demo's held-out set: 9 clips of one subject, one 'positive' clip."""
    md = real.metadata
    keep = [
        i
        for i, (s, v) in enumerate(zip(md.subject, md.video, strict=True))
        if s == "01" and int(v[5:8]) in (0, 1, 2, 3, 4, 6, 7, 9, 10)
    ]
    sub = real[keep]
    assert sub.metadata.emotion.value_counts().to_dict() == {
        "negative": 4,
        "neutral": 4,
        "positive": 1,
    }
    rng = np.random.default_rng(3)
    noise = 0.5 * _colored(rng, sub.get_data().shape)
    return sub, _like(sub, sub.get_data() + noise)


def test_evaluate_all_skips_unmet_preconditions(held_out, caplog):
    """metrics=None: a metric the data do not allow is skipped, logged, listed."""
    from mne_video2eeg.nn.eeg_features import EEGFeatureNet

    real, gen = held_out
    net = EEGFeatureNet(n_epochs=1, random_state=0)
    net.fit(real.get_data(), real.metadata.emotion.to_numpy(), sfreq=SFREQ)
    caplog.set_level("INFO", logger="mne")
    # one real clip per key and no clean truth: the evoked ceiling is NaN
    with pytest.warns(RuntimeWarning, match="noise ceiling is NaN"):
        ds = M.evaluate(real, gen, feature_net=net, random_state=0, verbose=True)
    skipped = ("energy_score", "dispersion_ratio", "tstr_score")
    assert ds.attrs["skipped"] == ", ".join(skipped)
    assert (
        "2 real epochs per emotion, got 1 for ['positive']"
        in (ds.attrs["skipped_tstr_score"])
    )
    for name in ("energy_score", "dispersion_ratio"):
        assert "at least 2 generated samples" in ds.attrs[f"skipped_{name}"]
    for name in ("tstr_accuracy", "trtr_accuracy", "energy_score", "energy_ratio"):
        assert name not in ds
    # everything else is scored
    for name in ("mse", "pearson_correlation", "psd_distance", "eeg_fid"):
        assert np.isfinite(float(ds[name])), name
    assert ds["band_similarity"].dims == ("band",)
    lines = [r.getMessage() for r in caplog.records if "Skipping" in r.getMessage()]
    assert len(lines) == 3 and lines[-1].startswith("Skipping tstr_score: trtr")


def test_evaluate_named_metric_raises(held_out):
    """A metric asked for by name raises when the data do not allow it."""
    real, gen = held_out
    with pytest.raises(ValueError, match="2 real epochs per emotion, got 1"):
        M.evaluate(real, gen, metrics=["mse", "tstr_score"])
    with pytest.raises(ValueError, match="at least 2 generated samples per key"):
        M.evaluate(real, gen, metrics=["energy_score"])
    unlabelled = real.copy()
    unlabelled.metadata = unlabelled.metadata.drop(columns="emotion")
    with pytest.raises(ValueError, match="'emotion' metadata column"):
        M.evaluate(unlabelled, gen, metrics=["eeg_fid"])


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scale=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**16),
    mix=st.floats(0.0, 1.0),
)
def test_metric_bounds(scale, seed, mix):
    rng = np.random.default_rng(seed)
    shape = (6, 4, 200)
    a = _colored(rng, shape)
    b = scale * (mix * a + (1 - mix) * _colored(rng, shape))
    bs = M.band_similarity(a, b, sfreq=SFREQ)
    assert np.all((bs["level"] >= 0) & (bs["level"] <= 1 + 1e-12))
    assert np.all((bs["topo"] >= 0) & (bs["topo"] <= 1 + 1e-12))
    r = M.pearson_correlation(a, b)
    assert -1 - 1e-12 <= r <= 1 + 1e-12
    assert M.mse(a, b) >= 0 and M.mae(a, b) >= 0
    assert M.psd_distance(a, b, sfreq=SFREQ) >= 0
    c = M.covariance_similarity(a, b)
    assert -1 - 1e-9 <= c <= 1 + 1e-9
    xc = M.lagged_xcorr(a, b, sfreq=SFREQ, max_lag=0.05)
    assert abs(int(xc["lag"])) <= 10 and np.isfinite(float(xc["peak"]))
