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
    table = quality.main(["--quick", "--out", str(tmp_path), "--seed", "1"])
    out = capsys.readouterr().out
    assert "Targets (full model, held-out clips)" in out
    rows = list(table.index)
    for name in (
        "noise ceiling (truth + own noise)",
        "emotion template",
        "ridge encoding",
        "unconditional diffusion",
        "full model",
        "DDIM 3 steps (same fit, K=2)",
        "no self-play",
        "video features at 2 Hz (default 25 Hz)",
        "held-out subject 02 (population embedding)",
        "paper (reported; other data and definitions)",
    ):
        assert name in rows, name
    assert table.loc["paper (reported; other data and definitions)", "mse"] == 0.5109
    # the oracle is the true process: at its own noise ceiling, spectra alike
    oracle = table.loc["noise ceiling (truth + own noise)"]
    assert oracle["ratio"] > 0.7
    assert oracle["psd_dB"] < 3.0
    full = table.loc["full model"]
    assert np.isfinite(full[["evoked_r", "ceiling", "psd_dB", "fid", "tstr"]]).all()
    assert full["s_per_sample"] > 0
    saved = pd.read_csv(tmp_path / "quality.csv", index_col=0)
    assert list(saved.index) == rows
    with xr.open_dataset(tmp_path / "quality.nc", engine="h5netcdf") as ds:
        assert ds.sizes["row"] == len(rows)
    assert (tmp_path / "quality.png").stat().st_size > 0
