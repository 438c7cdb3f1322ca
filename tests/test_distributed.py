"""Training under torchrun: DistributedDataParallel over 2 CPU processes."""

import os
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    import torch.distributed as dist
    from mne_video2eeg._training import train_diffusion
    from mne_video2eeg.nn import VideoEEGDenoiser, VideoEEGDiffusion

    C, T, F, M = 8, 64, 5, 8
    rng = np.random.default_rng(0)
    adj = rng.random((C, C))
    adj = adj + adj.T
    with torch.random.fork_rng():
        torch.manual_seed(0)
        den = VideoEEGDenoiser(
            n_channels=C, n_times=T, sfreq=100.0, n_video_features=F,
            n_subjects=2, graphs={"electrode": adj, "signal": adj**2},
            width=16, depth=1, patch_size=8, n_heads=4, lag_width=8,
        )
        model = VideoEEGDiffusion(den)
    g = torch.Generator().manual_seed(0)
    n = 13  # odd: the shards are evened out by wrapping
    tensors = dict(
        x0=torch.randn(n, C, T, generator=g),
        video=torch.randn(n, M, F, generator=g),
        video_time=torch.arange(M) / 8.0,
        subject=torch.arange(n) % 2,
    )
    calls = []
    hist, state = train_diffusion(
        model, tensors, n_epochs=8, batch_size=4, lr=3e-3, seed=1,
        callback=lambda epoch, row, state_fn: calls.append(epoch) and False,
        verbose="warning",
    )
    rank = dist.get_rank()
    torch.save(
        {"model": state["model"], "ema": state["ema"], "step": state["step"]},
        f"{sys.argv[1]}/rank{rank}.pt",
    )
    with open(f"{sys.argv[1]}/rank{rank}.json", "w") as fid:
        json.dump({"hist": hist, "calls": calls, "world": dist.get_world_size()}, fid)
    """
)


@pytest.mark.slow
def test_ddp_two_ranks_identical_weights(tmp_path):
    """Both ranks end with the same weights; the loss goes down."""
    import json

    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(script),
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in res] == [2, 2]
    # rank-0-only callback (checkpointing)
    assert res[0]["calls"] == list(range(1, 9)) and res[1]["calls"] == []
    # logged values are the means over both ranks: the same history everywhere
    assert res[0]["hist"] == res[1]["hist"]
    hist = res[0]["hist"]
    assert hist[-1]["loss"] < hist[0]["loss"]
    states = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    # 13 clips -> 7 per rank -> 2 steps of (4, 3) per epoch
    assert states[0]["step"] == states[1]["step"] == 16
    for key in ("model", "ema"):
        a, b = states[0][key], states[1][key]
        assert a.keys() == b.keys()
        for name in a:
            torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
