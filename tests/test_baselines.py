"""The baselines: sklearn rules, output format, and a planted lagged mapping."""

import mne
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mne_video2eeg.baselines import (
    EXPANSIONS,
    ONSET_SHRINKAGES,
    EmotionTemplateBaseline,
    GrandAverageBaseline,
    RidgeEncodingBaseline,
)
from mne_video2eeg.metrics import pearson_correlation

EMOTIONS = ("negative", "neutral", "positive")
SFREQ, N_T = 200.0, 400
DELAY = 0.1  # seconds
BASELINES = [GrandAverageBaseline, EmotionTemplateBaseline, RidgeEncodingBaseline]


@pytest.fixture(scope="module")
def planted(seed_info, planted_lagged_mapping):
    """EEG = channel gains x feature 'a' delayed by 100 ms (+ noise, offsets)."""
    rng = np.random.default_rng(0)
    n_v = 24
    X, truth, videos = planted_lagged_mapping(n_v, rng, sfreq=SFREQ, n_times=N_T)
    clean = truth * 1e-5
    data, md = [], []
    for s, offset in (("01", 2e-6), ("02", -2e-6)):
        for v in range(n_v):
            noise = 0.3e-5 * rng.standard_normal((62, N_T))
            data.append(clean[v] + noise + offset)
            md.append({"video": videos[v], "subject": s, "emotion": EMOTIONS[v % 3]})
    epochs = mne.EpochsArray(
        np.array(data), seed_info, metadata=pd.DataFrame(md), verbose=False
    )
    return X, epochs, clean, videos


def _split(X, epochs, videos, n_train=16):
    train, test = videos[:n_train], videos[n_train:]
    ep_train = epochs[epochs.metadata["video"].isin(train).to_numpy()]
    return X.sel(video=train), ep_train, X.sel(video=test), test


@pytest.mark.parametrize("cls", BASELINES)
def test_sklearn_rules(cls, planted):
    X, epochs, _, _ = planted
    est = cls(random_state=0, noise="gaussian")
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est.generate(X)
    assert est.fit(X, epochs) is est
    assert not hasattr(cls(), "info_")
    for attr in ("info_", "subjects_", "emotions_", "video_emotions_"):
        assert hasattr(est, attr)
    assert est.subjects_ == ["01", "02"]


@pytest.mark.parametrize("cls", BASELINES)
def test_generate_format(cls, planted):
    X, epochs, _, videos = planted
    est = cls(random_state=0).fit(X, epochs)
    out = est.generate(X.isel(video=slice(0, 4)), subject="02", n_samples=3)
    assert isinstance(out, mne.EpochsArray)
    assert out.get_data().shape == (12, 62, N_T)
    assert out.ch_names == epochs.ch_names
    assert out.info["sfreq"] == SFREQ
    assert out.get_montage() is not None
    md = out.metadata
    assert list(md.columns) == ["video", "subject", "emotion", "sample"]
    assert list(md["video"]) == [v for v in videos[:4] for _ in range(3)]
    assert set(md["subject"]) == {"02"}
    assert list(md["sample"]) == [0, 1, 2] * 4
    assert list(md["emotion"][::3]) == [EMOTIONS[v % 3] for v in range(4)]
    assert out.event_id == {"negative": 1, "neutral": 2, "positive": 3}
    codes = {"negative": 1, "neutral": 2, "positive": 3}
    np.testing.assert_array_equal(out.events[:, 2], md["emotion"].map(codes))
    # samples differ (noise), scale is EEG-like, seeds reproduce
    data = out.get_data()
    assert not np.allclose(data[0], data[1])
    assert 1e-7 < data.std() < 1e-3
    again = est.generate(
        X.isel(video=slice(0, 4)), subject="02", n_samples=3, random_state=0
    )
    again2 = est.generate(
        X.isel(video=slice(0, 4)), subject="02", n_samples=3, random_state=0
    )
    np.testing.assert_array_equal(again.get_data(), again2.get_data())
    pop = est.generate(X.isel(video=[0]), emotion="positive")
    assert list(pop.metadata["subject"]) == ["unknown"]
    assert list(pop.metadata["emotion"]) == ["positive"]
    assert pop.event_id == {"positive": 3}


