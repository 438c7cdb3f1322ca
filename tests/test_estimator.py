import json
import pickle

import mne
import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mne_video2eeg import (
    Video2EEGGenerator,
    make_seed_montage,
    read_generator,
)
from mne_video2eeg.metrics import evoked_correlation

CHANNELS = ["FZ", "CZ", "PZ", "C3", "C4", "P3", "P4", "POZ", "O1", "OZ", "O2", "CB1"]
SFREQ, N_TIMES = 100.0, 100
TINY = dict(
    module__width=16,
    module__depth=1,
    module__patch_size=10,
    n_epochs=3,
    batch_size=8,
    n_inference_steps=5,
    sfreq=SFREQ,
    device="cpu",
    random_state=0,
)


def _features(n_videos, rng, *, n_frames=10, n_features=4, prefix="v"):
    return xr.DataArray(
        rng.standard_normal((n_videos, n_frames, n_features)),
        dims=("video", "frame", "feature"),
        coords={
            "video": [f"{prefix}{k:02d}.avi" for k in range(n_videos)],
            "time": ("frame", np.arange(n_frames) / 10.0),
            "feature": [f"f{k}" for k in range(n_features)],
        },
        attrs={"encoder": "lowlevel", "fps": 10.0},
    )


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    feats = _features(6, rng)
    info = mne.create_info(CHANNELS, SFREQ, "eeg")
    info.set_montage(make_seed_montage())
    rows, data = [], []
    emotions = ["negative", "neutral", "positive"]
    for subject in ("01", "02"):
        for k, vid in enumerate(feats["video"].values):
            lum = np.repeat(feats.values[k, :, 0], N_TIMES // 10)
            clip = rng.standard_normal((len(CHANNELS), N_TIMES)) * 5e-6
            clip[-4:] += lum * 10e-6  # occipital channels follow the video
            data.append(clip)
            rows.append(dict(video=str(vid), subject=subject, emotion=emotions[k % 3]))
    md = pd.DataFrame(rows)
    events = np.column_stack(
        [np.arange(len(md)) * N_TIMES, np.zeros(len(md), int), np.ones(len(md), int)]
    )
    epochs = mne.EpochsArray(np.array(data), info, events, metadata=md, verbose=False)
    gen = Video2EEGGenerator(**TINY).fit(feats, epochs)
    return feats, epochs, gen


def test_sklearn_api():
    gen = Video2EEGGenerator(**TINY)
    params = gen.get_params()
    assert params["module__width"] == 16 and params["n_epochs"] == 3
    twin = clone(gen)
    assert twin.get_params() == params
    twin.set_params(module__width=8, module__lag_s=0.2)
    assert twin.module__width == 8 and gen.module__width == 16
    assert clone(twin).get_params()["module__lag_s"] == 0.2
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument\(s\) \['widht'\]"
    ):
        Video2EEGGenerator(widht=8)
    with pytest.raises(NotFittedError):
        gen.generate(_features(2, np.random.default_rng(0)))


def test_fit_sets_attributes(tiny):
    feats, epochs, gen = tiny
    assert gen.info_.ch_names == CHANNELS
    assert gen.subjects_ == ["01", "02"]
    assert gen.emotions_ == ["negative", "neutral", "positive"]
    assert set(gen.graphs_) == {"electrode", "signal"}
    for adj in gen.graphs_.values():
        assert adj.shape == (12, 12)
        np.testing.assert_allclose(adj, adj.T)
    assert len(gen.history_) == TINY["n_epochs"]
    assert all(np.isfinite(h["loss"]) for h in gen.history_)
    assert isinstance(gen.module_, torch.nn.Module)
    # parameters were not rewritten by fit
    assert gen.get_params()["sfreq"] == SFREQ


