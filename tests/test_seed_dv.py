"""Tests for the SEED-DV reader on a fake folder in the released layout."""

import shutil
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from _fake_seed_dv import (
    BLOCKS,
    MARKER,
    MARKER_UV,
    caption,
    clip_first_sample,
    decode_frame_index,
    write_block_video,
    write_fake_seed_dv,
)
from mne.utils import catch_logging

from mne_video2eeg.datasets.seed_dv import read_seed_dv, seed_dv_clips
from mne_video2eeg.montage import SEED_CH_NAMES
from mne_video2eeg.video.io import iter_video_segments, read_video


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_dv")
    meta = write_fake_seed_dv(root)
    return root, meta


@pytest.fixture(scope="module")
def epochs12(fake):
    """Subject 1, blocks 1-2, from the raw arrays."""
    return read_seed_dv(fake[0], subjects=1, blocks=[1, 2], source="raw")


def _clone(root, dest, *, skip=()):
    """Mirror ``root`` in ``dest``: big files symlinked, small ones copied."""
    for path in Path(root).rglob("*"):
        rel = path.relative_to(root)
        if any(str(rel).startswith(s) for s in skip):
            continue
        out = dest / rel
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif path.stat().st_size > 1_000_000:
            out.symlink_to(path)
        else:
            shutil.copy(path, out)
    return dest


# --------------------------------------------------------------------------- #
# data


def test_shapes_channels_units(epochs12):
    ep = epochs12
    assert isinstance(ep, mne.BaseEpochs)
    assert len(ep) == 2 * 200
    assert ep.ch_names == list(SEED_CH_NAMES)
    assert ep.info["sfreq"] == 200.0
    assert ep.get_data().shape == (400, 62, 400)
    assert ep.tmin == 0.0
    montage = ep.get_montage()
    assert montage is not None and montage.ch_names == list(SEED_CH_NAMES)
    pos = np.array([ch["loc"][:3] for ch in ep.info["chs"]])
    assert np.isfinite(pos).all() and (np.linalg.norm(pos, axis=1) > 0.05).all()
    # 20-uV fake EEG in microvolts -> Volts
    std = np.median(ep.get_data().std(axis=-1))
    assert 15e-6 < std < 25e-6


def test_clip_timing(fake, epochs12):
    root, _ = fake
    raw = np.load(root / "EEG" / "sub1.npy", mmap_mode="r")
    md = epochs12.metadata
    data = epochs12.get_data()
    rng = np.random.default_rng(1)
    for row in rng.choice(len(md), 25, replace=False):
        b, c, k = md.loc[row, ["block", "concept_pos", "clip"]]
        first = clip_first_sample(c, k)
        assert md.loc[row, "start"] == first / 200
        assert md.loc[row, "stop"] == first / 200 + 2
        want = raw[b - 1, :, first : first + 400] * 1e-6
        np.testing.assert_allclose(data[row], want, rtol=1e-6)
    # the planted ramp is in exactly the epoch of its clip, from sample 0
    oz = epochs12.ch_names.index(MARKER["channel"])
    hit = np.flatnonzero(
        (md["block"] == MARKER["block"])
        & (md["concept_pos"] == MARKER["concept_pos"])
        & (md["clip"] == MARKER["clip"])
    )
    assert len(hit) == 1
    ramp = np.linspace(0, MARKER_UV, 400) * 1e-6
    np.testing.assert_allclose(data[hit[0], oz], ramp, rtol=1e-5, atol=1e-12)
    peaks = np.abs(data[:, oz]).max(axis=-1)
    assert np.argmax(peaks) == hit[0]
    assert np.sort(peaks)[-2] < 0.5 * MARKER_UV * 1e-6