def test_generate_errors(planted):
    X, epochs, _, videos = planted
    est = RidgeEncodingBaseline(random_state=0).fit(X, epochs)
    with pytest.raises(ValueError, match="Unknown subject '07'"):
        est.generate(X, subject="07")
    with pytest.raises(ValueError, match="no label for video"):
        est.generate(X, emotion={videos[0]: "neutral"})
    with pytest.raises(ValueError, match="n_samples"):
        est.generate(X, n_samples=0)
    with pytest.raises(ValueError, match="features"):
        est.generate(X.assign_coords(feature=["x", "y", "z"]))
    with pytest.raises(ValueError, match="No video features"):
        RidgeEncodingBaseline().fit(X.isel(video=slice(0, 3)), epochs)
    with pytest.raises(ValueError, match="noise"):
        RidgeEncodingBaseline(noise="pink").fit(X, epochs)
    tmpl = EmotionTemplateBaseline().fit(X, epochs)
    with pytest.raises(ValueError, match="No template for emotion 'angry'"):
        tmpl.generate(X, emotion="angry")


def test_ridge_recovers_planted_lagged_mapping(planted):
    X, epochs, clean, videos = planted
    Xtr, ep_tr, Xte, test = _split(X, epochs, videos)
    est = RidgeEncodingBaseline(noise=None, random_state=0).fit(Xtr, ep_tr)
    assert est.lags_[0] == 0.0 and est.lags_[-1] == pytest.approx(0.4)
    pred = est.generate(Xte, subject="01")
    truth = clean[len(videos) - len(test) :] + 2e-6  # subject 01's offset
    # held-out videos: the lagged mapping generalises. Before DELAY the
    # planted truth holds frame 0 (np.interp), i.e. responds to a stimulus not
    # shown yet, which a model with nothing before t = 0 cannot know
    late = epochs.times >= DELAY
    assert pearson_correlation(truth[..., late], pred.get_data()[..., late]) > 0.95
    np.testing.assert_allclose(est.offsets_["01"].mean(), 2e-6, atol=1e-6)
    # the classical linear TRF: its weights peak at the planted delay on 'a'
    lin = RidgeEncodingBaseline(noise=None, onset=False, expansions=()).fit(Xtr, ep_tr)
    assert lin.regressors_ == ["a", "b", "c"]
    coef = lin.model_.coef_.reshape(62, len(lin.lags_), 3)
    energy = np.abs(coef).sum(0)
    assert energy[:, 0].sum() > 2 * energy[:, 1:].sum(0).max()
    assert abs(lin.lags_[np.argmax(energy[:, 0])] - DELAY) <= 0.02 + 1e-9
    # per-subject models give the same picture
    by_subj = RidgeEncodingBaseline(noise=None, by_subject=True).fit(Xtr, ep_tr)
    pred = by_subj.generate(Xte, subject="01").get_data()
    assert pearson_correlation(truth[..., late], pred[..., late]) > 0.9


def test_ridge_noise_has_residual_scale(planted):
    X, epochs, clean, videos = planted
    est = RidgeEncodingBaseline(random_state=0).fit(X, epochs)
    out = est.generate(X, subject="01", n_samples=2).get_data()
    resid = out - np.repeat(clean + 2e-6, 2, axis=0)
    assert resid.std() == pytest.approx(0.3e-5, rel=0.25)


def test_template_is_emotion_mean(planted):
    X, epochs, _, videos = planted
    est = EmotionTemplateBaseline(noise=None, by_subject=False).fit(X, epochs)
    out = est.generate(X.isel(video=[0, 1]))
    neg = epochs[(epochs.metadata["emotion"] == "negative").to_numpy()].get_data()
    np.testing.assert_allclose(out.get_data()[0], neg.mean(0))
    # unseen video: emotion must come from the caller
    unseen = X.isel(video=[0]).assign_coords(video=["new.avi"])
    out2 = est.generate(unseen, emotion={"new.avi": "positive"})
    assert list(out2.metadata["emotion"]) == ["positive"]


@pytest.mark.parametrize("cls", BASELINES)
def test_random_state_is_a_stream_started_at_fit(cls, planted):
    X, epochs, _, _ = planted
    Xs = X.isel(video=slice(0, 2))
    a = cls(random_state=3).fit(X, epochs)
    first, second = (a.generate(Xs).get_data() for _ in range(2))
    assert not np.allclose(first, second)  # successive calls differ
    # an explicit random_state repeats a draw and leaves the stream alone
    np.testing.assert_array_equal(
        a.generate(Xs, random_state=7).get_data(),
        a.generate(Xs, random_state=7).get_data(),
    )
    third = a.generate(Xs).get_data()
    # the same random_state gives the same sequence (a script is reproducible)
    b = cls(random_state=3).fit(X, epochs)
    for expected in (first, second, third):
        np.testing.assert_array_equal(b.generate(Xs).get_data(), expected)
    # fit restarts the stream
    np.testing.assert_array_equal(a.fit(X, epochs).generate(Xs).get_data(), first)


