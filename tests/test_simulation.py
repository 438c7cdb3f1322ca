import os
from pathlib import Path

import cv2
import mne
import numpy as np
import pytest
from mne.time_frequency import psd_array_welch

from mne_video2eeg import SEED_CH_NAMES
from mne_video2eeg.datasets import _sim_video, simulate_video_eeg

N_CLIPS, N_SUBJECTS = 12, 2
COLUMNS = [
    "subject",
    "video",
    "clip",
    "emotion",
    "flicker_hz",
    "valence",
    "luminance",
    "contrast",
    "motion",
    "hue",
    "saturation",
    "speed_hz",
    "alpha_hz",
    "theta_hz",
    "latency_ms",
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim")
    videos, epochs, clean = simulate_video_eeg(
        path,
        n_subjects=N_SUBJECTS,
        n_clips=N_CLIPS,
        return_clean=True,
        random_state=42,
        verbose="warning",
    )
    return videos, epochs, clean


def _psd(epochs, picks, fmin=2.0, fmax=20.0):
    data = epochs.get_data(picks=picks)
    psd, freqs = psd_array_welch(
        data, epochs.info["sfreq"], fmin=fmin, fmax=fmax, n_fft=400, verbose=False
    )
    return psd.mean(axis=1), freqs  # (n_epochs, n_freqs), mean over channels


def test_contract(sim):
    videos, epochs, clean = sim
    assert len(videos) == N_CLIPS
    assert all(isinstance(v, Path) and v.is_file() for v in videos)
    assert [v.name for v in videos] == [f"clip_{i:03d}.avi" for i in range(N_CLIPS)]
    assert isinstance(epochs, mne.EpochsArray)
    assert epochs.ch_names == list(SEED_CH_NAMES)
    assert epochs.get_montage() is not None
    assert epochs.info["sfreq"] == 200.0 and epochs.tmin == 0.0
    assert epochs.get_data().shape == (N_SUBJECTS * N_CLIPS, 62, 400)
    md = epochs.metadata
    assert list(md.columns) == COLUMNS
    # subject-major order, every subject watches every clip
    assert md["subject"].tolist() == ["01"] * N_CLIPS + ["02"] * N_CLIPS
    assert md["clip"].tolist() == list(range(N_CLIPS)) * N_SUBJECTS
    assert (md["video"] == [videos[c].name for c in md["clip"]]).all()
    assert epochs.event_id == {"negative": 1, "neutral": 2, "positive": 3}
    codes = md["emotion"].map(epochs.event_id).to_numpy()
    np.testing.assert_array_equal(epochs.events[:, 2], codes)
    # balanced emotions, a third of clips flicker at displayable frequencies
    assert (md.groupby("emotion").size() == N_SUBJECTS * N_CLIPS // 3).all()
    flick = md.loc[md.subject == "01", "flicker_hz"].dropna()
    assert len(flick) == N_CLIPS // 3
    assert set(flick) <= {6.0, 8.0, 12.0}
    # per-subject parameters are constant within a subject
    for col in ("alpha_hz", "theta_hz", "latency_ms"):
        assert (md.groupby("subject")[col].nunique() == 1).all()
        assert md[col].nunique() == N_SUBJECTS
    assert md["alpha_hz"].between(8, 12).all()
    # clean is aligned with epochs
    assert clean.ch_names == epochs.ch_names
    np.testing.assert_array_equal(clean.events, epochs.events)
    assert clean.metadata.equals(md)


def test_videos_read_back(sim):
    videos = sim[0]
    for fname in videos:
        cap = cv2.VideoCapture(str(fname))
        n = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            assert frame.shape == (64, 64, 3)
            n += 1
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(24.0)
        cap.release()
        assert n == 48


def test_emotion_recoverable_from_video(sim):
    md = sim[1].metadata
    means = md.groupby("emotion")[["luminance", "valence", "motion"]].mean()
    assert means.loc["negative", "luminance"] < means.loc["neutral", "luminance"]
    assert means.loc["negative", "motion"] > means.loc["positive", "motion"]
    assert (md.loc[md.emotion == "negative", "valence"] < -0.3).all()
    assert (md.loc[md.emotion == "positive", "valence"] > 0.3).all()
    assert (md.loc[md.emotion == "neutral", "saturation"] < 0.1).all()


def test_amplitude(sim):
    data = sim[1].get_data()
    assert np.isfinite(data).all()
    std = data.std(axis=-1)
    assert std.min() > 1e-6 and std.max() < 200e-6
    assert 5e-6 < np.median(std) < 50e-6


def test_alpha_peak(sim):
    epochs = sim[1]
    md = epochs.metadata
    for subject, alpha in md.groupby("subject")["alpha_hz"].first().items():
        sel = ((md.subject == subject) & md.flicker_hz.isna()).to_numpy()
        psd, freqs = _psd(epochs[sel], ["PO3", "POZ", "PO4"], 6.0, 14.0)
        peak = freqs[np.argmax(psd.mean(0))]
        assert abs(peak - alpha) <= 0.75, (subject, peak, alpha)


def test_flicker_in_occipital_spectra(sim):
    epochs = sim[1]
    md = epochs.metadata
    psd, freqs = _psd(epochs, ["O1", "OZ", "O2"])
    for f in md.flicker_hz.dropna().unique():
        fi = np.argmin(np.abs(freqs - f))
        on = psd[(md.flicker_hz == f).to_numpy(), fi].mean()
        off = psd[md.flicker_hz.isna().to_numpy(), fi].mean()
        assert on > 3 * off, (f, on / off)


def test_frontal_asymmetry_follows_valence(sim):
    epochs = sim[1]
    md = epochs.metadata
    data = epochs.get_data(picks=["F3", "F4", "FZ"])
    psd, freqs = psd_array_welch(data, 200.0, fmin=3, fmax=14, verbose=False)
    alpha = (freqs >= 8) & (freqs <= 12)
    band = psd[..., alpha].mean(-1)  # (n_epochs, 3)
    asym = np.log(band[:, 1]) - np.log(band[:, 0])  # ln F4 - ln F3
    pos = (md.emotion == "positive").to_numpy()
    neg = (md.emotion == "negative").to_numpy()
    assert asym[pos].mean() > asym[neg].mean() + 0.3
    theta = (freqs >= 4.5) & (freqs <= 7.5)
    fz_theta = np.log(psd[:, 2][:, theta].mean(-1))
    assert fz_theta[neg].mean() > fz_theta[pos].mean()


def test_clean_part(sim):
    _, epochs, clean = sim
    occ = ["O1", "OZ", "O2", "PO7", "PO8"]
    noisy, truth = epochs.get_data(picks=occ), clean.get_data(picks=occ)
    assert not np.allclose(noisy, truth)
    assert np.isfinite(truth).all() and truth.std() > 1e-7
    single = np.mean(
        [
            np.corrcoef(a.ravel(), b.ravel())[0, 1]
            for a, b in zip(noisy, truth, strict=True)
        ]
    )
    avg = np.corrcoef(noisy.mean(0).ravel(), truth.mean(0).ravel())[0, 1]
    assert avg > 0.6
    assert avg > single
    # stimulus-locked part is a minority of single-trial variance
    frac = truth.var(-1).sum(1) / noisy.var(-1).sum(1)
    assert 0.01 < np.median(frac) < 0.5


def test_determinism(tmp_path):
    kw = dict(n_subjects=1, n_clips=3, random_state=7, verbose="warning")
    v1, e1 = simulate_video_eeg(tmp_path / "a", **kw)
    v2, e2 = simulate_video_eeg(tmp_path / "b", **kw)
    for a, b in zip(v1, v2, strict=True):
        assert a.read_bytes() == b.read_bytes()
    np.testing.assert_array_equal(e1.get_data(), e2.get_data())
    assert e1.metadata.equals(e2.metadata)
    # reuse of a complete folder gives the same result without rewriting
    mtime = v1[0].stat().st_mtime_ns
    v3, e3 = simulate_video_eeg(tmp_path / "a", **kw)
    assert v3[0].stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(e1.get_data(), e3.get_data())
    _, e4 = simulate_video_eeg(tmp_path / "c", **{**kw, "random_state": 8})
    assert not np.allclose(e1.get_data(), e4.get_data())


def test_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("MNE_DATA", str(tmp_path))
    videos, epochs = simulate_video_eeg(
        n_subjects=1, n_clips=2, random_state=0, verbose="warning"
    )
    root = tmp_path / "mne-video2eeg" / "simulation"
    assert videos[0].parent.parent == root
    assert len(epochs) == 2
    assert epochs.metadata["emotion"].nunique() == 2
    assert list(epochs.event_id.values()) == sorted(
        epochs.metadata["emotion"]
        .map({"negative": 1, "neutral": 2, "positive": 3})
        .unique()
    )
    # nothing but the finished folder is left
    assert [p.name for p in root.iterdir()] == [videos[0].parent.name]


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(n_clips=0), ValueError, "n_clips"),
        (dict(n_subjects=-1), ValueError, "n_subjects"),
        (dict(n_subjects=1.5), TypeError, "n_subjects"),
        (dict(clip_duration=0.0), ValueError, "clip_duration"),
        (dict(clip_duration=0.01), ValueError, "longer clip_duration"),
        (dict(sfreq=-200.0), ValueError, "sfreq"),
        (dict(video_fps=0), ValueError, "video_fps"),
        (dict(frame_size=8), ValueError, "frame_size=16"),
        (dict(frame_size="64"), TypeError, "frame_size"),
        (dict(return_clean="yes"), TypeError, "return_clean"),
        (dict(random_state="seed"), TypeError, "random_state"),
    ],
)
def test_bad_input(tmp_path, kwargs, err, match):
    path = tmp_path / "out"
    with pytest.raises(err, match=match):
        simulate_video_eeg(path, **{"n_clips": 2, "n_subjects": 1, **kwargs})
    assert not path.exists()