def test_metadata_values(fake, epochs12):
    root, meta = fake
    md = epochs12.metadata
    assert md["subject"].eq("01").all() and md["session"].eq(1).all()
    assert list(md.columns[:12]) == [
        "subject", "session", "block", "concept_pos", "clip", "concept",
        "coarse_class", "video", "video_file", "start", "stop", "emotion",
    ]  # fmt: skip
    b, c, k = (md[col].to_numpy() for col in ("block", "concept_pos", "clip"))
    np.testing.assert_array_equal(b, np.repeat([1, 2], 200))
    np.testing.assert_array_equal(c, np.tile(np.repeat(np.arange(40), 5), 2))
    np.testing.assert_array_equal(k, np.tile(np.arange(5), 80))
    np.testing.assert_array_equal(md["concept"], meta["label"][b - 1, c])
    ranges = {
        "Land Animal": (1, 7), "Water Animal": (8, 11), "Plant": (12, 14),
        "Exercise": (15, 18), "Human": (19, 21), "Natural Scene": (22, 27),
        "Food": (28, 32), "Musical Instrument": (33, 36),
        "Transportation": (37, 40),
    }  # fmt: skip
    for concept, cls in zip(md["concept"], md["coarse_class"], strict=True):
        lo, hi = ranges[cls]
        assert lo <= concept <= hi
    assert md["coarse_class"].nunique() == 9
    col = c * 5 + k
    for key in ("color", "face", "human", "obj_number", "optical_flow"):
        np.testing.assert_array_equal(md[key], meta[key][b - 1, col])
    np.testing.assert_array_equal(
        md["optical_flow_fast"], meta["optical_flow"][b - 1, col] > 1.799
    )
    assert md["optical_flow_fast"].dtype == bool
    assert list(md["caption"]) == [caption(*x) for x in zip(b, c, k, strict=True)]
    row = md.iloc[200 + 7 * 5 + 2]
    assert row["video"] == "b2_c07_k2"
    assert row["video_file"] == "2nd_10min.mp4"
    assert (row["start"], row["stop"]) == (98.0, 100.0)
    assert md["video"].is_unique
    assert md["emotion"].eq("unknown").all()
    assert epochs12.event_id == {"unknown": 4}
    assert len(epochs12["concept == 5"]) == 10


def test_segmented_equals_raw(fake):
    root, _ = fake
    raw = read_seed_dv(root, subjects="01", blocks=[3, 7], source="raw")
    seg = read_seed_dv(root, subjects="01", blocks=[3, 7], source="segmented")
    auto = read_seed_dv(root, subjects="01", blocks=3)  # EEG/ present -> raw
    np.testing.assert_array_equal(raw.get_data(), seg.get_data())
    pd.testing.assert_frame_equal(raw.metadata, seg.metadata)
    np.testing.assert_array_equal(auto.get_data(), raw.get_data()[:200])


def test_subjects_and_blocks(fake):
    root, _ = fake
    ep = read_seed_dv(root, blocks=[7, 5, 7])
    md = ep.metadata
    assert list(md["subject"].unique()) == ["01", "02"]  # session 2 ignored
    assert sorted(md["block"].unique()) == [5, 7] and list(md["block"][:1]) == [5]
    assert len(ep) == 2 * 2 * 200
    d = ep.get_data()
    assert not np.allclose(d[:400], d[400:])  # two different subjects
    for spec in (2, "2", "02", "sub2", [2], np.int64(2)):
        one = read_seed_dv(root, subjects=spec, blocks=7)
        np.testing.assert_array_equal(one.get_data(), d[600:])
        assert one.metadata["subject"].eq("02").all()
    s2 = read_seed_dv(root, subjects=["01_session2", 1], blocks=1)
    md = s2.metadata
    assert list(md["subject"].unique()) == ["01"]
    assert list(md["session"].unique()) == [2, 1]