def test_eeg_input_path(planted):
    X, epochs, _, _ = planted
    # the baselines need no electrode positions, and say what they did
    nopos = mne.EpochsArray(
        epochs.get_data(),
        mne.create_info(epochs.ch_names, SFREQ, "eeg"),
        metadata=epochs.metadata,
        verbose=False,
    )
    est = EmotionTemplateBaseline(noise=None).fit(X, nopos)
    assert est.preprocessing_["n_eeg"] == 62
    assert est.preprocessing_["sfreq"] == SFREQ
    bad = epochs.get_data()
    bad[0, 5, 3] = np.inf
    bad = mne.EpochsArray(bad, epochs.info, metadata=epochs.metadata, verbose=False)
    with pytest.raises(
        ValueError, match=rf"NaN/Inf in channel\(s\) \['{epochs.ch_names[5]}'\]"
    ):
        RidgeEncodingBaseline().fit(X, bad)


def _epochs(clean, videos, info, rng, *, subjects=("01", "02"), noise=0.3e-5):
    """Noisy clip epochs of ``clean`` (n_videos, 62, n_times), one per subject."""
    data, md = [], []
    for s in subjects:
        for v, video in enumerate(videos):
            data.append(clean[v] + noise * rng.standard_normal(clean[v].shape))
            md.append({"video": video, "subject": s, "emotion": EMOTIONS[v % 3]})
    return mne.EpochsArray(np.array(data), info, metadata=pd.DataFrame(md), verbose=0)


def _held_out_r(est, X, epochs, clean, videos, n_train):
    """Correlation of the prediction for held-out videos with their truth."""
    Xtr, ep_tr, Xte, _ = _split(X, epochs, videos, n_train=n_train)
    pred = est.fit(Xtr, ep_tr).generate(Xte, subject="01").get_data()
    return pearson_correlation(clean[n_train:], pred)


def _gamma_bump(times, peak, shape):
    t = np.clip(times / peak, 1e-9, None)
    return np.where(times > 0, t ** (shape - 1) * np.exp(-(shape - 1) * (t - 1)), 0)


def test_grand_average_is_video_blind(planted):
    X, epochs, _, videos = planted
    est = GrandAverageBaseline(noise=None).fit(X, epochs)
    subj = epochs.metadata["subject"].to_numpy()
    data = epochs.get_data()
    out = est.generate(X.isel(video=[0, 5]), subject="02").get_data()
    # the same mean clip for two different videos: the subject's average
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_allclose(out[0], data[subj == "02"].mean(0))
    pop = est.generate(X.isel(video=[3]), emotion="positive").get_data()
    np.testing.assert_allclose(pop[0], data.mean(0))
    pooled = GrandAverageBaseline(noise=None, by_subject=False).fit(X, epochs)
    np.testing.assert_allclose(
        pooled.generate(X.isel(video=[1]), subject="02").get_data()[0], data.mean(0)
    )
    # it ignores the features: shuffling them changes nothing
    shuffled = X.copy(data=X.values[::-1])
    again = GrandAverageBaseline(noise=None).fit(shuffled, epochs)
    np.testing.assert_array_equal(
        again.generate(shuffled.isel(video=[0]), subject="02").get_data()[0], out[0]
    )
    # with noise the samples of two videos have the same expectation
    noisy = GrandAverageBaseline(random_state=0).fit(X, epochs)
    gen = noisy.generate(X.isel(video=[0, 5]), subject="02", n_samples=40).get_data()
    diff = gen[:40].mean(0) - gen[40:].mean(0)
    assert np.abs(diff).mean() < 0.5 * np.abs(out[0] - data.mean()).mean() + 1e-6