def test_generate_outputs_mne_objects(tiny):
    feats, epochs, gen = tiny
    new = feats.isel(video=[0, 2])
    out = gen.generate(new, subject="01", n_samples=3, random_state=1)
    assert isinstance(out, mne.EpochsArray)
    assert out.get_data().shape == (6, 12, N_TIMES)
    assert out.ch_names == CHANNELS and out.info["sfreq"] == SFREQ
    assert out.get_montage() is not None
    assert list(out.metadata.columns) == ["video", "subject", "emotion", "sample"]
    assert list(out.metadata["sample"]) == [0, 1, 2, 0, 1, 2]
    assert list(out.metadata["emotion"][:1]) == ["negative"]  # from training
    assert set(out.event_id) == {"negative", "positive"}
    # Volts on the scale of the training data, not unit variance
    assert 1e-7 < out.get_data().std() < 1e-3
    same = gen.generate(new, subject="01", n_samples=3, random_state=1)
    np.testing.assert_array_equal(out.get_data(), same.get_data())
    other = gen.generate(new, subject="01", n_samples=3, random_state=2)
    assert not np.allclose(out.get_data(), other.get_data())
    pop = gen.generate(new, n_samples=1, emotion="positive", random_state=1)
    assert set(pop.metadata["subject"]) == {"unknown"}
    assert set(pop.metadata["emotion"]) == {"positive"}


def test_generate_raw(tiny):
    feats, _, gen = tiny
    raw = gen.generate_raw(feats.isel(video=[0, 1]), subject="02", random_state=0)
    assert raw.n_times == 2 * N_TIMES
    assert list(raw.annotations.description) == ["negative", "neutral"]
    assert raw.annotations.extras[1]["video"] == "v01.avi"


def test_save_read_round_trip(tiny, tmp_path):
    feats, _, gen = tiny
    fname = gen.save(tmp_path / "gen.pt")
    with pytest.raises(FileExistsError, match="overwrite"):
        gen.save(fname)
    back = read_generator(fname, device="cpu")
    assert back.get_params()["module__width"] == gen.module__width
    assert back.subjects_ == gen.subjects_
    a = gen.generate(feats.isel(video=[1]), subject="02", random_state=5)
    b = back.generate(feats.isel(video=[1]), subject="02", random_state=5)
    np.testing.assert_array_equal(a.get_data(), b.get_data())
    assert b.get_montage() is not None