def test_bad_path(tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(ValueError, match="must be a directory"):
        simulate_video_eeg(afile, n_clips=2, n_subjects=1)
    with pytest.raises(ValueError, match="writ"):
        simulate_video_eeg(afile / "sub", n_clips=2, n_subjects=1)
    with pytest.raises(TypeError, match="path"):
        simulate_video_eeg(3.0, n_clips=2, n_subjects=1)
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(ValueError, match="not writable"):
                simulate_video_eeg(ro, n_clips=2, n_subjects=1)
        finally:
            ro.chmod(0o700)


def _fail_on_second(monkeypatch):
    calls = []
    write = _sim_video._write_clip

    def flaky(fname, frames, fps):
        calls.append(fname)
        if len(calls) == 2:
            raise OSError("disk full")
        write(fname, frames, fps)

    monkeypatch.setattr(_sim_video, "_write_clip", flaky)


def test_failure_leaves_nothing(tmp_path, monkeypatch):
    _fail_on_second(monkeypatch)
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError, match="disk full"):
        simulate_video_eeg(fresh, n_clips=3, n_subjects=1, random_state=0)
    assert not fresh.exists()
    assert list(tmp_path.iterdir()) == []
    # a folder with other content keeps it and gains nothing
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    _fail_on_second(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        simulate_video_eeg(busy, n_clips=3, n_subjects=1, random_state=0)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