@pytest.mark.parametrize("cls", BASELINES)
def test_noise_has_the_real_residual_spectrum(cls, planted):
    """Generated minus predicted has the training residual's PSD and cross-spectra."""
    X, epochs, _, videos = planted
    est = cls(random_state=0).fit(X, epochs)
    pred = est.set_params(noise=None).generate(X, subject="01").get_data()
    est.set_params(noise="phase")
    k = 16
    gen = est.generate(X, subject="01", n_samples=k).get_data()
    gen_res = gen - np.repeat(pred, k, axis=0)
    sel = (epochs.metadata["subject"] == "01").to_numpy()
    order = [videos.index(v) for v in epochs.metadata["video"][sel]]
    real_res = epochs.get_data()[sel] - pred[order]

    def band_power(x):
        psd = (np.abs(np.fft.rfft(x, axis=-1)) ** 2).mean(0)  # (n_ch, n_freqs)
        freqs = np.fft.rfftfreq(x.shape[-1], 1 / SFREQ)
        edges = [1, 4, 8, 13, 30, 60, 100]
        return np.stack(
            [
                psd[:, (freqs >= lo) & (freqs < hi)].sum(-1)
                for lo, hi in zip(edges[:-1], edges[1:], strict=True)
            ],
            axis=-1,
        )

    log_ratio = np.log(band_power(gen_res) / band_power(real_res))
    assert np.median(np.abs(log_ratio)) < 0.05
    assert np.abs(log_ratio).max() < 0.25
    # the cross-channel structure (zero-lag covariance) is kept too

    def second_moment(x):
        return np.einsum("ect,edt->cd", x, x) / (x.shape[0] * x.shape[-1])

    cov_gen, cov_real = second_moment(gen_res), second_moment(real_res)
    assert np.linalg.norm(cov_gen - cov_real) < 0.1 * np.linalg.norm(cov_real)
    # and each draw keeps its residual's power exactly; time-locking is gone
    one = est._draw_noise(1, "01", np.random.default_rng(1))[0]
    power = (one**2).sum(-1)
    assert any(np.allclose(power, (r**2).sum(-1)) for r in est.residuals_)


def test_ridge_onset_regressor_recovers_shared_onset(seed_info, planted_lagged_mapping):
    """A response shared by all videos at onset + a feature response."""
    rng = np.random.default_rng(1)
    n_v, n_train = 30, 20
    X, truth, videos = planted_lagged_mapping(n_v, rng, sfreq=SFREQ, n_times=N_T)
    times = np.arange(N_T) / SFREQ
    onset = _gamma_bump(times, 0.1, 8) - 1.3 * _gamma_bump(times, 0.17, 10)
    pattern = rng.standard_normal(62)
    clean = (truth + 1.5 * pattern[:, None] * onset) * 1e-5
    epochs = _epochs(clean, videos, seed_info, rng)
    kw = dict(noise=None, expansions=())
    with_onset = _held_out_r(
        RidgeEncodingBaseline(**kw), X, epochs, clean, videos, n_train
    )
    without = _held_out_r(
        RidgeEncodingBaseline(onset=False, **kw), X, epochs, clean, videos, n_train
    )
    blind = _held_out_r(
        GrandAverageBaseline(noise=None), X, epochs, clean, videos, n_train
    )
    assert with_onset > 0.9
    assert with_onset > without + 0.2
    assert with_onset > blind + 0.2  # the onset and the features, not one of them
    # the onset response is the time-locked mean shared by all videos
    est = RidgeEncodingBaseline(**kw).fit(X, epochs)
    np.testing.assert_allclose(est.onset_times_, times)
    assert est.onset_response_.shape == (62, N_T)
    assert est.onset_shrinkage_ == 1.0  # kept whole by the CV
    assert pearson_correlation(clean.mean(0)[None], est.onset_response_[None]) > 0.85
    planted = 1.5e-5 * pattern[:, None] * onset
    assert pearson_correlation(planted[None], est.onset_response_[None]) > 0.9
    # with the features shrunk away and the onset kept whole, it is the
    # video-blind grand average
    one = epochs[(epochs.metadata["subject"] == "02").to_numpy()]
    blind = RidgeEncodingBaseline(noise=None, alphas=(1e12,), onset_shrinkages=(1,))
    grand = GrandAverageBaseline(noise=None).fit(X, one)
    np.testing.assert_allclose(
        blind.fit(X, one).generate(X.isel(video=[0, 1]), subject="02").get_data(),
        grand.generate(X.isel(video=[0, 1]), subject="02").get_data(),
        atol=1e-4 * np.abs(clean).max(),
    )


