"""Loaders of the real recordings and the real-data benchmark (skip without data).

The recordings live outside the repository (``../shared/data`` beside the
checkout, or the folder named by ``$MNE_VIDEO2EEG_REAL_DATA``); every test
here skips with the reason where they are absent.
"""

import importlib.util
import os
import sys
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_video2eeg import extract_video_features
from mne_video2eeg._inputs import check_epochs
from mne_video2eeg.metrics import ssvep_snr

BENCH = Path(__file__).parents[1] / "benchmarks"
ENV = "MNE_VIDEO2EEG_REAL_DATA"


def _root() -> Path | None:
    env = os.environ.get(ENV)
    root = Path(env) if env else Path(__file__).parents[2] / "shared" / "data"
    return root if root.is_dir() else None


def _need(*files):
    root = _root()
    if root is None:
        pytest.skip(f"real recordings absent (../shared/data or ${ENV} not found)")
    missing = [f for f in files if not (root / f).is_file()]
    if missing:
        pytest.skip(f"real recordings {missing} not in {root}")
    return root


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def loaders():
    return _load("_real_recordings")


def test_rendered_videos_and_splits(loaders):
    # no data needed: codes -> frames, flicker, splits
    codes = np.repeat(np.array([[1, 0, 1, 1], [0, 0, 1, 0]]), 4, axis=1)
    np.testing.assert_array_equal(
        loaders.cvep_frames(codes), [[1, 0, 1, 1], [0, 0, 1, 0]]
    )
    with pytest.raises(ValueError, match="change within"):
        loaders.cvep_frames(np.array([[1, 0, 1, 1, 0, 0, 0, 0]]))
    frames = loaders.flicker_frames(6.0, 2.0, 60.0, frame_size=4)
    assert frames.shape == (120, 4, 4, 3) and frames.dtype == np.uint8
    # 6 Hz at 60 fps: 5 frames white, 5 black
    np.testing.assert_array_equal(frames[:10, 0, 0, 0], [255] * 5 + [0] * 5)
    tr, va, te = loaders.split_codes(20, seed=0)
    assert (len(tr), len(va), len(te)) == (12, 3, 5)
    assert len(set(tr) | set(va) | set(te)) == 20
    labels = loaders.split_epochs(np.repeat([1, 2], 8), n_test=4, n_val=2, seed=0)
    for cond in (slice(0, 8), slice(8, 16)):  # stratified by condition
        assert list(labels[cond]).count("test") == 2
        assert list(labels[cond]).count("val") == 1


def test_load_cvep(loaders):
    root = _need("thielen2021_sub-01.npz")
    rec = loaders.load_cvep(root, subjects=("01",))
    ep = rec.epochs
    assert isinstance(ep, mne.EpochsArray)
    assert ep.ch_names == ["Fpz", "T7", "O1", "POz", "Oz", "Iz", "O2", "T8"]
    assert ep.info["sfreq"] == 240.0 and len(ep.times) == 504
    assert len(ep) == 100 * 5
    pos = np.array([ch["loc"][:3] for ch in ep.info["chs"]])
    assert np.isfinite(pos).all() and (np.abs(pos).sum(1) > 0).all()
    md = check_epochs(ep)  # what the package takes
    assert set(md["emotion"]) == {"unknown"} and set(md["subject"]) == {"01"}
    assert md["video"].str.fullmatch(r"code\d\d").all()
    # split by code: 5 unseen test codes, 3 validation, 12 training
    per_split = md.groupby("split")["video"].nunique().to_dict()
    assert per_split == {"test": 5, "train": 12, "val": 3}
    assert md.groupby("video")["split"].nunique().max() == 1
    # Volts: a few to tens of microvolts
    assert 1e-7 < np.median(np.abs(ep.get_data())) < 1e-4
    # one clip is one code cycle: the trial's cycles are consecutive samples
    with np.load(root / "thielen2021_sub-01.npz") as d:
        np.testing.assert_allclose(ep.get_data()[1], d["X"][0][:, 504:1008])
        np.testing.assert_array_equal(
            rec.videos["code07"][:, 0, 0, 0], d["V"][7, ::4] * 255
        )
    assert rec.fps == 60.0 and len(rec.videos) == 20
    assert rec.videos["code07"].shape == (126, 32, 32, 3)
    feats = extract_video_features(
        {k: rec.videos[k] for k in ("code00", "code07")}, fps=rec.fps, size=None
    )
    assert feats.sizes["frame"] == 126
    np.testing.assert_allclose(feats["time"].values[-1], 125 / 60)