def test_read_generator_refuses_unsafe_and_foreign(tiny, tmp_path):
    _, _, gen = tiny

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "evil.pt"
    with open(bad, "wb") as fid:
        pickle.dump({"format": "x", "obj": Evil()}, fid)
    with pytest.raises(ValueError, match="not a readable"):
        read_generator(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not an mne-video2eeg generator"):
        read_generator(foreign)
    fname = gen.save(tmp_path / "gen.pt")
    payload = torch.load(fname, weights_only=True)
    payload["version"] = "0.0.1"
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="written by mne-video2eeg 0.0.1"):
        read_generator(tmp_path / "old.pt")
    payload = torch.load(fname, weights_only=True)
    key = next(iter(payload["state_dict"]))
    payload["state_dict"][key] = torch.zeros(1, 2, 3)
    torch.save(payload, tmp_path / "tampered.pt")
    with pytest.raises(ValueError, match="do not fit"):
        read_generator(tmp_path / "tampered.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        read_generator(tmp_path / "text.pt")


def test_bad_inputs(tiny):
    feats, epochs, gen = tiny
    with pytest.raises(ValueError, match="Unknown subject '07'"):
        gen.generate(feats, subject="07")
    with pytest.raises(ValueError, match="features"):
        gen.generate(feats.isel(feature=[0, 1]))
    with pytest.raises(TypeError, match="xarray.DataArray"):
        gen.generate(feats.values)
    fresh = Video2EEGGenerator(**TINY)
    with pytest.raises(ValueError, match="No video features for 5 video"):
        fresh.fit(feats.isel(video=[0]), epochs)
    dup = xr.concat([feats, feats.isel(video=[0])], dim="video")
    with pytest.raises(ValueError, match="duplicate video ids"):
        fresh.fit(dup, epochs)
    bare = epochs.copy()
    bare.metadata = bare.metadata.drop(columns=["emotion"])
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['emotion'\]"):
        fresh.fit(feats, bare)
    with pytest.raises(TypeError, match="mne.Epochs"):
        fresh.fit(feats, epochs.get_data())
    nan = epochs.copy()
    nan._data[0, 3, 5] = np.nan
    with pytest.raises(ValueError, match="C3"):
        fresh.fit(feats, nan)
    with pytest.raises(ValueError, match="graphs"):
        clone(fresh).set_params(graphs=("brain",)).fit(feats, epochs)
    with pytest.raises(ValueError, match="prediction_type='epsilon'.*'dpmsolver'"):
        clone(fresh).set_params(module__prediction_type="epsilon").fit(feats, epochs)
    with pytest.raises(ValueError, match="Unknown network setting module__wdth"):
        clone(fresh).set_params(module__wdth=3).fit(feats, epochs)
    with pytest.raises(ValueError, match="estimator's own parameter 'graph_da'"):
        clone(fresh).set_params(module__graph_da=False).fit(feats, epochs)
    with pytest.raises(ValueError, match="width must be a positive int"):
        clone(fresh).set_params(module__width=0).fit(feats, epochs)
    with pytest.raises(ValueError, match="sampler.*trigflow"):
        clone(fresh).set_params(sampler="euler").fit(feats, epochs)
    nopos = mne.EpochsArray(
        epochs.get_data(),
        mne.create_info(CHANNELS, SFREQ, "eeg"),
        metadata=epochs.metadata,
        verbose=False,
    )
    with pytest.raises(ValueError, match="no position"):
        fresh.fit(feats, nopos)


def test_other_sfreq_warns_and_resamples(tiny):
    feats, epochs, _ = tiny
    up = epochs.copy().resample(200.0, verbose=False)
    gen = Video2EEGGenerator(**{**TINY, "n_epochs": 1})
    with pytest.warns(RuntimeWarning, match="resampled"):
        gen.fit(feats, up)
    assert gen.info_["sfreq"] == SFREQ and gen.n_times_ == N_TIMES


def test_unconditional_ignores_the_video(tiny):
    feats, epochs, _ = tiny
    gen = Video2EEGGenerator(**{**TINY, "condition_on_video": False}).fit(feats, epochs)
    a = gen.generate(feats.isel(video=[0]), subject="01", random_state=3)
    b = gen.generate(feats.isel(video=[3]), subject="01", random_state=3)
    np.testing.assert_allclose(a.get_data(), b.get_data())
    onset = Video2EEGGenerator(**{**TINY, "condition_on_video": "onset"}).fit(
        feats, epochs
    )
    a = onset.generate(feats.isel(video=[0]), subject="01", random_state=3)
    b = onset.generate(feats.isel(video=[3]), subject="01", random_state=3)
    np.testing.assert_allclose(a.get_data(), b.get_data())
    with pytest.raises(ValueError, match="condition_on_video"):
        clone(onset).set_params(condition_on_video="video").fit(feats, epochs)
    conditional = tiny[2]
    c = conditional.generate(feats.isel(video=[0]), subject="01", random_state=3)
    d = conditional.generate(feats.isel(video=[3]), subject="01", random_state=3)
    assert not np.allclose(c.get_data(), d.get_data())


def test_interrupted_fit_resumes_to_the_same_result(tiny, tmp_path, monkeypatch):
    from mne_video2eeg import _checkpoint as est

    feats, epochs, _ = tiny
    params = {**TINY, "n_epochs": 4, "checkpoint_every": 1}
    straight = Video2EEGGenerator(**params).fit(feats, epochs)

    original = est.TrainingCheckpoint.callback

    def interrupt_after_two(self, epoch, row, state_fn):
        original(self, epoch, row, state_fn)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(est.TrainingCheckpoint, "callback", interrupt_after_two)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        Video2EEGGenerator(**params, checkpoint_dir=ckpt).fit(feats, epochs)
    assert (ckpt / "training.pt").is_file()
    monkeypatch.setattr(est.TrainingCheckpoint, "callback", original)
    resumed = Video2EEGGenerator(**params, checkpoint_dir=ckpt).fit(feats, epochs)
    assert [h["epoch"] for h in resumed.history_] == [1, 2, 3, 4]
    for (name, a), b in zip(
        straight.module_.state_dict().items(),
        resumed.module_.state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b, msg=name)
    # a checkpoint of another fit is refused, not continued
    with pytest.raises(ValueError, match="another fit"):
        Video2EEGGenerator(**{**params, "module__width": 8}, checkpoint_dir=ckpt).fit(
            feats, epochs
        )


def test_same_seed_same_model_other_seed_differs(tiny):
    feats, epochs, gen = tiny
    twin = Video2EEGGenerator(**TINY).fit(feats, epochs)
    for a, b in zip(
        gen.module_.state_dict().values(),
        twin.module_.state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b)
    other = Video2EEGGenerator(**{**TINY, "random_state": 1}).fit(feats, epochs)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(
            gen.module_.state_dict().values(),
            other.module_.state_dict().values(),
            strict=True,
        )
    )


