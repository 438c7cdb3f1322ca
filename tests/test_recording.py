"""Tests for read_video_recording: a user's Raw with video onsets + video files."""

from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from _fake_seed_dv import decode_frame_index, write_block_video

from mne_video2eeg.datasets.recording import read_video_recording
from mne_video2eeg.montage import make_seed_info
from mne_video2eeg.video.io import VideoClip, read_video

# (file, n frames at 24 fps, onsets in s): "b" is shown twice, "c" never
VIDEOS = {"a.mp4": 72, "b.mp4": 60, "c.mp4": 96}
ONSETS = [("a.mp4", 2.0), ("b.mp4", 6.5), ("a.mp4", 11.0), ("b.mp4", 15.0)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rec_videos")
    paths = []
    for name, n in VIDEOS.items():
        write_block_video(folder / name, n_frames=n)
        paths.append(folder / name)
    return paths


def _raw(extra=(), subject_info=None):
    info = make_seed_info(200.0)
    rng = np.random.default_rng(0)
    data = rng.standard_normal((62, 20 * 200)) * 10e-6
    for k, (_, onset) in enumerate(ONSETS):  # marker k + 1 in FP1 at each onset
        data[0, int(onset * 200)] = (k + 1) * 1e-3
    raw = mne.io.RawArray(data, info, verbose=False)
    onsets = [o for _, o in ONSETS] + [e[1] for e in extra]
    descs = [d for d, _ in ONSETS] + [e[0] for e in extra]
    raw.set_annotations(mne.Annotations(onsets, 0.1, descs))
    if subject_info is not None:
        raw.info["subject_info"] = subject_info
    return raw


def test_clips_and_epochs(videos):
    raw = _raw(extra=[("BAD_blink", 4.0), ("rest", 17.0)])
    # no filter here: the test follows single-sample markers
    clips, ep = read_video_recording(raw, videos, subject=3, l_freq=None)
    # clip length defaults to the shortest video shown (b: 60 frames = 2.5 s)
    assert [c.id for c in clips] == ["a.mp4", "b.mp4"]
    assert all(isinstance(c, VideoClip) for c in clips)
    assert [(c.start, c.stop) for c in clips] == [(0.0, 2.5), (0.0, 2.5)]
    assert len(ep) == 4 and ep.get_data().shape == (4, 62, 500)
    md = ep.metadata
    assert list(md["video"]) == [v for v, _ in ONSETS]
    assert md["subject"].eq("03").all() and md["emotion"].eq("unknown").all()
    assert list(md["video_file"]) == list(md["video"])
    np.testing.assert_allclose(md["onset"], [o for _, o in ONSETS])
    assert list(md["stop"]) == [2.5] * 4
    # each epoch starts at its onset: marker k + 1 at sample 0 of epoch k
    np.testing.assert_allclose(ep.get_data()[:, 0, 0], [1e-3, 2e-3, 3e-3, 4e-3])
    assert ep.event_id == {"unknown": 4}
    # the clip's frames are the first 2.5 s of the file
    frames, _ = read_video(clips[1].fname, start=clips[1].start, stop=clips[1].stop,
                           size=None)  # fmt: skip
    assert [decode_frame_index(f) for f in frames] == list(range(60))


def test_options(videos):
    raw = _raw(subject_info={"his_id": "sub-x"})
    codes = {f"S{k}": v for k, v in enumerate(["a.mp4", "b.mp4"])}
    coded = _raw(subject_info={"id": 7})
    coded.annotations.rename({"a.mp4": "S0", "b.mp4": "S1"})
    clips, ep = read_video_recording(
        coded, videos, clip_duration=1.0, description_to_video=codes,
        emotions={"a.mp4": "positive", "b.mp4": "negative"},
    )  # fmt: skip
    md = ep.metadata
    assert list(md["video"]) == [v for v, _ in ONSETS]
    assert list(md["description"]) == ["S0", "S1", "S0", "S1"]
    assert md["subject"].eq("07").all()
    assert list(md["emotion"]) == ["positive", "negative"] * 2
    assert ep.event_id == {"negative": 1, "positive": 3}
    assert len(ep["positive"]) == 2 and ep.get_data().shape[-1] == 200
    assert [c.stop for c in clips] == [1.0, 1.0]
    # label_emotions' layout, and a VideoClip segment with its own id
    table = pd.DataFrame(
        {"emotion": ["neutral", "positive"]},
        index=pd.Index(["late_a", "b.mp4"], name="video"),
    )
    seg = VideoClip(videos[0], 0.5, None, name="late_a")
    raw.annotations.rename({"a.mp4": "late_a"})
    clips, ep = read_video_recording(raw, [seg, videos[1]], emotions=table)
    assert ep.metadata["subject"].eq("sub-x").all()
    assert list(ep.metadata["emotion"]) == ["neutral", "positive"] * 2
    assert (clips[0].id, clips[0].start, clips[0].stop) == ("late_a", 0.5, 3.0)
    assert list(ep.metadata["start"]) == [0.5, 0.0, 0.5, 0.0]


def test_emotion_from_annotation_extras(videos):
    raw = _raw()
    ann = raw.annotations
    extras = [
        {"emotion": "positive" if d == "a.mp4" else "neutral"} for d in ann.description
    ]
    raw.set_annotations(
        mne.Annotations(ann.onset, ann.duration, ann.description, extras=extras)
    )
    _, ep = read_video_recording(raw, videos, subject="01")
    assert list(ep.metadata["emotion"]) == ["positive", "neutral"] * 2


def test_bad_input(videos, tmp_path):
    raw = _raw()
    with pytest.raises(ValueError, match="subject_info.*subject='01'"):
        read_video_recording(raw, videos)
    with pytest.raises(TypeError, match="raw"):
        read_video_recording(raw.get_data(), videos, subject=1)
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        read_video_recording(raw, [tmp_path / "nope.mp4"], subject=1)
    with pytest.raises(ValueError, match="share the id 'a.mp4'"):
        read_video_recording(raw, [videos[0], videos[0]], subject=1)
    with pytest.raises(ValueError, match=r"b.mp4 lasts 2.500 s.*clip_duration=3"):
        read_video_recording(raw, videos, subject=1, clip_duration=3.0)
    with pytest.raises(ValueError, match="No annotation of raw names a video"):
        read_video_recording(raw, videos[2:], subject=1)
    with pytest.raises(ValueError, match="not in videos"):
        read_video_recording(
            raw, videos, subject=1, description_to_video={"a.mp4": "zzz.mp4"}
        )
    with pytest.raises(ValueError, match="no label for"):
        read_video_recording(raw, videos, subject=1, emotions={"a.mp4": "positive"})
    with pytest.raises(TypeError, match="videos must be"):
        read_video_recording(raw, 3, subject=1)
    assert Path(videos[0]).is_file()


def _own_recording(n_seconds=40.0, sfreq=240.0):
    """8 channels at 240 Hz, 10-20 names (no SEED montage), DC drifts, a blink.

    Volume conduction: 4 sources mixed into 8 channels; drifts of 50 uV.
    """
    names = ["Fpz", "T7", "O1", "POz", "Oz", "Iz", "O2", "T8"]
    rng = np.random.default_rng(5)
    n = int(n_seconds * sfreq)
    mix = rng.uniform(0.2, 1.0, size=(8, 4))
    data = mix @ rng.standard_normal((4, n)) * 10e-6
    t = np.arange(n) / sfreq
    data += 50e-6 * np.sin(2 * np.pi * 0.03 * t + rng.uniform(0, 6, (8, 1)))
    data[0, int(5 * sfreq) : int(5.3 * sfreq)] += 150e-6  # a blink on Fpz
    info = mne.create_info(names, sfreq, "eeg")
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.set_montage("colin27_1020")
    onsets = np.arange(1.0, n_seconds - 3, 2.5)
    descs = ["a.mp4" if k % 2 else "b.mp4" for k in range(len(onsets))]
    raw.set_annotations(mne.Annotations(onsets, 0.1, descs))
    return raw


def _line_fraction(data):
    import warnings

    from mne_video2eeg.preprocessing import check_drift

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fraction is what is tested here
        return check_drift(data)


def test_own_recording_8ch_240hz_with_drifts(videos, caplog):
    """The own-recording path: high-passed before cutting, fitted as it is."""
    from mne_video2eeg import Video2EEGGenerator, extract_video_features

    raw = _own_recording()
    kw = dict(clip_duration=2.0, subject="01")
    clips, unfiltered = read_video_recording(raw, videos, l_freq=None, **kw)
    assert _line_fraction(unfiltered.get_data()) > 0.5
    clips, ep = read_video_recording(raw, videos, verbose="info", **kw)
    assert "Preprocessed the recording" in caplog.text
    assert ep.info["sfreq"] == 240.0 and ep.ch_names[0] == "Fpz"
    assert _line_fraction(ep.get_data()) < 0.3  # the drifts are gone
    feats = extract_video_features(clips, fps=25, size=16)
    gen = Video2EEGGenerator(
        module__width=8,
        module__depth=1,
        module__patch_size=24,
        n_epochs=1,
        sfreq=240.0,
        random_state=0,
    )
    caplog.clear()
    gen.fit(feats, ep, verbose="info")
    assert "EEG input: 8 EEG channel(s)" in caplog.text
    # the Gaussian part holds the recording's channel correlations
    real = ep.get_data()
    draws = gen.spectral_model_.sample(400, group=0, random_state=0)
    corr_real = np.corrcoef(real.transpose(1, 0, 2).reshape(8, -1))
    corr_draw = np.corrcoef(draws.transpose(1, 0, 2).reshape(8, -1))
    assert np.abs(corr_real - corr_draw).max() < 0.25
    synth = gen.generate(feats, subject=ep.metadata["subject"][0], n_samples=2)
    assert synth.get_data().shape == (4, 8, 480)
    assert synth.ch_names == ep.ch_names
    # unfiltered clips: fit says what is wrong and what to do
    with pytest.warns(RuntimeWarning, match="Slow drifts dominate.*l_freq=0.5"):
        gen.fit(feats, unfiltered)


def test_units_and_unpassed_videos_are_said(videos):
    micro = _raw()
    micro.apply_function(lambda x: x * 1e6)
    # the units are checked with and without the band-pass
    for l_freq in (None, 0.5):
        with pytest.warns(RuntimeWarning, match=r"microvolts.*by 1e-6"):
            read_video_recording(micro, videos, subject=1, l_freq=l_freq)
    # an onset of a video whose file was not passed is dropped with a warning;
    # a task marker is only logged
    raw = _raw(extra=[("d.mp4", 17.0), ("rest", 18.0)])
    with pytest.warns(RuntimeWarning, match=r"name a video that is not.*'d.mp4'"):
        _, ep = read_video_recording(raw, videos, subject=1, l_freq=None)
    assert len(ep) == len(ONSETS) and "d.mp4" not in set(ep.metadata["video"])