def test_bad_subjects_and_blocks(fake):
    root, _ = fake
    with pytest.raises(ValueError, match=r"present are \['01', '01_session2', '02'"):
        read_seed_dv(root, subjects=[1, 5])
    with pytest.raises(ValueError, match="Cannot read the subject"):
        read_seed_dv(root, subjects="alice")
    with pytest.raises(TypeError, match="int or str"):
        read_seed_dv(root, subjects=True)
    with pytest.raises(ValueError, match="subjects is empty"):
        read_seed_dv(root, subjects=[])
    for blocks in (0, [1, 8]):
        with pytest.raises(ValueError, match=r"blocks must be in 1..7, got"):
            read_seed_dv(root, subjects=1, blocks=blocks)
    with pytest.raises(TypeError, match="block"):
        read_seed_dv(root, subjects=1, blocks=["1"])
    with pytest.raises(ValueError, match="blocks is empty"):
        read_seed_dv(root, subjects=1, blocks=[])
    with pytest.raises(ValueError, match="source"):
        read_seed_dv(root, source="mat")


def test_scale(fake):
    root, _ = fake
    volts = read_seed_dv(root, subjects=1, blocks=1)
    same = read_seed_dv(root, subjects=1, blocks=1, scale=1.0)  # trusted
    np.testing.assert_allclose(same.get_data() * 1e-6, volts.get_data())
    # the extra session is zeros beyond block 1: implausible as microvolts
    with pytest.warns(RuntimeWarning, match="plausible EEG range.*pass scale="):
        read_seed_dv(root, subjects="01_session2", blocks=2)
    with pytest.raises(ValueError, match="scale"):
        read_seed_dv(root, subjects=1, blocks=1, scale=-1e-6)


def test_emotions(fake):
    root, _ = fake
    base = read_seed_dv(root, subjects=[1, 2], blocks=1).metadata
    labels = np.array(["negative", "neutral", "positive"])
    by_video = {v: labels[i % 3] for i, v in enumerate(base["video"][:200])}
    ep = read_seed_dv(root, subjects=[1, 2], blocks=1, emotions=by_video)
    want = [by_video[v] for v in base["video"]]
    assert list(ep.metadata["emotion"]) == want
    assert ep.event_id == {"negative": 1, "neutral": 2, "positive": 3}
    assert len(ep["positive"]) == want.count("positive")
    # label_emotions' layout: indexed by video id, p_* columns
    table = pd.DataFrame(
        {"p_positive": 0.5, "emotion": list(by_video.values())},
        index=pd.Index(list(by_video), name="video"),
    )
    ep2 = read_seed_dv(root, subjects=1, blocks=1, emotions=table)
    assert list(ep2.metadata["emotion"]) == want[:200]
    # one label per concept id, or per (block, concept_pos, clip)
    concept = pd.DataFrame({"concept": range(1, 41), "emotion": "calm"})
    concept.loc[0, "emotion"] = "happy"
    ep3 = read_seed_dv(root, subjects=1, blocks=1, emotions=concept)
    md = ep3.metadata
    assert (md["emotion"] == "happy").sum() == 5
    assert set(md.loc[md["concept"] == 1, "emotion"]) == {"happy"}
    assert ep3.event_id == {"calm": 4, "happy": 5}
    bck = base[["block", "concept_pos", "clip"]][:200].assign(emotion="neutral")
    ep4 = read_seed_dv(root, subjects=1, blocks=1, emotions=bck)
    assert ep4.metadata["emotion"].eq("neutral").all()
    assert read_seed_dv(root, subjects=1, blocks=1, emotions="positive").event_id == {
        "positive": 3
    }
    with pytest.raises(ValueError, match="no label for 5 of 200"):
        read_seed_dv(
            root, subjects=1, blocks=1, emotions=dict(list(by_video.items())[5:])
        )
    with pytest.raises(ValueError, match="'emotion' column"):
        read_seed_dv(root, subjects=1, blocks=1, emotions=table.drop(columns="emotion"))
    with pytest.raises(ValueError, match="several rows"):
        read_seed_dv(root, subjects=1, blocks=1, emotions=pd.concat([bck, bck]))
    with pytest.raises(TypeError, match="emotions must be"):
        read_seed_dv(root, subjects=1, blocks=1, emotions=3)


