"""One fit on the demo protocol, scored per sampler: the quick A/B of NOTES.md.

2 simulated subjects x 60 clips, 10 held-out clips (the demo's split), one
generator fitted with the demo's CPU configuration plus ``--params`` (JSON of
estimator parameters), then K = 16 samples per held-out clip for subject 01
with each sampler; prints evoked correlation (ceiling, ratio, mismatched
video), band level and topography, the generated / real band-power ratio
(median over channels), the PSD distance and seconds per sample.

Usage::

    python benchmarks/demo_protocol.py --params '{"patch_size": 50}' \\
        --samplers trigflow:6,dpmsolver:10,ddim:100
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import mne  # noqa: E402
import numpy as np  # noqa: E402

from mne_video2eeg import Video2EEGGenerator, extract_video_features  # noqa: E402
from mne_video2eeg._bands import FREQ_BANDS  # noqa: E402
from mne_video2eeg.datasets import simulate_video_eeg  # noqa: E402
from mne_video2eeg.metrics import (  # noqa: E402
    band_similarity,
    evoked_correlation,
    psd_distance,
)
from mne_video2eeg.metrics._spectral import band_power  # noqa: E402

DEMO = dict(module__width=48, module__depth=2, n_epochs=60, batch_size=16)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--params", default="{}", help="JSON of estimator parameters")
    p.add_argument("--samplers", default="trigflow:6,dpmsolver:10,ddim:100")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    mne.set_log_level("WARNING")
    params = dict(DEMO, **json.loads(args.params))
    with tempfile.TemporaryDirectory() as tmp:
        videos, epochs, clean = simulate_video_eeg(
            tmp, n_subjects=2, n_clips=60, return_clean=True, random_state=args.seed
        )
        feats = extract_video_features(videos)
    md = epochs.metadata
    names = [v.name for v in videos]
    test = set(np.random.default_rng(args.seed).choice(names, 10, replace=False))
    train = np.flatnonzero(~md["video"].isin(test).to_numpy())
    gen = Video2EEGGenerator(**params, random_state=args.seed, device="cpu")
    t0 = time.perf_counter()
    gen.fit(feats, epochs[train])
    last = {k: round(v, 4) for k, v in gen.history_[-1].items()}
    print(f"params {params}, fit {time.perf_counter() - t0:.0f} s, last epoch {last}")
    idx = np.flatnonzero((md["video"].isin(test) & (md["subject"] == "01")).values)
    real, truth = epochs[idx], clean[idx]
    pr = band_power(real.get_data(), 200.0, FREQ_BANDS).mean(0)
    for item in args.samplers.split(","):
        sampler, steps = item.split(":")
        gen.set_params(sampler=sampler, n_inference_steps=int(steps))
        t0 = time.perf_counter()
        synth = gen.generate(
            feats.sel(video=sorted(test)), subject="01", n_samples=16, random_state=1
        )
        per = (time.perf_counter() - t0) / len(synth)
        ev = evoked_correlation(real, synth, clean=truth, verbose=False)
        bs = band_similarity(real, synth, verbose=False)
        pg = band_power(synth.get_data(), 200.0, FREQ_BANDS).mean(0)
        ratio = np.median(pg / pr, axis=0)
        fmt = "/".join
        print(
            f"  {sampler} {steps}: evoked {float(ev['value']):.3f} "
            f"(ceiling {float(ev['ceiling']):.3f}, ratio {float(ev['ratio']):.2f}, "
            f"mismatched {float(ev['mismatched']):.3f}) | level "
            + fmt(f"{v:.2f}" for v in bs["level"].values)
            + " topo "
            + fmt(f"{v:.2f}" for v in bs["topo"].values)
            + " | power gen/real "
            + fmt(f"{v:.2f}" for v in ratio)
            + f" | PSD {float(psd_distance(real, synth, verbose=False)):.2f} dB"
            + f" | {per:.3f} s/sample",
            flush=True,
        )


if __name__ == "__main__":
    main()
