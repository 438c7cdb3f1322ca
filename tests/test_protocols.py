"""Leave-one-subject-out protocol: folds, held-out clips, scores per subject."""

import mne
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mne_video2eeg.baselines import EmotionTemplateBaseline, RidgeEncodingBaseline
from mne_video2eeg.protocols import leave_one_subject_out

EMOTIONS = ("negative", "neutral", "positive")
SFREQ, N_T = 200.0, 400
SUBJECTS = ("01", "02", "03")
FAST = ["evoked_correlation", "pearson_correlation"]


@pytest.fixture(scope="module")
def planted(seed_info, planted_lagged_mapping):
    """Three subjects, one shared mapping: EEG = gains x feature 'a' 100 ms late."""
    rng = np.random.default_rng(0)
    n_v = 18
    X, truth, videos = planted_lagged_mapping(n_v, rng, sfreq=SFREQ, n_times=N_T)
    data, clean, md = [], [], []
    for k, s in enumerate(SUBJECTS):
        for v in range(n_v):
            c = truth[v] * 1e-5 + (k - 1) * 1e-6  # subject offset
            clean.append(c)
            data.append(c + 0.5e-5 * rng.standard_normal((62, N_T)))
            md.append({"video": videos[v], "subject": s, "emotion": EMOTIONS[v % 3]})
    md = pd.DataFrame(md)
    kw = dict(metadata=md, verbose=False)
    epochs = mne.EpochsArray(np.array(data), seed_info, **kw)
    clean = mne.EpochsArray(np.array(clean), seed_info, **kw)
    return X, epochs, clean, videos


class _Spy(EmotionTemplateBaseline):
    """Records what each fold was fitted on and asked to generate."""

    calls: list = []

    def fit(self, X, y, *, verbose=None):
        _Spy.calls.append(("fit", set(y.metadata["subject"]), set(y.metadata["video"])))
        return super().fit(X, y, verbose=verbose)

    def generate(self, X, **kwargs):
        _Spy.calls.append(("generate", kwargs["subject"], set(X["video"].values)))
        return super().generate(X, **kwargs)


def test_loso_scores_every_subject(planted):
    X, epochs, clean, _ = planted
    est = RidgeEncodingBaseline(random_state=0)
    scores = leave_one_subject_out(
        est, X, epochs, clean=clean, n_samples=4, metrics=FAST, random_state=0
    )
    assert isinstance(scores, xr.Dataset)
    assert list(scores["subject"].values) == list(SUBJECTS)
    np.testing.assert_array_equal(scores["n_train_epochs"], 36)
    np.testing.assert_array_equal(scores["n_test_epochs"], 18)
    assert (scores["sample_time_s"] > 0).all()
    # the mapping is shared: the held-out subject's truth is recovered
    value, mism = scores["evoked_correlation"], scores["evoked_mismatched"]
    ceiling = scores["evoked_ceiling"]
    assert (value > 0.5).all() and (value > mism + 0.4).all()
    assert (ceiling > value).all() and (ceiling <= 1).all()
    assert not hasattr(est, "info_")  # a clone was fitted, not the estimator


def test_loso_held_out_clips_stay_unseen(planted):
    X, epochs, _, videos = planted
    test = videos[:6]
    _Spy.calls = []
    scores = leave_one_subject_out(
        _Spy(random_state=0),
        X,
        epochs,
        subjects="02",
        test_videos=test,
        n_samples=2,
        metrics=["band_similarity"],
    )
    assert list(scores["subject"].values) == ["02"]
    assert scores["band_similarity"].dims == ("subject", "band")
    assert int(scores["n_train_epochs"][0]) == 2 * 12
    assert int(scores["n_test_epochs"][0]) == 6
    (_, fit_subj, fit_vids), (_, gen_subj, gen_vids) = _Spy.calls
    assert fit_subj == {"01", "03"}
    assert fit_vids.isdisjoint(test)
    assert gen_subj is None  # population embedding: the subject is unknown
    assert gen_vids == set(test)


def test_loso_prefitted(planted):
    X, epochs, clean, videos = planted
    md = epochs.metadata
    test = videos[:6]
    train = (md["subject"] != "03") & ~md["video"].isin(test)
    est = RidgeEncodingBaseline(random_state=0).fit(X, epochs[train.to_numpy()])
    kw = dict(clean=clean, n_samples=2, metrics=FAST, random_state=0, refit=False)
    scores = leave_one_subject_out(
        est, X, epochs, subjects="03", test_videos=test, **kw
    )
    assert np.isnan(scores["fit_time_s"]).all()
    again = leave_one_subject_out(
        RidgeEncodingBaseline(random_state=0),
        X,
        epochs,
        subjects="03",
        test_videos=test,
        **dict(kw, refit=True),
    )
    # the prefitted estimator is the fold's fit: same scores
    np.testing.assert_allclose(
        scores["evoked_correlation"], again["evoked_correlation"]
    )
    with pytest.raises(ValueError, match="fitted on the held-out subject '02'"):
        leave_one_subject_out(est, X, epochs, subjects="02", test_videos=test, **kw)
    with pytest.raises(ValueError, match="fitted on test videos"):
        leave_one_subject_out(
            est, X, epochs, subjects="03", test_videos=videos[6:9], **kw
        )


def test_loso_with_generator(planted):
    from mne_video2eeg import Video2EEGGenerator

    X, epochs, clean, videos = planted
    gen = Video2EEGGenerator(
        module__width=8,
        module__depth=1,
        n_epochs=1,
        n_inference_steps=2,
        device="cpu",
        random_state=0,
    )
    scores = leave_one_subject_out(
        gen,
        X,
        epochs,
        clean=clean,
        subjects=["03"],
        test_videos=videos[:3],
        n_samples=2,
        metrics=["evoked_correlation", "psd_distance"],
        random_state=0,
    )
    assert scores["evoked_correlation"].shape == (1,)
    assert np.isfinite(scores["psd_distance"]).all()


def test_loso_bad_input(planted):
    X, epochs, clean, videos = planted
    est = EmotionTemplateBaseline()
    with pytest.raises(TypeError, match="y must be"):
        leave_one_subject_out(est, X, epochs.get_data())
    with pytest.raises(ValueError, match=r"subjects \['09'\] are not in y"):
        leave_one_subject_out(est, X, epochs, subjects=["09"])
    with pytest.raises(ValueError, match="at least 2 subjects"):
        one = epochs[epochs.metadata["subject"].eq("01").to_numpy()]
        leave_one_subject_out(est, X, one)
    with pytest.raises(ValueError, match="test_videos .*nope.avi"):
        leave_one_subject_out(est, X, epochs, test_videos=["nope.avi"])
    with pytest.raises(ValueError, match="clean must align"):
        leave_one_subject_out(est, X, epochs, clean=clean[:5])
    with pytest.raises(ValueError, match="n_samples"):
        leave_one_subject_out(est, X, epochs, n_samples=0)