# --- what a new user hits first: units, feature rate/config, labels, verbosity
def test_fit_warns_on_microvolts(tiny):
    feats, epochs, _ = tiny
    micro = epochs.copy().apply_function(lambda x: x * 1e6)
    with pytest.warns(RuntimeWarning, match=r"microvolts.*1e-6"):
        Video2EEGGenerator(**dict(TINY, n_epochs=1)).fit(feats, micro)


def test_generate_checks_rate_size_and_encoder(tiny):
    feats, _, gen = tiny
    slow = feats.assign_coords(time=("frame", np.arange(feats.sizes["frame"]) / 2.0))
    slow.attrs["fps"] = 2.0
    with pytest.raises(ValueError, match=r"at 2 Hz.*fitted on features at 10 Hz"):
        gen.generate(slow)
    other = feats.copy()
    other.attrs["size"] = 128
    fitted_size = gen.feature_attrs_.get("size")
    gen.feature_attrs_["size"] = 256
    try:
        with pytest.warns(RuntimeWarning, match=r"size 128.*size=256"):
            gen.generate(other.isel(video=[0]), random_state=0)
        cfg = dict(encoder="lowlevel", version=1, flow="DIS-ultrafast")
        gen.feature_attrs_["config"] = json.dumps(cfg)
        newer = feats.copy()
        newer.attrs["config"] = json.dumps(dict(cfg, version=3))
        with pytest.raises(ValueError, match=r"version: 3 \(fit: 1\)"):
            gen.generate(newer)
    finally:
        gen.feature_attrs_.pop("config", None)
        if fitted_size is None:
            gen.feature_attrs_.pop("size")
        else:
            gen.feature_attrs_["size"] = fitted_size


def test_unseen_videos_are_unknown_and_logged(tiny):
    feats, _, gen = tiny
    unseen = _features(2, np.random.default_rng(5), prefix="new")
    with mne.utils.catch_logging(verbose=True) as log:
        out = gen.generate(unseen, n_samples=2, random_state=0, verbose=True)
    assert set(out.metadata["emotion"]) == {"unknown"}
    assert set(out.event_id) == {"unknown"}
    assert "2 of 2 video(s) have no emotion label" in log.getvalue()
    mixed = gen.generate(
        feats.isel(video=[0]), n_samples=1, random_state=0, verbose=False
    )
    assert list(mixed.metadata["emotion"]) == ["negative"]  # known from training
    given = gen.generate(unseen, emotion={"new00.avi": "positive", "new01.avi": "x"})
    assert list(given.metadata["emotion"]) == ["positive", "x"]


def test_subject_labels_follow_one_rule(tiny):
    feats, epochs, gen = tiny
    out = gen.generate(feats.isel(video=[0]), subject=1, random_state=0)
    assert set(out.metadata["subject"]) == {"01"}
    with pytest.raises(ValueError, match="Unknown subject '07'"):
        gen.generate(feats.isel(video=[0]), subject=7)
    # integer subjects in metadata become the same labels
    as_int = epochs.copy()
    as_int.metadata = as_int.metadata.assign(
        subject=as_int.metadata["subject"].astype(int)
    )
    fitted = Video2EEGGenerator(**dict(TINY, n_epochs=1)).fit(feats, as_int)
    assert fitted.subjects_ == ["01", "02"]
    # metrics match 1 and "01" as the same subject: one real clip per
    # (video, subject) key, where matching by video alone would find two
    with pytest.warns(RuntimeWarning, match="one real trial per key"):
        score = evoked_correlation(as_int, out, verbose=False)
    assert np.isfinite(float(score["value"]))


