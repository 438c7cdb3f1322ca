import shutil
import subprocess
import sys
from pathlib import Path

import mne
import mne_bids
import numpy as np
import pandas as pd
import pytest

from mne_video2eeg._raw import clips_to_raw
from mne_video2eeg.bids import write_bids

EVENT_ID = {"negative": 1, "neutral": 2, "positive": 3}


@pytest.fixture
def synth(seed_info, tmp_path):
    rng = np.random.default_rng(0)
    n = 6
    data = rng.standard_normal((n, 62, 400)) * 1e-5
    md = pd.DataFrame(
        {
            "video": [f"clip_{i % 3:03d}.avi" for i in range(n)],
            "subject": ["01"] * 3 + ["02"] * 3,
            "emotion": ["negative", "neutral", "positive"] * 2,
            "sample": [0] * n,
        }
    )
    events = np.column_stack([np.arange(n) * 400, np.zeros(n, int), [1, 2, 3] * 2])
    epochs = mne.EpochsArray(
        data, seed_info, events, event_id=EVENT_ID, metadata=md, verbose=False
    )
    videos = []
    for i in range(3):
        fname = tmp_path / f"clip_{i:03d}.avi"
        fname.write_bytes(b"not really a video")
        videos.append(fname)
    return epochs, videos


def _validate(root):
    validator = shutil.which("bids-validator-deno") or shutil.which(
        "bids-validator-deno", path=str(Path(sys.executable).parent)
    )
    if validator is None:
        pytest.skip("bids-validator-deno is not installed")
    out = subprocess.run(
        [validator, str(root), "--json"], capture_output=True, text=True, timeout=300
    )
    assert '"severity":"error"' not in out.stdout.replace(" ", ""), out.stdout[-3000:]
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_clips_to_raw(synth):
    epochs, _ = synth
    raw = clips_to_raw(epochs)
    assert raw.n_times == 6 * 400
    np.testing.assert_array_equal(raw.get_data()[:, 400:800], epochs.get_data()[1])
    annot = raw.annotations
    np.testing.assert_allclose(annot.onset, np.arange(6) * 2.0)
    np.testing.assert_allclose(annot.duration, 2.0)
    assert list(annot.description[:3]) == ["negative", "neutral", "positive"]
    assert annot.extras[1]["video"] == "clip_001.avi"
    assert raw.get_montage() is not None


def test_write_bids_round_trip_and_validator(synth, tmp_path):
    epochs, videos = synth
    root = write_bids(epochs, tmp_path / "bids", videos=videos)
    assert (root / "stimuli" / "clip_000.avi").is_file()
    desc = (root / "dataset_description.json").read_text()
    assert '"derivative"' in desc and "GeneratedBy" in desc
    parts = pd.read_csv(root / "participants.tsv", sep="\t")
    assert list(parts["participant_id"]) == ["sub-01", "sub-02"]
    for k, sub in enumerate(["01", "02"]):
        bp = mne_bids.BIDSPath(subject=sub, task="video2eeg", datatype="eeg", root=root)
        raw = mne_bids.read_raw_bids(bp, verbose=False)
        assert raw.info["line_freq"] == 50.0
        expected = np.concatenate(list(epochs.get_data()[3 * k : 3 * k + 3]), axis=1)
        # BrainVision stores 0.1 uV resolution by default
        np.testing.assert_allclose(raw.get_data(), expected, atol=1e-9)
        assert list(raw.annotations.description) == ["negative", "neutral", "positive"]
        ev = pd.read_csv(bp.copy().update(suffix="events", extension=".tsv"), sep="\t")
        assert list(ev["stim_file"]) == ["clip_000.avi", "clip_001.avi", "clip_002.avi"]
        np.testing.assert_allclose(ev["duration"], 2.0)
    _validate(root)


def test_write_bids_refuses_existing_and_is_atomic(synth, tmp_path, monkeypatch):
    epochs, videos = synth
    root = tmp_path / "bids"
    root.mkdir()
    (root / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_bids(epochs, root)
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]

    # an interruption mid-write leaves the old state untouched, no temp folders
    import mne_bids as mb

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mb, "write_raw_bids", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_bids(epochs, root, overwrite=True)
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [v.name for v in videos] + ["bids"]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"subject": "../evil"}, "not a valid BIDS label"),
        ({"task": "video_2"}, "not a valid BIDS label"),
        ({"format": "FIF"}, "format"),
    ],
)
def test_write_bids_bad_labels(synth, tmp_path, kwargs, match):
    epochs, _ = synth
    with pytest.raises(ValueError, match=match):
        write_bids(epochs, tmp_path / "bids", **kwargs)
    assert not (tmp_path / "bids").exists()