def test_ridge_design_is_zero_before_onset(seed_info):
    """Lags reaching before t = 0 read 0 (nothing shown), not the first frame."""
    rng = np.random.default_rng(2)
    n_v, n_frames = 4, 50
    ftimes = np.arange(n_frames) / 25.0
    X = xr.DataArray(
        rng.standard_normal((n_v, n_frames, 1)) + 3.0,
        dims=("video", "frame", "feature"),
        coords={"video": [f"v{k}" for k in range(n_v)], "time": ("frame", ftimes)},
    ).assign_coords(feature=["lum"])
    tmin = -0.1  # epochs start before the clip
    epochs = mne.EpochsArray(
        rng.standard_normal((n_v, 62, N_T)) * 1e-5,
        seed_info,
        tmin=tmin,
        metadata=pd.DataFrame(
            {"video": X["video"].values, "subject": "01", "emotion": "neutral"}
        ),
        verbose=False,
    )
    est = RidgeEncodingBaseline(expansions=("derivative",), alphas=(1.0,)).fit(
        X, epochs
    )
    assert est.regressors_ == ["lum", "lum:diff"]
    design = est._design(X)
    n_on = est.n_onset_
    # the onset: an impulse at t = 0 with a column per lag (sample) after it
    shown = epochs.times >= -1e-9
    assert n_on == shown.sum()
    np.testing.assert_array_equal(design[:, ~shown, :n_on], 0.0)
    np.testing.assert_array_equal(design[0, shown, :n_on], np.eye(n_on))
    lagged = design[..., n_on:].reshape(n_v, N_T, len(est.lags_), 2)
    z = (X.values[..., 0] - est.feature_scale_["mean"]) / est.feature_scale_["std"]
    for li, lag in enumerate(est.lags_):
        before = epochs.times - lag < -1e-9
        assert before.any()
        np.testing.assert_array_equal(lagged[:, before, li], 0.0)
        after = ~before
        expected = [np.interp(epochs.times[after] - lag, ftimes, zv) for zv in z]
        np.testing.assert_allclose(lagged[:, after, li, 0], expected, atol=1e-12)
    # not what np.interp alone gives: the first frame held before t = 0
    assert np.abs(z[:, 0]).max() > 0.5
    # the derivative's first frame is the step from nothing to frame 0
    at_lag0 = lagged[:, np.isclose(epochs.times, 0.0), 0, 1][:, 0]
    np.testing.assert_allclose(at_lag0, z[:, 0])


def test_ridge_expansions(seed_info, planted_lagged_mapping, planted):
    X, epochs, _, _ = planted
    full = RidgeEncodingBaseline(noise=None).fit(X, epochs)
    assert full.expansions == EXPANSIONS
    names = ["a", "b", "c"]
    suffixes = ["", ":pos", ":neg", ":log", ":diff", ":diff:pos", ":diff:neg"]
    assert full.regressors_ == [f"{n}{s}" for s in suffixes for n in names]
    assert full.model_.coef_.shape == (62, N_T + len(full.lags_) * 21)
    plain = RidgeEncodingBaseline(noise=None, expansions=()).fit(X, epochs)
    assert plain.regressors_ == names
    Xs = X.isel(video=slice(0, 3))
    assert not np.allclose(
        full.generate(Xs, subject="01").get_data(),
        plain.generate(Xs, subject="01").get_data(),
    )
    # a rectified response: the expansions recover it, the linear model cannot
    rng = np.random.default_rng(3)
    n_v, n_train = 30, 20
    Xr, _, videos = planted_lagged_mapping(n_v, rng, sfreq=SFREQ, n_times=N_T)
    times = np.arange(N_T) / SFREQ
    ftimes = Xr["time"].values
    gains = rng.standard_normal(62)
    a = [np.interp(times - DELAY, ftimes, Xr.values[v, :, 0]) for v in range(n_v)]
    clean = np.stack([gains[:, None] * np.maximum(x, 0) * 2 for x in a]) * 1e-5
    ep = _epochs(clean, videos, seed_info, rng, noise=0.2e-5)
    late = slice(int(DELAY * SFREQ), None)
    r = {}
    for key, exp in (("rect", ("rectified",)), ("none", ())):
        Xtr, ep_tr, Xte, _ = _split(Xr, ep, videos, n_train=n_train)
        est = RidgeEncodingBaseline(noise=None, onset=False, expansions=exp)
        pred = est.fit(Xtr, ep_tr).generate(Xte, subject="01").get_data()
        r[key] = pearson_correlation(clean[n_train:, :, late], pred[..., late])
    assert r["rect"] > 0.9
    assert r["rect"] > r["none"] + 0.05
    with pytest.raises(ValueError, match="expansions"):
        RidgeEncodingBaseline(expansions=("square",)).fit(X, epochs)


