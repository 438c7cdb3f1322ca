import subprocess
import sys

import pytest

from mne_video2eeg import cli


@pytest.mark.parametrize("command", [[], ["demo"], ["fit"], ["generate"], ["sys-info"]])
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
