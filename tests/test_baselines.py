"""The baselines: sklearn rules, output format, and a planted lagged mapping."""

import mne
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mne_video2eeg.baselines import EmotionTemplateBaseline, RidgeEncodingBaseline
from mne_video2eeg.metrics import pearson_correlation

EMOTIONS = ("negative", "neutral", "positive")
SFREQ, N_T = 200.0, 400
DELAY = 0.1  # seconds


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


@pytest.mark.parametrize("cls", [EmotionTemplateBaseline, RidgeEncodingBaseline])
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


@pytest.mark.parametrize("cls", [EmotionTemplateBaseline, RidgeEncodingBaseline])
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
    # held-out videos: the lagged mapping generalises
    assert pearson_correlation(truth, pred.get_data()) > 0.95
    np.testing.assert_allclose(est.offsets_["01"].mean(), 2e-6, atol=1e-6)
    # the weights peak at the planted delay on feature 'a'
    coef = est.model_.coef_.reshape(62, len(est.lags_), 3)
    energy = np.abs(coef).sum(0)
    assert energy[:, 0].sum() > 2 * energy[:, 1:].sum(0).max()
    assert abs(est.lags_[np.argmax(energy[:, 0])] - DELAY) <= 0.02 + 1e-9
    # per-subject models give the same picture
    by_subj = RidgeEncodingBaseline(noise=None, by_subject=True).fit(Xtr, ep_tr)
    assert (
        pearson_correlation(truth, by_subj.generate(Xte, subject="01").get_data()) > 0.9
    )


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


@pytest.mark.parametrize("cls", [EmotionTemplateBaseline, RidgeEncodingBaseline])
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
