import subprocess
import sys

import pytest

from mne_video2eeg import cli


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["fit"], ["generate"], ["evaluate"], ["sys-info"]]
)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: mne-video2eeg" in out


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "mne_video2eeg.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    from mne_video2eeg import __version__

    assert out.stdout.strip() == __version__


def test_demo_end_to_end(tmp_path, monkeypatch, capsys):
    # a tiny configuration: the real default is exercised by the README command
    monkeypatch.setitem(cli.DEMO_PARAMS, "width", 16)
    monkeypatch.setitem(cli.DEMO_PARAMS, "depth", 1)
    rc = cli.main(
        [
            "demo",
            "--out",
            str(tmp_path / "demo"),
            "--n-subjects",
            "1",
            "--n-clips",
            "6",
            "--n-epochs",
            "2",
            "--n-samples",
            "2",
            "--verbose",
            "warning",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "Wrote BIDS dataset" in out and "correlation" in out
    root = tmp_path / "demo" / "bids"
    assert (root / "dataset_description.json").is_file()
    assert list(root.glob("sub-*/eeg/*_eeg.vhdr"))
    assert (tmp_path / "demo" / "generator.pt").is_file()
    # refuses to overwrite without --overwrite
    rc = cli.main(["demo", "--out", str(tmp_path / "demo"), "--n-clips", "6"])
    assert rc == 2


def _clip_epochs(info, n_videos, n_samples, subject, seed):
    import mne
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(400) / 200.0
    emotions = ("negative", "neutral", "positive")
    data, md = [], []
    for v in range(n_videos):
        wave = np.sin(2 * np.pi * (v + 2) * t) * 5e-6
        for k in range(n_samples):
            data.append(wave + 1e-5 * rng.standard_normal((len(info.ch_names), 400)))
            md.append(
                dict(
                    video=f"clip_{v:03d}.avi", subject=subject, emotion=emotions[v % 3]
                )
                | ({"sample": k} if subject == "unknown" else {})
            )
    return mne.EpochsArray(
        np.array(data), info, metadata=pd.DataFrame(md), verbose=False
    )


def test_evaluate_end_to_end(tmp_path, seed_info, capsys):
    import mne

    real = mne.concatenate_epochs(
        [_clip_epochs(seed_info, 6, 1, s, k) for k, s in enumerate(("01", "02"))],
        verbose=False,
    )
    gen = _clip_epochs(seed_info, 6, 3, "unknown", 2)
    real.save(tmp_path / "real-epo.fif", verbose=False)
    gen.save(tmp_path / "gen-epo.fif", verbose=False)
    out = tmp_path / "eval"
    argv = [
        "evaluate",
        "--real",
        str(tmp_path / "real-epo.fif"),
        "--generated",
        str(tmp_path / "gen-epo.fif"),
        "--out",
        str(out),
        "--metrics",
        "evoked_correlation",
        "band_similarity",
        "psd_distance",
        "--verbose",
        "warning",
    ]
    assert cli.main(argv) == 0
    assert "band_similarity_alpha" in capsys.readouterr().out
    import pandas as pd
    import xarray as xr

    row = pd.read_csv(out / "scores.csv")
    assert len(row) == 1 and "evoked_ratio" in row and "psd_distance" in row
    with xr.open_dataset(out / "scores.nc", engine="h5netcdf") as ds:
        assert ds["band_similarity"].dims == ("band",)
    for png in ("psd", "band_similarity", "band_topomaps", "traces"):
        assert (out / f"{png}.png").stat().st_size > 0
    # refuses to overwrite, and names an unknown metric
    assert cli.main(argv) == 2
    assert cli.main([*argv[:-3], "--overwrite", "--metrics", "nope"]) == 2
    assert "Unknown metric 'nope'" in capsys.readouterr().err