def test_constructor_verbose_is_the_default(tiny, tmp_path):
    feats, epochs, _ = tiny
    with mne.utils.catch_logging(verbose=True) as log:
        quiet = Video2EEGGenerator(**dict(TINY, n_epochs=2), verbose="error")
        quiet.fit(feats, epochs)
        quiet.generate(feats.isel(video=[0]))
    assert log.getvalue() == ""
    with mne.utils.catch_logging(verbose=True) as log:
        quiet.generate(feats.isel(video=[0]), verbose=True)  # the call wins
    assert "Generating" not in log.getvalue()  # the bar goes to stderr, not the log
    with mne.utils.catch_logging(verbose=True) as log:
        gen = Video2EEGGenerator(**dict(TINY, n_epochs=2), verbose=True)
        gen.fit(feats, epochs)
    text = log.getvalue()
    assert "Fitting on" in text and "Fitted 2 epoch(s)" in text
    assert "Epoch 1/2" not in text  # per-epoch losses: debug level and history_
    assert len(gen.history_) == 2
    with mne.utils.catch_logging(verbose=True) as log:
        Video2EEGGenerator(**dict(TINY, n_epochs=2), verbose="debug").fit(feats, epochs)
    assert "Epoch 2/2" in log.getvalue()
    fname = gen.save(tmp_path / "gen.pt")
    assert read_generator(fname, verbose="error").verbose == "error"
    assert read_generator(fname).verbose is True


# --- one owner of configuration and fitted state
def test_every_network_setting_is_routed_and_saved(tiny, tmp_path):
    from mne_video2eeg.nn.config import network_settings

    feats, epochs, _ = tiny
    changed = {
        "n_heads": 2,
        "n_hops": 2,
        "n_filters": 2,
        "da_noise_std": 0.05,
        "da_node_drop": 0.2,
        "cross_attention": False,
        "lag_path": True,
        "lag_s": 0.3,
        "lag_width": 8,
        "ref_encoder": False,
        "mlp_ratio": 3,
        "prediction_type": "v_prediction",
        "cond_drop_prob": 0.2,
        "width": 12,
        "depth": 1,
        "patch_size": 20,
        "num_train_timesteps": 500,
        "adv_weight": 0.2,
        "trf_weight": 0.5,
        "residual": True,
        "subject_drop_prob": 0.2,
    }
    settings = network_settings()
    assert set(changed) == set(settings["denoiser"]) | set(settings["diffusion"])
    params = dict(TINY, n_epochs=1, **{f"module__{k}": v for k, v in changed.items()})
    gen = Video2EEGGenerator(**params).fit(feats, epochs)
    config = {**gen.module_config_["denoiser"], **gen.module_config_["diffusion"]}
    assert {k: config[k] for k in changed} == changed
    den = gen.module_.denoiser
    assert den.patch_size == 20 and gen.module_.adv_weight == 0.2
    back = read_generator(gen.save(tmp_path / "g.pt"), device="cpu")
    assert back.module_config_ == gen.module_config_
    assert back.get_params() == gen.get_params()
    a = gen.generate(feats.isel(video=[0]), random_state=0).get_data()
    b = back.generate(feats.isel(video=[0]), random_state=0).get_data()
    np.testing.assert_array_equal(a, b)


def test_former_parameters_warn_and_route(tiny):
    feats, epochs, _ = tiny
    old = {k: v for k, v in TINY.items() if not k.startswith("module__")}
    gen = Video2EEGGenerator(**dict(old, n_epochs=1), width=12, n_train_timesteps=400)
    assert clone(gen).get_params()["width"] == 12
    with pytest.warns(FutureWarning) as record:
        gen.fit(feats, epochs)
    said = sorted(str(w.message) for w in record)
    assert "pass module__num_train_timesteps=400" in said[0]
    assert "width= is deprecated" in said[1] and "module__width=12" in said[1]
    assert gen.module_config_["denoiser"]["width"] == 12
    assert gen.module_config_["diffusion"]["num_train_timesteps"] == 400