def test_write_bids_bad_inputs(synth, tmp_path):
    epochs, videos = synth
    with pytest.raises(TypeError, match="inst"):
        write_bids(epochs.get_data(), tmp_path / "b")
    bare = epochs.copy()
    bare.metadata = None
    with pytest.raises(ValueError, match="metadata lacks"):
        write_bids(bare, tmp_path / "b")
    with pytest.raises(ValueError, match="No stimulus file"):
        write_bids(epochs, tmp_path / "b", videos=videos[:1])
    with pytest.raises(ValueError, match="does not exist"):
        write_bids(epochs, tmp_path / "b", videos=[Path(tmp_path / "nope.avi")])


def test_write_bids_splits_runs(synth, tmp_path):
    """max_clips_per_run=2: 3 clips per subject become run-01 (2) + run-02 (1)."""
    epochs, videos = synth
    root = write_bids(epochs, tmp_path / "bids", videos=videos, max_clips_per_run=2)
    data = epochs.get_data()
    for k, sub in enumerate(["01", "02"]):
        got = []
        for run, n_clips in ((1, 2), (2, 1)):
            bp = mne_bids.BIDSPath(
                subject=sub, task="video2eeg", run=run, datatype="eeg", root=root
            )
            raw = mne_bids.read_raw_bids(bp, verbose=False)
            assert raw.n_times == n_clips * 400
            ev = pd.read_csv(
                bp.copy().update(suffix="events", extension=".tsv"), sep="\t"
            )
            assert len(ev) == n_clips
            got.append(raw.get_data())
        expected = np.concatenate(list(data[3 * k : 3 * k + 3]), axis=1)
        np.testing.assert_allclose(np.concatenate(got, axis=1), expected, atol=1e-9)
    assert not list(root.rglob("sub-01_task-video2eeg_eeg.vhdr"))
    _validate(root)
    with pytest.raises(ValueError, match="max_clips_per_run"):
        write_bids(epochs, tmp_path / "b2", max_clips_per_run=0)
    with pytest.raises(TypeError, match="max_clips_per_run"):
        write_bids(epochs, tmp_path / "b2", max_clips_per_run=2.5)


def _write_peak(seed_info, tmp_path, n_clips, max_clips_per_run):
    """Traced peak of write_bids beyond its input (bytes), one subject."""
    import gc
    import tracemalloc

    rng = np.random.default_rng(0)
    info = mne.pick_info(seed_info, np.arange(12))
    md = pd.DataFrame(
        {
            "video": [f"clip_{i:04d}.avi" for i in range(n_clips)],
            "subject": "01",
            "emotion": "neutral",
            "sample": 0,
        }
    )
    events = np.column_stack(
        [np.arange(n_clips) * 400, np.zeros(n_clips, int), np.full(n_clips, 2)]
    )
    epochs = mne.EpochsArray(
        rng.standard_normal((n_clips, 12, 400)) * 1e-5,
        info,
        events,
        event_id={"neutral": 2},
        metadata=md,
        verbose=False,
    )
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        write_bids(
            epochs,
            tmp_path / f"bids{n_clips}",
            max_clips_per_run=max_clips_per_run,
        )
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, epochs.get_data(copy=False).nbytes


def test_write_bids_peak_memory_flat(seed_info, tmp_path):
    """4x more clips of one subject: the peak is one run's, not the dataset's."""
    _write_peak(seed_info, tmp_path, 8, 8)  # one-off allocations (imports, caches)
    small, small_data = _write_peak(seed_info, tmp_path, 40, 10)
    large, large_data = _write_peak(seed_info, tmp_path, 160, 10)
    assert large_data == 4 * small_data
    print(f"peak {small} -> {large} B; data {small_data} -> {large_data} B")
    # one run of 10 clips is 384 kB; the whole dataset copied once would add
    # > 1.4 MB to the growth (the old one-run-per-subject path: ~5.5x the data)
    assert large - small < 0.25 * (large_data - small_data), (small, large)