def test_load_ssvep(loaders):
    root = _need("ssvep_64ch-epo.fif")
    rec = loaders.load_ssvep(root)
    ep = rec.epochs
    assert len(ep) == 16 * 8 and len(ep.ch_names) == 64
    assert ep.info["sfreq"] == 256.0 and len(ep.times) == 512
    assert ep.get_montage() is not None
    md = check_epochs(ep)
    assert set(md["video"]) == {"flicker06Hz"}
    # split by epoch: every clip of an epoch in the same split
    assert md.groupby("epoch")["split"].nunique().max() == 1
    assert md.groupby("split")["epoch"].nunique().to_dict() == {
        "test": 4,
        "train": 10,
        "val": 2,
    }
    assert rec.videos["flicker06Hz"].shape == (120, 32, 32, 3)
    assert rec.stim_freqs == [6.0]
    # the recording's strong 6-Hz response is there in 2-s test clips
    snr = ssvep_snr(rec.split("test"), rec.stim_freqs)
    assert float(snr["snr_mean"].sel(frequency=6.0)) > 2.0


@pytest.mark.slow
# the SSVEP recording is not high-passed, and the generator says so
@pytest.mark.filterwarnings("ignore:Slow drifts dominate:RuntimeWarning")
def test_real_data_benchmark_quick(tmp_path, capsys):
    root = _need(
        "thielen2021_sub-01.npz",
        "thielen2021_sub-02.npz",
        "thielen2021_sub-03.npz",
        "ssvep_64ch-epo.fif",
    )
    bench = _load("real_data")
    summary = bench.main(["--root", str(root), "--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "| data | row |" in out
    for dataset in ("cvep", "ssvep"):
        rows = summary.loc[dataset].index
        for row in (
            bench.REAL,
            bench.CEILING,
            "default generator",
            'per-channel whitening (whiten="spectral")',
            "Gaussian part alone (CrossSpectralModel, no network)",
            "unconditional (condition_on_video=False)",
            "ridge (lag_step=1/fps, + phase noise)",
            "ridge prediction (noise=None)",
        ):
            assert row in rows, (dataset, row)
        default = summary.loc[(dataset, "default generator")]
        values = default[["evoked_r_mean", "fit_s_mean"]].astype(float)
        assert np.isfinite(values).all(), default
        # every row ran: no error in any note
        assert not summary.loc[dataset, "note"].str.len().any(), summary["note"]
    # following: identification on c-VEP only (one video in the SSVEP set)
    real = summary.loc[("cvep", bench.REAL)]
    assert 0.0 <= real["ident_mean"] <= 1.0
    assert real["ident_chance_mean"] == pytest.approx(0.2)
    assert np.isfinite(summary.loc[("ssvep", bench.REAL), "snr_6Hz_mean"])
    for name in ("real_data.md", "real_data.csv", "real_data_runs.csv"):
        assert (tmp_path / name).is_file()


def test_benchmark_row_failure_is_reported(tmp_path, monkeypatch):
    # a model that fails shows its error in the table instead of stopping it
    root = _need("ssvep_64ch-epo.fif")
    bench = _load("real_data")

    class Broken:
        def fit(self, *a, **k):
            raise RuntimeError("planted failure")

    def models(*args, **kwargs):
        return {"broken model": Broken}

    monkeypatch.setattr(bench, "_models", models)
    monkeypatch.setattr(bench, "_realism", lambda *a, **k: ({}, {}))
    summary = bench.main(
        ["--root", str(root), "--quick", "--datasets", "ssvep", "--out", str(tmp_path)]
    )
    note = summary.loc[("ssvep", "broken model"), "note"]
    assert "RuntimeError: planted failure" in note
    assert "planted failure" in (tmp_path / "real_data.md").read_text()
