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