def test_ridge_alpha_by_cross_validation(planted):
    X, epochs, _, _ = planted
    alphas = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
    est = RidgeEncodingBaseline(noise=None, alphas=alphas, cv=4).fit(X, epochs)
    assert est.alpha_.shape == (62,)
    assert np.isin(est.alpha_, alphas).all()
    assert est.onset_shrinkage_ in ONSET_SHRINKAGES
    mse = est.model_.cv_mse_
    assert mse.shape == (len(alphas), len(ONSET_SHRINKAGES), 62)
    # the onset shrinkage is the best by the CV error summed over channels,
    # the alpha of each channel the best at that shrinkage
    k = ONSET_SHRINKAGES.index(est.onset_shrinkage_)
    assert k == mse.min(0).sum(-1).argmin()
    np.testing.assert_array_equal(est.alpha_, np.asarray(alphas)[mse[:, k].argmin(0)])
    # the choice matters: the error differs over the grid on every channel
    assert (mse.min((0, 1)) < mse.max((0, 1))).all()
    # no shared response was planted: the onset is dropped (mostly)
    assert est.onset_shrinkage_ <= 0.25
    # one alpha and no onset skip the cross-validation
    one = RidgeEncodingBaseline(noise=None, onset=False, alphas=(10.0,))
    one.fit(X, epochs)
    assert one.model_.cv_mse_ is None
    np.testing.assert_array_equal(one.alpha_, 10.0)
    # by-subject models choose their own penalties from the grid
    by = RidgeEncodingBaseline(noise=None, alphas=alphas, by_subject=True)
    by.fit(X, epochs)
    for model in by.subject_models_.values():
        assert np.isin(model.alpha_, alphas).all()
    with pytest.raises(ValueError, match="alphas must be positive"):
        RidgeEncodingBaseline(alphas=(0.0, 1.0)).fit(X, epochs)
    with pytest.raises(
        ValueError, match=r"onset_shrinkages must be numbers in \[0, 1\]"
    ):
        RidgeEncodingBaseline(onset_shrinkages=(1.5,)).fit(X, epochs)
    one_video = epochs[(epochs.metadata["video"] == X["video"].values[0]).to_numpy()]
    with pytest.raises(ValueError, match="at least 2 training videos"):
        RidgeEncodingBaseline().fit(X, one_video)


@pytest.mark.parametrize("cls", BASELINES)
def test_predict_is_the_noiseless_generate(cls, planted):
    X, epochs, _, videos = planted
    X_tr, ep_tr, X_te, test = _split(X, epochs, videos)
    est = cls(noise=None, random_state=0).fit(X_tr, ep_tr)
    emotion = {v: EMOTIONS[k % 3] for k, v in enumerate(test)}
    for subject in (None, "02"):
        means = est.predict(X_te, subject=subject, emotion=emotion)
        gen = est.generate(X_te, subject=subject, emotion=emotion)
        assert means.shape == (len(test), 62, N_T)
        np.testing.assert_allclose(means, gen.get_data(), rtol=0, atol=1e-20)


@pytest.mark.parametrize("cls", BASELINES)
def test_state_round_trip_predicts_alike(cls, planted, tmp_path):
    """``_to_state`` -> a generator file's encoding -> ``_from_state``."""
    from mne_video2eeg._checkpoint import _decode, _encode

    X, epochs, _, videos = planted
    X_tr, ep_tr, X_te, test = _split(X, epochs, videos)
    est = cls(noise=None, random_state=0).fit(X_tr, ep_tr)
    state = _decode(_encode(est._to_state()))  # tensors and JSON, as in a file
    back = cls._from_state(state, est.info_)
    assert back.get_params() == est.get_params()
    emotion = {v: "neutral" for v in test}
    for subject in (None, "01"):
        np.testing.assert_array_equal(
            back.predict(X_te, subject=subject, emotion=emotion),
            est.predict(X_te, subject=subject, emotion=emotion),
        )
