"""Frames per second of each video encoder on this machine (not a test).

Run: python benchmarks/video_encoders.py [--threads 2] [--vit-b32]

Rows:
- lowlevel, encoder only: 256x256 RGB arrays -> features (target >= 200 frames/s).
- lowlevel, file -> features: MJPG 256x256 decode + resize + encode.
- read_video only: decoding cost alone.
- clip, tiny random model (the test model), and optionally ViT-B-32 with random
  weights (same compute as real weights) as a stand-in for the real encoders;
  encoding only (256x256 frames resized to the model input), load time apart.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def _moving_frames(n, size=256, seed=0):
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(
        rng.uniform(0, 255, (size, size, 3)).astype(np.float32), (0, 0), 3
    ).astype(np.uint8)
    return np.stack([np.roll(base, (k, 2 * k), axis=(0, 1)) for k in range(n)])


def _time(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-frames", type=int, default=500)
    parser.add_argument("--vit-b32", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    import open_clip

    from mne_video2eeg.video import extract_video_features, read_video

    n = args.n_frames
    frames = _moving_frames(n)
    rows = []
    kw = dict(size=256, verbose="error")
    t = _time(lambda: extract_video_features(frames[None], fps=25, **kw))
    rows.append(("lowlevel (arrays, encoder only)", "256x256", n / t))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.avi"
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (256, 256)
        )
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        writer.release()
        t = _time(lambda: read_video(path, size=256, verbose="error"))
        rows.append(("read_video (MJPG decode only)", "256x256", n / t))
        t = _time(lambda: extract_video_features(path, fps=25, **kw))
        rows.append(("lowlevel (MJPG file -> features)", "256x256", n / t))

        name = "mne-video2eeg-tiny-bench"
        cfg = {
            "embed_dim": 16,
            "vision_cfg": {
                "image_size": 32,
                "layers": 1,
                "width": 32,
                "head_width": 16,
                "patch_size": 8,
            },
            "text_cfg": {
                "context_length": 77,
                "vocab_size": 49408,
                "width": 32,
                "heads": 2,
                "layers": 1,
            },
        }
        (Path(tmp) / f"{name}.json").write_text(json.dumps(cfg))
        open_clip.add_model_config(Path(tmp) / f"{name}.json")
        model = open_clip.create_model(name)
        ckpt = Path(tmp) / "tiny.pt"
        torch.save(model.state_dict(), ckpt)
        from mne_video2eeg.video.clip import ClipEncoder

        # model loading is timed apart: it happens once per call, not per frame
        clip_runs = [(name, ckpt, False, 64, "256->32")]
        if args.vit_b32:
            clip_runs.append(("ViT-B-32", None, True, 16, "256->224"))
        for model_name, pretrained, random, m, size in clip_runs:
            enc = ClipEncoder(model_name, pretrained, allow_random=random)
            t0 = time.perf_counter()
            enc.model  # noqa: B018
            load = time.perf_counter() - t0
            t = _time(lambda enc=enc, m=m: enc.encode(frames[:m]), repeat=2)
            label = f"clip {model_name[:18]} random (load {load:.1f} s)"
            rows.append((label, size, m / t))

    print(f"\nVideo encoders, {args.threads} threads, best of 3 runs")
    print(f"{'encoder':<42}{'frames':>10}{'frames/s':>12}")
    for label, size, fps in rows:
        print(f"{label:<42}{size:>10}{fps:>12.1f}")


if __name__ == "__main__":
    main()
