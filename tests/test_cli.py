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


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "simulated subjects (default: 2)" in out
    assert "training epochs (passes over the training clips) (default: 60)" in out
    with pytest.raises(SystemExit):
        cli.main(["generate", "--help"])
    assert "--emotion LABEL" in capsys.readouterr().out


def test_sys_info_stays_offline(monkeypatch, capsys):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("sys-info tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert cli.main(["sys-info"]) == 0
    assert "mne-video2eeg" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    model = tmp_path / "gen.pt"
    model.write_bytes(b"not a generator")
    video = tmp_path / "a.avi"
    video.write_bytes(b"")
    out = tmp_path / "out-epo.fif"
    base = ["generate", "--model", str(model), "--out", str(out)]
    assert cli.main([*base, "--videos", str(tmp_path / "missing.avi")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "video file(s) not found" in err
    assert "missing.avi" in err and "Traceback" not in err
    # an existing output is refused before the model is even read
    out.write_bytes(b"")
    assert cli.main([*base, "--videos", str(video)]) == 2
    err = capsys.readouterr().err
    assert f"{out} exists; pass --overwrite" in err
    # a library error (a file that is no generator) is one line too
    assert cli.main([*base, "--videos", str(video), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--verbose debug" in err
    bad_name = ["generate", "--model", str(model), "--videos", str(video)]
    assert cli.main([*bad_name, "--out", str(tmp_path / "x.fif")]) == 2
    assert "must end in -epo.fif" in capsys.readouterr().err
    assert cli.main(["fit", "--epochs", str(tmp_path / "no-epo.fif"), "--videos",
                     str(video), "--out", str(model)]) == 2  # fmt: skip
    assert "epochs file not found" in capsys.readouterr().err


def test_parse_emotion(tmp_path):
    assert cli._parse_emotion(None) is None
    assert cli._parse_emotion(["positive"]) == "positive"
    pairs = cli._parse_emotion(["dir/a.avi=positive", "b.avi=negative"])
    assert pairs == {"a.avi": "positive", "b.avi": "negative"}
    table = tmp_path / "labels.tsv"
    table.write_text("video\temotion\na.avi\tneutral\n")
    assert cli._parse_emotion([str(table)]) == {"a.avi": "neutral"}
    with pytest.raises(cli._UsageError, match="VIDEO=LABEL pairs"):
        cli._parse_emotion(["a.avi=positive", "oops"])


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "mne_video2eeg.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    from mne_video2eeg import __version__

    assert out.stdout.strip() == __version__


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, monkeypatch, capsys):
    # a tiny configuration: the real default is exercised by the README command
    monkeypatch.setitem(cli.DEMO_PARAMS, "module__width", 16)
    monkeypatch.setitem(cli.DEMO_PARAMS, "module__depth", 1)
    rc = cli.main(
        [
            "demo",
            "--out",
            str(tmp_path / "demo"),
            "--n-subjects",
            "1",
            "--n-clips",
            "18",
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
    # the real and clean epochs it scored against, ready for `evaluate`
    read = {
        k: cli._read_epochs(tmp_path / "demo" / f"{k}-epo.fif")
        for k in ("real", "clean", "generated")
    }
    held_out = set(read["generated"].metadata["video"])
    assert set(read["real"].metadata["video"]) == held_out
    assert len(read["real"]) == len(read["clean"]) == len(held_out)
    # held-out videos carry their true labels, not made-up ones
    assert list(read["generated"].metadata["emotion"][::2]) == list(
        read["real"].metadata["emotion"]
    )
    assert "mne-video2eeg evaluate --real" in out
    # refuses to overwrite without --overwrite, before any work
    rc = cli.main(["demo", "--out", str(tmp_path / "demo"), "--n-clips", "6"])
    assert rc == 2
    assert "pass --overwrite" in capsys.readouterr().err


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
