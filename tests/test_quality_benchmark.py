"""The quality benchmark runs end to end (tiny configuration)."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

BENCH = Path(__file__).parents[1] / "benchmarks" / "quality.py"


@pytest.fixture
def quality(monkeypatch):
    spec = importlib.util.spec_from_file_location("_quality_benchmark", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # one sampler and one architecture ablation exercise those code paths
    monkeypatch.setattr(module, "SAMPLERS", [("ddim", 3)])
    monkeypatch.setattr(module, "ABLATIONS", {"no self-play": dict(self_play=False)})
    return module


@pytest.mark.slow
def test_quality_benchmark_quick(quality, tmp_path, capsys):
    summary = quality.main(["--quick", "--out", str(tmp_path), "--seeds", "1", "2"])
    out = capsys.readouterr().out
    assert "Targets (full model, val clips, seeds [1, 2])" in out
    mean, sd = summary["mean"], summary["sd"]
    rows = list(mean.index)
    for name in (
        quality.ORACLE,
        "grand average (video-blind)",
        "mTRF encoding (onset + features)",
        "emotion templates (true labels)",
        "unconditional diffusion (onset kept)",
        quality.FULL,
        "held-out subject (population embedding)",
    ):
        assert name in rows, name
    # the true process scores itself: energy ratio ~1, right spread
    oracle = mean.loc[quality.ORACLE]
    assert 0.8 < oracle["energy_ratio"] < 1.2
    assert 0.5 < oracle["disp_min"] <= oracle["disp_max"] < 2.0
    full = mean.loc[quality.FULL]
    assert np.isfinite(full[["energy_ratio", "evoked_r", "disp_min", "trts"]]).all()
    assert np.isfinite(sd.loc[quality.FULL, "energy_ratio"])  # two seeds
    per_seed = pd.read_csv(tmp_path / "quality_val_per_seed.csv", index_col=[0, 1])
    assert set(per_seed.index.get_level_values(0)) == {1, 2}
    assert "| full model |" in quality.markdown(summary)
    with xr.open_dataset(tmp_path / "quality_val.nc", engine="h5netcdf") as ds:
        assert ds.attrs["split"] == "val"
    assert (tmp_path / "quality_val.png").stat().st_size > 0


@pytest.mark.slow
def test_quality_rows_params_and_sampler_ablation(quality, tmp_path, monkeypatch):
    """A choice on the validation split: some rows, other parameters, samplers."""
    seen = []
    real_fit = quality.Video2EEGGenerator.fit

    def spy(self, *args, **kwargs):
        seen.append(self.expected_eeg)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(quality.Video2EEGGenerator, "fit", spy)
    argv = ["--quick", "--out", str(tmp_path), "--rows", "oracle", "full"]
    argv += ["--params", "expected_eeg=learned", "--ablations", "samplers"]
    summary = quality.main(argv)
    assert list(summary["mean"].index) == [
        quality.ORACLE,
        quality.FULL,
        "DDIM 3 steps (same fit)",
        "held-out subject (population embedding)",
    ]
    assert seen == ["learned"]  # one fit, with the parameter passed
    targets = pd.read_csv(tmp_path / "quality_val_targets.csv", index_col=0)
    assert len(targets) >= 5
    # the true process never repeats a residual: its K samples differ
    oracle = summary["mean"].loc[quality.ORACLE]
    assert 0.8 < oracle["disp_min"] and oracle["energy_ratio"] < 1.1