def test_expected_eeg_mtrf_is_the_diffusions_mean(tiny, tmp_path):
    """expected_eeg='mtrf': the mTRF's prediction is the mean the diffusion adds."""
    from mne_video2eeg.baselines import GrandAverageBaseline, RidgeEncodingBaseline
    from mne_video2eeg.nn.sampling import index_cond

    feats, epochs, _ = tiny
    gen = Video2EEGGenerator(**dict(TINY, n_epochs=1), expected_eeg="mtrf")
    assert clone(gen).get_params()["expected_eeg"] == "mtrf"
    gen.fit(feats, epochs)
    assert isinstance(gen.mean_model_, RidgeEncodingBaseline)
    # the network's context holds the mTRF's prediction at working scale
    pred = gen.mean_model_.predict(feats.isel(video=[1]), subject="02")
    want = (pred - gen.scale_["mean"][:, None]) / gen.scale_["std"][:, None]
    cond = {
        "video": torch.from_numpy(feats.values[[1]].astype(np.float32)),
        "video_time": torch.from_numpy(feats["time"].values.astype(np.float32)),
        "subject": torch.tensor([1]),
        "expected_eeg": torch.from_numpy(want.astype(np.float32)),
    }
    cond = index_cond({"x0": cond["video"], **cond}, [0], "cpu")
    with torch.no_grad():
        ctx = gen.module_.denoiser.cond(cond)
    np.testing.assert_allclose(ctx["mean"][0, :, :N_TIMES].numpy(), want[0], atol=1e-5)
    # the file keeps the mean model: the same draw after save and read
    back = read_generator(gen.save(tmp_path / "mtrf.pt"), device="cpu")
    for subject in ("02", None):
        a = gen.generate(feats.isel(video=[1, 2]), subject=subject, random_state=3)
        b = back.generate(feats.isel(video=[1, 2]), subject=subject, random_state=3)
        np.testing.assert_array_equal(a.get_data(), b.get_data())
    # what the network may know decides the mean model
    onset = Video2EEGGenerator(
        **dict(TINY, n_epochs=1), expected_eeg="mtrf", condition_on_video="onset"
    ).fit(feats, epochs)
    assert isinstance(onset.mean_model_, GrandAverageBaseline)
    blind = Video2EEGGenerator(
        **dict(TINY, n_epochs=1), expected_eeg="mtrf", condition_on_video=False
    ).fit(feats, epochs)
    assert blind.mean_model_ is None
    with pytest.raises(ValueError, match="expected_eeg.*learned.*mtrf"):
        Video2EEGGenerator(**TINY, expected_eeg="ridge").fit(feats, epochs)


def test_expected_eeg_shape_is_checked(tiny):
    feats, _, gen = tiny
    cond = {
        "video": torch.zeros(2, 10, 4),
        "video_time": torch.arange(10) / 10.0,
        "subject": torch.tensor([0, 1]),
        "expected_eeg": torch.zeros(2, 3, N_TIMES),
    }
    with pytest.raises(ValueError, match=r"expected_eeg must have shape \(2, 12"):
        gen.module_.denoiser.cond(cond)


def test_expected_eeg_one_video_and_wide_features(tiny):
    """One training video (no cross-validation) and CLIP-wide features fit."""
    from mne_video2eeg._expected import MAX_MTRF_COLUMNS, mtrf_settings

    feats, epochs, _ = tiny
    one = str(feats["video"].values[0])
    sel = (epochs.metadata["video"] == one).to_numpy()
    gen = Video2EEGGenerator(**dict(TINY, n_epochs=1)).fit(
        feats.sel(video=[one]), epochs[sel]
    )
    assert gen.mean_model_.alpha_.tolist() == [1e3] * len(CHANNELS)
    assert mtrf_settings(13) == {}  # the low-level encoder: the full design
    for n_features in (64, 768):
        settings = mtrf_settings(n_features)
        assert settings["expansions"] == ()
        n_lags = round(0.4 / settings.get("lag_step", 0.02)) + 1
        assert n_features * n_lags <= MAX_MTRF_COLUMNS
