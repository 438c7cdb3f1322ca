"""Speed of the SPGN-diffusion core on CPU (default configuration, 62 x 400).

Prints parameter count, FLOPs per denoiser call (torch.utils.flop_counter),
achieved GFLOP/s, and seconds per generated sample at 10/25/50/100 steps in
batches of 64 for each sampler.  ``--graph-conv`` also times the graph
convolution implementations (this module's dense stacked filters vs
torch_geometric's DenseGCNConv / DenseGraphConv / ChebConv; needs the ``pyg``
extra, skipped without it).

Usage::

    python benchmarks/core_speed.py [--threads 2] [--batch 64] [--graph-conv]
"""

import argparse
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from mne_video2eeg.nn import SAMPLERS, VideoEEGDenoiser, VideoEEGDiffusion


def _graphs(n_channels, seed=0):
    try:
        from mne_video2eeg.montage import make_seed_montage

        pos = np.array(list(make_seed_montage().get_positions()["ch_pos"].values()))
    except Exception:  # montage unavailable: random positions, same sizes
        pos = np.random.default_rng(seed).normal(size=(n_channels, 3)) * 0.05
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    a_e = np.exp(-((dist / np.median(dist)) ** 2))
    np.fill_diagonal(a_e, 0)
    rng = np.random.default_rng(seed)
    a_s = np.abs(
        np.corrcoef(
            rng.normal(size=(n_channels, 400))
            + a_e @ rng.normal(size=(n_channels, 400))
        )
    )
    np.fill_diagonal(a_s, 0)
    return {"electrode": a_e, "signal": a_s}


def _timeit(fn, n_rep=3, warmup=True):
    if warmup:
        fn()
    best = np.inf
    for _ in range(n_rep):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_graph_conv(batch, n_tokens=16, n_channels=62, width=64, n_hops=3):
    try:
        from torch_geometric.nn import ChebConv, DenseGCNConv, DenseGraphConv
    except ImportError:
        print(
            "\nGraph convolution: skipped, torch_geometric is not installed "
            '(pip install -e ".[pyg]")'
        )
        return

    from mne_video2eeg.nn.spgn import MultiScaleGraphConv, normalize_adjacency

    adj = _graphs(n_channels)["electrode"]
    x = torch.randn(batch, n_tokens, n_channels, width)
    rows = []
    with torch.inference_mode():
        ours = MultiScaleGraphConv(adj, width, n_hops=n_hops, n_filters=2)
        rows.append(
            ("dense stacked filters (ours, 2 filters)", _timeit(lambda: ours(x)))
        )
        ours1 = MultiScaleGraphConv(adj, width, n_hops=n_hops, n_filters=1)
        rows.append(
            ("dense stacked filters (ours, 1 filter)", _timeit(lambda: ours1(x)))
        )
        a = torch.as_tensor(adj, dtype=torch.float32)
        xf = x.reshape(-1, n_channels, width)
        gcn = [DenseGCNConv(width, width) for _ in range(n_hops)]

        def run_gcn():
            h, out = xf, 0
            for conv in gcn:
                h = conv(h, a)
                out = out + h
            return out

        rows.append((f"PyG DenseGCNConv x{n_hops} hops", _timeit(run_gcn)))
        gc = [DenseGraphConv(width, width) for _ in range(n_hops)]
        an = normalize_adjacency(adj)

        def run_gc():
            h, out = xf, 0
            for conv in gc:
                h = conv(h, an)
                out = out + h
            return out

        rows.append((f"PyG DenseGraphConv x{n_hops} hops", _timeit(run_gc)))
        cheb = ChebConv(width, width, K=n_hops + 1)
        ei = torch.nonzero(a > 0).T
        ew = a[ei[0], ei[1]]
        n_graphs = xf.shape[0]
        offs = (torch.arange(n_graphs) * n_channels).repeat_interleave(ei.shape[1])
        ei_b = ei.repeat(1, n_graphs) + offs
        ew_b = ew.repeat(n_graphs)
        xs = xf.reshape(-1, width)
        rows.append(
            (
                f"PyG ChebConv K={n_hops + 1} (sparse batch)",
                _timeit(lambda: cheb(xs, ei_b, ew_b), 1),
            )
        )
    print(
        f"\nGraph convolution, {batch} x {n_tokens} graphs of {n_channels} nodes, "
        f"width {width}:"
    )
    for name, sec in rows:
        print(f"  {name:45s} {sec * 1e3:8.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", default="10,25,50,100")
    parser.add_argument("--graph-conv", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    n_channels, n_times, b = 62, 400, args.batch
    with torch.random.fork_rng():
        torch.manual_seed(0)
        den = VideoEEGDenoiser(
            n_channels=n_channels,
            n_times=n_times,
            sfreq=200.0,
            n_video_features=13,
            n_subjects=15,
            graphs=_graphs(n_channels),
            occipital_idx=list(range(50, 62)),
        )
        model = VideoEEGDiffusion(den).eval()
    g = torch.Generator().manual_seed(0)
    cond = dict(
        video=torch.randn(b, 50, 13, generator=g),
        video_time=torch.arange(50) / 25.0,
        subject=torch.arange(b) % 15,
    )
    n_params = sum(p.numel() for p in model.parameters())
    x = torch.randn(b, n_channels, n_times, generator=g)
    t = torch.full((b,), 500)
    with torch.inference_mode():
        ctx = den.encode_condition(cond)
        with FlopCounterMode(display=False) as fc:
            den(x, t, ctx=ctx)
        flops = fc.get_total_flops() / b
        with FlopCounterMode(display=False) as fc:
            den.encode_condition(cond)
        flops_cond = fc.get_total_flops() / b
        sec = _timeit(lambda: den(x, t, ctx=ctx), 5) / b
    print(
        f"torch {torch.__version__}, {args.threads} threads, batch {b}, "
        "62 x 400 at 200 Hz"
    )
    print(f"parameters                      {n_params:,}")
    print(f"MFLOP per denoiser call/sample  {flops / 1e6:.1f}")
    print(f"MFLOP condition encoding/sample {flops_cond / 1e6:.1f} (once per sample)")
    print(f"ms per denoiser call/sample     {sec * 1e3:.2f}")
    print(f"achieved GFLOP/s                {flops / sec / 1e9:.1f}")
    steps = [int(s) for s in args.steps.split(",")]
    print(f"\nseconds per generated sample (batch {b})")
    print("sampler     " + "".join(f"{s:>9d}" for s in steps))
    for sampler in SAMPLERS:
        row = []
        for n in steps:
            dt = _timeit(
                lambda n=n, sampler=sampler: model.sample(
                    cond,
                    n_steps=n,
                    sampler=sampler,
                    generator=torch.Generator().manual_seed(0),
                ),
                1,
                warmup=False,
            )
            row.append(dt / b)
        print(f"{sampler:10s}  " + "".join(f"{v:9.4f}" for v in row), flush=True)
    if args.graph_conv:
        bench_graph_conv(b)


if __name__ == "__main__":
    main()