# --------------------------------------------------------------------------- #
# bad folders


def test_missing_folders_and_files(fake, tmp_path):
    root, _ = fake
    with pytest.raises(FileNotFoundError, match="SEED-DV folder not found"):
        read_seed_dv(tmp_path / "nowhere")
    only_meta = _clone(root, tmp_path / "a", skip=("EEG", "Segmented"))
    with pytest.raises(FileNotFoundError, match="EEG.*Segmented_Rawf_200Hz_2s"):
        read_seed_dv(only_meta)
    no_raw = _clone(root, tmp_path / "b", skip=("EEG",))
    ep = read_seed_dv(no_raw, blocks=1)  # auto falls back to the derived arrays
    assert list(ep.metadata["subject"].unique()) == ["01"]
    with pytest.raises(FileNotFoundError, match=r"EEG folder not found.*104000"):
        read_seed_dv(no_raw, source="raw")
    (no_raw / "EEG").mkdir()
    with pytest.raises(FileNotFoundError, match=r"No subject file.*EEG"):
        read_seed_dv(no_raw, source="raw")
    no_label = _clone(root, tmp_path / "c")
    (no_label / "meta_info" / "All_video_label.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"All_video_label.npy.*\(7, 40\)"):
        read_seed_dv(no_label, subjects=1, blocks=1)


def test_optional_meta_missing(fake, tmp_path):
    root, _ = fake
    part = _clone(root, tmp_path / "p", skip=("BLIP/2nd", "meta_info/All_video_opt"))
    (part / "meta_info" / "All_video_color.npy").unlink()
    with catch_logging() as log:
        ep = read_seed_dv(part, subjects=1, blocks=[1, 2], verbose="info")
    log = log.getvalue()
    assert "All_video_color.npy" in log and "2nd_10min.txt" in log
    md = ep.metadata
    for col in ("color", "optical_flow", "optical_flow_fast"):
        assert md[col].isna().all()
    assert md["face"].notna().all()
    assert md["caption"][:200].notna().all() and md["caption"][200:].isna().all()


def test_wrong_shapes(fake, tmp_path):
    root, _ = fake
    bad = _clone(root, tmp_path / "s")
    np.save(bad / "EEG" / "sub3.npy", np.zeros((7, 62, 1000), np.float32))
    with pytest.raises(ValueError, match=r"sub3.npy has shape \(7, 62, 1000\).*104000"):
        read_seed_dv(bad, subjects=3)
    np.save(bad / "Segmented_Rawf_200Hz_2s" / "sub3.npy", np.zeros((7, 40, 5, 62, 2)))
    with pytest.raises(ValueError, match=r"sub3.npy has shape.*\(7, 40, 5, 62, 400\)"):
        read_seed_dv(bad, subjects=3, source="segmented")
    nan = np.lib.format.open_memmap(  # sparse: cheap although full-size
        bad / "EEG" / "sub5.npy", mode="w+", dtype=np.float32, shape=(7, 62, 104000)
    )
    nan[1, 3, 1000] = np.nan
    nan.flush()
    del nan
    with pytest.raises(ValueError, match=r"sub5.npy holds NaN"):
        read_seed_dv(bad, subjects=5, blocks=2, scale=1e-6)
    read_seed_dv(bad, subjects=5, blocks=3, scale=1e-6)  # other blocks are fine
    (bad / "EEG" / "sub4.npy").write_text("not an array")
    with pytest.raises(ValueError, match=r"Cannot read .*sub4.npy"):
        read_seed_dv(bad, subjects=4)
    meta = bad / "meta_info"
    np.save(meta / "All_video_face_apperance.npy", np.zeros((7, 40)))
    with pytest.raises(ValueError, match=r"face_apperance.npy has shape \(7, 40\)"):
        read_seed_dv(bad, subjects=1, blocks=1)
    np.save(meta / "All_video_label.npy", np.zeros((7, 40), int))
    with pytest.raises(ValueError, match=r"concept ids 0..0; expected 1..40"):
        read_seed_dv(bad, subjects=1, blocks=1)
    np.save(meta / "All_video_label.npy", np.ones((40, 7), int))
    with pytest.raises(ValueError, match=r"shape \(40, 7\); expected \(7, 40\)"):
        read_seed_dv(bad, subjects=1, blocks=1)
    bad2 = _clone(root, tmp_path / "t")
    (bad2 / "BLIP" / "1st_10min.txt").write_text("one\ntwo\n")
    with pytest.raises(ValueError, match=r"1st_10min.txt has 2 lines; expected 200"):
        read_seed_dv(bad2, subjects=1, blocks=1)


# --------------------------------------------------------------------------- #
# videos


def test_clips_match_epochs(fake, epochs12):
    root, _ = fake
    clips = seed_dv_clips(root, [1, 2])
    assert [c.id for c in clips] == list(epochs12.metadata["video"])
    md = epochs12.metadata
    assert [c.start for c in clips] == list(md["start"])
    assert [c.stop for c in clips] == list(md["stop"])
    assert [Path(c.fname).name for c in clips] == list(md["video_file"])
    assert len(seed_dv_clips(root)) == 1400
    assert len(seed_dv_clips(root, 3, concept_pos=5)) == 5


def test_clip_frames(fake):
    root, _ = fake
    clips = seed_dv_clips(root, 2, concept_pos=[39, 7])
    assert [c.id for c in clips[:2]] == ["b2_c07_k0", "b2_c07_k1"]
    for clip, frames, times in iter_video_segments(
        clips[0].fname, clips, fps=None, size=None
    ):
        assert frames.shape == (48, 16, 32, 3)
        got = [decode_frame_index(f) for f in frames]
        first = int(round(clip.start * 24))
        assert got == list(range(first, first + 48)), clip.id
        np.testing.assert_allclose(times, np.arange(48) / 24)
    # the last clip of the block ends exactly at 520 s
    last = clips[-1]
    assert (last.id, last.stop) == ("b2_c39_k4", 520.0)
    frames, _ = read_video(last.fname, start=last.start, stop=last.stop, size=None)
    assert decode_frame_index(frames[-1]) == 520 * 24 - 1


def test_clips_feed_feature_extraction(fake):
    from mne_video2eeg.video.features import extract_video_features

    root, _ = fake
    clips = seed_dv_clips(root, 1, concept_pos=0)
    feats = extract_video_features(clips, encoder="lowlevel", fps=2.0)
    assert list(feats["video"].values) == [f"b1_c00_k{k}" for k in range(5)]


def test_bad_videos(fake, tmp_path):
    root, _ = fake
    with pytest.raises(FileNotFoundError, match="Video folder not found"):
        seed_dv_clips(_clone(root, tmp_path / "a", skip=("Video",)), 1)
    short = _clone(root, tmp_path / "b", skip=("Video/3rd",))
    with pytest.raises(FileNotFoundError, match=r"3rd_10min.mp4.*520-s"):
        seed_dv_clips(short, 3)
    write_block_video(short / "Video" / f"{BLOCKS[2]}_10min.mp4", n_frames=240)
    with pytest.raises(ValueError, match=r"3rd_10min.mp4 lasts 10.000 s.*520"):
        seed_dv_clips(short, [1, 3])
    with pytest.raises(ValueError, match="concept_pos must be in 0..39"):
        seed_dv_clips(root, 1, concept_pos=[0, 40])
    with pytest.raises(ValueError, match=r"block must be in 1..7, got 8"):
        seed_dv_clips(root, 8)
